// The MySQL/MariaDB Engine: a small mysql2 pool plus the role modules (introspect, live-state,
// probes, scratch). Every session runs in UTC so TIMESTAMP values read the same everywhere.
import mysql from 'mysql2/promise';
import type { DdlApplier, Engine, RowsEngine } from '../engine';
import { checkUrl, NOT_SHOWN } from '../connection-url';
import { EngineInputError } from '../errors';
import { triggerCapture } from './capture';
import * as ddl from './ddl';
import { introspectSchema } from './introspect';
import { readLiveState } from './live-state';
import { probeTable, readSample } from './probes';
import { qualify, quoteIdent } from './quote';
import * as myRows from './rows';
import { scratchLoad } from './scratch';
import { type Conn, queryRows, withPooledSession } from './session';
import { tableIdentities } from './table-identity';

export { SESSION_SETUP } from './session';

/** Refuse a malformed URL with a message that shows nothing of it. */
export function checkConnectionUrl(url: string): void {
  checkUrl(url, {
    label: 'the MySQL connection URL',
    schemes: ['mysql'],
    expected: 'expected mysql://user:password@host:port/database',
  });
}

/** The engine's pool: exact result types (strings for big numbers, dates and JSON), utf8mb4. */
export function createPool(url: string): mysql.Pool {
  checkConnectionUrl(url);
  try {
    return mysql.createPool({
      uri: url,
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      decimalNumbers: false,
      // JSON as its exact text: parsed objects lose key order, duplicate keys and big numbers.
      // MariaDB 10.5+ flags its JSON alias too, so this matters there as well.
      jsonStrings: true,
      multipleStatements: false,
      charset: 'utf8mb4',
      timezone: 'Z',
      connectionLimit: 4,
      // A half-open connection is found by TCP keepalive (see postgres/engine.ts).
      enableKeepAlive: true,
      keepAliveInitialDelay: 30_000,
    });
  } catch {
    throw new EngineInputError(
      `the MySQL connection URL is not valid: the driver cannot parse it ${NOT_SHOWN}`,
    );
  }
}

/**
 * A database that does not exist (ER_BAD_DB_ERROR, at connect for the URL's database or in a query)
 * is a request no retry fixes; every other error (refused connections, timeouts, ...) passes through.
 */
function inputError(err: unknown): unknown {
  const e = err as { code?: unknown; sqlMessage?: unknown } | null;
  if (e?.code !== 'ER_BAD_DB_ERROR') return err;
  const name = /Unknown database '(.*)'/s.exec(String(e.sqlMessage ?? ''))?.[1];
  return new EngineInputError(
    name === undefined
      ? 'a MySQL database named in the request or the connection URL does not exist'
      : `MySQL database ${JSON.stringify(name)} does not exist or is not visible to this user`,
  );
}

/** `work`, with a database that does not exist turned into an EngineInputError (see inputError). */
function inputErrors<T>(work: Promise<T>): Promise<T> {
  return work.catch((err: unknown) => {
    throw inputError(err);
  });
}

/** Row access on a MySQL pool (the engine's createPool: exact types; sessions set to UTC per use). */
export function rowsOnPool(pool: mysql.Pool, close: () => Promise<void> = async () => undefined): RowsEngine {
  return {
    kind: 'mysql',
    keyBounds: (s, t, k) => inputErrors(myRows.keyBounds(pool, s, t, k)),
    splitPoints: (s, t, k, n) => inputErrors(myRows.splitPoints(pool, s, t, k, n)),
    readRange: (s, t, c, k, r, l) => inputErrors(myRows.readRange(pool, s, t, c, k, r, l)),
    readByKeys: (s, t, c, k, keys) => inputErrors(myRows.readByKeys(pool, s, t, c, k, keys)),
    replaceRange: (s, t, c, k, r, rows, o) => inputErrors(myRows.replaceRange(pool, s, t, c, k, r, rows, o)),
    upsertRows: (s, t, c, k, rows) => inputErrors(myRows.upsertRows(pool, s, t, c, k, rows)),
    deleteRows: (s, t, k, keys) => inputErrors(myRows.deleteRows(pool, s, t, k, keys)),
    close,
  };
}

/** The engine-neutral lock timeout (ms) as MySQL's lock_wait_timeout (whole seconds, at least 1). */
const lockWaitSeconds = (ms: number | undefined): number | undefined =>
  ms === undefined ? undefined : Math.max(1, Math.ceil(ms / 1000));

export function createMysqlEngine(url: string): Engine {
  const pool = createPool(url);
  const rows = rowsOnPool(pool);

  /** Run `fn` on one pooled session; a session that failed is discarded, not reused. */
  function withConnection<T>(fn: (conn: Conn) => Promise<T>): Promise<T> {
    return inputErrors(withPooledSession(pool, fn));
  }

  async function defaultSchema(): Promise<string> {
    const [row] = await withConnection((c) => queryRows<{ db: string | null }>(c, 'SELECT DATABASE() AS db'));
    if (!row?.db) {
      throw new EngineInputError(
        'the MySQL connection names no database: add one to the connection URL path (mysql://host/<database>)',
      );
    }
    return row.db;
  }

  return {
    kind: 'mysql',
    quoteIdent,
    qualify,
    defaultSchema,
    async introspect(options = {}) {
      const schema = options.schema ?? (await defaultSchema());
      return withConnection((c) => introspectSchema(c, schema, { exactCounts: options.exactCounts }));
    },
    liveState(options = {}) {
      return withConnection((c) => readLiveState(c, options));
    },
    tableIdentities(schema, tables) {
      return withConnection((c) => tableIdentities(c, schema, tables));
    },
    runningQueries() {
      return withConnection(async (c) => {
        const [row] = await queryRows<{ Value: string }>(c, `SHOW GLOBAL STATUS LIKE 'Threads_running'`);
        return Number(row?.Value ?? 0);
      });
    },
    probe(schema, table, probes) {
      return withConnection((c) => probeTable(c, schema, table, probes));
    },
    readSample(schema, table, columns, limit) {
      return withConnection((c) => readSample(c, schema, table, columns, limit));
    },
    scratchLoad(columns, key, batch) {
      return withConnection((c) => scratchLoad(c, columns, key, batch));
    },
    rows: () => rows,
    capture: (schema) => triggerCapture(pool, schema),
    ddl: {
      applyPhase: (plan, phase, options = {}) =>
        withConnection((c) =>
          ddl.applyDdlPhase(c, plan, phase, {
            lockWaitTimeoutSeconds: lockWaitSeconds(options.lockTimeoutMs),
            onStatement: options.onStatement,
          }),
        ),
      setSequencesPastMax: (plan, options = {}) =>
        withConnection((c) =>
          ddl.setSequencesPastMax(c, plan, {
            lockWaitTimeoutSeconds: lockWaitSeconds(options.lockTimeoutMs),
            onStatement: options.onStatement,
          }),
        ),
      dropTargetObjects: (plan, options = {}) =>
        withConnection((c) =>
          ddl.dropTargetObjects(c, plan, { lockWaitTimeoutSeconds: lockWaitSeconds(options.lockTimeoutMs) }),
        ),
      existingTargetObjects: (plan) => withConnection((c) => ddl.existingTargetObjects(c, plan)),
      isLockTimeout: ddl.isLockTimeout,
    } satisfies DdlApplier,
    async close() {
      await pool.end();
    },
  };
}
