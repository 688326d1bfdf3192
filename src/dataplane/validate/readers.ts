// RangeReaders over the engines' row access (src/engines/<kind>/rows.ts, the copier's keyset reads
// and reads by key), on the engines' own pools: UTC sessions, exact wire-form values.
import type { EngineKind } from '../../engines/model';
import { createPool as createMysqlPool } from '../../engines/mysql/engine';
import * as mysqlRows from '../../engines/mysql/rows';
import { createPool as createPostgresPool } from '../../engines/postgres/engine';
import * as postgresRows from '../../engines/postgres/rows';
import type { RangeReader } from './validator';

export interface ClosableRangeReader extends RangeReader {
  close(): Promise<void>;
}

/** A reader for one connection URL; close() ends its pool. */
export function openRangeReader(kind: EngineKind, url: string): ClosableRangeReader {
  if (kind === 'postgres') {
    const pool = createPostgresPool(url);
    return {
      readRange: (t, columns, key, range, limit) =>
        postgresRows.readRange(pool, t.schema, t.table, columns, key, range, limit),
      readByKeys: (t, columns, key, keys) =>
        postgresRows.readByKeys(pool, t.schema, t.table, columns, key, keys),
      close: () => pool.end(),
    };
  }
  const pool = createMysqlPool(url);
  return {
    readRange: (t, columns, key, range, limit) =>
      mysqlRows.readRange(pool, t.schema, t.table, columns, key, range, limit),
    readByKeys: (t, columns, key, keys) => mysqlRows.readByKeys(pool, t.schema, t.table, columns, key, keys),
    close: () => pool.end(),
  };
}
