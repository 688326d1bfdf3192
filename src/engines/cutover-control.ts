// What the cutover needs from a database besides rows: a write fence on the moved tables and the
// routing control table applications read. Engine-neutral types here; the SQL lives in
// src/engines/<kind>/fence.ts and src/engines/<kind>/routing.ts (docs/CUTOVER.md explains both).
import { EngineInputError } from './errors';
import type { EngineKind } from './model';

/**
 * 'trigger': BEFORE triggers on each fenced table reject every write (the tight, per-table fence).
 * 'read-only': the server's own read-only switch (PostgreSQL: the database's
 * default_transaction_read_only plus recycled sessions; MySQL: SET GLOBAL read_only). Coarser (the
 * whole database / server) and advisory for privileged users: see docs/CUTOVER.md.
 */
export type FenceMode = 'trigger' | 'read-only';

/** The server setting a read-only fence changed, as it was before (null: not set at that level). */
export interface FencePrevious {
  setting: string;
  value: string | null;
}

export interface InstallFenceOptions {
  /** How long one attempt waits for the table locks, in milliseconds (default 2000; MySQL: whole seconds). */
  lockTimeoutMs?: number;
  /** Attempts before giving up with FenceBlockedError (default 5), with a jittered pause between them. */
  attempts?: number;
  /** Called after an attempt that gave up waiting for a lock (for heartbeats). */
  onRetry?: (attempt: number) => void;
  /** Checked between attempts: a cancelled fence stops retrying (the failed attempt installed nothing). */
  signal?: AbortSignal;
}

export interface FenceInstallResult {
  /** The fenced tables (sorted); for 'read-only' the tables named, though the whole database is fenced. */
  tables: string[];
  /** When the fence was first installed, by the database's clock (UTC, ISO 8601). */
  fencedAt: string;
  /** 'read-only' only: the setting before the fence (also kept in the `_cutover_fence` state table). */
  previous: FencePrevious | null;
}

export interface FenceStatus {
  /** The recorded mode, or null when this migration has no fence on the schema. */
  mode: FenceMode | null;
  /** Tables a write is rejected on right now ('trigger': per the catalog; 'read-only': the recorded ones). */
  tables: string[];
  fencedAt: string | null;
  previous: FencePrevious | null;
}

/** A session that held a lock the fence waited for. Never the query text (it may hold values). */
export interface FenceBlocker {
  /** PostgreSQL backend pid / MySQL connection id. */
  session: string;
  user: string;
  /** Age of its open transaction in seconds (null when unknown). */
  transactionSeconds: number | null;
  /** 'idle in transaction', 'active', 'Sleep', ... */
  state: string;
}

/** The fence could not get its locks within the attempts; nothing of it is left installed. */
export class FenceBlockedError extends Error {
  override name = 'FenceBlocked';
  constructor(
    message: string,
    readonly blockers: FenceBlocker[],
  ) {
    super(message);
  }
}

/** Refused switch: an epoch older than the one recorded, or the same epoch with another side. */
export class RoutingConflictError extends EngineInputError {
  override name = 'RoutingConflict';
}

export type RoutingSide = 'source' | 'target';

/** One row of `_cutover_routing`: which side of a migration applications must use. */
export interface RoutingRow {
  migration: string;
  active: RoutingSide;
  /** The engine of the active side ('postgres' | 'mysql'). */
  activeEngine: EngineKind;
  /** UTC, ISO 8601 with milliseconds. */
  switchedAt: string;
  /** Increases with every switch; the same on both sides of one migration. */
  epoch: number;
}

export type RoutingWriteOutcome = 'written' | 'unchanged';

export interface CutoverControl {
  readonly kind: EngineKind;
  /** The connection's schema (PostgreSQL current_schema(), MySQL DATABASE()). */
  defaultSchema(): Promise<string>;
  /**
   * Fence writes to `tables` of `schema` for `migration`. Idempotent (re-running completes or
   * extends the fence). Returns only once no transaction from before the fence can still commit a
   * write to them; on failure nothing of this call is left installed.
   */
  installFence(
    schema: string,
    migration: string,
    mode: FenceMode,
    tables: string[],
    options?: InstallFenceOptions,
  ): Promise<FenceInstallResult>;
  /** Remove exactly this migration's fence on `schema` (and restore a read-only setting); gone is fine. */
  liftFence(
    schema: string,
    migration: string,
    options?: { lockTimeoutMs?: number; attempts?: number },
  ): Promise<{
    lifted: string[];
    mode: FenceMode | null;
  }>;
  fenceState(schema: string, migration: string): Promise<FenceStatus>;
  /** The routing row of `migration` in `schema`, or null (the table may not exist yet). */
  readRouting(schema: string, migration: string): Promise<RoutingRow | null>;
  /**
   * Write the row if its epoch is newer than the stored one; the same row again is 'unchanged'.
   * An older epoch, or the same epoch with another side, is a RoutingConflictError.
   */
  writeRouting(schema: string, row: RoutingRow): Promise<RoutingWriteOutcome>;
  close(): Promise<void>;
}

/** Migration names as the spec allows them (letters, digits, '.', '_', '-'; at most 100). */
export const MIGRATION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function checkMigrationName(migration: string): void {
  if (typeof migration !== 'string' || !MIGRATION_NAME.test(migration))
    throw new EngineInputError(
      `migration name ${JSON.stringify(migration)} must start with a letter or digit and use only letters, digits, ".", "_" and "-" (at most 100)`,
    );
}

/** Refuse an empty or duplicated table list before anything is touched. */
export function checkFenceTables(tables: string[]): string[] {
  if (!Array.isArray(tables) || !tables.length)
    throw new EngineInputError('a write fence needs at least one table');
  const bad = tables.filter((t) => typeof t !== 'string' || !t);
  if (bad.length) throw new EngineInputError('a fenced table needs a name');
  const dup = tables.filter((t, i) => tables.indexOf(t) !== i);
  if (dup.length)
    throw new EngineInputError(
      `tables listed twice for the fence: ${[...new Set(dup)].map((t) => JSON.stringify(t)).join(', ')}`,
    );
  return [...tables].sort();
}

/** A pause of about `base` ms, jittered by +-50%, so retries of several workers do not line up. */
export function jitter(base: number): Promise<void> {
  const ms = Math.round(base * (0.5 + Math.random()));
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function describeBlockers(blockers: FenceBlocker[]): string {
  if (!blockers.length)
    return 'no blocking session was visible any more when checked (a burst of short transactions?)';
  return blockers
    .map(
      (b) =>
        `session ${b.session} (user ${JSON.stringify(b.user)}, ${
          b.transactionSeconds === null
            ? 'transaction age unknown'
            : `transaction open ${Math.round(b.transactionSeconds)} s`
        }, ${b.state || 'state unknown'})`,
    )
    .join('; ');
}
