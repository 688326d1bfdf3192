// The row access the copier, the validator and the change applier need from one database, with the
// engine's dialect hidden. It is part of the Engine (engine.rows(), on the engine's own pool); the
// helpers here open it from a URL or bind it to a pool a caller already has.
import type mysql from 'mysql2/promise';
import type pg from 'pg';
import { openEngine } from '../../engines';
import type { EngineKind } from '../../engines/model';
import { rowsOnPool as mysqlRowsOnPool } from '../../engines/mysql/engine';
import { rowsOnPool as postgresRowsOnPool } from '../../engines/postgres/engine';
import type { RowsEngine } from '../../engines/row-access';

export type { ReplaceOptions, Rows, RowsEngine } from '../../engines/row-access';

/** Row access on a PostgreSQL pool (use the engine's createPool: exact types, UTC sessions). */
export function postgresRowsEngine(pool: pg.Pool, ownsPool = false): RowsEngine {
  return postgresRowsOnPool(pool, async () => {
    if (ownsPool) await pool.end();
  });
}

/** Row access on a MySQL pool (use the engine's createPool: exact types; sessions set to UTC here). */
export function mysqlRowsEngine(pool: mysql.Pool, ownsPool = false): RowsEngine {
  return mysqlRowsOnPool(pool, async () => {
    if (ownsPool) await pool.end();
  });
}

/** Open row access from a resolved connection URL (an Engine's rows()); close() closes that engine. */
export function openRowsEngine(kind: EngineKind, url: string): RowsEngine {
  const engine = openEngine(kind, url);
  return { ...engine.rows(), close: () => engine.close() };
}
