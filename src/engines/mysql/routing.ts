// The routing control table on MySQL/MariaDB: `<schema>._cutover_routing`, one row per migration,
// which applications read to know which side to use (docs/CUTOVER.md). switched_at is UTC
// (DATETIME(3), written and read in a UTC session).
import type { Pool, RowDataPacket } from 'mysql2/promise';
import {
  checkMigrationName,
  RoutingConflictError,
  type RoutingRow,
  type RoutingWriteOutcome,
} from '../cutover-control';
import { EngineInputError } from '../errors';
import { qualify } from './quote';
import { withOwnSession } from './session';

export const ROUTING_TABLE = '_cutover_routing';

interface Stored {
  migration: string;
  active: 'source' | 'target';
  active_engine: 'postgres' | 'mysql';
  switched_at: string;
  epoch: string | number;
}

function toRow(s: Stored): RoutingRow {
  return {
    migration: s.migration,
    active: s.active,
    activeEngine: s.active_engine,
    switchedAt: new Date(s.switched_at.replace(' ', 'T').slice(0, 23) + 'Z').toISOString(),
    epoch: Number(s.epoch),
  };
}

const SELECT = `SELECT migration, active, active_engine, CAST(switched_at AS CHAR) AS switched_at, epoch`;

export async function readRouting(pool: Pool, schema: string, migration: string): Promise<RoutingRow | null> {
  checkMigrationName(migration);
  return withOwnSession(pool, async (conn) => {
    const [exists] = await conn.query<RowDataPacket[]>(
      `SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`,
      [schema, ROUTING_TABLE],
    );
    if (!Number(exists[0]?.n)) return null;
    const [rows] = await conn.query<RowDataPacket[]>(
      `${SELECT} FROM ${qualify(schema, ROUTING_TABLE)} WHERE migration = ?`,
      [migration],
    );
    return rows[0] ? toRow(rows[0] as Stored) : null;
  });
}

export async function writeRouting(
  pool: Pool,
  schema: string,
  row: RoutingRow,
): Promise<RoutingWriteOutcome> {
  checkMigrationName(row.migration);
  if (!Number.isSafeInteger(row.epoch) || row.epoch < 1)
    throw new EngineInputError(`routing epoch must be a positive integer, not ${row.epoch}`);
  const table = qualify(schema, ROUTING_TABLE);
  return withOwnSession(pool, async (conn) => {
    await conn.query('SET SESSION lock_wait_timeout = 5');
    await conn.query(`CREATE TABLE IF NOT EXISTS ${table} (
      migration VARCHAR(100) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
      active VARCHAR(6) CHARACTER SET ascii NOT NULL,
      active_engine VARCHAR(8) CHARACTER SET ascii NOT NULL,
      switched_at DATETIME(3) NOT NULL,
      epoch BIGINT NOT NULL
    ) ENGINE = InnoDB`);
    await conn.query('START TRANSACTION');
    try {
      const [rows] = await conn.query<RowDataPacket[]>(
        `${SELECT} FROM ${table} WHERE migration = ? FOR UPDATE`,
        [row.migration],
      );
      const current = rows[0] ? toRow(rows[0] as Stored) : null;
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
        const at = new Date(row.switchedAt).toISOString().replace('T', ' ').replace('Z', '');
        await conn.query(
          `INSERT INTO ${table} (migration, active, active_engine, switched_at, epoch) VALUES (?, ?, ?, ?, ?)
           ON DUPLICATE KEY UPDATE active = VALUES(active), active_engine = VALUES(active_engine),
             switched_at = VALUES(switched_at), epoch = VALUES(epoch)`,
          [row.migration, row.active, row.activeEngine, at, row.epoch],
        );
      }
      await conn.query('COMMIT');
      return outcome;
    } catch (err) {
      await conn.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  });
}
