// Change capture, engine-neutral: what the change applier needs from a source, whatever records the
// changes. Today triggers write a changelog table (src/engines/<kind>/capture.ts: works on any server
// without reconfiguration); log-based capture (pgoutput, binlog) can implement the same interface
// later, which is why a read position is an opaque string (a snapshot pair, a gap list, an LSN or a
// GTID set) rather than a changelog id.
import { type JsonKey, type Key, keyFromJson } from './key-range';

/** A table to capture and its key columns (the primary key, in key order). */
export interface CaptureTable {
  table: string;
  key: string[];
}

/**
 * 'truncate' (PostgreSQL only: MySQL fires no trigger for TRUNCATE) empties the table; its key is [].
 * Every change of that table committed after it comes in the same or a later batch (TRUNCATE holds an
 * exclusive lock until it commits).
 */
export type ChangeOperation = 'insert' | 'update' | 'delete' | 'truncate';

/** A key in wire form (docs/DATAPLANE.md): one value per key column, binary values as Buffer. */
export type WireKey = Key;

export interface CapturedChange {
  /** The changelog id, a decimal string (for diagnostics; order is not significant to the applier). */
  id: string;
  table: string;
  op: ChangeOperation;
  /** The row's key after the change (before it, for a delete). */
  key: WireKey;
  /** For an update that changed the key: the key the row had before (that key is gone, like a delete). */
  oldKey: WireKey | null;
  /** When the change was captured, UTC text "YYYY-MM-DD hh:mm:ss.ffffff". */
  capturedAt: string;
}

export interface ChangeBatch {
  changes: CapturedChange[];
  /**
   * Where the next read continues: pass it to the next readBatch, and to trim once the batch is
   * applied. JSON-safe and small, for heartbeats and checkpoints.
   */
  position: string;
}

export interface CaptureLag {
  /** Captured changes not yet trimmed (or not yet consumed at the given position). */
  rowsBehind: number;
  /** Age of the oldest such change; 0 when there is none. */
  secondsBehind: number;
}

/**
 * How trigger DDL (CREATE/DROP TRIGGER, which must wait for every open transaction that touched the
 * table, and meanwhile blocks the writers queued behind it) waits for its lock: a short wait,
 * retried with jittered back-off, so a busy source never stalls for more than `lockTimeoutMs`.
 */
export interface CaptureDdlOptions {
  /** How long one attempt waits for the table's lock (default 1000 ms; MySQL: whole seconds, at least 1). */
  lockTimeoutMs?: number;
  /** Attempts per table before giving up with a CaptureLockError (default 20). */
  lockAttempts?: number;
  /** Called before each retry (for heartbeats and logs). */
  onLockRetry?: (info: { table: string; attempt: number; blockers: LockBlocker[] }) => void;
  /**
   * Install stops creating triggers once this aborts: an attempt the server gave up on (heartbeat
   * timeout) must not go on adding triggers after a rollback removed the changelog they write to.
   */
  signal?: AbortSignal;
}

/** A session holding a transaction open on a table that DDL waits for. Never its query text. */
export interface LockBlocker {
  /** PostgreSQL backend pid or MySQL thread id (what pg_terminate_backend / KILL take). */
  id: number;
  /** Seconds since its transaction started. */
  transactionSeconds: number;
  user: string | null;
  /**
   * true: the server shows it holding a lock on the table. false: the server cannot tell (MariaDB
   * without the metadata_lock_info plugin, MySQL without performance_schema), and this is one of the
   * transactions open at least as long as the lock wait.
   */
  holdsTable: boolean;
}

/**
 * Trigger DDL did not get its table lock within the retry budget. Retryable: nothing was changed on
 * that table, and a later attempt succeeds once the blocking transactions end.
 */
export class CaptureLockError extends Error {
  override name = 'CaptureLockError';
  constructor(
    readonly table: string,
    readonly attempts: number,
    readonly blockers: LockBlocker[],
    action: 'install' | 'remove',
  ) {
    super(
      `could not ${action} change capture on ${table}: its lock was not granted within ${attempts} attempts; ` +
        (!blockers.length
          ? 'no open transaction was seen holding it at the end (retry)'
          : blockers.every((b) => b.holdsTable)
            ? `blocked by ${blockers.map(describeBlocker).join(', ')} (end or commit ${blockers.length > 1 ? 'them' : 'it'}, then retry)`
            : `the server cannot tell which session holds it; open transactions: ${blockers.map(describeBlocker).join(', ')} (end or commit the one that touched the table, then retry)`),
    );
  }
}

export function describeBlocker(b: LockBlocker): string {
  return `session ${b.id} (user ${b.user === null ? 'unknown' : JSON.stringify(b.user)}, transaction open for ${Math.round(b.transactionSeconds)} s)`;
}

/** Jittered exponential back-off before retry `attempt` (1-based): 50..150% of min(2 s, 100 ms * 2^(attempt-1)). */
export function lockRetryDelay(attempt: number): number {
  return Math.min(2000, 100 * 2 ** Math.min(attempt - 1, 5)) * (0.5 + Math.random());
}

export const DEFAULT_LOCK_TIMEOUT_MS = 1000;
export const DEFAULT_LOCK_ATTEMPTS = 20;

/**
 * A changed key since a position: `key` null means the table was truncated (every row changed:
 * validate the whole table).
 */
export interface ChangedKey {
  table: string;
  key: WireKey | null;
}

export interface ChangedKeysPage {
  /** Distinct (table, key) pairs, ordered by table then key (an engine-defined order). */
  keys: ChangedKey[];
  /** Pass as `after` for the next page; null when this page is the last. */
  next: string | null;
}

export interface ChangedKeysOptions {
  /** Pairs per page, 1..100000. */
  limit: number;
  /** The previous page's `next`. */
  after?: string | null;
}

export interface TrimOptions {
  /**
   * Keep every change that is consumed at `position` but was not yet consumed at `retainAfter` (an
   * earlier position), so that changedKeys(retainAfter) can still list it; only changes consumed at
   * both positions are deleted. `null` keeps every change; absent, trim deletes all it consumed.
   * Retained changes are never read again by readBatch (they are consumed) and do not count in lag.
   */
  retainAfter?: string | null;
}

export interface ChangeCapture {
  readonly method: 'trigger';
  /**
   * Create the changelog and the capture on each table; re-running completes a crashed install.
   * Each table's triggers are created with a short lock wait, retried (see CaptureDdlOptions); when
   * the lock never comes, a CaptureLockError names the blocking sessions, and the table is left
   * uncaptured (tables before it stay captured: re-run to complete, or remove()).
   */
  install(tables: CaptureTable[], options?: CaptureDdlOptions): Promise<void>;
  /**
   * Up to `limit` changes after `position` (null: from the beginning). No change committed after a
   * read is skipped by later reads, whatever order concurrent transactions commit in.
   */
  readBatch(position: string | null, limit: number): Promise<ChangeBatch>;
  /** Delete every change consumed at `position` (but see `retainAfter`); returns how many were deleted. */
  trim(position: string, options?: TrimOptions): Promise<number>;
  lag(position?: string | null): Promise<CaptureLag>;
  /**
   * The distinct (table, key) pairs of every change in the changelog that was not yet consumed at
   * `since` (null: every change still kept), up to its current end — applied or not. A key change
   * lists both the new and the old key; a TRUNCATE lists `{ table, key: null }`. Changes must have
   * been kept with trim's `retainAfter` (at `since` or earlier) to be listed.
   */
  changedKeys(since: string | null, options: ChangedKeysOptions): Promise<ChangedKeysPage>;
  /** Drop the capture triggers, functions and the changelog; succeeds when they are already gone. */
  remove(options?: CaptureDdlOptions): Promise<void>;
}

/** A wire-form key from its JSON text: `{"$binary": base64}` becomes a Buffer. */
export function decodeWireKey(json: unknown): WireKey {
  return keyFromJson((typeof json === 'string' ? JSON.parse(json) : json) as JsonKey);
}

export function checkCaptureTables(tables: CaptureTable[], error: (message: string) => Error): void {
  if (!Array.isArray(tables) || !tables.length) throw error('change capture needs at least one table');
  const seen = new Set<string>();
  for (const t of tables) {
    if (typeof t?.table !== 'string' || !t.table) throw error('a captured table needs a name');
    if (seen.has(t.table)) throw error(`table ${JSON.stringify(t.table)} is listed twice for capture`);
    seen.add(t.table);
    if (!Array.isArray(t.key) || !t.key.length)
      throw error(`table ${JSON.stringify(t.table)} needs key columns to be captured`);
    if (new Set(t.key).size !== t.key.length)
      throw error(`table ${JSON.stringify(t.table)} lists a key column twice`);
  }
}

export function checkLimit(limit: number, error: (message: string) => Error): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > 100_000)
    throw error(`readBatch limit must be an integer from 1 to 100000, not ${limit}`);
}
