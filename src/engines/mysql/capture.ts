// Trigger-based change capture on MySQL/MariaDB. Each captured table gets three AFTER row triggers
// (`_cutover_<hash>_ins`, `_upd`, `_del`) that append the changed key, as a JSON array in wire form, to
// `_cutover_changelog` in the migrated schema. Works without binlog settings or replication rights.
//
// Reading without losing late commits. Changelog ids come from AUTO_INCREMENT when a trigger writes
// the row, but become visible when the writing transaction commits: T1 takes id 5, T2 takes id 6 and
// commits, a reader sees 6, then T1 commits and 5 appears behind it. InnoDB offers no snapshot
// arithmetic to reason with (PostgreSQL's capture uses that), so the reader tracks gaps instead: an id
// below the largest id read that was not read is a hole, and the position keeps it, together with
// the ids of the transactions running when the hole was seen (information_schema.INNODB_TRX, read
// after the changelog, and provably fresh: see runningTransactions). AUTO_INCREMENT hands ids out in increasing order, so the transaction that holds
// a hole's id had already written it before the read: it was running then, or it had ended (and its row,
// if committed, is found when the hole is re-read). Every read re-reads the holes; a hole is forgotten
// only once none of the transactions it waits for is running any more: by then it was either filled
// (and returned) or rolled back (and never will be). Long transactions delay only their own holes;
// rows after them flow on. Trim never deletes an id inside a pending hole, nor the changelog's last
// row (see trim: after a restart, MySQL 5.7 and MariaDB < 10.2.4 take AUTO_INCREMENT from it).
import { createHash, randomBytes } from 'node:crypto';
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import {
  type CaptureDdlOptions,
  CaptureLockError,
  type CaptureLag,
  type CaptureTable,
  type CapturedChange,
  type ChangeBatch,
  type ChangeCapture,
  type ChangedKeysOptions,
  type ChangedKeysPage,
  type ChangeOperation,
  DEFAULT_LOCK_ATTEMPTS,
  DEFAULT_LOCK_TIMEOUT_MS,
  type LockBlocker,
  type TrimOptions,
  checkCaptureTables,
  checkLimit,
  decodeWireKey,
  lockRetryDelay,
} from '../capture';
import { EngineInputError } from '../errors';
import { isLockTimeout } from './ddl';
import { qualify, quoteIdent } from './quote';
import { serverInfo, withPooledSession } from './session';

export const CHANGELOG_TABLE = '_cutover_changelog';
/** Bumped when the trigger bodies change, so that an install replaces triggers of an older format. */
const TRIGGER_FORMAT = 1;
const EVENTS = [
  { event: 'INSERT', suffix: 'ins' },
  { event: 'UPDATE', suffix: 'upd' },
  { event: 'DELETE', suffix: 'del' },
] as const;
const OUR_TRIGGER = /^_cutover_[0-9a-f]{16}_(ins|upd|del)$/;
const DELETE_CHUNK = 1000;

/** One pooled session set up like the engine's (UTC, no NO_BACKSLASH_ESCAPES); discarded on error. */
function withConnection<T>(pool: Pool, fn: (conn: PoolConnection) => Promise<T>): Promise<T> {
  return withPooledSession(pool, fn);
}

async function rowsOf<T>(conn: PoolConnection, sql: string, params: unknown[] = []): Promise<T[]> {
  const [rows] = await conn.query<RowDataPacket[]>(sql, params);
  return rows as unknown as T[];
}

/** A string literal that no sql_mode can misread: the UTF-8 bytes in hex. */
function literal(text: string): string {
  return `CONVERT(X'${Buffer.from(text, 'utf8').toString('hex')}' USING utf8mb4)`;
}

interface KeyColumn {
  name: string;
  dataType: string;
  charset: string | null;
  /** Fractional-second digits of temporal types. */
  precision: number;
}

const NUMBER_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'double']);
const BINARY_TYPES = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob', 'bit']);

/** The SQL expression of one key column of NEW or OLD in wire form (docs/DATAPLANE.md). */
function wireExpression(rec: 'NEW' | 'OLD', c: KeyColumn): string {
  const ref = `${rec}.${quoteIdent(c.name)}`;
  if (NUMBER_TYPES.has(c.dataType)) return ref;
  // MariaDB prints FLOAT with 6 significant digits (also inside JSON_ARRAY): a key read back that
  // way matches no row. `+ 0e0` widens it to DOUBLE, whose text is the exact stored value — the
  // same expression the row readers use.
  if (c.dataType === 'float') return `(${ref} + 0e0)`;
  if (BINARY_TYPES.has(c.dataType) || c.charset === 'binary')
    return `JSON_OBJECT('$binary', REPLACE(TO_BASE64(${ref}), '\\n', ''))`;
  if (c.dataType === 'timestamp') {
    // The trigger runs in the writer's session time zone; the wire form is UTC text. UNIX_TIMESTAMP
    // is zone-free; 0 is the zero timestamp, which stays as the server prints it.
    const zero = `'0000-00-00 00:00:00${c.precision ? '.' + '0'.repeat(c.precision) : ''}'`;
    return `IF(UNIX_TIMESTAMP(${ref}) = 0, ${zero}, CAST(CAST(TIMESTAMPADD(MICROSECOND, ROUND(UNIX_TIMESTAMP(${ref}) * 1000000), CAST('1970-01-01 00:00:00' AS DATETIME(6))) AS DATETIME(${c.precision})) AS CHAR))`;
  }
  if (['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'enum', 'set'].includes(c.dataType))
    return ref;
  // bigint, decimal (exact decimal strings), date, datetime, time, year and the rest: the server's text.
  return `CAST(${ref} AS CHAR)`;
}

function keyArray(rec: 'NEW' | 'OLD', columns: KeyColumn[]): string {
  return `JSON_ARRAY(${columns.map((c) => wireExpression(rec, c)).join(', ')})`;
}

/** Trigger names: a hash of what the triggers' bodies depend on, so a changed capture gets new names. */
export function triggerBaseName(schema: string, table: string, columns: KeyColumn[]): string {
  const hash = createHash('sha256')
    .update(JSON.stringify([TRIGGER_FORMAT, schema, table, columns]))
    .digest('hex')
    .slice(0, 16);
  return `_cutover_${hash}`;
}

function triggerDdl(
  schema: string,
  table: string,
  columns: KeyColumn[],
  name: string,
  event: string,
): string {
  const changelog = qualify(schema, CHANGELOG_TABLE);
  const head = `CREATE TRIGGER ${qualify(schema, name)} AFTER ${event} ON ${qualify(schema, table)} FOR EACH ROW
  INSERT INTO ${changelog} (table_name, op, row_key, old_key, captured_at)`;
  const tableName = literal(table);
  if (event === 'INSERT')
    return `${head} VALUES (${tableName}, 'insert', ${keyArray('NEW', columns)}, NULL, UTC_TIMESTAMP(6))`;
  if (event === 'DELETE')
    return `${head} VALUES (${tableName}, 'delete', ${keyArray('OLD', columns)}, NULL, UTC_TIMESTAMP(6))`;
  // Byte comparison: a key changed only in letter case (equal under a _ci collation) is a key change.
  const same = columns
    .map((c) => `CAST(NEW.${quoteIdent(c.name)} AS BINARY) <=> CAST(OLD.${quoteIdent(c.name)} AS BINARY)`)
    .join(' AND ');
  return `${head} VALUES (${tableName}, 'update', ${keyArray('NEW', columns)}, IF(${same}, NULL, ${keyArray('OLD', columns)}), UTC_TIMESTAMP(6))`;
}

async function keyColumns(conn: PoolConnection, schema: string, t: CaptureTable): Promise<KeyColumn[]> {
  const rows = (
    await rowsOf<{
      s: string;
      t: string;
      name: string;
      dataType: string;
      charset: string | null;
      precision: number | string | null;
    }>(
      conn,
      `SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t, COLUMN_NAME AS name, LOWER(DATA_TYPE) AS dataType,
              CHARACTER_SET_NAME AS charset, DATETIME_PRECISION AS \`precision\`
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`,
      [schema, t.table],
    )
  ).filter((r) => r.s === schema && r.t === t.table);
  if (!rows.length) throw new EngineInputError(`MySQL table ${qualify(schema, t.table)} does not exist`);
  return t.key.map((name) => {
    const r = rows.find((x) => x.name === name);
    if (!r)
      throw new EngineInputError(`MySQL table ${qualify(schema, t.table)} has no column ${quoteIdent(name)}`);
    if (['json', 'geometry', 'point', 'linestring', 'polygon'].includes(r.dataType))
      throw new EngineInputError(
        `key column ${quoteIdent(name)} of ${qualify(schema, t.table)} has type ${r.dataType}, which capture cannot key on`,
      );
    return { name, dataType: r.dataType, charset: r.charset, precision: Number(r.precision ?? 0) };
  });
}

/** MySQL 5.7.2+ and MariaDB 10.2.3+ allow several triggers for one event and timing. */
function allowsSeveralTriggers(version: string): boolean {
  const m = /^(MySQL|MariaDB) (\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) return true;
  const n = Number(m[2]) * 10000 + Number(m[3]) * 100 + Number(m[4]);
  return m[1] === 'MariaDB' ? n >= 100203 : n >= 50702;
}

/** Whole seconds of lock_wait_timeout for one attempt (MySQL takes no fractions: at least 1). */
function lockWaitSeconds(options: CaptureDdlOptions): number {
  return Math.max(1, Math.ceil((options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS) / 1000));
}

/**
 * The sessions that may hold the table's metadata lock, longest transaction first: thread id, user
 * and transaction age (never the query text). The metadata-lock tables name them exactly
 * (performance_schema.metadata_locks on MySQL 8, information_schema.METADATA_LOCK_INFO with
 * MariaDB's plugin); without them, every other session with an InnoDB transaction open for at
 * least `minSeconds` is listed (the server cannot tell which of them touched the table).
 */
async function lockBlockers(
  conn: PoolConnection,
  schema: string,
  table: string,
  minSeconds: number,
): Promise<LockBlocker[]> {
  let holders: number[] | null = null;
  for (const sql of [
    `SELECT t.PROCESSLIST_ID AS id FROM performance_schema.metadata_locks m
       JOIN performance_schema.threads t ON t.THREAD_ID = m.OWNER_THREAD_ID
      WHERE m.OBJECT_TYPE = 'TABLE' AND m.OBJECT_SCHEMA = ? AND m.OBJECT_NAME = ? AND m.LOCK_STATUS = 'GRANTED'`,
    `SELECT THREAD_ID AS id FROM information_schema.METADATA_LOCK_INFO WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`,
  ]) {
    try {
      const ids = (await rowsOf<{ id: number | string | null }>(conn, sql, [schema, table]))
        .map((r) => Number(r.id))
        .filter((id) => Number.isFinite(id) && id > 0);
      if (ids.length) {
        holders = ids;
        break;
      }
    } catch {
      // not available on this server: try the next source
    }
  }
  // INNODB_TRX.trx_started is in the server's own time zone: compare it with NOW() there.
  await conn.query(`SET SESSION time_zone = 'SYSTEM'`);
  try {
    const rows = await rowsOf<{ id: number | string; user: string | null; s: number | string | null }>(
      conn,
      `SELECT p.ID AS id, p.USER AS user,
              MAX(TIMESTAMPDIFF(SECOND, x.trx_started, NOW())) AS s
         FROM information_schema.PROCESSLIST p
         LEFT JOIN information_schema.INNODB_TRX x ON x.trx_mysql_thread_id = p.ID
        WHERE p.ID <> CONNECTION_ID()
        GROUP BY p.ID, p.USER`,
    );
    return rows
      .map((r) => ({
        id: Number(r.id),
        user: r.user,
        transactionSeconds: r.s === null ? null : Math.max(0, Number(r.s)),
      }))
      .filter((r) =>
        holders
          ? holders.includes(r.id)
          : r.transactionSeconds !== null && r.transactionSeconds >= minSeconds,
      )
      .map((r) => ({
        id: r.id,
        user: r.user,
        transactionSeconds: r.transactionSeconds ?? 0,
        holdsTable: holders !== null,
      }))
      .sort((a, b) => b.transactionSeconds - a.transactionSeconds || a.id - b.id);
  } finally {
    await conn.query(`SET SESSION time_zone = '+00:00'`);
  }
}

/**
 * Run one DDL statement that needs `schema.table`'s metadata lock with the session's short
 * lock_wait_timeout, retrying with jittered back-off while it times out (ER_LOCK_WAIT_TIMEOUT;
 * ER_LOCK_DEADLOCK too). After the last attempt, a CaptureLockError names the likely blockers.
 * A statement that timed out changed nothing.
 */
async function withLockRetries(
  conn: PoolConnection,
  target: { schema: string; table: string; action: 'install' | 'remove' },
  options: CaptureDdlOptions,
  sql: string,
): Promise<void> {
  const attempts = Math.max(1, options.lockAttempts ?? DEFAULT_LOCK_ATTEMPTS);
  for (let attempt = 1; ; attempt++) {
    try {
      await conn.query(sql);
      return;
    } catch (err) {
      if (!isLockTimeout(err)) throw err; // a lock wait timeout or a deadlock victim: retried
      const blockers = await lockBlockers(conn, target.schema, target.table, lockWaitSeconds(options));
      const name = qualify(target.schema, target.table);
      if (attempt >= attempts) throw new CaptureLockError(name, attempts, blockers, target.action);
      options.onLockRetry?.({ table: name, attempt, blockers });
      await new Promise((r) => setTimeout(r, lockRetryDelay(attempt)));
    }
  }
}

/**
 * Servers whose changelog ids the reader cannot reason about are refused before anything is
 * created (see the header: an id below the last one read that was not read is a hole, waited for
 * until the transactions running when it was seen have ended).
 * - Galera (wsrep) and Group Replication multi-primary clusters: a change written on another node
 *   arrives with an id from that node's sequence when its transaction is certified; that
 *   transaction never appears in this node's INNODB_TRX, so its hole would be settled while it is
 *   still uncommitted and the change skipped.
 * - auto_increment_increment > 1 (global, or in this session): ids then come N apart, every id in
 *   between is a hole that never fills, and each batch leaves about (N - 1) holes per change to be
 *   re-read by every later read and carried in every position.
 */
async function checkServer(conn: PoolConnection): Promise<void> {
  const variables = new Map(
    (
      await rowsOf<{ Variable_name: string; Value: string }>(
        conn,
        `SHOW GLOBAL VARIABLES WHERE Variable_name IN ('wsrep_on', 'group_replication_single_primary_mode')`,
      )
    ).map((r) => [r.Variable_name.toLowerCase(), String(r.Value).toUpperCase()]),
  );
  if (variables.get('wsrep_on') === 'ON') {
    const [size] = await rowsOf<{ Value: string }>(conn, `SHOW GLOBAL STATUS LIKE 'wsrep_cluster_size'`);
    if (Number(size?.Value ?? 0) > 1)
      throw new EngineInputError(
        `trigger change capture cannot run on a Galera cluster (wsrep_on = ON, wsrep_cluster_size = ${size!.Value}): ` +
          'changes written on other nodes get changelog ids this node cannot order, and some would be skipped; ' +
          'capture from an asynchronous replica or a single node',
      );
  }
  if (variables.get('group_replication_single_primary_mode') === 'OFF') {
    const members = await rowsOf<{ n: number | string }>(
      conn,
      `SELECT COUNT(*) AS n FROM performance_schema.replication_group_members WHERE MEMBER_STATE = 'ONLINE'`,
    ).then(
      ([row]) => Number(row?.n ?? 0),
      () => 0, // no Group Replication tables: not a member
    );
    if (members > 1)
      throw new EngineInputError(
        `trigger change capture cannot run on a multi-primary Group Replication cluster (group_replication_single_primary_mode = OFF, ${members} members online): ` +
          'changes written on other members get changelog ids this member cannot order, and some would be skipped',
      );
  }
  const [inc] = await rowsOf<{ g: number | string; s: number | string }>(
    conn,
    'SELECT @@GLOBAL.auto_increment_increment AS g, @@SESSION.auto_increment_increment AS s',
  );
  const increment = Math.max(Number(inc?.g ?? 1), Number(inc?.s ?? 1));
  if (increment > 1)
    throw new EngineInputError(
      `trigger change capture on MySQL needs auto_increment_increment = 1, not ${increment}: the changelog reader ` +
        'treats every id it has not seen below the last one read as a change still being committed, and with ids ' +
        `${increment} apart those gaps never fill (every read would re-read them and every position would carry them)`,
    );
}

/**
 * Create the changelog and the three triggers on each table. Idempotent: triggers that already exist
 * with the current name (same table, key and format) are kept, so a re-run after a crash only adds
 * what is missing and never leaves a table uncaptured in between; triggers of an older format are
 * dropped only after their replacements exist (a change captured twice is harmless).
 *
 * Each CREATE/DROP TRIGGER waits at most lockTimeoutMs for the table's metadata lock (a waiting
 * CREATE TRIGGER blocks every writer queued behind it), retried (CaptureDdlOptions). If a table's
 * lock never comes, the triggers this call created on it are dropped again (best effort), so the
 * table is left either fully captured or as it was.
 */
export async function install(
  pool: Pool,
  schema: string,
  tables: CaptureTable[],
  options: CaptureDdlOptions = {},
): Promise<void> {
  checkCaptureTables(tables, (m) => new EngineInputError(m));
  await withConnection(pool, async (conn) => {
    const { version } = await serverInfo(conn);
    // The reader must see which transactions are running (see the header): refuse now, not mid-copy.
    try {
      await conn.query('SELECT COUNT(*) FROM information_schema.INNODB_TRX');
    } catch (err) {
      if ((err as { errno?: unknown }).errno === 1227)
        throw new EngineInputError(
          'trigger change capture on MySQL needs the PROCESS privilege (to read information_schema.INNODB_TRX)',
        );
      throw err;
    }
    await checkServer(conn);
    await conn.query(`SET SESSION lock_wait_timeout = ${lockWaitSeconds(options)}`);
    try {
      await conn.query(`CREATE TABLE IF NOT EXISTS ${qualify(schema, CHANGELOG_TABLE)} (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
        table_name VARCHAR(64) NOT NULL,
        op ENUM('insert', 'update', 'delete') NOT NULL,
        row_key LONGTEXT NOT NULL,
        old_key LONGTEXT NULL,
        captured_at DATETIME(6) NOT NULL,
        PRIMARY KEY (id)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
      for (const t of tables) {
        const columns = await keyColumns(conn, schema, t);
        const base = triggerBaseName(schema, t.table, columns);
        const existing = (
          await rowsOf<{ s: string; t: string; name: string; event: string; timing: string }>(
            conn,
            `SELECT EVENT_OBJECT_SCHEMA AS s, EVENT_OBJECT_TABLE AS t, TRIGGER_NAME AS name,
                    EVENT_MANIPULATION AS event, ACTION_TIMING AS timing
               FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = ? AND EVENT_OBJECT_TABLE = ?`,
            [schema, t.table],
          )
        ).filter((r) => r.s === schema && r.t === t.table);
        const target = { schema, table: t.table, action: 'install' as const };
        const created: string[] = [];
        try {
          for (const { event, suffix } of EVENTS) {
            const name = `${base}_${suffix}`;
            if (existing.some((r) => r.name === name)) continue;
            const foreign = existing.find(
              (r) => r.event === event && r.timing === 'AFTER' && !OUR_TRIGGER.test(r.name),
            );
            if (foreign && !allowsSeveralTriggers(version))
              throw new EngineInputError(
                `${qualify(schema, t.table)} already has an AFTER ${event} trigger (${quoteIdent(foreign.name)}) and ${version} allows only one per event: capture cannot be installed`,
              );
            options.signal?.throwIfAborted();
            try {
              await withLockRetries(conn, target, options, triggerDdl(schema, t.table, columns, name, event));
              created.push(name);
            } catch (err) {
              // ER_TRG_ALREADY_EXISTS: a concurrent install created it first.
              if ((err as { errno?: unknown }).errno !== 1359) throw err;
            }
          }
        } catch (err) {
          if (err instanceof CaptureLockError)
            for (const name of created)
              await conn.query(`DROP TRIGGER IF EXISTS ${qualify(schema, name)}`).catch(() => undefined);
          throw err;
        }
        for (const r of existing) {
          if (OUR_TRIGGER.test(r.name) && !r.name.startsWith(`${base}_`))
            await withLockRetries(conn, target, options, `DROP TRIGGER IF EXISTS ${qualify(schema, r.name)}`);
        }
      }
    } finally {
      await conn.query('SET SESSION lock_wait_timeout = DEFAULT');
    }
  });
}

/** Drop the capture triggers of every table in the schema and the changelog; a no-op when gone. */
export async function remove(pool: Pool, schema: string, options: CaptureDdlOptions = {}): Promise<void> {
  await withConnection(pool, async (conn) => {
    const ourTriggers = () =>
      rowsOf<{ s: string; name: string; t: string }>(
        conn,
        `SELECT TRIGGER_SCHEMA AS s, TRIGGER_NAME AS name, EVENT_OBJECT_TABLE AS t
           FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?`,
        [schema],
      );
    await conn.query(`SET SESSION lock_wait_timeout = ${lockWaitSeconds(options)}`);
    try {
      const dropTriggers = async (list: { s: string; name: string; t: string }[]) => {
        for (const t of list.filter((r) => r.s === schema && OUR_TRIGGER.test(r.name)))
          await withLockRetries(
            conn,
            { schema, table: t.t, action: 'remove' },
            options,
            `DROP TRIGGER IF EXISTS ${qualify(schema, t.name)}`,
          );
      };
      await dropTriggers(await ourTriggers());
      await withLockRetries(
        conn,
        { schema, table: CHANGELOG_TABLE, action: 'remove' },
        options,
        `DROP TABLE IF EXISTS ${qualify(schema, CHANGELOG_TABLE)}`,
      );
      // Once more after the changelog is gone: a trigger that an abandoned install created in
      // between would make every write to its table fail on the missing changelog.
      await dropTriggers(await ourTriggers());
    } finally {
      await conn.query('SET SESSION lock_wait_timeout = DEFAULT');
    }
  });
}

/**
 * A read position: every id <= `after` is consumed except those in `holes`, each hole being
 * inclusive id ranges waiting for the listed transactions to end.
 */
export interface Hole {
  ranges: [string, string][];
  /** Transaction ids; null until a fresh list of running transactions has been seen. */
  waitFor: string[] | null;
}
interface Position {
  after: string;
  holes: Hole[];
}

const ID = /^\d+$/;

function parsePosition(text: string | null): Position {
  if (text === null) return { after: '0', holes: [] };
  let p: { engine?: unknown; after?: unknown; holes?: unknown };
  try {
    p = JSON.parse(text) as typeof p;
  } catch {
    throw new EngineInputError('not a MySQL capture position');
  }
  const isId = (v: unknown) => typeof v === 'string' && ID.test(v);
  const ok =
    p?.engine === 'mysql' &&
    isId(p.after) &&
    Array.isArray(p.holes) &&
    p.holes.every(
      (h: Hole) =>
        Array.isArray(h?.ranges) &&
        h.ranges.every((r) => Array.isArray(r) && r.length === 2 && isId(r[0]) && isId(r[1])) &&
        (h.waitFor === null || (Array.isArray(h.waitFor) && h.waitFor.every(isId))),
    );
  if (!ok) throw new EngineInputError('not a MySQL capture position');
  return { after: p.after as string, holes: p.holes as Hole[] };
}

function formatPosition(p: Position): string {
  return JSON.stringify({ engine: 'mysql', after: p.after, holes: p.holes });
}

/** SQL (with params) matching ids inside the given inclusive ranges. */
function inRanges(ranges: [string, string][], params: unknown[]): string {
  if (!ranges.length) return 'FALSE';
  return `(${ranges
    .map(([from, to]) => {
      params.push(BigInt(from), BigInt(to));
      return 'id BETWEEN ? AND ?';
    })
    .join(' OR ')})`;
}

/** The parts of inclusive range [from, to] not covered by the sorted ids. */
function uncovered(from: bigint, to: bigint, ids: bigint[]): [string, string][] {
  const out: [string, string][] = [];
  let next = from;
  for (const id of ids) {
    if (id < next || id > to) continue;
    if (id > next) out.push([String(next), String(id - 1n)]);
    next = id + 1n;
  }
  if (next <= to) out.push([String(next), String(to)]);
  return out;
}

interface ChangeRow {
  id: string;
  table_name: string;
  op: ChangeOperation;
  row_key: string;
  old_key: string | null;
  captured_at: string;
}

function toChange(r: ChangeRow): CapturedChange {
  return {
    id: String(r.id),
    table: r.table_name,
    op: r.op,
    key: decodeWireKey(r.row_key),
    oldKey: r.old_key === null ? null : decodeWireKey(r.old_key),
    capturedAt: r.captured_at,
  };
}

function selectChanges(schema: string): string {
  return `SELECT CAST(id AS CHAR) AS id, table_name, op, row_key, old_key,
                 DATE_FORMAT(captured_at, '%Y-%m-%d %H:%i:%s.%f') AS captured_at
            FROM ${qualify(schema, CHANGELOG_TABLE)} AS c`;
}

const PROBE_ATTEMPTS = 6;
/** InnoDB refreshes its INNODB_TRX cache only when it was last read more than 100 ms ago. */
const PROBE_PAUSE_MS = 120;

/**
 * The ids of the read-write transactions running now, or null when InnoDB would only show a stale
 * list. information_schema.INNODB_TRX is served from a cache that is refreshed only when it was last
 * read more than 100 ms ago, so a list can be older than the read it must follow. The probe opens a
 * transaction of its own and tags its query with a nonce: a list showing this very query was taken
 * while the probe ran, i.e. after everything before it.
 */
async function runningTransactions(conn: PoolConnection): Promise<Set<string> | null> {
  const nonce = `cutover-trx-probe ${randomBytes(8).toString('hex')}`;
  await conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
  try {
    for (let attempt = 1; attempt <= PROBE_ATTEMPTS; attempt++) {
      const rows = await rowsOf<{ id: string; mine: number | string; fresh: number | string | null }>(
        conn,
        `SELECT /* ${nonce} */ CAST(trx_id AS CHAR) AS id, trx_mysql_thread_id = CONNECTION_ID() AS mine,
                LOCATE(?, trx_query) > 0 AS fresh
           FROM information_schema.INNODB_TRX`,
        [nonce],
      );
      if (rows.some((r) => Number(r.mine) === 1 && Number(r.fresh) === 1)) {
        // Read-only transactions show id 0 (MariaDB): they hold no changelog id.
        return new Set(rows.filter((r) => Number(r.mine) !== 1 && r.id !== '0').map((r) => String(r.id)));
      }
      if (attempt < PROBE_ATTEMPTS) await new Promise((r) => setTimeout(r, PROBE_PAUSE_MS));
    }
    return null;
  } finally {
    await conn.query('COMMIT');
  }
}

/**
 * Read the next changes. Steps, in this order (see the header for why):
 * 1. re-read every pending hole; holes whose transactions had all ended at the previous probe are
 *    then forgotten (whatever they held is committed, so just read, or rolled back);
 * 2. read up to `limit` rows after `after`; ids skipped below the last one read become new holes;
 * 3. if holes remain, probe the running transactions: new holes wait for all of them, older holes
 *    for those of their transactions still running.
 */
export async function readBatch(
  pool: Pool,
  schema: string,
  after: string | null,
  limit: number,
): Promise<ChangeBatch> {
  checkLimit(limit, (m) => new EngineInputError(m));
  const p = parsePosition(after);
  return withConnection(pool, async (conn) => {
    const changes: CapturedChange[] = [];
    let holes: Hole[] = [];
    if (p.holes.length) {
      const params: unknown[] = [];
      const where = inRanges(
        p.holes.flatMap((h) => h.ranges),
        params,
      );
      const found = (
        await rowsOf<ChangeRow>(conn, `${selectChanges(schema)} WHERE ${where} ORDER BY c.id`, params)
      ).map(toChange);
      changes.push(...found);
      const foundIds = found.map((c) => BigInt(c.id));
      for (const h of p.holes) {
        if (h.waitFor !== null && !h.waitFor.length) continue; // settled before this re-read
        const ranges = h.ranges.flatMap(([from, to]) => uncovered(BigInt(from), BigInt(to), foundIds));
        if (ranges.length) holes.push({ ranges, waitFor: h.waitFor });
      }
    }
    const rows = await rowsOf<ChangeRow>(
      conn,
      `${selectChanges(schema)} WHERE c.id > ? ORDER BY c.id LIMIT ?`,
      [BigInt(p.after), limit],
    );
    const fresh = rows.map(toChange);
    changes.push(...fresh);
    let last = p.after;
    if (fresh.length) {
      last = fresh[fresh.length - 1]!.id;
      const gaps = uncovered(
        BigInt(p.after) + 1n,
        BigInt(last),
        fresh.map((c) => BigInt(c.id)),
      );
      if (gaps.length) holes.push({ ranges: gaps, waitFor: null });
    }
    if (holes.length) {
      const running = await runningTransactions(conn);
      // A stale list proves nothing: holes keep what they wait for (null: not known yet).
      if (running)
        holes = holes.map((h) => ({
          ranges: h.ranges,
          waitFor: (h.waitFor ?? [...running]).filter((id) => running.has(id)),
        }));
    }
    return { changes, position: formatPosition({ after: last, holes: mergeHoles(holes) }) };
  });
}

/**
 * Holes waiting for the same transactions become one, with adjacent ranges joined: while one long
 * transaction runs, every hole ends up waiting for it alone, and the position stays one entry.
 */
export function mergeHoles(holes: Hole[]): Hole[] {
  const groups = new Map<string, Hole>();
  for (const h of holes) {
    const waitFor = h.waitFor === null ? null : [...new Set(h.waitFor)].sort();
    const id = JSON.stringify(waitFor);
    const group = groups.get(id);
    if (group) group.ranges.push(...h.ranges);
    else groups.set(id, { ranges: [...h.ranges], waitFor });
  }
  return [...groups.values()].map((h) => {
    const sorted = h.ranges
      .map(([f, t]) => [BigInt(f), BigInt(t)] as [bigint, bigint])
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const joined: [bigint, bigint][] = [];
    for (const r of sorted) {
      const lastRange = joined[joined.length - 1];
      if (lastRange && r[0] <= lastRange[1] + 1n) {
        if (r[1] > lastRange[1]) lastRange[1] = r[1];
      } else joined.push([r[0], r[1]]);
    }
    return { ranges: joined.map(([f, t]) => [String(f), String(t)] as [string, string]), waitFor: h.waitFor };
  });
}

/** The inclusive id ranges consumed at a position: [1, after] minus the pending holes. */
function consumedRanges(p: Position): [bigint, bigint][] {
  const holes = p.holes
    .flatMap((h) => h.ranges)
    .map(([f, t]) => [BigInt(f), BigInt(t)] as [bigint, bigint])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: [bigint, bigint][] = [];
  let next = 1n;
  const after = BigInt(p.after);
  for (const [f, t] of holes) {
    if (f > next) out.push([next, f - 1n < after ? f - 1n : after]);
    if (t + 1n > next) next = t + 1n;
  }
  if (next <= after) out.push([next, after]);
  return out.filter(([f, t]) => f <= t);
}

/** The parts covered by both sorted, disjoint lists of inclusive ranges. */
export function intersectRanges(a: [bigint, bigint][], b: [bigint, bigint][]): [bigint, bigint][] {
  const out: [bigint, bigint][] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const from = a[i]![0] > b[j]![0] ? a[i]![0] : b[j]![0];
    const to = a[i]![1] < b[j]![1] ? a[i]![1] : b[j]![1];
    if (from <= to) out.push([from, to]);
    if (a[i]![1] < b[j]![1]) i++;
    else j++;
  }
  return out;
}

export async function trim(
  pool: Pool,
  schema: string,
  upto: string,
  options: TrimOptions = {},
): Promise<number> {
  const p = parsePosition(upto);
  let ranges = consumedRanges(p);
  if (options.retainAfter !== undefined) {
    // Only what was consumed at both positions goes; null retains everything.
    if (options.retainAfter === null) return 0;
    ranges = intersectRanges(ranges, consumedRanges(parsePosition(options.retainAfter)));
  }
  const changelog = qualify(schema, CHANGELOG_TABLE);
  return withConnection(pool, async (conn) => {
    // The highest id stays, consumed or not, as a floor for the AUTO_INCREMENT counter: MySQL 5.7
    // and MariaDB before 10.2.4 do not persist it and restart it at MAX(id) + 1, so an emptied
    // changelog would hand out ids again at or below a reader's position, and `id > after` would
    // skip those changes silently. Keeping the row works on every version; detecting MAX(id) <
    // after instead would miss a restart once the new ids had passed the position again. Only the
    // trim deletes rows, never the highest one it sees, so the highest id ever read survives.
    const [top] = await rowsOf<{ id: string | null }>(
      conn,
      `SELECT CAST(MAX(id) AS CHAR) AS id FROM ${changelog}`,
    );
    if (top?.id == null) return 0;
    const below = BigInt(top.id) - 1n;
    let deleted = 0;
    for (const [from, upTo] of ranges) {
      const to = upTo < below ? upTo : below;
      if (from > to) continue;
      let lower = from;
      for (;;) {
        // Find the ids with a consistent (non-locking) read, then delete exactly those by primary key.
        // A locking range scan would stop on the first record past the range, which may be an
        // uncommitted insert inside a hole, and wait for that transaction to end. No new row can
        // appear in a consumed range (holes are excluded), so nothing is left behind.
        const ids = (
          await rowsOf<{ id: string }>(
            conn,
            `SELECT CAST(id AS CHAR) AS id FROM ${changelog} WHERE id BETWEEN ? AND ? ORDER BY id LIMIT ${DELETE_CHUNK}`,
            [lower, to],
          )
        ).map((r) => BigInt(r.id));
        if (!ids.length) break;
        await conn.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
        const [r] = await conn.query<ResultSetHeader>(`DELETE FROM ${changelog} WHERE id IN (?)`, [ids]);
        deleted += r.affectedRows;
        if (ids.length < DELETE_CHUNK) break;
        lower = ids[ids.length - 1]! + 1n;
      }
    }
    return deleted;
  });
}

export async function lag(pool: Pool, schema: string, position: string | null = null): Promise<CaptureLag> {
  const p = parsePosition(position);
  return withConnection(pool, async (conn) => {
    const params: unknown[] = [BigInt(p.after)];
    const holes = inRanges(
      p.holes.flatMap((h) => h.ranges),
      params,
    );
    const [row] = await rowsOf<{ n: string | number; s: string | null }>(
      conn,
      `SELECT COUNT(*) AS n, CAST(TIMESTAMPDIFF(MICROSECOND, MIN(captured_at), UTC_TIMESTAMP(6)) AS CHAR) AS s
         FROM ${qualify(schema, CHANGELOG_TABLE)} WHERE id > ? OR ${holes}`,
      params,
    );
    return {
      rowsBehind: Number(row?.n ?? 0),
      secondsBehind: row?.s == null ? 0 : Math.max(0, Number(row.s) / 1e6),
    };
  });
}

/** Where a changedKeys page ends: the last (table, SHA-256 of the key's JSON text) returned. */
function parseKeysCursor(text: string | null | undefined): { t: string; h: string } | null {
  if (text === null || text === undefined) return null;
  try {
    const c = JSON.parse(text) as { engine?: unknown; t?: unknown; h?: unknown };
    if (
      c?.engine === 'mysql' &&
      typeof c.t === 'string' &&
      typeof c.h === 'string' &&
      /^[0-9a-f]{64}$/.test(c.h)
    )
      return { t: c.t, h: c.h };
  } catch {
    // refused below
  }
  throw new EngineInputError('not a MySQL changedKeys cursor');
}

/**
 * The distinct (table, key) pairs of the changes not consumed at `since` (ids after its `after`, and
 * ids in its holes), ordered by table and the SHA-256 of the key's JSON text: a sort on the key text
 * itself would compare only max_sort_length bytes (or run out of sort memory), and the hash keeps
 * the sort keys short. The triggers write a key's JSON text with one expression per table, so equal
 * keys have equal text. MySQL captures no TRUNCATE. Each page scans the changes after `since` once:
 * meant for the few changes between two validations.
 */
export async function changedKeys(
  pool: Pool,
  schema: string,
  since: string | null,
  options: ChangedKeysOptions,
): Promise<ChangedKeysPage> {
  checkLimit(options?.limit, (m) => new EngineInputError(m.replace('readBatch', 'changedKeys')));
  const p = parsePosition(since);
  const cursor = parseKeysCursor(options.after);
  const changelog = qualify(schema, CHANGELOG_TABLE);
  return withConnection(pool, async (conn) => {
    const windowParams: unknown[] = [BigInt(p.after)];
    const window = `(id > ? OR ${inRanges(
      p.holes.flatMap((h) => h.ranges),
      windowParams,
    )})`;
    const params = [...windowParams, ...windowParams];
    let after = '';
    if (cursor) {
      after = 'WHERE pairs.t > ? OR (pairs.t = ? AND pairs.h > ?)';
      params.push(cursor.t, cursor.t, cursor.h);
    }
    const rows = await rowsOf<{ t: string; k: string; h: string }>(
      conn,
      `SELECT t, k, h FROM (
         SELECT t, k, CAST(SHA2(k, 256) AS CHAR CHARACTER SET ascii) COLLATE ascii_bin AS h FROM (
           SELECT table_name AS t, row_key AS k FROM ${changelog} WHERE ${window}
           UNION
           SELECT table_name, old_key FROM ${changelog} WHERE old_key IS NOT NULL AND ${window}
         ) AS distinct_pairs
       ) AS pairs ${after}
       ORDER BY t, h LIMIT ${options.limit + 1}`,
      params,
    );
    const more = rows.length > options.limit;
    const page = more ? rows.slice(0, options.limit) : rows;
    const last = page[page.length - 1];
    return {
      keys: page.map((r) => ({ table: r.t, key: decodeWireKey(r.k) })),
      next: more && last ? JSON.stringify({ engine: 'mysql', t: last.t, h: last.h }) : null,
    };
  });
}

/** The ChangeCapture of one MySQL schema (database) over the engine's pool. */
export function triggerCapture(pool: Pool, schema: string): ChangeCapture {
  return {
    method: 'trigger',
    install: (tables, options) => install(pool, schema, tables, options),
    readBatch: (position, limit) => readBatch(pool, schema, position, limit),
    trim: (position, options) => trim(pool, schema, position, options),
    lag: (position) => lag(pool, schema, position ?? null),
    changedKeys: (since, options) => changedKeys(pool, schema, since, options),
    remove: (options) => remove(pool, schema, options),
  };
}
