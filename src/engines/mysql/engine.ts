// The MySQL/MariaDB Engine: a small mysql2 pool plus the role modules (introspect, live-state,
// probes, scratch). Every session runs in UTC so TIMESTAMP values read the same everywhere.
import mysql from 'mysql2/promise';
import type { Engine } from '../engine';
import { introspectSchema } from './introspect';
import { readLiveState } from './live-state';
import { probeTable, readSample } from './probes';
import { qualify, quoteIdent } from './quote';
import { scratchLoad } from './scratch';
import { type Conn, queryRows } from './session';

/**
 * Session set-up for every new connection. Besides UTC, NO_BACKSLASH_ESCAPES is removed from the
 * session sql_mode: mysql2 escapes parameters with backslashes, which that mode would turn into
 * literal text (and broken quoting).
 */
const SESSION_SETUP = `SET SESSION time_zone = '+00:00',
  sql_mode = TRIM(BOTH ',' FROM REPLACE(CONCAT(',', @@SESSION.sql_mode, ','), ',NO_BACKSLASH_ESCAPES,', ','))`;

function createPool(url: string): mysql.Pool {
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
    });
  } catch {
    // The parse error may carry the URL (and its password): say what is wrong without it.
    throw new Error(
      'the MySQL connection URL is not valid (expected mysql://user:password@host:port/database)',
    );
  }
}

export function createMysqlEngine(url: string): Engine {
  const pool = createPool(url);
  const prepared = new WeakSet<object>();

  /** Run `fn` on one pooled session; a session that failed is discarded, not reused. */
  async function withConnection<T>(fn: (conn: Conn) => Promise<T>): Promise<T> {
    const conn = await pool.getConnection();
    try {
      if (!prepared.has(conn.connection)) {
        await conn.query(SESSION_SETUP);
        prepared.add(conn.connection);
      }
      const result = await fn(conn);
      conn.release();
      return result;
    } catch (err) {
      conn.destroy();
      throw err;
    }
  }

  async function defaultSchema(): Promise<string> {
    const [row] = await withConnection((c) => queryRows<{ db: string | null }>(c, 'SELECT DATABASE() AS db'));
    if (!row?.db) {
      throw new Error(
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
    probe(schema, table, probes) {
      return withConnection((c) => probeTable(c, schema, table, probes));
    },
    readSample(schema, table, columns, limit) {
      return withConnection((c) => readSample(c, schema, table, columns, limit));
    },
    scratchLoad(columns, key, batch) {
      return withConnection((c) => scratchLoad(c, columns, key, batch));
    },
    async close() {
      await pool.end();
    },
  };
}
