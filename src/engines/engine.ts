// The one interface behind which all database knowledge lives. The data plane and the activities
// talk to an Engine; only src/engines/<kind>/ knows SQL dialects, catalogs and drivers.
import type { ChangeCapture } from './capture';
import type { DdlPhase, DdlPlan, DdlStatement } from './ddl-plan';
import type { EngineKind, LiveState, SchemaModel } from './model';
import type { RowsEngine } from './row-access';

export type { RowsEngine } from './row-access';

export interface IntrospectOptions {
  /** MySQL database or PostgreSQL schema; defaults to the connection's database / "public". */
  schema?: string;
  /** Run SELECT COUNT(*) on every table (slow on big tables). */
  exactCounts?: boolean;
  /**
   * PostgreSQL: count the rows of tables never analysed (no estimate) up to 64 MiB, for progress
   * totals. Off for callers that only need the schema or counters (some run under a write fence).
   */
  countUnanalysed?: boolean;
}

/**
 * A question about the data in one column whose answer decides whether a type conversion is safe.
 * Each kind is answered with a count of offending rows.
 */
export type ProbeKind =
  /** integer values other than 0 and 1 (TINYINT(1)/BIT(1) -> boolean) */
  | 'non-boolean'
  /** MySQL zero or partial dates ('0000-00-00', '2024-00-15'), which PostgreSQL rejects */
  | 'zero-date'
  /** '' stored in an ENUM column (non-strict mode), which is not one of the members */
  | 'empty-enum'
  /** text containing a NUL byte, which PostgreSQL text rejects */
  | 'nul-byte'
  /** JSON text containing \u0000, which jsonb rejects */
  | 'json-nul'
  /** text values ending in a space (PAD SPACE collations compare them equal without it) */
  | 'trailing-space'
  /** TIME values outside 00:00:00..23:59:59 */
  | 'time-out-of-day'
  /** negative numbers (where the target type is unsigned) */
  | 'negative'
  /** timestamps outside MySQL TIMESTAMP's 1970-01-01..2038-01-19 range */
  | 'timestamp-out-of-range';

export interface ColumnProbe {
  column: string;
  kind: ProbeKind;
}

export interface ProbeResult extends ColumnProbe {
  /** How many rows of the table show the problem. */
  offendingRows: number;
}

/** Rows read for the planner's sample copy, with their encoded size. */
export interface SampleBatch {
  columns: string[];
  rows: unknown[][];
  /** Approximate bytes read (sum of the text/binary lengths of the values). */
  bytes: number;
}

export interface Engine {
  readonly kind: EngineKind;
  /** Quote one identifier so that any name (quotes, spaces, unicode, reserved words) is safe. */
  quoteIdent(name: string): string;
  /** schema.table, both quoted. */
  qualify(schema: string, table: string): string;
  /** The schema used when a spec names none. */
  defaultSchema(): Promise<string>;
  introspect(options?: IntrospectOptions): Promise<SchemaModel>;
  /**
   * Current activity, settings and privileges (checked on `schema`, default the connection's);
   * long transactions are those older than the threshold.
   */
  liveState(options?: { longTransactionSeconds?: number; schema?: string }): Promise<LiveState>;
  /**
   * Queries running on the whole server right now (MySQL Threads_running, PostgreSQL active client
   * sessions, this one included): the copy's load metric, as pt-osc's --max-load reads it.
   */
  runningQueries(): Promise<number>;
  /**
   * Per table, a token that changes when the table changes other than row by row in ways the
   * trigger capture cannot see (MySQL: TRUNCATE, ALTER, OPTIMIZE; PostgreSQL: a rewrite by ALTER,
   * added or dropped columns); null where it cannot be told.
   */
  tableIdentities(schema: string, tables: string[]): Promise<Record<string, string | null>>;
  /** Answer several probes on one table with a single scan. */
  probe(schema: string, table: string, probes: ColumnProbe[]): Promise<ProbeResult[]>;
  /** Read up to `limit` rows of the given columns in primary-key order (or any order without one). */
  readSample(schema: string, table: string, columns: string[], limit: number): Promise<SampleBatch>;
  /**
   * Create a session-local scratch table with the given column DDL, load the rows the fastest way
   * this engine supports for bulk loads, then upsert them again by key; returns the timings.
   * Used only by the planner's sample copy: it never touches a permanent table.
   */
  scratchLoad(
    columns: { name: string; type: string }[],
    key: string[],
    batch: SampleBatch,
  ): Promise<{ loadMs: number; upsertMs: number }>;
  /**
   * Row access (range reads, key bounds, idempotent range replace, upserts, deletes) on this
   * engine's pool. Its close() closes nothing: the engine owns the pool.
   */
  rows(): RowsEngine;
  /**
   * Trigger-based change capture of `schema` on this engine's pool (install before the copy,
   * read/trim while catching up, remove at the end).
   */
  capture(schema: string): ChangeCapture;
  /** Applying a DdlPlan on this engine (the plan's `to` must be this engine's kind). */
  readonly ddl: DdlApplier;
  close(): Promise<void>;
}

export interface ApplyDdlOptions {
  /** How long each statement may wait for a lock, in milliseconds (default 5000; MySQL rounds up to seconds). */
  lockTimeoutMs?: number;
  /** Called after each statement: applied, or skipped because its object already exists. */
  onStatement?: (statement: DdlStatement, outcome: 'applied' | 'skipped') => void;
}

export interface ApplyDdlResult {
  applied: number;
  skipped: number;
}

/**
 * DDL on the target, idempotent statement by statement (a re-run after a crash finishes the phase
 * without error or duplicates), each with a short lock timeout: a statement that gives up waiting
 * changed nothing (isLockTimeout) and is retried by the caller.
 */
export interface DdlApplier {
  applyPhase(plan: DdlPlan, phase: DdlPhase, options?: ApplyDdlOptions): Promise<ApplyDdlResult>;
  /** The finalize step: identities / sequences / AUTO_INCREMENT set past max of the copied rows. */
  setSequencesPastMax(plan: DdlPlan, options?: ApplyDdlOptions): Promise<ApplyDdlResult>;
  /** The compensation of the tables phase: drop exactly what the plan creates; gone is fine. */
  dropTargetObjects(plan: DdlPlan, options?: Pick<ApplyDdlOptions, 'lockTimeoutMs'>): Promise<void>;
  /** Objects of the plan that already exist ("table orders", "type status_t"), sorted. */
  existingTargetObjects(plan: DdlPlan): Promise<string[]>;
  /** True for an error of a statement that gave up waiting for a lock (nothing was changed). */
  isLockTimeout(err: unknown): boolean;
}
