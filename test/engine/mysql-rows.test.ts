// MySQL/MariaDB row access on a real server: key bounds, split points, keyset reads, reads by key and
// the idempotent writes, with composite, text, binary and BIGINT UNSIGNED keys (compared exactly, not
// as doubles), hostile identifiers, NULLs, blobs, 4-byte unicode, DECIMAL(65,30) and zero dates.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type mysql from 'mysql2/promise';
import { mysqlRowsEngine, type RowsEngine } from '../../src/dataplane/copy/rows-engine';
import { EngineInputError } from '../../src/engines/errors';
import { FULL_RANGE, type Key } from '../../src/engines/key-range';
import { createPool } from '../../src/engines/mysql/engine';
import { qualify, quoteIdent as q } from '../../src/engines/mysql/quote';
import { createMysqlDatabase, execMysql, type TestDatabase } from '../helpers/databases';

const T = 'x`; DROP TABLE y; -- é';
const ID = 'sel`ect';
const SUB = 'or der';
const VAL = "va\\l'ue";
const COLUMNS = [ID, SUB, VAL, 'big', 'num', 'bin', 'flag', 'ts', 'd', 'j'];
const KEY = [ID, SUB];

let db: TestDatabase;
let S: string;
let pool: mysql.Pool;
let rows: RowsEngine;

function row(i: number, j: number): unknown[] {
  return [
    i,
    `k${j}`,
    i % 7 === 0 ? null : `v${i}-${j} 🚀\t\n\\ '"`,
    (18446744073709551615n - BigInt(i)).toString(),
    `${'9'.repeat(35)}.${String(i).padStart(30, '0')}`,
    i % 5 === 0 ? null : Buffer.from([0, i % 256, 255, 10, 92]),
    i % 3,
    `2024-01-${String((i % 28) + 1).padStart(2, '0')} 12:00:00.123456`,
    i % 11 === 0 ? '0000-00-00' : '2024-02-29',
    `{"b": 1, "a": [${i}, "🚀"]}`,
  ];
}

const all: unknown[][] = [];
for (let i = 1; i <= 300; i++) for (const j of [1, 2, 10]) all.push(row(i, j));
const sorted = [...all].sort((a, b) =>
  a[0] !== b[0] ? (a[0] as number) - (b[0] as number) : (a[1] as string) < (b[1] as string) ? -1 : 1,
);

before(async () => {
  db = await createMysqlDatabase('cutover_myrows');
  S = db.name;
  await execMysql(db.url, [
    `CREATE TABLE ${qualify(S, T)} (${q(ID)} int, ${q(SUB)} varchar(20) COLLATE utf8mb4_bin, ${q(VAL)} text,
       big bigint unsigned, num decimal(65,30), bin blob, flag tinyint(1), ts datetime(6), d date, j longtext,
       PRIMARY KEY (${q(ID)}, ${q(SUB)})) CHARACTER SET utf8mb4`,
    `CREATE TABLE ${qualify(S, 'fl')} (k int PRIMARY KEY, f float, d double)`,
    `INSERT INTO ${qualify(S, 'fl')} VALUES (1, 1/3, 1/3), (2, 16777217, 5e-324), (3, -3.4028234e38, 0.1)`,
    `CREATE TABLE ${qualify(S, 'uk')} (k bigint unsigned PRIMARY KEY, v int)`,
    `CREATE TABLE ${qualify(S, 'bk')} (k varbinary(10) PRIMARY KEY, v text)`,
    `CREATE TABLE ${qualify(S, 'geo')} (k int PRIMARY KEY, p point, g geometry)`,
    `INSERT INTO ${qualify(S, 'geo')} VALUES (1, ST_GeomFromText('POINT(1.5 -2)'), NULL)`,
    `CREATE TABLE ${qualify(S, 'tk')} (k varchar(20) COLLATE utf8mb4_general_ci PRIMARY KEY, v int) CHARACTER SET utf8mb4`,
  ]);
  pool = createPool(db.url);
  rows = mysqlRowsEngine(pool);
  await rows.replaceRange(S, T, COLUMNS, KEY, FULL_RANGE, all);
});

after(async () => {
  await pool?.end();
  await db?.drop();
});

describe('mysql rows', () => {
  test('readRange returns wire-form values in key order, exactly as written', async () => {
    const got = await rows.readRange(S, T, COLUMNS, KEY, FULL_RANGE, 10_000);
    assert.equal(got.length, 900);
    assert.deepEqual(got, sorted);
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
  });

  test('BIGINT UNSIGNED keys near 2^64 compare exactly, not as doubles', async () => {
    const keys = [
      '18446744073709551615',
      '18446744073709551614',
      '18446744073709551613',
      '9007199254740993',
      '0',
    ];
    await rows.replaceRange(
      S,
      'uk',
      ['k', 'v'],
      ['k'],
      FULL_RANGE,
      keys.map((k, i) => [k, i]),
    );
    const got = await rows.readRange(
      S,
      'uk',
      ['k', 'v'],
      ['k'],
      { lower: ['18446744073709551613'], upper: null },
      10,
    );
    assert.deepEqual(got, [
      ['18446744073709551614', 1],
      ['18446744073709551615', 0],
    ]);
    assert.deepEqual(await rows.readByKeys(S, 'uk', ['k', 'v'], ['k'], [['18446744073709551614']]), [
      ['18446744073709551614', 1],
    ]);
    // replacing (..13, ..14] touches ..14 only
    await rows.replaceRange(
      S,
      'uk',
      ['k', 'v'],
      ['k'],
      { lower: ['18446744073709551613'], upper: ['18446744073709551614'] },
      [],
    );
    assert.equal((await rows.readRange(S, 'uk', ['k'], ['k'], FULL_RANGE, 10)).length, 4);
    assert.equal(await rows.deleteRows(S, 'uk', ['k'], [['9007199254740992']]), 0);
    assert.equal(await rows.deleteRows(S, 'uk', ['k'], [['9007199254740993']]), 1);
    const points = await rows.splitPoints(S, 'uk', ['k'], 3);
    assert.deepEqual(points, [['0'], ['18446744073709551613']]);
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
    await rows.replaceRange(S, T, COLUMNS, KEY, range, before);
    assert.deepEqual(await rows.readRange(S, T, COLUMNS, KEY, FULL_RANGE, 10_000), sorted);
  });

  test('replaceRange is all or nothing', async () => {
    const range = { lower: [30, 'k2'] as Key, upper: [31, 'k2'] as Key };
    const good = row(31, 1);
    const dup = [good, good];
    await assert.rejects(rows.replaceRange(S, T, COLUMNS, KEY, range, dup));
    assert.equal((await rows.readRange(S, T, COLUMNS, KEY, range, 100)).length, 3);
  });

  test('upsertRows and deleteRows converge by key', async () => {
    const fresh = [
      1000,
      'new',
      null,
      '0',
      '-0.000000000000000000000000000001',
      Buffer.alloc(0),
      2,
      null,
      null,
      null,
    ];
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

  test('binary and case-insensitive text keys', async () => {
    const bk = [Buffer.from([0]), Buffer.from([0, 0]), Buffer.from([255]), Buffer.from('a')].map((k, i) => [
      k,
      `v${i}`,
    ]);
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
    const tk = ['', 'a', 'B', 'c', '𝄞', 'é', "it's", 'z\\'].map((k, i) => [k, i]);
    await rows.replaceRange(S, 'tk', ['k', 'v'], ['k'], FULL_RANGE, tk);
    // the server's order (general_ci): '' < a < B < c < é(=e) < it's < z\ < 𝄞 (weight 0xFFFD)
    const ordered = await rows.readRange(S, 'tk', ['k'], ['k'], FULL_RANGE, 100);
    const keys = ordered.map((r) => r[0]);
    assert.equal(keys.length, tk.length);
    const after = await rows.readRange(S, 'tk', ['k'], ['k'], { lower: ['A'], upper: ['C'] }, 100);
    assert.deepEqual(
      after.map((r) => r[0]),
      ['B', 'c'],
    );
    // pagination by the server's order sees every key once
    const seen: unknown[] = [];
    let lower: Key | null = null;
    for (;;) {
      const page = await rows.readRange(S, 'tk', ['k'], ['k'], { lower, upper: null }, 3);
      if (!page.length) break;
      seen.push(...page.map((r) => r[0]));
      lower = page[page.length - 1] as Key;
    }
    assert.deepEqual(seen, keys);
  });

  test('FLOAT reads as its exact stored value, not the 6 digits the server prints', async () => {
    const got = await rows.readRange(S, 'fl', ['k', 'f', 'd'], ['k'], FULL_RANGE, 10);
    assert.deepEqual(got, [
      [1, Math.fround(1 / 3), 0.333333333],
      [2, 16777216, 5e-324],
      [3, Math.fround(-3.4028234e38), 0.1],
    ]);
    await rows.replaceRange(S, 'fl', ['k', 'f', 'd'], ['k'], FULL_RANGE, got);
    assert.deepEqual(await rows.readRange(S, 'fl', ['k', 'f', 'd'], ['k'], FULL_RANGE, 10), got);
  });

  test('geometry reads as the server bytes (SRID + WKB), also when only some columns are spatial', async () => {
    const wkb = Buffer.concat([
      Buffer.from([0, 0, 0, 0, 1, 1, 0, 0, 0]),
      Buffer.from(new Float64Array([1.5, -2]).buffer),
    ]);
    assert.deepEqual(await rows.readRange(S, 'geo', ['k', 'p', 'g'], ['k'], FULL_RANGE, 10), [
      [1, wkb, null],
    ]);
    assert.deepEqual(await rows.readRange(S, 'geo', ['k'], ['k'], FULL_RANGE, 10), [[1]]);
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
