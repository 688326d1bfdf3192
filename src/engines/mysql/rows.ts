// Row access for the copier, the validator and the change applier on MySQL/MariaDB: key bounds,
// split points, keyset range reads, reads by key, and idempotent writes (a range replaced in one
// transaction, upserts and deletes by key). Values are in wire form (docs/DATAPLANE.md).
//
// Two MySQL traps shape the SQL:
// - Row constructors `(a, b) > (?, ?)` are not range-optimised by every server version, so range
//   conditions are expanded to `a >= ? AND (a > ? OR (a = ? AND b > ?))`, which always uses the key.
// - An integer column compared with a string constant is compared as a double: 18446744073709551615
//   and 18446744073709551614 would be equal. Integer key values are sent as exact integer literals
//   (BigInt) and decimal ones as CAST(? AS DECIMAL(65,30)).
import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';
import { EngineInputError } from '../errors';
import { checkKey, checkRange, keyPositions, type Key, type KeyRange } from '../key-range';
import { memoPerPool } from '../pool-memo';
import { qualify, quoteIdent } from './quote';
import { SESSION_SETUP, withPooledSession } from './session';

const ROWS_PER_INSERT = 1000;
/** Keep each statement well under max_allowed_packet (16 MiB on MariaDB, 64 MiB on MySQL 8). */
const BYTES_PER_INSERT = 4 * 1024 * 1024;
const KEYS_PER_STATEMENT = 1000;

export interface KeyBounds {
  min: Key | null;
  max: Key | null;
  /** information_schema estimate, or an exact count for small tables. */
  rowsEstimate: number;
}

export interface ReplaceOptions {
  /** See the PostgreSQL engine: 'keys' deletes the loaded rows' keys instead of the range. */
  deleteBy?: 'range' | 'keys';
}

const INTEGER_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint', 'year']);

/** How each key column's values go into SQL. */
type KeyKind = 'integer' | 'decimal' | 'bit' | 'other';

/**
 * Row writes copy values a source already holds, so these sessions store them as they are:
 * - zero dates (MySQL -> MySQL is an identity): NO_ZERO_DATE and NO_ZERO_IN_DATE (on by default in
 *   MySQL 8) are removed, as gh-ost does;
 * - an AUTO_INCREMENT column's 0: without NO_AUTO_VALUE_ON_ZERO an explicit 0 takes the next value
 *   instead, so the row's id would differ on the target (mysqldump sets it for the same reason).
 * Strict mode stays, so nothing else is silently truncated.
 */
const WRITE_SQL_MODE = `SET SESSION sql_mode = CONCAT_WS(',', NULLIF(TRIM(BOTH ',' FROM
  REPLACE(REPLACE(CONCAT(',', @@SESSION.sql_mode, ','), ',NO_ZERO_DATE,', ','), ',NO_ZERO_IN_DATE,', ',')), ''),
  'NO_AUTO_VALUE_ON_ZERO')`;

/** Run `fn` on one pooled session set up like the engine's; a session that failed is discarded. */
function withConnection<T>(pool: Pool, fn: (conn: PoolConnection) => Promise<T>): Promise<T> {
  return withPooledSession(pool, fn, [SESSION_SETUP, WRITE_SQL_MODE]);
}

interface TableInfo {
  /** How each key column's values go into SQL. */
  kinds: KeyKind[];
  /** Data type by column name. */
  types: Map<string, string>;
  /** The qualified table name, for messages. */
  name: string;
}

/** Column types of a table, read once per pool: every chunk of a copy and every applier batch needs them. */
const tableInfos = memoPerPool<Pool, TableInfo>();

function tableInfo(
  pool: Pool,
  conn: PoolConnection,
  schema: string,
  table: string,
  key: string[],
): Promise<TableInfo> {
  return tableInfos(pool, JSON.stringify([schema, table, key]), () =>
    readTableInfo(conn, schema, table, key),
  );
}

async function readTableInfo(
  conn: PoolConnection,
  schema: string,
  table: string,
  key: string[],
): Promise<TableInfo> {
  if (!key.length) throw new EngineInputError('a key needs at least one column');
  const [rows] = await conn.query<RowDataPacket[]>(
    `SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t, COLUMN_NAME AS name, DATA_TYPE AS type
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`,
    [schema, table],
  );
  const types = new Map(
    (rows as { s: string; t: string; name: string; type: string }[])
      .filter((r) => r.s === schema && r.t === table)
      .map((r) => [r.name, r.type.toLowerCase()]),
  );
  if (!types.size) throw new EngineInputError(`MySQL table ${qualify(schema, table)} does not exist`);
  const kinds = key.map((k): KeyKind => {
    const type = types.get(k);
    if (type === undefined)
      throw new EngineInputError(`MySQL table ${qualify(schema, table)} has no column ${JSON.stringify(k)}`);
    return INTEGER_TYPES.has(type)
      ? 'integer'
      : type === 'decimal'
        ? 'decimal'
        : type === 'bit'
          ? 'bit'
          : 'other';
  });
  return { kinds, types, name: qualify(schema, table) };
}

async function keyKinds(
  pool: Pool,
  conn: PoolConnection,
  schema: string,
  table: string,
  key: string[],
): Promise<KeyKind[]> {
  return (await tableInfo(pool, conn, schema, table, key)).kinds;
}

/**
 * The select list. FLOAT is read as `col + 0e0`: the server prints FLOAT with 6 significant digits
 * (MariaDB: 1/3 as 0.333333), which is not the stored value; as a double it is exact.
 */
function selectList(columns: readonly string[], info: TableInfo): string {
  return columns
    .map((c) => {
      const type = info.types.get(c);
      if (type === undefined)
        throw new EngineInputError(`MySQL table ${info.name} has no column ${JSON.stringify(c)}`);
      return type === 'float' ? `(${quoteIdent(c)} + 0e0)` : quoteIdent(c);
    })
    .join(', ');
}

class Params {
  readonly values: unknown[] = [];
  constructor(private readonly kinds: KeyKind[] = []) {}
  /** A placeholder for a value of key column `i` (exact comparison semantics, see the header). */
  key(i: number, v: unknown): string {
    const kind = this.kinds[i] ?? 'other';
    if (kind === 'integer' && (typeof v === 'number' || (typeof v === 'string' && /^-?\d+$/.test(v)))) {
      this.values.push(BigInt(v));
      return '?';
    }
    if (kind === 'bit' && Buffer.isBuffer(v)) {
      // MariaDB compares a BIT column in a row value with a binary string wrongly ((a, b) IN
      // ((1, x'01')) finds nothing): the bits go as their unsigned number instead.
      this.values.push(v.length ? BigInt(`0x${v.toString('hex')}`) : 0n);
      return '?';
    }
    this.values.push(parameter(v));
    return kind === 'decimal' ? 'CAST(? AS DECIMAL(65,30))' : '?';
  }
}

/** A value mysql2 sends as the literal the column should parse. */
function parameter(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'object') return JSON.stringify(v);
  return v;
}

const columnList = (names: readonly string[]): string => names.map(quoteIdent).join(', ');
const orderBy = (key: readonly string[], desc = false): string =>
  key.map((k) => `${quoteIdent(k)}${desc ? ' DESC' : ''}`).join(', ');

/** `(k...) > (v...)` (strict) or `(k...) <= (v...)` expanded so the range optimiser uses the key. */
function compare(key: readonly string[], values: Key, op: '>' | '<=', p: Params): string {
  const strict = op === '>' ? '>' : '<';
  const nested = (i: number): string => {
    const c = quoteIdent(key[i]!);
    if (i === key.length - 1) return `${c} ${op} ${p.key(i, values[i])}`;
    return `(${c} ${strict} ${p.key(i, values[i])} OR (${c} = ${p.key(i, values[i])} AND ${nested(i + 1)}))`;
  };
  if (key.length === 1) return nested(0);
  // The leading bound on the first column alone lets every server pick a range scan.
  return `${quoteIdent(key[0]!)} ${op === '>' ? '>=' : '<='} ${p.key(0, values[0])} AND ${nested(0)}`;
}

function rangeCondition(key: readonly string[], range: KeyRange, p: Params): string {
  const parts: string[] = [];
  if (range.lower) parts.push(compare(key, range.lower, '>', p));
  if (range.upper) parts.push(compare(key, range.upper, '<=', p));
  return parts.length ? parts.map((s) => `(${s})`).join(' AND ') : 'TRUE';
}

function keysCondition(key: readonly string[], keys: readonly Key[], p: Params): string {
  if (key.length === 1) return `${quoteIdent(key[0]!)} IN (${keys.map((k) => p.key(0, k[0])).join(', ')})`;
  return keys
    .map((k) => `(${key.map((c, i) => `${quoteIdent(c)} = ${p.key(i, k[i])}`).join(' AND ')})`)
    .join(' OR ');
}

/**
 * Data types the server never sends as GEOMETRY. A select list made only of these needs no typeCast
 * hook, which mysql2 would otherwise call (with a closure) for every value of every row.
 */
const NON_GEOMETRY_TYPES = new Set([
  'tinyint',
  'smallint',
  'mediumint',
  'int',
  'integer',
  'bigint',
  'decimal',
  'numeric',
  'float',
  'double',
  'real',
  'bit',
  'char',
  'varchar',
  'tinytext',
  'text',
  'mediumtext',
  'longtext',
  'binary',
  'varbinary',
  'tinyblob',
  'blob',
  'mediumblob',
  'longblob',
  'enum',
  'set',
  'json',
  'date',
  'datetime',
  'timestamp',
  'time',
  'year',
  'uuid',
  'inet4',
  'inet6',
]);

/** Whether reading these columns of the table may meet a GEOMETRY value (unknown types: maybe). */
function mayHoldGeometry(columns: readonly string[], info: TableInfo): boolean {
  return columns.some((c) => !NON_GEOMETRY_TYPES.has(info.types.get(c) ?? ''));
}

async function selectArrays(
  conn: PoolConnection,
  sql: string,
  values: unknown[],
  geometry = true,
): Promise<unknown[][]> {
  const [rows] = await conn.query<RowDataPacket[]>({
    sql,
    values,
    rowsAsArray: true,
    // Geometry as the server's bytes (SRID + WKB), not the driver's lossy {x, y} objects.
    ...(geometry && {
      typeCast: (field: { type: string; buffer: () => Buffer | null }, next: () => unknown) =>
        field.type === 'GEOMETRY' ? field.buffer() : next(),
    }),
  });
  return rows as unknown as unknown[][];
}

/** Unknown tables and columns are requests no retry fixes. */
function inputErrors(err: unknown, schema: string, table: string): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ER_NO_SUCH_TABLE' || code === 'ER_BAD_DB_ERROR')
    return new EngineInputError(`MySQL table ${qualify(schema, table)} does not exist`);
  if (code === 'ER_BAD_FIELD_ERROR')
    return new EngineInputError(`MySQL table ${qualify(schema, table)}: ${(err as Error).message}`);
  return err;
}

/** A deadlock rolls the whole transaction back, so running it again is safe (writes are idempotent). */
const DEADLOCK_RETRIES = 3;

async function run<T>(
  pool: Pool,
  schema: string,
  table: string,
  fn: (conn: PoolConnection) => Promise<T>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await withConnection(pool, fn);
    } catch (err) {
      const code = (err as { code?: unknown } | null)?.code;
      if (code === 'ER_LOCK_DEADLOCK' && attempt < DEADLOCK_RETRIES) {
        await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
        continue;
      }
      throw inputErrors(err, schema, table);
    }
  }
}

async function estimate(conn: PoolConnection, schema: string, table: string): Promise<number> {
  const [rows] = await conn.query<RowDataPacket[]>(
    'SELECT TABLE_ROWS AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
    [schema, table],
  );
  const n = Number((rows[0] as { n?: unknown } | undefined)?.n ?? 0);
  // InnoDB's estimate can be far off (and is 0 right after a bulk load): count small tables exactly.
  if (Number.isFinite(n) && n > 1_000_000) return n;
  const [counted] = await conn.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${qualify(schema, table)}`);
  return Number((counted[0] as { n?: unknown } | undefined)?.n ?? 0);
}

export async function keyBounds(
  pool: Pool,
  schema: string,
  table: string,
  key: string[],
): Promise<KeyBounds> {
  return run(pool, schema, table, async (conn) => {
    await keyKinds(pool, conn, schema, table, key);
    const t = qualify(schema, table);
    const [min] = await selectArrays(
      conn,
      `SELECT ${columnList(key)} FROM ${t} ORDER BY ${orderBy(key)} LIMIT 1`,
      [],
    );
    const [max] = await selectArrays(
      conn,
      `SELECT ${columnList(key)} FROM ${t} ORDER BY ${orderBy(key, true)} LIMIT 1`,
      [],
    );
    return {
      min: (min as Key) ?? null,
      max: (max as Key) ?? null,
      rowsEstimate: await estimate(conn, schema, table),
    };
  });
}

/**
 * Up to n-1 ascending keys splitting the table into about n slices: an ordered walk of the primary
 * key, each point `step` keys after the previous one (OFFSET on the index, keys only).
 */
export async function splitPoints(
  pool: Pool,
  schema: string,
  table: string,
  key: string[],
  n: number,
): Promise<Key[]> {
  if (!Number.isInteger(n) || n < 1)
    throw new EngineInputError(`slice count must be a positive integer, not ${n}`);
  return run(pool, schema, table, async (conn) => {
    const kinds = await keyKinds(pool, conn, schema, table, key);
    if (n === 1) return [];
    const step = Math.max(1, Math.ceil((await estimate(conn, schema, table)) / n));
    const points: Key[] = [];
    let previous: Key | null = null;
    while (points.length < n - 1) {
      const p = new Params(kinds);
      const where = rangeCondition(key, { lower: previous, upper: null }, p);
      const [row] = await selectArrays(
        conn,
        `SELECT ${columnList(key)} FROM ${qualify(schema, table)} WHERE ${where} ORDER BY ${orderBy(key)} LIMIT 1 OFFSET ${step - 1}`,
        p.values,
      );
      if (!row) break;
      points.push(row as Key);
      previous = row as Key;
    }
    return points;
  });
}

export async function readRange(
  pool: Pool,
  schema: string,
  table: string,
  columns: string[],
  key: string[],
  range: KeyRange,
  limit: number,
): Promise<unknown[][]> {
  checkRange(range, key);
  if (!columns.length) throw new EngineInputError('readRange needs at least one column');
  if (!Number.isInteger(limit) || limit < 1)
    throw new EngineInputError(`row limit must be a positive integer, not ${limit}`);
  return run(pool, schema, table, async (conn) => {
    const info = await tableInfo(pool, conn, schema, table, key);
    const p = new Params(info.kinds);
    const where = rangeCondition(key, range, p);
    return selectArrays(
      conn,
      `SELECT ${selectList(columns, info)} FROM ${qualify(schema, table)} WHERE ${where} ORDER BY ${orderBy(key)} LIMIT ${limit}`,
      p.values,
      mayHoldGeometry(columns, info),
    );
  });
}

export async function readByKeys(
  pool: Pool,
  schema: string,
  table: string,
  columns: string[],
  key: string[],
  keys: Key[],
): Promise<unknown[][]> {
  for (const k of keys) checkKey(k, key);
  if (!columns.length) throw new EngineInputError('readByKeys needs at least one column');
  return run(pool, schema, table, async (conn) => {
    const info = await tableInfo(pool, conn, schema, table, key);
    const out: unknown[][] = [];
    for (let i = 0; i < keys.length; i += KEYS_PER_STATEMENT) {
      const p = new Params(info.kinds);
      const where = keysCondition(key, keys.slice(i, i + KEYS_PER_STATEMENT), p);
      out.push(
        ...(await selectArrays(
          conn,
          `SELECT ${selectList(columns, info)} FROM ${qualify(schema, table)} WHERE ${where} ORDER BY ${orderBy(key)}`,
          p.values,
        )),
      );
    }
    return out;
  });
}

function approxBytes(row: readonly unknown[]): number {
  let n = 8;
  for (const v of row)
    n += Buffer.isBuffer(v) ? v.length * 2 + 3 : typeof v === 'string' ? v.length * 4 + 2 : 24;
  return n;
}

/** Rows in statement-sized groups: at most ROWS_PER_INSERT rows and about BYTES_PER_INSERT bytes. */
function* insertGroups(rows: readonly (readonly unknown[])[]): Generator<(readonly unknown[])[]> {
  let group: (readonly unknown[])[] = [];
  let size = 0;
  for (const row of rows) {
    const bytes = approxBytes(row);
    if (group.length && (group.length >= ROWS_PER_INSERT || size + bytes > BYTES_PER_INSERT)) {
      yield group;
      group = [];
      size = 0;
    }
    group.push(row);
    size += bytes;
  }
  if (group.length) yield group;
}

async function insertRows(
  conn: PoolConnection,
  schema: string,
  table: string,
  columns: string[],
  rows: readonly (readonly unknown[])[],
): Promise<number> {
  let written = 0;
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  for (const group of insertGroups(rows)) {
    const values: unknown[] = [];
    for (const row of group) {
      if (row.length !== columns.length)
        throw new EngineInputError(`a row has ${row.length} values for ${columns.length} columns`);
      for (const v of row) values.push(parameter(v));
    }
    await conn.query(
      `INSERT INTO ${qualify(schema, table)} (${columnList(columns)}) VALUES ${group.map(() => tuple).join(', ')}`,
      values,
    );
    written += group.length;
  }
  return written;
}

/**
 * One write transaction at READ COMMITTED: InnoDB then locks the rows it deletes but not the gaps
 * between them, so slices copied in parallel into neighbouring ranges do not deadlock on each other's
 * next-key locks (REPEATABLE READ's DELETE of a range locks the gap past its end).
 */
async function inTransaction<T>(conn: PoolConnection, fn: () => Promise<T>): Promise<T> {
  await conn.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
  await conn.beginTransaction();
  try {
    const result = await fn();
    await conn.commit();
    return result;
  } catch (err) {
    await conn.rollback().catch(() => undefined);
    throw err;
  }
}

async function deleteKeys(
  conn: PoolConnection,
  schema: string,
  table: string,
  key: string[],
  kinds: KeyKind[],
  keys: readonly Key[],
): Promise<number> {
  let deleted = 0;
  for (let i = 0; i < keys.length; i += KEYS_PER_STATEMENT) {
    const p = new Params(kinds);
    const where = keysCondition(key, keys.slice(i, i + KEYS_PER_STATEMENT), p);
    const [r] = await conn.query<import('mysql2').ResultSetHeader>(
      `DELETE FROM ${qualify(schema, table)} WHERE ${where}`,
      p.values,
    );
    deleted += r.affectedRows;
  }
  return deleted;
}

/**
 * Make the range on the target hold exactly `rows`, in one transaction: delete the range (or the
 * rows' keys), then multi-row INSERTs with parameters. Idempotent: a retried chunk changes nothing.
 */
export async function replaceRange(
  pool: Pool,
  schema: string,
  table: string,
  columns: string[],
  key: string[],
  range: KeyRange,
  rows: readonly (readonly unknown[])[],
  options: ReplaceOptions = {},
): Promise<number> {
  checkRange(range, key);
  const positions = keyPositions(columns, key);
  return run(pool, schema, table, async (conn) => {
    const kinds = await keyKinds(pool, conn, schema, table, key);
    return inTransaction(conn, async () => {
      if (options.deleteBy === 'keys') {
        await deleteKeys(
          conn,
          schema,
          table,
          key,
          kinds,
          rows.map((r) => positions.map((i) => r[i]) as Key),
        );
      } else {
        const p = new Params(kinds);
        await conn.query(
          `DELETE FROM ${qualify(schema, table)} WHERE ${rangeCondition(key, range, p)}`,
          p.values,
        );
      }
      return insertRows(conn, schema, table, columns, rows);
    });
  });
}

/**
 * Insert the rows or overwrite the existing ones with the same primary key, in one transaction:
 * delete the rows' keys, then multi-row INSERTs. Returns rows written.
 *
 * Not `INSERT ... ON DUPLICATE KEY UPDATE`: that matches the first duplicate of ANY unique index, so
 * a row whose secondary unique value (an email) another target row still holds would update that
 * other row in place of its own and silently drop itself. Deleting by primary key first matches only
 * the primary key: rows that swap a unique value within the batch are both deleted before either is
 * inserted. A target row outside the batch that still holds the value fails the INSERT with
 * ER_DUP_ENTRY (the whole batch rolls back) instead of being merged.
 */
export async function upsertRows(
  pool: Pool,
  schema: string,
  table: string,
  columns: string[],
  key: string[],
  rows: readonly (readonly unknown[])[],
): Promise<number> {
  const positions = keyPositions(columns, key);
  if (!rows.length) return Promise.resolve(0);
  const keys = rows.map((r) => positions.map((i) => r[i]) as Key);
  for (const k of keys) checkKey(k, key);
  return run(pool, schema, table, async (conn) => {
    const kinds = await keyKinds(pool, conn, schema, table, key);
    return withoutForeignKeyChecks(conn, () =>
      inTransaction(conn, async () => {
        await deleteKeys(conn, schema, table, key, kinds, keys);
        return insertRows(conn, schema, table, columns, rows);
      }),
    );
  });
}

export async function deleteRows(
  pool: Pool,
  schema: string,
  table: string,
  key: string[],
  keys: Key[],
): Promise<number> {
  for (const k of keys) checkKey(k, key);
  if (!keys.length) return Promise.resolve(0);
  return run(pool, schema, table, async (conn) => {
    const kinds = await keyKinds(pool, conn, schema, table, key);
    return withoutForeignKeyChecks(conn, () =>
      inTransaction(conn, () => deleteKeys(conn, schema, table, key, kinds, keys)),
    );
  });
}

/**
 * The change applier writes rows by key in changelog order, not in the source's transaction order
 * (a child may come before its parent), and replaces a row by delete + insert, which with checks on
 * would be refused for a parent with children or, with ON DELETE CASCADE, delete the children.
 * So its writes run with foreign_key_checks off (as replication and mysqldump loads do): the
 * source enforced the keys, and the drain under the fence plus validation prove the result.
 */
async function withoutForeignKeyChecks<T>(conn: PoolConnection, fn: () => Promise<T>): Promise<T> {
  // @cutover_applier also lets these writes past a write fence (see fence.ts).
  await conn.query('SET SESSION foreign_key_checks = 0, @cutover_applier = 1');
  try {
    return await fn();
  } finally {
    await conn.query('SET SESSION foreign_key_checks = 1, @cutover_applier = NULL');
  }
}
