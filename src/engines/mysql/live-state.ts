// What a MySQL/MariaDB server is doing right now, for the planner's preflight: load, long
// transactions, replication, the settings capture and fencing depend on, and the user's privileges.
import { performance } from 'node:perf_hooks';
import type { RowDataPacket } from 'mysql2/promise';
import type { LiveState } from '../model';
import { privilegeChecks } from './grants';
import { type Conn, queryRows, serverInfo, toNumber } from './session';

/** Settings reported by name; a name this server does not know is reported as null. */
const SETTINGS = [
  'log_bin',
  'binlog_format',
  'binlog_row_image',
  'server_id',
  'gtid_mode', // MySQL
  'gtid_strict_mode', // MariaDB
  'sql_mode',
  'time_zone',
  'system_time_zone',
  'lower_case_table_names',
  'event_scheduler',
];

const DEFAULT_LONG_TRANSACTION_SECONDS = 60;

function isAccessDenied(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  return /ACCESS_DENIED|SPECIFIC_ACCESS_DENIED|_DENIED_ERROR/.test(code);
}

async function nameValues(conn: Conn, sql: string, names: string[]): Promise<Map<string, string | null>> {
  const rows = await queryRows<{ Variable_name: string; Value: string | null }>(
    conn,
    `${sql} WHERE Variable_name IN (${names.map(() => '?').join(', ')})`,
    names,
  );
  return new Map(rows.map((r) => [r.Variable_name.toLowerCase(), r.Value]));
}

/** SHOW REPLICA STATUS (MySQL 8.0.22+, MariaDB 10.5.1+), else SHOW SLAVE STATUS; null when not a replica. */
async function replicaStatus(conn: Conn): Promise<LiveState['replica']> {
  for (const sql of ['SHOW REPLICA STATUS', 'SHOW SLAVE STATUS']) {
    let rows: RowDataPacket[];
    try {
      [rows] = await conn.query<RowDataPacket[]>(sql);
    } catch {
      continue;
    }
    const r = rows[0];
    if (!r) return null;
    const host = r.Source_Host ?? r.Master_Host ?? null;
    const port = r.Source_Port ?? r.Master_Port ?? null;
    return {
      lagSeconds: toNumber(r.Seconds_Behind_Source ?? r.Seconds_Behind_Master),
      source: host ? `${host}${port ? `:${port}` : ''}` : null,
    };
  }
  return null;
}

async function longTransactions(
  conn: Conn,
  olderThanSeconds: number,
): Promise<LiveState['longTransactions']> {
  try {
    const rows = await queryRows<{
      id: unknown;
      user: string | null;
      seconds: unknown;
      state: string | null;
    }>(
      conn,
      `SELECT t.trx_mysql_thread_id AS id, p.USER AS user,
              TIMESTAMPDIFF(SECOND, t.trx_started, NOW()) AS seconds, t.trx_state AS state
         FROM information_schema.INNODB_TRX t
         LEFT JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id
        WHERE t.trx_started <= NOW() - INTERVAL ? SECOND
        ORDER BY t.trx_started, t.trx_mysql_thread_id`,
      [olderThanSeconds],
    );
    return rows.map((r) => ({
      id: String(r.id),
      user: r.user ?? '',
      seconds: toNumber(r.seconds) ?? 0,
      state: r.state ?? '',
    }));
  } catch (err) {
    // Without PROCESS the list is unreadable; the privilege check reports that separately.
    if (isAccessDenied(err)) return [];
    throw err;
  }
}

export async function readLiveState(
  conn: Conn,
  options: { longTransactionSeconds?: number; schema?: string } = {},
): Promise<LiveState> {
  const server = await serverInfo(conn);
  const [basics] = await queryRows<{
    maxConnections: unknown;
    readOnly: unknown;
    db: string | null;
    scope: string;
  }>(
    conn,
    `SELECT @@GLOBAL.max_connections AS maxConnections, @@GLOBAL.read_only AS readOnly, DATABASE() AS db,
            CONCAT_WS(' ', @@hostname, @@port, @@server_id, @@datadir) AS scope`,
  );
  // Our own session is not load. Daemon threads (event scheduler, ...) are not client sessions.
  const [active] = await queryRows<{ n: unknown }>(
    conn,
    `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND COMMAND <> 'Daemon'`,
  );
  const variables = await nameValues(conn, 'SHOW GLOBAL VARIABLES', SETTINGS);
  const status = await nameValues(conn, 'SHOW GLOBAL STATUS', [
    'Innodb_rows_inserted',
    'Innodb_rows_updated',
    'Innodb_rows_deleted',
    'Handler_write',
    'Handler_update',
    'Handler_delete',
  ]);
  // MySQL counts InnoDB row writes; MariaDB (10.6+) dropped Innodb_rows_*, so fall back to the
  // handler counters, which count row writes of every storage engine (internal temporary tables
  // have their own Handler_tmp_* counters and are not included).
  const counter = (innodb: string, handler: string) =>
    toNumber(status.get(innodb)) ?? toNumber(status.get(handler)) ?? 0;
  const grantRows = await queryRows<Record<string, string>>(conn, 'SHOW GRANTS');
  const grantLines = grantRows.map((r) => Object.values(r)[0] ?? '');

  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    await conn.query('SELECT 1');
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);

  return {
    serverVersion: server.version,
    activeConnections: toNumber(active?.n) ?? 0,
    maxConnections: toNumber(basics?.maxConnections),
    longTransactions: await longTransactions(
      conn,
      options.longTransactionSeconds ?? DEFAULT_LONG_TRANSACTION_SECONDS,
    ),
    replica: await replicaStatus(conn),
    readOnly: toNumber(basics?.readOnly) === 1,
    readOnlyFenceScope: String(basics?.scope ?? ''),
    settings: Object.fromEntries(SETTINGS.map((name) => [name, variables.get(name) ?? null])),
    // Schema-level privileges are judged on the schema being migrated, by default the URL's database.
    privileges: privilegeChecks(grantLines, options.schema ?? basics?.db ?? null),
    writeCounters: {
      inserted: counter('innodb_rows_inserted', 'handler_write'),
      updated: counter('innodb_rows_updated', 'handler_update'),
      deleted: counter('innodb_rows_deleted', 'handler_delete'),
    },
    roundTripMs: times[2] ?? 0,
  };
}
