// The one interface behind which all database knowledge lives. The data plane and the activities
// talk to an Engine; only src/engines/<kind>/ knows SQL dialects, catalogs and drivers.
import type { EngineKind, LiveState, SchemaModel } from './model';

export interface IntrospectOptions {
  /** MySQL database or PostgreSQL schema; defaults to the connection's database / "public". */
  schema?: string;
  /** Run SELECT COUNT(*) on every table (slow on big tables). */
  exactCounts?: boolean;
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
  close(): Promise<void>;
}
