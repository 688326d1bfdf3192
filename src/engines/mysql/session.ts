// The small amount of driver plumbing the MySQL engine modules share: one connection type, a typed
// query helper and what kind of server we are talking to.
import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';

export type Conn = PoolConnection;

/**
 * Session set-up for every new connection. Besides UTC, NO_BACKSLASH_ESCAPES is removed from the
 * session sql_mode: mysql2 escapes parameters with backslashes, which that mode would turn into
 * literal text (and broken quoting).
 */
export const SESSION_SETUP = `SET SESSION time_zone = '+00:00',
  sql_mode = TRIM(BOTH ',' FROM REPLACE(CONCAT(',', @@SESSION.sql_mode, ','), ',NO_BACKSLASH_ESCAPES,', ','))`;

/** The set-up statements each pooled connection has run already (several modules share a pool). */
const prepared = new WeakMap<object, Set<string>>();

/**
 * Run `fn` on one pooled session, set up once per connection with `setup` (default SESSION_SETUP);
 * a session that failed is destroyed, not handed back.
 */
export async function withPooledSession<T>(
  pool: Pool,
  fn: (conn: Conn) => Promise<T>,
  setup: readonly string[] = [SESSION_SETUP],
): Promise<T> {
  const conn = await pool.getConnection();
  try {
    let done = prepared.get(conn.connection);
    if (!done) prepared.set(conn.connection, (done = new Set()));
    for (const sql of setup) {
      if (done.has(sql)) continue;
      await conn.query(sql);
      done.add(sql);
    }
    const result = await fn(conn);
    conn.release();
    return result;
  } catch (err) {
    conn.destroy();
    throw err;
  }
}

/** Run `work` on a session of its own (it may change session settings or hold locks): destroyed after. */
export async function withOwnSession<T>(pool: Pool, work: (conn: Conn) => Promise<T>): Promise<T> {
  const conn = await pool.getConnection();
  try {
    await conn.query(SESSION_SETUP);
    return await work(conn);
  } finally {
    conn.destroy();
  }
}

/** Run a parameterised query and return its rows as plain objects. */
export async function queryRows<T>(conn: Conn, sql: string, params: unknown[] = []): Promise<T[]> {
  const [rows] = await conn.query<RowDataPacket[]>(sql, params);
  return rows as unknown as T[];
}

export interface ServerInfo {
  /** "MariaDB 10.11.19" or "MySQL 8.0.36". */
  version: string;
  mariadb: boolean;
}

export async function serverInfo(conn: Conn): Promise<ServerInfo> {
  const [row] = await queryRows<{ v: string }>(conn, 'SELECT VERSION() AS v');
  const raw = row?.v ?? '';
  const mariadb = /mariadb/i.test(raw);
  // MariaDB may prefix "5.5.5-" for old replication clients; the real version precedes "-MariaDB".
  const number =
    (mariadb ? /(\d+\.\d+\.\d+)-mariadb/i.exec(raw)?.[1] : undefined) ?? /^\d+(\.\d+)*/.exec(raw)?.[0] ?? raw;
  return { version: `${mariadb ? 'MariaDB' : 'MySQL'} ${number}`, mariadb };
}

/** information_schema / SHOW numbers arrive as numbers or (big) strings; null stays null. */
export function toNumber(value: unknown): number | null {
  if (value === null || value === undefined || value === '') return null;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}
