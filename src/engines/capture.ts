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

export interface ChangeCapture {
  readonly method: 'trigger';
  /** Create the changelog and the capture on each table; re-running completes a crashed install. */
  install(tables: CaptureTable[]): Promise<void>;
  /**
   * Up to `limit` changes after `position` (null: from the beginning). No change committed after a
   * read is skipped by later reads, whatever order concurrent transactions commit in.
   */
  readBatch(position: string | null, limit: number): Promise<ChangeBatch>;
  /** Delete every change consumed at `position`; returns how many were deleted. */
  trim(position: string): Promise<number>;
  lag(position?: string | null): Promise<CaptureLag>;
  /** Drop the capture triggers, functions and the changelog; succeeds when they are already gone. */
  remove(): Promise<void>;
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
