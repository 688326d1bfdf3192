// The PostgreSQL engine: one small pool per connection reference, with exact result types and UTC
// sessions, behind the engine-neutral Engine interface.
import pg from 'pg';
import type {
  ColumnProbe,
  DdlApplier,
  Engine,
  IntrospectOptions,
  ProbeResult,
  RowsEngine,
  SampleBatch,
} from '../engine';
import { checkUrl } from '../connection-url';
import { EngineInputError } from '../errors';
import type { LiveState, SchemaModel } from '../model';
import { triggerCapture } from './capture';
import * as ddl from './ddl';
import { introspectSchema } from './introspect';
import { readLiveState, tableWriteCounters, type LiveStateOptions } from './live-state';
import { probeTable, readSample } from './probes';
import { qualify, quoteIdent } from './quote';
import { exactTypes } from './result-types';
import * as pgRows from './rows';
import { scratchLoad } from './scratch';
import { tableIdentities } from './table-identity';

export interface PostgresEngine extends Engine {
  readonly kind: 'postgres';
  /** Accepts `schema` too: the schema whose tables the trigger privilege is checked on. */
  liveState(options?: LiveStateOptions): Promise<LiveState>;
  /** Cumulative rows inserted + updated + deleted per table of the schema (sample twice for rates). */
  tableWriteCounters(schema: string): Promise<Record<string, number>>;
}

/** Refuse a malformed connection string with a message that shows nothing of it. */
export function checkConnectionString(url: string): void {
  // "/socket/directory [database]": pg's own form for Unix sockets.
  if (typeof url === 'string' && url.startsWith('/')) return;
  checkUrl(url, {
    label: 'the PostgreSQL connection string',
    schemes: ['postgres', 'postgresql'],
    expected: 'expected postgres://user:password@host:port/database',
    allowEmptyHost: true,
  });
  try {
    new pg.Client({ connectionString: url });
  } catch {
    throw new EngineInputError(
      'the PostgreSQL connection string is not valid: the driver cannot parse it (its value is not shown: it may contain a password)',
    );
  }
}

/** How often a backend running a query checks that its client is still connected. */
export const CLIENT_CONNECTION_CHECK_INTERVAL = '10s';

/**
 * Session set-up for every new connection, awaited before the connection is handed out (a failure
 * fails the checkout instead of leaving a session half set up):
 * - UTC, so timestamptz text never depends on the server's zone, and the value formats pinned;
 * - client_connection_check_interval (PostgreSQL 14+): a backend notices a vanished client only
 *   when it writes a result, so a worker SIGKILLed during a probe's full-table scan would leave the
 *   scan running to the end; with the check the server cancels it within the interval.
 * The server version is read once per setup function (one per pool).
 */
export function sessionSetup(): (client: pg.ClientBase) => Promise<void> {
  let checksClient: boolean | undefined;
  return async (client) => {
    // Pin every setting that changes how values are printed or parsed: a database or role default
    // (extra_float_digits = 0 rounds floats; DateStyle DMY swaps day and month) would otherwise
    // change the values copied and, read back the same way, still validate as equal.
    await client.query(
      `SET TIME ZONE 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 3; ` +
        `SET bytea_output = 'hex'; SET client_encoding = 'UTF8'; SET standard_conforming_strings = on`,
    );
    if (checksClient === undefined) {
      const { rows } = await client.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`);
      checksClient = Number(rows[0]?.v) >= 140000;
    }
    if (!checksClient) return;
    try {
      await client.query(`SET client_connection_check_interval = '${CLIENT_CONNECTION_CHECK_INTERVAL}'`);
    } catch (err) {
      // 22023: the server's platform cannot detect closed sockets (e.g. Windows); run without it.
      if ((err as { code?: unknown }).code !== '22023') throw err;
      checksClient = false;
    }
  };
}

/** The engine's pool: exact result types and the session set-up above on every connection. */
export function createPool(url: string): pg.Pool {
  checkConnectionString(url);
  const pool = new pg.Pool({
    connectionString: url,
    max: 4,
    application_name: 'cutover',
    // A half-open connection (failover, a dropped NAT entry) is found by TCP keepalive, not left to
    // hang a statement while the activity's keep-alive heartbeat still reports it alive.
    keepAlive: true,
    keepAliveInitialDelayMillis: 30_000,
    types: exactTypes,
    onConnect: sessionSetup(),
  });
  // An idle connection that dies (server restart, database dropped) must not crash the process; the
  // pool discards it and the next checkout opens a new one.
  pool.on('error', () => undefined);
  return pool;
}

/**
 * A database named in the URL that does not exist (3D000 at connect) is a request no retry fixes;
 * every other error (refused connections, timeouts, ...) passes through unchanged.
 */
function inputErrors<T>(work: Promise<T>): Promise<T> {
  return work.catch((err: unknown) => {
    if ((err as { code?: unknown } | null)?.code === '3D000') {
      throw new EngineInputError(
        `the PostgreSQL ${(err as Error).message} (the database is named in the connection URL)`,
      );
    }
    throw err;
  });
}

/** Row access on a PostgreSQL pool (the engine's createPool: exact types, UTC sessions). */
export function rowsOnPool(pool: pg.Pool, close: () => Promise<void> = async () => undefined): RowsEngine {
  return {
    kind: 'postgres',
    keyBounds: (s, t, k) => inputErrors(pgRows.keyBounds(pool, s, t, k)),
    splitPoints: (s, t, k, n) => inputErrors(pgRows.splitPoints(pool, s, t, k, n)),
    readRange: (s, t, c, k, r, l) => inputErrors(pgRows.readRange(pool, s, t, c, k, r, l)),
    readByKeys: (s, t, c, k, keys) => inputErrors(pgRows.readByKeys(pool, s, t, c, k, keys)),
    replaceRange: (s, t, c, k, r, rows, o) => inputErrors(pgRows.replaceRange(pool, s, t, c, k, r, rows, o)),
    upsertRows: (s, t, c, k, rows) => inputErrors(pgRows.upsertRows(pool, s, t, c, k, rows)),
    deleteRows: (s, t, k, keys) => inputErrors(pgRows.deleteRows(pool, s, t, k, keys)),
    raw: pgRows.rawAccess(pool),
    close,
  };
}

function ddlOnPool(pool: pg.Pool): DdlApplier {
  return {
    applyPhase: (plan, phase, options = {}) => inputErrors(ddl.applyDdlPhase(pool, plan, phase, options)),
    setSequencesPastMax: (plan, options = {}) => inputErrors(ddl.setSequencesPastMax(pool, plan, options)),
    dropTargetObjects: (plan, options = {}) => inputErrors(ddl.dropTargetObjects(pool, plan, options)),
    existingTargetObjects: (plan) => inputErrors(ddl.existingTargetObjects(pool, plan)),
    isLockTimeout: ddl.isLockTimeout,
  };
}

export function createPostgresEngine(url: string): PostgresEngine {
  const pool = createPool(url);
  const rows = rowsOnPool(pool);

  const defaultSchema = (): Promise<string> =>
    inputErrors(
      pool
        .query<{ schema: string | null }>('SELECT current_schema()::text AS schema')
        .then(({ rows }) => rows[0]?.schema ?? 'public'),
    );

  return {
    kind: 'postgres',
    quoteIdent,
    qualify,
    defaultSchema,
    async introspect(options: IntrospectOptions = {}): Promise<SchemaModel> {
      const schema = options.schema ?? (await defaultSchema());
      return inputErrors(introspectSchema(pool, schema, options));
    },
    liveState: (options?: LiveStateOptions) => inputErrors(readLiveState(pool, options)),
    tableWriteCounters: (schema: string) => inputErrors(tableWriteCounters(pool, schema)),
    tableIdentities: (schema: string, tables: string[]) => inputErrors(tableIdentities(pool, schema, tables)),
    async runningQueries(): Promise<number> {
      // Other roles' session states are hidden without pg_read_all_stats (superusers have it):
      // then count the sessions inside a transaction, from pg_locks, which every role may read.
      const r = await pool.query<{ n: number }>(
        `SELECT (CASE WHEN pg_has_role(current_user, 'pg_read_all_stats', 'MEMBER')
                  THEN (SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND backend_type = 'client backend')
                  ELSE (SELECT count(DISTINCT pid) FROM pg_locks WHERE locktype = 'virtualxid' AND granted)
                END)::int AS n`,
      );
      return r.rows[0]!.n;
    },
    probe: (schema: string, table: string, probes: ColumnProbe[]): Promise<ProbeResult[]> =>
      inputErrors(probeTable(pool, schema, table, probes)),
    readSample: (schema: string, table: string, columns: string[], limit: number): Promise<SampleBatch> =>
      inputErrors(readSample(pool, schema, table, columns, limit)),
    scratchLoad: (columns, key, batch) => inputErrors(scratchLoad(pool, columns, key, batch)),
    rows: () => rows,
    capture: (schema: string) => triggerCapture(pool, schema),
    ddl: ddlOnPool(pool),
    async close(): Promise<void> {
      await pool.end();
    },
  };
}
