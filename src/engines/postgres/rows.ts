// Row access for the copier, the validator and the change applier on PostgreSQL: key bounds, split
// points, keyset range reads, reads by key, and writes that are idempotent (a range replaced in one
// transaction, upserts and deletes by key). Values are in wire form (docs/DATAPLANE.md): the pool's
// exact result types read them, toPgText writes them. Identifiers are quoted, values are parameters.
import { pipeline } from 'node:stream/promises';
import pg, { type ClientBase, type Pool, type PoolClient } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { EngineInputError } from '../errors';
import { checkKey, checkRange, keyPositions, type Key, type KeyRange } from '../key-range';
import { memoPerPool } from '../pool-memo';
import type { RawChunk, RawRowAccess } from '../row-access';
import { copyIn, toPgText } from './copy-text';
import { qualify, quoteIdent } from './quote';

/** PostgreSQL's limit on bind parameters per statement. */
const MAX_PARAMS = 65535;
const MAX_ROWS_PER_STATEMENT = 1000;
export interface SplitOptions {
  /** Above this many rows (estimated) split points come from a sample instead of an index walk. */
  sampleAboveRows?: number;
  /** About how many keys the sample holds. */
  sampleRows?: number;
}

export interface KeyBounds {
  min: Key | null;
  max: Key | null;
  /** Planner estimate (exact count when the table was never analysed). */
  rowsEstimate: number;
}

export interface ReplaceOptions {
  /**
   * 'range' (default): delete every target row in the range, then load. 'keys': delete only the keys
   * of the rows loaded, for keys whose order differs between source and target (text keys across
   * collations), where the target's idea of the range is not the source's.
   */
  deleteBy?: 'range' | 'keys';
}

class Params {
  readonly values: (string | null)[] = [];
  add(v: unknown): string {
    this.values.push(toPgText(v));
    return `$${this.values.length}`;
  }
}

const columnList = (names: readonly string[]): string => names.map(quoteIdent).join(', ');

/** The WHERE condition for a range (lower exclusive, upper inclusive) as row comparisons. */
function rangeCondition(key: readonly string[], range: KeyRange, p: Params): string {
  const cols = `(${columnList(key)})`;
  const parts: string[] = [];
  if (range.lower) parts.push(`${cols} > (${range.lower.map((v) => p.add(v)).join(', ')})`);
  if (range.upper) parts.push(`${cols} <= (${range.upper.map((v) => p.add(v)).join(', ')})`);
  return parts.length ? parts.join(' AND ') : 'TRUE';
}

function keysCondition(key: readonly string[], keys: readonly Key[], p: Params): string {
  const tuples = keys.map((k) => `(${k.map((v) => p.add(v)).join(', ')})`);
  return `(${columnList(key)}) IN (${tuples.join(', ')})`;
}

function orderBy(key: readonly string[], desc = false): string {
  return key.map((k) => `${quoteIdent(k)}${desc ? ' DESC' : ''}`).join(', ');
}

function batches<T>(items: readonly T[], perItemParams: number): T[][] {
  const size = Math.max(
    1,
    Math.min(MAX_ROWS_PER_STATEMENT, Math.floor(MAX_PARAMS / Math.max(1, perItemParams))),
  );
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Missing schema or table (42P01, 3F000) and missing columns (42703) are requests no retry fixes. */
function inputErrors(err: unknown, schema: string, table: string): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === '42P01' || code === '3F000')
    return new EngineInputError(`PostgreSQL table ${qualify(schema, table)} does not exist`);
  if (code === '42703')
    return new EngineInputError(`PostgreSQL table ${qualify(schema, table)}: ${(err as Error).message}`);
  return err;
}

async function run<T>(schema: string, table: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw inputErrors(err, schema, table);
  }
}

async function queryArrays(pool: Pool | PoolClient, text: string, values: unknown[]): Promise<unknown[][]> {
  const { rows } = await pool.query<unknown[]>({ text, values, rowMode: 'array' });
  return rows;
}

export async function keyBounds(
  pool: Pool,
  schema: string,
  table: string,
  key: string[],
): Promise<KeyBounds> {
  checkRange({ lower: null, upper: null }, key);
  return run(schema, table, async () => {
    const t = qualify(schema, table);
    const cols = columnList(key);
    const [min] = await queryArrays(pool, `SELECT ${cols} FROM ${t} ORDER BY ${orderBy(key)} LIMIT 1`, []);
    const [max] = await queryArrays(
      pool,
      `SELECT ${cols} FROM ${t} ORDER BY ${orderBy(key, true)} LIMIT 1`,
      [],
    );
    return {
      min: (min as Key) ?? null,
      max: (max as Key) ?? null,
      rowsEstimate: await estimate(pool, schema, table),
    };
  });
}

async function estimate(pool: Pool, schema: string, table: string): Promise<number> {
  const { rows } = await pool.query<{ n: number | null }>(
    `SELECT c.reltuples::float8 AS n FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
      WHERE s.nspname = $1 AND c.relname = $2`,
    [schema, table],
  );
  const n = rows[0]?.n;
  if (n === undefined)
    throw new EngineInputError(`PostgreSQL table ${qualify(schema, table)} does not exist`);
  if (n !== null && n >= 0) return Math.round(n);
  // Never analysed (reltuples = -1): count, since such a table is usually new and small.
  const { rows: counted } = await pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM ${qualify(schema, table)}`,
  );
  return Number(counted[0]?.n ?? 0);
}

/**
 * Up to n-1 keys, ascending and distinct, that split the table into about n slices of similar row
 * counts. Small tables: an index walk (each point is `step` keys after the previous one). Big
 * tables: an ordered Bernoulli sample of the keys, every k-th sampled key.
 */
export async function splitPoints(
  pool: Pool,
  schema: string,
  table: string,
  key: string[],
  n: number,
  options: SplitOptions = {},
): Promise<Key[]> {
  if (!Number.isInteger(n) || n < 1)
    throw new EngineInputError(`slice count must be a positive integer, not ${n}`);
  checkRange({ lower: null, upper: null }, key);
  return run(schema, table, async () => {
    if (n === 1) return [];
    const rows = await estimate(pool, schema, table);
    const t = qualify(schema, table);
    const cols = columnList(key);
    if (rows > (options.sampleAboveRows ?? 2_000_000)) {
      const percent = Math.min(100, (100 * (options.sampleRows ?? 200_000)) / rows);
      const sample = await queryArrays(
        pool,
        `SELECT ${cols} FROM ${t} TABLESAMPLE BERNOULLI (${percent.toFixed(6)}) ORDER BY ${orderBy(key)}`,
        [],
      );
      const points: Key[] = [];
      for (let i = 1; i < n; i++) {
        const row = sample[Math.floor((i * sample.length) / n)];
        if (row && (!points.length || !sameKey(points[points.length - 1]!, row as Key)))
          points.push(row as Key);
      }
      return points;
    }
    const step = Math.max(1, Math.ceil(rows / n));
    const points: Key[] = [];
    let previous: Key | null = null;
    while (points.length < n - 1) {
      const p = new Params();
      const where = rangeCondition(key, { lower: previous, upper: null }, p);
      const [row] = await queryArrays(
        pool,
        `SELECT ${cols} FROM ${t} WHERE ${where} ORDER BY ${orderBy(key)} LIMIT 1 OFFSET ${step - 1}`,
        p.values,
      );
      if (!row) break;
      points.push(row as Key);
      previous = row as Key;
    }
    return points;
  });
}

function sameKey(a: Key, b: Key): boolean {
  return a.every((v, i) =>
    Buffer.isBuffer(v) ? Buffer.isBuffer(b[i]) && v.equals(b[i] as Buffer) : v === b[i],
  );
}

/** Up to `limit` rows of the range in key order (keyset pagination), as arrays of wire values. */
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
  return run(schema, table, () => {
    const p = new Params();
    const where = rangeCondition(key, range, p);
    return queryArrays(
      pool,
      `SELECT ${columnList(columns)} FROM ${qualify(schema, table)} WHERE ${where} ORDER BY ${orderBy(key)} LIMIT ${limit}`,
      p.values,
    );
  });
}

/** The rows that exist for the given keys, in key order; missing keys are simply absent. */
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
  return run(schema, table, async () => {
    const out: unknown[][] = [];
    for (const batch of batches(keys, key.length)) {
      const p = new Params();
      out.push(
        ...(await queryArrays(
          pool,
          `SELECT ${columnList(columns)} FROM ${qualify(schema, table)} WHERE ${keysCondition(key, batch, p)} ORDER BY ${orderBy(key)}`,
          p.values,
        )),
      );
    }
    return out;
  });
}

async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw err;
  } finally {
    client.release(broken);
  }
}

async function deleteKeys(
  client: PoolClient,
  schema: string,
  table: string,
  key: string[],
  keys: Key[],
): Promise<number> {
  let deleted = 0;
  for (const batch of batches(keys, key.length)) {
    const p = new Params();
    const r = await client.query(
      `DELETE FROM ${qualify(schema, table)} WHERE ${keysCondition(key, batch, p)}`,
      p.values,
    );
    deleted += r.rowCount ?? 0;
  }
  return deleted;
}

/**
 * Make the range on the target hold exactly `rows`, in one transaction: delete the range (or the
 * rows' keys, see ReplaceOptions), then COPY the rows in. Applying the same chunk twice, or after a
 * crash half-way, leaves the same result: no duplicate, no gap. Returns the rows loaded.
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
  return run(schema, table, () =>
    inTransaction(pool, async (client) => {
      if (options.deleteBy === 'keys') {
        await deleteKeys(
          client,
          schema,
          table,
          key,
          rows.map((r) => positions.map((i) => r[i]) as Key),
        );
      } else {
        const p = new Params();
        await client.query(
          `DELETE FROM ${qualify(schema, table)} WHERE ${rangeCondition(key, range, p)}`,
          p.values,
        );
      }
      if (!rows.length) return 0;
      return copyIn(client, qualify(schema, table), columns, rows);
    }),
  );
}

/** The table's GENERATED ALWAYS identity columns, read once per pool: every applier batch upserts. */
const alwaysIdentities = memoPerPool<Pool, Set<string>>();

function alwaysIdentityColumns(
  pool: Pool,
  client: PoolClient,
  schema: string,
  table: string,
): Promise<Set<string>> {
  return alwaysIdentities(pool, JSON.stringify([schema, table]), () =>
    readAlwaysIdentityColumns(client, schema, table),
  );
}

async function readAlwaysIdentityColumns(
  client: PoolClient,
  schema: string,
  table: string,
): Promise<Set<string>> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT a.attname AS name FROM pg_catalog.pg_attribute a
       JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
        AND a.attidentity = 'a'`,
    [schema, table],
  );
  return new Set(rows.map((r) => r.name));
}

/** Insert the rows or, where the key exists, overwrite their other columns. Returns rows written. */
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
  return run(schema, table, () =>
    inTransaction(pool, async (client) => {
      await withoutTriggers(pool, client);
      // A GENERATED ALWAYS identity column outside the key can only be updated to DEFAULT, so the
      // upsert cannot set it: a row whose value differs on the target (the source deleted and
      // inserted the key again, or set it to DEFAULT) is deleted and inserted again instead. Its
      // children stay: this transaction does not check foreign keys (withoutTriggers), unless the
      // role may not skip them (docs/DATAPLANE.md, known limits).
      const always = await alwaysIdentityColumns(pool, client, schema, table);
      const fixed = columns.filter((c) => always.has(c) && !key.includes(c));
      const fixedPositions = fixed.map((c) => columns.indexOf(c));
      const updated = columns.filter((c) => !key.includes(c) && !always.has(c));
      const action = updated.length
        ? `DO UPDATE SET ${updated.map((c) => `${quoteIdent(c)} = EXCLUDED.${quoteIdent(c)}`).join(', ')}`
        : 'DO NOTHING';
      let written = 0;
      for (const batch of batches(rows, columns.length)) {
        if (fixed.length) {
          // Identity columns are NOT NULL, so NOT IN compares them like IS DISTINCT FROM would.
          const p = new Params();
          const keyed = batch.map((r) => {
            const k = positions.map((i) => p.add(r[i]));
            return { k, all: [...k, ...fixedPositions.map((i) => p.add(r[i]))] };
          });
          await client.query(
            `DELETE FROM ${qualify(schema, table)}
              WHERE (${columnList(key)}) IN (${keyed.map((x) => `(${x.k.join(', ')})`).join(', ')})
                AND (${columnList([...key, ...fixed])}) NOT IN (${keyed.map((x) => `(${x.all.join(', ')})`).join(', ')})`,
            p.values,
          );
        }
        const p = new Params();
        const tuples = batch.map((r) => `(${r.map((v) => p.add(v)).join(', ')})`);
        // The source's values, identity columns too: a GENERATED ALWAYS identity rejects explicit
        // values (428C9) without OVERRIDING SYSTEM VALUE, which changes nothing for other tables.
        // (COPY, the copier's path, always writes identity values as given.)
        await client.query(
          `INSERT INTO ${qualify(schema, table)} (${columnList(columns)}) OVERRIDING SYSTEM VALUE VALUES ${tuples.join(', ')} ON CONFLICT (${columnList(key)}) ${action}`,
          p.values,
        );
        written += batch.length;
      }
      return written;
    }),
  );
}

/** Delete the rows with these keys (absent keys are fine). Returns the rows deleted. */
export async function deleteRows(
  pool: Pool,
  schema: string,
  table: string,
  key: string[],
  keys: Key[],
): Promise<number> {
  for (const k of keys) checkKey(k, key);
  if (!keys.length) return Promise.resolve(0);
  return run(schema, table, async () =>
    inTransaction(pool, async (client) => {
      await withoutTriggers(pool, client);
      return deleteKeys(client, schema, table, key, keys);
    }),
  );
}

/** Whether this pool's role may set session_replication_role (superuser, or GRANT SET on it). */
const replicaRoleAllowed = new WeakMap<Pool, Promise<boolean>>();

/**
 * The change applier writes rows by key in changelog order, not in the source's transaction order:
 * a child may arrive before its parent, or a parent be replaced while its children stay. Foreign
 * keys (system triggers) are therefore not checked in its transactions, as in PostgreSQL's own
 * logical replication: the source enforced them, and the drain under the fence plus validation
 * prove the result. cutover's capture and fence triggers are ENABLE ALWAYS and still fire. Without
 * the right to set it, the keys stay enforced (and a violation says what to grant).
 */
async function withoutTriggers(pool: Pool, client: PoolClient): Promise<void> {
  let allowed = replicaRoleAllowed.get(pool);
  if (!allowed) {
    allowed = client
      .query<{ ok: boolean }>(
        `SELECT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user)
             OR (current_setting('server_version_num')::int >= 150000
                 AND has_parameter_privilege('session_replication_role', 'SET')) AS ok`,
      )
      .then((r) => r.rows[0]?.ok === true);
    replicaRoleAllowed.set(pool, allowed);
  }
  // Past a write fence too (the fence function lets this session through): see fence.ts.
  await client.query(`SET LOCAL cutover.applier = 'on'`);
  if (await allowed) await client.query(`SET LOCAL session_replication_role = replica`);
}

// ---------------------------------------------------------------------------------------------
// Passthrough (RawRowAccess): COPY text from one PostgreSQL session straight into another, never
// parsed in Node. The text a session prints for a value depends on session settings; both sides
// must have the same ones (checked per session, see sessionFormat), and then a value printed by the
// source parses back as the same value on a target column of the same type (what pg_dump relies on).

/** The settings that shape COPY text output and input, in a fixed order. */
const FORMAT_SETTINGS = [
  'server_encoding',
  'client_encoding',
  'DateStyle',
  'IntervalStyle',
  'extra_float_digits',
  'bytea_output',
  'TimeZone',
  'lc_monetary',
] as const;

/** The (mapped) error a raw chunk's source failed with, for the target to report instead of its own. */
const sourceErrors = new WeakMap<object, unknown>();

/** Per session (pool clients are reused per connection): its format, read once. */
const sessionFormats = new WeakMap<ClientBase, Promise<string | null>>();

async function readSessionFormat(client: ClientBase): Promise<string | null> {
  const { rows } = await client.query<string[]>({
    text: `SELECT ${FORMAT_SETTINGS.map((n) => `current_setting('${n}')`).join(', ')}`,
    rowMode: 'array',
  });
  const values = rows[0] ?? [];
  const setting = Object.fromEntries(FORMAT_SETTINGS.map((n, i) => [n, String(values[i])]));
  // UTF8 on the wire, a server encoding that validates text (SQL_ASCII stores any byte), and floats
  // printed exactly (3: shortest exact text on 12+, 17 digits before) — else no passthrough.
  if (
    setting.client_encoding !== 'UTF8' ||
    setting.server_encoding === 'SQL_ASCII' ||
    setting.extra_float_digits !== '3'
  )
    return null;
  return `postgres-copy-text ${JSON.stringify(setting)}`;
}

function sessionFormat(client: ClientBase): Promise<string | null> {
  let format = sessionFormats.get(client);
  if (!format) {
    format = readSessionFormat(client);
    sessionFormats.set(client, format);
    format.catch(() => sessionFormats.delete(client));
  }
  return format;
}

async function checkFormat(client: ClientBase, format: string): Promise<void> {
  const actual = await sessionFormat(client);
  if (actual !== format)
    throw new Error(
      `a PostgreSQL session's COPY text format changed during the copy (${actual ?? 'no passthrough'}, expected ${format}): rows cannot pass through unparsed`,
    );
}

/**
 * A range condition with the bounds as SQL literals: COPY (query) takes no bind parameters. Each
 * bound value is the same text a parameter would carry (toPgText), quoted by the driver's
 * escapeLiteral, an untyped literal resolved against its key column like an untyped parameter.
 */
function literalRangeCondition(key: readonly string[], range: KeyRange): string {
  const literal = (v: unknown): string => {
    const text = toPgText(v);
    if (text === null) throw new EngineInputError('a key holds a NULL: key columns are NOT NULL');
    if (text.includes('\0')) throw new EngineInputError('a key value holds a NUL character');
    return pg.escapeLiteral(text);
  };
  const cols = `(${columnList(key)})`;
  const parts: string[] = [];
  if (range.lower) parts.push(`${cols} > (${range.lower.map(literal).join(', ')})`);
  if (range.upper) parts.push(`${cols} <= (${range.upper.map(literal).join(', ')})`);
  return parts.length ? parts.join(' AND ') : 'TRUE';
}

/** The COPY text format of the pool's sessions (one session asked; every read or write checks its own). */
export async function copyFormat(pool: Pool): Promise<string | null> {
  const client = await pool.connect();
  try {
    return await sessionFormat(client);
  } finally {
    client.release();
  }
}

/** The key of the n-th row of the range in key order, or null when it holds fewer than n rows. */
export async function nthKey(
  pool: Pool,
  schema: string,
  table: string,
  key: string[],
  range: KeyRange,
  n: number,
): Promise<Key | null> {
  checkRange(range, key);
  if (!Number.isInteger(n) || n < 1)
    throw new EngineInputError(`row count must be a positive integer, not ${n}`);
  return run(schema, table, async () => {
    const p = new Params();
    const where = rangeCondition(key, range, p);
    const [row] = await queryArrays(
      pool,
      `SELECT ${columnList(key)} FROM ${qualify(schema, table)} WHERE ${where} ORDER BY ${orderBy(key)} LIMIT 1 OFFSET ${n - 1}`,
      p.values,
    );
    return (row as Key | undefined) ?? null;
  });
}

/**
 * Start `COPY (SELECT columns FROM table WHERE range ORDER BY key) TO STDOUT` on a session of its
 * own: one statement, so the chunk is one consistent snapshot. The session goes back to the pool
 * when the COPY has completed, or is closed when the chunk is destroyed or fails.
 */
export async function readRangeCopy(
  pool: Pool,
  schema: string,
  table: string,
  columns: string[],
  key: string[],
  range: KeyRange,
  format: string,
): Promise<RawChunk> {
  checkRange(range, key);
  if (!columns.length) throw new EngineInputError('readRange needs at least one column');
  const client = await pool.connect();
  let released = false;
  const release = (err?: Error) => {
    if (released) return;
    released = true;
    client.release(err);
  };
  try {
    await checkFormat(client, format);
  } catch (err) {
    release();
    throw err;
  }
  const stream = client.query(
    copyTo(
      `COPY (SELECT ${columnList(columns)} FROM ${qualify(schema, table)} WHERE ${literalRangeCondition(key, range)} ORDER BY ${orderBy(key)}) TO STDOUT`,
    ),
  );
  let fail: (err: unknown) => void = () => undefined;
  const rows = new Promise<number>((resolve, reject) => {
    fail = reject;
    stream.on('error', (err) => {
      // A failed or destroyed COPY leaves the session in no known state: close it.
      release(err);
      const mapped = inputErrors(err, schema, table);
      sourceErrors.set(stream, mapped);
      reject(mapped);
    });
    // The driver calls this once the server is ready for the next query: the COPY has completed
    // and its row count (CommandComplete) is known. (After an error it is called too: ignored.)
    (stream as unknown as { handleReadyForQuery: () => void }).handleReadyForQuery = () => {
      if (released) return;
      release();
      resolve(stream.rowCount);
    };
  });
  rows.catch(() => undefined);
  return {
    stream,
    rows,
    destroy(err?: Error) {
      if (released) return;
      const why = err ?? new Error('the chunk read was stopped');
      stream.destroy();
      release(why);
      fail(why);
    },
  };
}

/**
 * Delete the range and load a raw chunk from another PostgreSQL into it, in one transaction (see
 * replaceRange). The chunk's bytes go from the source's socket to this one without being parsed;
 * the row counts of both COPY commands must agree. Returns rows loaded and bytes streamed.
 */
export async function replaceRangeFromCopy(
  pool: Pool,
  schema: string,
  table: string,
  columns: string[],
  key: string[],
  range: KeyRange,
  openChunk: () => Promise<RawChunk>,
  format: string,
): Promise<{ rows: number; bytes: number }> {
  // The source session is opened only once this transaction holds its target session (target
  // first, then source, always): a source session streaming a chunk always has a target that reads
  // it, so slices waiting on either pool can never hold each other up, whatever the concurrency.
  let chunk: Promise<RawChunk> | null = null;
  // Whatever happens here, the chunk's source session is either read to the end or closed.
  const abandon = async (err: unknown) =>
    chunk?.then(
      (c) => c.destroy(err instanceof Error ? err : new Error(String(err))),
      () => undefined,
    );
  try {
    checkRange(range, key);
    keyPositions(columns, key);
    return await run(schema, table, () =>
      inTransaction(pool, async (client) => {
        await checkFormat(client, format);
        // The source starts its COPY while the range is deleted here.
        chunk = openChunk();
        chunk.catch(() => undefined);
        const p = new Params();
        await client.query(
          `DELETE FROM ${qualify(schema, table)} WHERE ${rangeCondition(key, range, p)}`,
          p.values,
        );
        const source = await chunk;
        let bytes = 0;
        source.stream.on('data', (b: Buffer) => (bytes += b.length));
        const into = client.query(
          copyFrom(`COPY ${qualify(schema, table)} (${columnList(columns)}) FROM STDIN`),
        );
        try {
          await pipeline(source.stream, into);
        } catch (err) {
          // A source failure surfaces here as the stream's error: report it as the source's (a
          // missing source table must not read as a missing target table).
          const fromSource = sourceErrors.get(source.stream);
          if (fromSource instanceof EngineInputError) throw fromSource;
          throw err;
        }
        const sent = await source.rows;
        if (sent !== into.rowCount)
          throw new Error(
            `COPY passthrough into ${qualify(schema, table)}: the source sent ${sent} rows, the target loaded ${into.rowCount}`,
          );
        return { rows: into.rowCount, bytes };
      }),
    );
  } catch (err) {
    await abandon(err);
    throw err;
  }
}

/** RawRowAccess on a pool: the engine's rows() exposes it as `raw`. */
export function rawAccess(pool: Pool): RawRowAccess {
  return {
    format: () => copyFormat(pool),
    nthKey: (s, t, k, r, n) => nthKey(pool, s, t, k, r, n),
    readRange: (s, t, c, k, r, f) => readRangeCopy(pool, s, t, c, k, r, f),
    replaceRange: (s, t, c, k, r, chunk, f) => replaceRangeFromCopy(pool, s, t, c, k, r, chunk, f),
  };
}
