// The copier, PostgreSQL -> PostgreSQL, on real databases: 20 000 rows with a composite (integer,
// text) key and awkward values (int8 extremes, 1000-digit numerics, NaN and infinities, bytea with
// every byte, 4-byte unicode, arrays, jsonb, intervals, uuid, NULLs), then a text-only key. Each
// target table is created by hand; rows are compared as the server prints whole rows (t::text).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { copyTable, type CopyCheckpoint } from '../../src/dataplane/copy/copier';
import { openRowsEngine, type RowsEngine } from '../../src/dataplane/copy/rows-engine';
import { createPostgresDatabase, execPostgres, type TestDatabase } from '../helpers/databases';

const ROWS = 20_000;
const SCHEMA = 'sch "ë" 🚀';
const TABLE = 'big; DROP TABLE x';
const DDL = `(g integer, name text, i8 bigint, n numeric, r real, d double precision, b bytea, f boolean,
  ts timestamptz, dt date, iv interval, j jsonb, a text[], u uuid, v varchar(50), PRIMARY KEY (g, name))`;
const COLUMNS = ['g', 'name', 'i8', 'n', 'r', 'd', 'b', 'f', 'ts', 'dt', 'iv', 'j', 'a', 'u', 'v'];
const q = (s: string) => `"${s.replaceAll('"', '""')}"`;
const T = `${q(SCHEMA)}.${q(TABLE)}`;

let src: TestDatabase;
let dst: TestDatabase;
let source: RowsEngine;
let target: RowsEngine;

before(async () => {
  [src, dst] = await Promise.all([
    createPostgresDatabase('cutover_cpp'),
    createPostgresDatabase('cutover_cpp'),
  ]);
  const setup = [
    `CREATE SCHEMA ${q(SCHEMA)}`,
    `CREATE TABLE ${T} ${DDL}`,
    `CREATE TABLE ${q(SCHEMA)}.tk (k text PRIMARY KEY, v integer)`,
  ];
  await Promise.all([execPostgres(src.url, setup), execPostgres(dst.url, setup)]);
  await execPostgres(src.url, [
    `INSERT INTO ${T}
     SELECT s % 1000, 'n' || (s / 1000) || CASE WHEN s % 3 = 0 THEN ' 🚀' WHEN s % 3 = 1 THEN 'é\t\\' ELSE '' END,
       CASE s % 4 WHEN 0 THEN 9223372036854775807 WHEN 1 THEN -9223372036854775808 ELSE s END,
       CASE s % 5 WHEN 0 THEN 'NaN'::numeric WHEN 1 THEN (repeat('9', 500) || '.' || repeat('1', 500))::numeric
         WHEN 2 THEN NULL ELSE -s / 7.0 END,
       CASE s % 6 WHEN 0 THEN 'NaN'::real WHEN 1 THEN '-Infinity'::real ELSE s / 3.0 END,
       CASE s % 7 WHEN 0 THEN 'Infinity' WHEN 1 THEN 5e-324 ELSE s / 3.0 END,
       CASE WHEN s % 9 = 0 THEN NULL ELSE decode(lpad(to_hex(s % 256), 2, '0') || '005c0a0d09ff', 'hex') END,
       CASE s % 3 WHEN 0 THEN true WHEN 1 THEN false END,
       CASE WHEN s % 10 = 0 THEN 'infinity'::timestamptz ELSE '2024-01-01 00:00:00.123456+05:30'::timestamptz + s * interval '1 hour' END,
       CASE WHEN s % 11 = 0 THEN '0044-03-15 BC'::date ELSE '2000-01-01'::date + s END,
       make_interval(months => s % 13, days => s % 31, secs => s / 1000.0),
       jsonb_build_object('s', s, 'u', '𝄞 "\\', 'a', jsonb_build_array(1.5, null, true)),
       CASE WHEN s % 8 = 0 THEN NULL ELSE ARRAY['a,b', NULL, '"', '🚀', ''] END,
       md5(s::text)::uuid,
       CASE WHEN s % 12 = 0 THEN NULL ELSE 'v' || s END
     FROM generate_series(1, ${ROWS}) AS s`,
    `ANALYZE ${T}`,
    `INSERT INTO ${q(SCHEMA)}.tk SELECT (ARRAY['', ' ', 'a', 'A', 'b', 'é', '𝄞', 'z'])[1 + s % 8] || s, s
       FROM generate_series(1, 3000) AS s`,
  ]);
  source = openRowsEngine('postgres', src.url);
  target = openRowsEngine('postgres', dst.url);
});

after(async () => {
  await source?.close();
  await target?.close();
  await Promise.all([src?.drop(), dst?.drop()]);
});

async function rowsAsText(url: string, table: string, order: string): Promise<string[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`SET TIME ZONE 'UTC'`);
    const { rows } = await c.query<{ t: string }>(`SELECT t::text AS t FROM ${table} AS t ORDER BY ${order}`);
    return rows.map((r) => r.t);
  } finally {
    await c.end();
  }
}

const options = () => ({
  source,
  target,
  sourceSchema: SCHEMA,
  sourceTable: TABLE,
  targetSchema: SCHEMA,
  targetTable: TABLE,
  columns: COLUMNS,
  key: ['g', 'name'],
  split: { rowsPerSlice: 4000 },
  concurrency: 3,
  chunk: { initial: 500, min: 50, max: 3000 },
});

describe('copy PostgreSQL -> PostgreSQL', () => {
  test('composite key: aborted, resumed, equal row for row; a second copy changes nothing', async () => {
    const ac = new AbortController();
    let saved: CopyCheckpoint | null = null;
    let n = 0;
    await assert.rejects(
      copyTable({
        ...options(),
        signal: ac.signal,
        onProgress: (p) => {
          if (++n === 5) {
            saved = p.checkpoint;
            ac.abort(new Error('cancelled by the test'));
          }
        },
      }),
      /cancelled by the test/,
    );
    const checkpoint = JSON.parse(JSON.stringify(saved)) as CopyCheckpoint;
    assert.equal(checkpoint.slices.length, 5);
    assert.ok(checkpoint.slices.some((s) => s.lastKey !== null && !s.done));

    // Source changes in ranges not copied yet reach the target through the resumed copy.
    await execPostgres(src.url, [
      `DELETE FROM ${T} WHERE g = 999`,
      `UPDATE ${T} SET v = 'updated' WHERE g = 998`,
    ]);
    const result = await copyTable({ ...options(), checkpoint });
    assert.ok(result.checkpoint.slices.every((s) => s.done));
    const expected = await rowsAsText(src.url, T, 't.g, t.name');
    assert.equal(expected.length, ROWS - 20);
    assert.deepEqual(await rowsAsText(dst.url, T, 't.g, t.name'), expected);

    const again = await copyTable({ ...options(), checkpoint: null });
    assert.equal(again.rows, ROWS - 20);
    assert.deepEqual(await rowsAsText(dst.url, T, 't.g, t.name'), expected);
  });

  test('a chunk applied twice changes nothing', async () => {
    const range = { lower: [10, 'n3'], upper: [12, 'n9'] };
    const chunk = await source.readRange(SCHEMA, TABLE, COLUMNS, ['g', 'name'], range, 10_000);
    assert.ok(chunk.length > 20);
    await target.replaceRange(SCHEMA, TABLE, COLUMNS, ['g', 'name'], range, chunk);
    await target.replaceRange(SCHEMA, TABLE, COLUMNS, ['g', 'name'], range, chunk);
    assert.deepEqual(
      await rowsAsText(dst.url, T, 't.g, t.name'),
      await rowsAsText(src.url, T, 't.g, t.name'),
    );
  });

  test('text key, in the source collation order, by range and by keys', async () => {
    const tk = `${q(SCHEMA)}.tk`;
    for (const deleteBy of ['range', 'keys'] as const) {
      await execPostgres(dst.url, [`TRUNCATE ${tk}`, `INSERT INTO ${tk} VALUES ('stale', 0)`]);
      const result = await copyTable({
        ...options(),
        sourceTable: 'tk',
        targetTable: 'tk',
        columns: ['k', 'v'],
        key: ['k'],
        split: { rowsPerSlice: 700 },
        chunk: { initial: 120, min: 50, max: 500 },
        deleteBy,
      });
      assert.equal(result.rows, 3000);
      assert.equal(result.checkpoint.slices.length, 5);
      const expected = await rowsAsText(src.url, tk, 't.k');
      const got = await rowsAsText(dst.url, tk, 't.k');
      // by range, the stale row is gone; by keys it stays (only copied keys are replaced)
      assert.deepEqual(
        got.filter((r) => r !== '(stale,0)'),
        expected,
      );
      assert.equal(got.includes('(stale,0)'), deleteBy === 'keys');
    }
  });
});
