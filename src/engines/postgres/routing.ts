// The routing control table on PostgreSQL: `<schema>._cutover_routing`, one row per migration,
// which applications read to know which side to use (docs/CUTOVER.md). It lives in the endpoint's
// own schema (not `_cutover`) so that the application's role, which already reads that schema,
// needs no further grant; SELECT is granted to PUBLIC.
import type pg from 'pg';
import {
  checkMigrationName,
  RoutingConflictError,
  type RoutingRow,
  type RoutingWriteOutcome,
} from '../cutover-control';
import { EngineInputError } from '../errors';
import { qualify } from './quote';

export const ROUTING_TABLE = '_cutover_routing';

interface Stored {
  migration: string;
  active: 'source' | 'target';
  active_engine: 'postgres' | 'mysql';
  switched_at: string;
  epoch: string;
}

const COLUMNS = `migration, active, active_engine,
  to_char(switched_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS switched_at, epoch::text AS epoch`;

function toRow(s: Stored): RoutingRow {
  return {
    migration: s.migration,
    active: s.active,
    activeEngine: s.active_engine,
    switchedAt: s.switched_at,
    epoch: Number(s.epoch),
  };
}

export async function readRouting(
  pool: pg.Pool,
  schema: string,
  migration: string,
): Promise<RoutingRow | null> {
  checkMigrationName(migration);
  const table = qualify(schema, ROUTING_TABLE);
  const { rows: exists } = await pool.query(`SELECT to_regclass($1) IS NOT NULL AS e`, [table]);
  if (!exists[0]?.e) return null;
  const { rows } = await pool.query<Stored>(`SELECT ${COLUMNS} FROM ${table} WHERE migration = $1`, [
    migration,
  ]);
  return rows[0] ? toRow(rows[0]) : null;
}

export async function writeRouting(
  pool: pg.Pool,
  schema: string,
  row: RoutingRow,
): Promise<RoutingWriteOutcome> {
  checkMigrationName(row.migration);
  if (!Number.isSafeInteger(row.epoch) || row.epoch < 1)
    throw new EngineInputError(`routing epoch must be a positive integer, not ${row.epoch}`);
  const table = qualify(schema, ROUTING_TABLE);
  const client = await pool.connect();
  try {
    // READ WRITE: the routing row is written on a side that may be fenced read-only.
    await client.query('BEGIN READ WRITE');
    await client.query(`SET LOCAL lock_timeout = '5s'`);
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('cutover routing'))`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${table} (
      migration text PRIMARY KEY,
      active text NOT NULL CHECK (active IN ('source', 'target')),
      active_engine text NOT NULL CHECK (active_engine IN ('postgres', 'mysql')),
      switched_at timestamptz NOT NULL,
      epoch bigint NOT NULL CHECK (epoch > 0))`);
    await client.query(`GRANT SELECT ON ${table} TO PUBLIC`);
    const { rows } = await client.query<Stored>(
      `SELECT ${COLUMNS} FROM ${table} WHERE migration = $1 FOR UPDATE`,
      [row.migration],
    );
    const current = rows[0] ? toRow(rows[0]) : null;
    let outcome: RoutingWriteOutcome = 'written';
    if (current && current.epoch > row.epoch)
      throw new RoutingConflictError(
        `routing of migration ${JSON.stringify(row.migration)} in schema ${JSON.stringify(schema)} is already at epoch ${current.epoch} (active: ${current.active}); epoch ${row.epoch} is stale`,
      );
    if (current && current.epoch === row.epoch) {
      if (current.active !== row.active)
        throw new RoutingConflictError(
          `routing of migration ${JSON.stringify(row.migration)} in schema ${JSON.stringify(schema)} already has epoch ${row.epoch} with active side ${current.active}, not ${row.active}`,
        );
      outcome = 'unchanged';
    } else {
      await client.query(
        `INSERT INTO ${table} (migration, active, active_engine, switched_at, epoch) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (migration) DO UPDATE SET active = EXCLUDED.active, active_engine = EXCLUDED.active_engine,
           switched_at = EXCLUDED.switched_at, epoch = EXCLUDED.epoch`,
        [row.migration, row.active, row.activeEngine, row.switchedAt, row.epoch],
      );
    }
    await client.query('COMMIT');
    return outcome;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
