// PostgreSQL row access on a real database: key bounds, split points, keyset reads, reads by key and
// the idempotent writes, with composite, text and bytea keys, hostile identifiers, NULLs, binary,
// 4-byte unicode and numbers no JS number holds.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { postgresRowsEngine, type RowsEngine } from '../../src/dataplane/copy/rows-engine';
import { EngineInputError } from '../../src/engines/errors';
import { FULL_RANGE, type Key } from '../../src/engines/key-range';
import { createPool } from '../../src/engines/postgres/engine';
import * as pgRows from '../../src/engines/postgres/rows';
import { qualify, quoteIdent as q } from '../../src/engines/postgres/quote';
import { createPostgresDatabase, execPostgres, type TestDatabase } from '../helpers/databases';

const S = `we"ird 'sch' \\ ; -- 🚀`;
const T = 'x"; DROP TABLE y; --';
const ID = 'sel"ect';
const SUB = 'or der';
const VAL = 'va\\l;ue';
const COLUMNS = [ID, SUB, VAL, 'big', 'num', 'bin', 'flag', 'ts'];
const KEY = [ID, SUB];

let db: TestDatabase;
let pool: pg.Pool;
let rows: RowsEngine;

function row(i: number, j: number): unknown[] {
  return [
    i,
    `k${j}`,
    i % 7 === 0 ? null : `v${i}-${j} 🚀\t\n\\ '"`,
    (9223372036854775807n - BigInt(i)).toString(),
    `${'9'.repeat(30)}.${String(i).padStart(10, '0')}`,
    i % 5 === 0 ? null : Buffer.from([0, i % 256, 255, 10, 92]),
    i % 3 === 0,
    `2024-01-${String((i % 28) + 1).padStart(2, '0')} 12:00:00.123456+00`,
  ];
}

const all: unknown[][] = [];
for (let i = 1; i <= 300; i++) for (const j of [1, 2, 10]) all.push(row(i, j));
// key order: integer then text (C collation): k1 < k10 < k2
const sorted = [...all].sort((a, b) =>
  a[0] !== b[0] ? (a[0] as number) - (b[0] as number) : (a[1] as string) < (b[1] as string) ? -1 : 1,
);

before(async () => {
  db = await createPostgresDatabase('cutover_pgrows');
  await execPostgres(db.url, [
    `CREATE SCHEMA ${q(S)}`,
    `CREATE TABLE ${qualify(S, T)} (${q(ID)} integer, ${q(SUB)} text COLLATE "C", ${q(VAL)} text,
       big bigint, num numeric(40,10), bin bytea, flag boolean, ts timestamptz,
       PRIMARY KEY (${q(ID)}, ${q(SUB)}))`,
    `CREATE TABLE ${qualify(S, 'bk')} (k bytea PRIMARY KEY, v text)`,
    `CREATE TABLE ${qualify(S, 'tk')} (k text COLLATE "C" PRIMARY KEY, v integer)`,
  ]);
  pool = createPool(db.url);
  rows = postgresRowsEngine(pool);
  await rows.replaceRange(S, T, COLUMNS, KEY, FULL_RANGE, all);
});

after(async () => {
  await pool?.end();
  await db?.drop();
});

describe('postgres rows', () => {
  test('readRange returns wire-form values in key order, exactly as written', async () => {
    const got = await rows.readRange(S, T, COLUMNS, KEY, FULL_RANGE, 10_000);
    assert.equal(got.length, 900);
    assert.deepEqual(got, sorted);
    assert.equal(typeof got[0]![3], 'string');
    assert.ok(Buffer.isBuffer(got[0]![5]));
  });

  test('keyset pagination walks the whole table with no gap and no overlap', async () => {
    const seen: unknown[][] = [];
    let lower: Key | null = null;
    for (;;) {
      const page = await rows.readRange(S, T, COLUMNS, KEY, { lower, upper: null }, 97);
      if (!page.length) break;
      seen.push(...page);
      const last = page[page.length - 1]!;
      lower = [last[0], last[1]] as Key;
    }
    assert.deepEqual(seen, sorted);
    const bounded = await rows.readRange(S, T, COLUMNS, KEY, { lower: [5, 'k10'], upper: [6, 'k10'] }, 100);
    assert.deepEqual(
      bounded.map((r) => [r[0], r[1]]),
      [
        [5, 'k2'],
        [6, 'k1'],
        [6, 'k10'],
      ],
    );
  });

  test('keyBounds and splitPoints', async () => {
    const b = await rows.keyBounds(S, T, KEY);
    assert.deepEqual(b.min, [1, 'k1']);
    assert.deepEqual(b.max, [300, 'k2']);
    assert.equal(b.rowsEstimate, 900);
    const points = await rows.splitPoints(S, T, KEY, 4);
    assert.equal(points.length, 3);
    // slices of ~225 rows each
    let lower: Key | null = null;
    const sizes: number[] = [];
    for (const upper of [...points, null]) {
      sizes.push((await rows.readRange(S, T, [ID, SUB], KEY, { lower, upper }, 10_000)).length);
      lower = upper;
    }
    assert.equal(
      sizes.reduce((a, b) => a + b),
      900,
    );
    for (const s of sizes) assert.ok(s >= 200 && s <= 250, `slice of ${s} rows`);
    assert.deepEqual(await rows.splitPoints(S, T, KEY, 1), []);
    // the sampling path (big tables): a 100% sample here, so the same even split
    const sampled = await pgRows.splitPoints(pool, S, T, KEY, 4, { sampleAboveRows: 0, sampleRows: 1e6 });
    assert.equal(sampled.length, 3);
    const third = await pgRows.splitPoints(pool, S, T, KEY, 4, { sampleAboveRows: 0, sampleRows: 300 });
    assert.ok(third.length >= 1 && third.length <= 3);
    const many = await rows.splitPoints(S, T, KEY, 5000);
    assert.ok(many.length <= 900);
  });

  test('readByKeys returns the rows present, in key order', async () => {
    const got = await rows.readByKeys(S, T, COLUMNS, KEY, [
      [7, 'k2'],
      [3, 'k1'],
      [999, 'k1'],
    ]);
    assert.deepEqual(got, [row(3, 1), row(7, 2)]);
  });

  test('replaceRange replaces exactly its range, and a chunk applied twice changes nothing', async () => {
    const range = { lower: [10, 'k2'] as Key, upper: [20, 'k1'] as Key };
    const before = await rows.readRange(S, T, COLUMNS, KEY, range, 1000);
    const changed = before
      .filter((r) => r[0] !== 15)
      .map((r) => [...r.slice(0, 2), 'changed', ...r.slice(3)]);
    await rows.replaceRange(S, T, COLUMNS, KEY, range, changed);
    await rows.replaceRange(S, T, COLUMNS, KEY, range, changed);
    const after = await rows.readRange(S, T, COLUMNS, KEY, FULL_RANGE, 10_000);
    assert.equal(after.length, 900 - 3);
    assert.deepEqual(await rows.readRange(S, T, COLUMNS, KEY, range, 1000), changed);
    assert.deepEqual(
      after.filter((r) => (r[0] as number) < 10 || (r[0] as number) > 20),
      sorted.filter((r) => (r[0] as number) < 10 || (r[0] as number) > 20),
    );
    // restore
    await rows.replaceRange(S, T, COLUMNS, KEY, range, before);
    assert.deepEqual(await rows.readRange(S, T, COLUMNS, KEY, FULL_RANGE, 10_000), sorted);
  });

  test('replaceRange is all or nothing', async () => {
    const range = { lower: [30, 'k2'] as Key, upper: [31, 'k2'] as Key };
    const bad = [[31, 'k1', 'x', 'not a number', '1', null, true, null]];
    await assert.rejects(rows.replaceRange(S, T, COLUMNS, KEY, range, bad));
    assert.equal((await rows.readRange(S, T, COLUMNS, KEY, range, 100)).length, 3);
  });

  test('upsertRows and deleteRows converge by key', async () => {
    const fresh = [1000, 'new', null, '-9223372036854775808', '0.0000000001', Buffer.alloc(0), false, null];
    const update = [...row(1, 1).slice(0, 2), 'upserted', ...row(1, 1).slice(3)];
    assert.equal(await rows.upsertRows(S, T, COLUMNS, KEY, [fresh, update]), 2);
    assert.equal(await rows.upsertRows(S, T, COLUMNS, KEY, [fresh, update]), 2);
    assert.deepEqual(
      await rows.readByKeys(S, T, COLUMNS, KEY, [
        [1, 'k1'],
        [1000, 'new'],
      ]),
      [update, fresh],
    );
    assert.equal(
      await rows.deleteRows(S, T, KEY, [
        [1000, 'new'],
        [1001, 'absent'],
      ]),
      1,
    );
    await rows.upsertRows(S, T, COLUMNS, KEY, [row(1, 1)]);
    assert.deepEqual(await rows.readRange(S, T, COLUMNS, KEY, FULL_RANGE, 10_000), sorted);
  });

  test('bytea and text keys with awkward values', async () => {
    const bk = [[Buffer.from([0])], [Buffer.from([0, 0])], [Buffer.from([255])], [Buffer.from('a')]].map(
      (k, i) => [k[0], `v${i}`],
    );
    await rows.replaceRange(S, 'bk', ['k', 'v'], ['k'], FULL_RANGE, bk);
    const got = await rows.readRange(
      S,
      'bk',
      ['k', 'v'],
      ['k'],
      { lower: [Buffer.from([0])], upper: null },
      10,
    );
    assert.deepEqual(
      got.map((r) => (r[0] as Buffer).toString('hex')),
      ['0000', '61', 'ff'],
    );
    const tk = ['', ' ', 'a', 'a ', 'B', '𝄞', 'é', "it's", 'z\\'].map((k, i) => [k, i]);
    await rows.replaceRange(S, 'tk', ['k', 'v'], ['k'], FULL_RANGE, tk);
    const all = await rows.readRange(S, 'tk', ['k', 'v'], ['k'], FULL_RANGE, 100);
    assert.equal(all.length, tk.length);
    const after = await rows.readRange(S, 'tk', ['k', 'v'], ['k'], { lower: ['a'], upper: ['é'] }, 100);
    assert.deepEqual(
      after.map((r) => r[0]),
      ['a ', "it's", 'z\\', 'é'],
    );
    const points = await rows.splitPoints(S, 'tk', ['k'], 3);
    assert.equal(points.length, 2);
    assert.deepEqual(await rows.readByKeys(S, 'tk', ['k', 'v'], ['k'], [['𝄞'], ['']]), [
      ['', 0],
      ['𝄞', 5],
    ]);
  });

  test('raw access: nthKey, and ranges bounded by awkward bytea and text keys pass through COPY text', async () => {
    await execPostgres(db.url, [
      `CREATE TABLE ${qualify(S, 'bk2')} (k bytea PRIMARY KEY, v text)`,
      `CREATE TABLE ${qualify(S, 'tk2')} (k text COLLATE "C" PRIMARY KEY, v integer)`,
    ]);
    const raw = rows.raw!;
    const format = (await raw.format())!;
    assert.match(format, /^postgres-copy-text .*"DateStyle":"ISO, YMD"/);
    // bk in key order: 00, 0000, 61, ff
    assert.deepEqual(await raw.nthKey(S, 'bk', ['k'], FULL_RANGE, 2), [Buffer.from([0, 0])]);
    assert.deepEqual(await raw.nthKey(S, 'bk', ['k'], { lower: [Buffer.from([0, 0])], upper: null }, 2), [
      Buffer.from([255]),
    ]);
    assert.equal(await raw.nthKey(S, 'bk', ['k'], FULL_RANGE, 5), null);
    const bytes = { lower: [Buffer.from([0])], upper: [Buffer.from('a')] };
    const loaded = await raw.replaceRange(
      S,
      'bk2',
      ['k', 'v'],
      ['k'],
      bytes,
      () => raw.readRange(S, 'bk', ['k', 'v'], ['k'], bytes, format),
      format,
    );
    assert.equal(loaded.rows, 2);
    assert.deepEqual(await rows.readRange(S, 'bk2', ['k', 'v'], ['k'], FULL_RANGE, 10), [
      [Buffer.from([0, 0]), 'v1'],
      [Buffer.from('a'), 'v3'],
    ]);
    // text bounds holding a quote and a backslash become SQL literals in COPY (no parameters there)
    for (const range of [
      { lower: ['a'], upper: ["it's"] },
      { lower: ["it's"], upper: ['z\\'] },
    ])
      await raw.replaceRange(
        S,
        'tk2',
        ['k', 'v'],
        ['k'],
        range,
        () => raw.readRange(S, 'tk', ['k', 'v'], ['k'], range, format),
        format,
      );
    assert.deepEqual(
      (await rows.readRange(S, 'tk2', ['k', 'v'], ['k'], FULL_RANGE, 100)).map((r) => r[0]),
      ['a ', "it's", 'z\\'],
    );
    // a session whose format is not the one agreed refuses, and gives its session back
    for (let i = 0; i < 6; i++)
      await assert.rejects(
        () => raw.readRange(S, 'tk', ['k', 'v'], ['k'], FULL_RANGE, 'postgres-copy-text {}'),
        /format changed/,
      );
    assert.equal((await rows.readRange(S, 'tk', ['k', 'v'], ['k'], FULL_RANGE, 100)).length, 9);
  });

  test('bad requests are EngineInputErrors', async () => {
    await assert.rejects(rows.readRange(S, 'missing', ['k'], ['k'], FULL_RANGE, 1), EngineInputError);
    await assert.rejects(
      rows.readRange(S, T, COLUMNS, KEY, { lower: [1], upper: null }, 1),
      EngineInputError,
    );
    await assert.rejects(rows.readRange(S, T, ['nope'], KEY, FULL_RANGE, 1), EngineInputError);
    await assert.rejects(rows.replaceRange(S, T, [VAL], KEY, FULL_RANGE, []), EngineInputError);
  });
});
