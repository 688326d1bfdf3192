// The row access the copier (and later the validator and change applier) needs from one database,
// with the engine's dialect hidden: src/engines/<kind>/rows.ts bound to a pool. Separate from the
// Engine interface until the activities integrate it.
import type mysql from 'mysql2/promise';
import type pg from 'pg';
import type { Key, KeyRange } from '../../engines/key-range';
import type { EngineKind } from '../../engines/model';
import * as mysqlRows from '../../engines/mysql/rows';
import { createPool as createMysqlPool } from '../../engines/mysql/engine';
import * as pgRows from '../../engines/postgres/rows';
import { createPool as createPgPool } from '../../engines/postgres/engine';

export type Rows = readonly (readonly unknown[])[];

export interface ReplaceOptions {
  /** 'range' (default) deletes the whole range first; 'keys' only the loaded rows' keys. */
  deleteBy?: 'range' | 'keys';
}

export interface RowsEngine {
  readonly kind: EngineKind;
  keyBounds(
    schema: string,
    table: string,
    key: string[],
  ): Promise<{ min: Key | null; max: Key | null; rowsEstimate: number }>;
  splitPoints(schema: string, table: string, key: string[], n: number): Promise<Key[]>;
  readRange(
    schema: string,
    table: string,
    columns: string[],
    key: string[],
    range: KeyRange,
    limit: number,
  ): Promise<unknown[][]>;
  readByKeys(
    schema: string,
    table: string,
    columns: string[],
    key: string[],
    keys: Key[],
  ): Promise<unknown[][]>;
  replaceRange(
    schema: string,
    table: string,
    columns: string[],
    key: string[],
    range: KeyRange,
    rows: Rows,
    options?: ReplaceOptions,
  ): Promise<number>;
  upsertRows(schema: string, table: string, columns: string[], key: string[], rows: Rows): Promise<number>;
  deleteRows(schema: string, table: string, key: string[], keys: Key[]): Promise<number>;
  close(): Promise<void>;
}

/** Row access on a PostgreSQL pool (use the engine's createPool: exact types, UTC sessions). */
export function postgresRowsEngine(pool: pg.Pool, ownsPool = false): RowsEngine {
  return {
    kind: 'postgres',
    keyBounds: (s, t, k) => pgRows.keyBounds(pool, s, t, k),
    splitPoints: (s, t, k, n) => pgRows.splitPoints(pool, s, t, k, n),
    readRange: (s, t, c, k, r, l) => pgRows.readRange(pool, s, t, c, k, r, l),
    readByKeys: (s, t, c, k, keys) => pgRows.readByKeys(pool, s, t, c, k, keys),
    replaceRange: (s, t, c, k, r, rows, o) => pgRows.replaceRange(pool, s, t, c, k, r, rows, o),
    upsertRows: (s, t, c, k, rows) => pgRows.upsertRows(pool, s, t, c, k, rows),
    deleteRows: (s, t, k, keys) => pgRows.deleteRows(pool, s, t, k, keys),
    close: async () => {
      if (ownsPool) await pool.end();
    },
  };
}

/** Row access on a MySQL pool (use the engine's createPool: exact types; sessions set to UTC here). */
export function mysqlRowsEngine(pool: mysql.Pool, ownsPool = false): RowsEngine {
  return {
    kind: 'mysql',
    keyBounds: (s, t, k) => mysqlRows.keyBounds(pool, s, t, k),
    splitPoints: (s, t, k, n) => mysqlRows.splitPoints(pool, s, t, k, n),
    readRange: (s, t, c, k, r, l) => mysqlRows.readRange(pool, s, t, c, k, r, l),
    readByKeys: (s, t, c, k, keys) => mysqlRows.readByKeys(pool, s, t, c, k, keys),
    replaceRange: (s, t, c, k, r, rows, o) => mysqlRows.replaceRange(pool, s, t, c, k, r, rows, o),
    upsertRows: (s, t, c, k, rows) => mysqlRows.upsertRows(pool, s, t, c, k, rows),
    deleteRows: (s, t, k, keys) => mysqlRows.deleteRows(pool, s, t, k, keys),
    close: async () => {
      if (ownsPool) await pool.end();
    },
  };
}

/** Open row access from a resolved connection URL; close() ends its pool. */
export function openRowsEngine(kind: EngineKind, url: string): RowsEngine {
  return kind === 'postgres'
    ? postgresRowsEngine(createPgPool(url), true)
    : mysqlRowsEngine(createMysqlPool(url), true);
}
