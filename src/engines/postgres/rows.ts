// Row access for the copier, the validator and the change applier on PostgreSQL: key bounds, split
// points, keyset range reads, reads by key, and writes that are idempotent (a range replaced in one
// transaction, upserts and deletes by key). Values are in wire form (docs/DATAPLANE.md): the pool's
// exact result types read them, toPgText writes them. Identifiers are quoted, values are parameters.
import type { Pool, PoolClient } from 'pg';
import { EngineInputError } from '../errors';
import { checkKey, checkRange, keyPositions, type Key, type KeyRange } from '../key-range';
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

/** Insert the rows or, where the key exists, overwrite their other columns. Returns rows written. */
export async function upsertRows(
  pool: Pool,
  schema: string,
  table: string,
  columns: string[],
  key: string[],
  rows: readonly (readonly unknown[])[],
): Promise<number> {
  keyPositions(columns, key);
  if (!rows.length) return Promise.resolve(0);
  const nonKey = columns.filter((c) => !key.includes(c));
  const action = nonKey.length
    ? `DO UPDATE SET ${nonKey.map((c) => `${quoteIdent(c)} = EXCLUDED.${quoteIdent(c)}`).join(', ')}`
    : 'DO NOTHING';
  return run(schema, table, () =>
    inTransaction(pool, async (client) => {
      let written = 0;
      for (const batch of batches(rows, columns.length)) {
        const p = new Params();
        const tuples = batch.map((r) => `(${r.map((v) => p.add(v)).join(', ')})`);
        await client.query(
          `INSERT INTO ${qualify(schema, table)} (${columnList(columns)}) VALUES ${tuples.join(', ')} ON CONFLICT (${columnList(key)}) ${action}`,
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
  return run(schema, table, () =>
    inTransaction(pool, (client) => deleteKeys(client, schema, table, key, keys)),
  );
}
