// RangeReaders over the copier's row access (src/dataplane/copy/rows-engine.ts, which binds
// src/engines/<kind>/rows.ts to the engine's pool: UTC sessions, exact wire-form values), so the
// validator reads exactly as the copier does and can share its pools.
import { openRowsEngine, type RowsEngine } from '../copy/rows-engine';
import type { EngineKind } from '../../engines/model';
import type { RangeReader, RawRangeReader } from './validator';

export interface ClosableRangeReader extends RangeReader {
  close(): Promise<void>;
}

/** A reader over an open RowsEngine (closing the reader closes the RowsEngine). */
export function rangeReaderFrom(rows: RowsEngine): ClosableRangeReader {
  return {
    readRange: (t, columns, key, range, limit) =>
      rows.readRange(t.schema, t.table, columns, key, range, limit),
    readByKeys: (t, columns, key, keys) => rows.readByKeys(t.schema, t.table, columns, key, keys),
    raw: rawReaderFrom(rows),
    close: () => rows.close(),
  };
}

/** A reader for one connection URL; close() ends its pool. */
export function openRangeReader(kind: EngineKind, url: string): ClosableRangeReader {
  // `worker`: the validator may open the same reader in a worker thread (chunk-sides.ts).
  return { ...rangeReaderFrom(openRowsEngine(kind, url)), worker: { kind, url } };
}

/** The validator's view of RowsEngine.raw, column names renamed by `rename` (source -> target). */
export function rawReaderFrom(
  rows: RowsEngine,
  rename: (name: string) => string = (n) => n,
): RawRangeReader | undefined {
  const raw = rows.raw;
  if (!raw) return undefined;
  return {
    format: () => raw.format(),
    nthKey: (t, key, range, n) => raw.nthKey(t.schema, t.table, key.map(rename), range, n),
    readRange: (t, columns, key, range, format) =>
      raw.readRange(t.schema, t.table, columns.map(rename), key.map(rename), range, format),
  };
}
