// The copier, MySQL -> PostgreSQL, on real databases: 20 000 rows of awkward values (BIGINT UNSIGNED
// keys near 2^64, TINYINT(1) -> boolean, DECIMAL(65,30), FLOAT, zero dates, TIME beyond a day, YEAR 0,
// ENUM, SET, MariaDB JSON, blobs, BIT, 4-byte unicode, NULLs). The target table is written by hand and
// every row is compared with an independent reading of both sides (SQL formatting, not the translator).
// Also: a copy aborted mid-way and resumed from its checkpoint ends exactly equal.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { copyTable, type CopyCheckpoint } from '../../src/dataplane/copy/copier';
import { openRowsEngine, type RowsEngine } from '../../src/dataplane/copy/rows-engine';
import { keyTranslator, rowTranslator, type ColumnConversion } from '../../src/dataplane/values';
import { createMysqlEngine } from '../../src/engines/mysql/engine';
import {
  createMysqlDatabase,
  createPostgresDatabase,
  execMysql,
  execPostgres,
  type TestDatabase,
} from '../helpers/databases';

const ROWS = 20_000;
const MY_TABLE = 'order items';
const PG_TABLE = 'Order "Items"';

const TARGET_TYPES: Record<string, string> = {
  id: 'numeric(20,0)',
  flag: 'boolean',
  u: 'bigint',
  dec: 'numeric(65,30)',
  f: 'real',
  d: 'double precision',
  dt: 'timestamp(6) without time zone',
  ts: 'timestamp(6) with time zone',
  zd: 'date',
  tm: 'interval(0)',
  yr: 'smallint',
  e: 'e_t',
  s: 'text[]',
  j: 'jsonb',
  b: 'bytea',
  bt: 'bit varying(5)',
  v: 'character varying(100)',
  tx: 'text',
};
const COLUMNS = Object.keys(TARGET_TYPES);

function sourceRow(i: number): unknown[] {
  const ts = new Date((1_000_000_000 + i * 3600) * 1000).toISOString().replace('T', ' ').slice(0, 19);
  return [
    (BigInt(i) * 922337203685477n + 5n).toString(),
    i % 2,
    4294967295 - i,
    `${i}${'9'.repeat(30)}.${'0'.repeat(29)}${i % 10}`,
    i / 3,
    i === 1 ? 5e-324 : i === 2 ? 1.7976931348623157e308 : i / 7,
    `${1000 + (i % 9000)}-0${1 + (i % 9)}-1${i % 10} 0${i % 10}:00:00.${String(i).padStart(6, '0')}`,
    `${ts}.${String(i % 1000).padStart(6, '0')}`,
    i % 50 === 0 ? '0000-00-00' : i % 51 === 0 ? '2024-00-15' : i % 53 === 0 ? null : '2024-02-29',
    i % 100 === 0 ? '-838:59:59' : i % 101 === 0 ? '838:59:59' : '12:34:56',
    i % 3 === 0 ? 0 : 1901 + (i % 255),
    ['a', 'b c', 'é🚀'][i % 3],
    ['', 'x', 'y', 'x,y', 'z', 'x,z', 'y,z', 'x,y,z'][i % 8],
    JSON.stringify({ i, s: '🚀\n"\\', a: [1.5, null, true], big: 12345678901234 }),
    i % 17 === 0 ? null : Buffer.from([0, i % 256, 92, 9, 10, 13, 255]),
    i % 32,
    i % 13 === 0 ? null : `𝄞 ${i} tab\t nl\n bs\\ q' "`,
    i % 7 === 0 ? '' : i % 11 === 0 ? null : `t${i}`.repeat(i % 5),
  ];
}

let my: TestDatabase;
let pgdb: TestDatabase;
let source: RowsEngine;
let target: RowsEngine;
let conversions: ColumnConversion[];

before(async () => {
  [my, pgdb] = await Promise.all([createMysqlDatabase('cutover_cpm'), createPostgresDatabase('cutover_cpm')]);
  await execMysql(my.url, [
    `CREATE TABLE \`${MY_TABLE}\` (id bigint unsigned PRIMARY KEY, flag tinyint(1), u int unsigned,
       \`dec\` decimal(65,30), f float, d double, dt datetime(6), ts timestamp(6) NULL, zd date, tm time,
       yr year, e enum('a','b c','é🚀'), s set('x','y','z'), j json, b blob, bt bit(5),
       v varchar(100), tx text) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
  ]);
  const c = await mysql.createConnection({ uri: my.url, charset: 'utf8mb4', timezone: 'Z' });
  try {
    await c.query(`SET time_zone = '+00:00'`);
    for (let i = 1; i <= ROWS; i += 1000) {
      const batch = Array.from({ length: Math.min(1000, ROWS - i + 1) }, (_, k) => sourceRow(i + k));
      await c.query(`INSERT INTO \`${MY_TABLE}\` VALUES ?`, [batch]);
    }
  } finally {
    await c.end();
  }
  await execPostgres(pgdb.url, [
    `CREATE TYPE e_t AS ENUM ('a', 'b c', 'é🚀')`,
    `CREATE TABLE "Order ""Items""" (${COLUMNS.map((c) => `"${c}" ${TARGET_TYPES[c]}`).join(', ')}, PRIMARY KEY (id))`,
  ]);
  const engine = createMysqlEngine(my.url);
  try {
    const model = await engine.introspect();
    const table = model.tables.find((t) => t.name === MY_TABLE)!;
    conversions = COLUMNS.map((name) => ({
      source: table.columns.find((c) => c.name === name)!,
      targetType: TARGET_TYPES[name]!,
      zeroDates: name === 'zd' ? ('null' as const) : undefined,
    }));
  } finally {
    await engine.close();
  }
  source = openRowsEngine('mysql', my.url);
  target = openRowsEngine('postgres', pgdb.url);
});

after(async () => {
  await source?.close();
  await target?.close();
  await Promise.all([my?.drop(), pgdb?.drop()]);
});

/** Both sides printed by their own SQL into one comparable form per column. */
async function compareAll(): Promise<number> {
  const c = await mysql.createConnection({
    uri: my.url,
    charset: 'utf8mb4',
    supportBigNumbers: true,
    bigNumberStrings: true,
  });
  let mine: unknown[][];
  try {
    await c.query(`SET time_zone = '+00:00'`);
    const [rows] = await c.query({
      sql: `SELECT CAST(id AS CHAR), flag, CAST(u AS CHAR), CAST(\`dec\` AS CHAR), f + 0e0, d,
              DATE_FORMAT(dt, '%Y-%m-%d %H:%i:%s.%f'), DATE_FORMAT(ts, '%Y-%m-%d %H:%i:%s.%f'),
              CAST(zd AS CHAR), TIME_TO_SEC(tm), yr + 0, e, s, j, LOWER(HEX(b)), LPAD(BIN(bt), 5, '0'), v, tx
            FROM \`${MY_TABLE}\` ORDER BY id`,
      rowsAsArray: true,
    });
    mine = rows as unknown as unknown[][];
  } finally {
    await c.end();
  }
  const p = new pg.Client({ connectionString: pgdb.url });
  await p.connect();
  let theirs: unknown[][];
  try {
    const { rows } = await p.query<unknown[]>({
      text: `SELECT id::text, flag::int, u::text, "dec"::text, f::float8, d,
               to_char(dt, 'YYYY-MM-DD HH24:MI:SS.US'), to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
               zd::text, extract(epoch FROM tm)::int, yr, e::text, array_to_string(s, ','), j::text,
               encode(b, 'hex'), bt::text, v, tx
             FROM "Order ""Items""" AS t ORDER BY t.id`,
      rowMode: 'array',
    });
    theirs = rows;
  } finally {
    await p.end();
  }
  assert.equal(theirs.length, mine.length);
  for (let r = 0; r < mine.length; r++) {
    const a = mine[r]!;
    const b = theirs[r]!;
    const zd = a[8] as string | null;
    const expected = [
      a[0],
      a[1],
      a[2],
      a[3],
      Math.fround(Number(a[4])),
      Number(a[5]),
      a[6],
      a[7],
      zd === null || /^0000|-00/.test(zd) ? null : zd,
      Number(a[9]),
      Number(a[10]),
      a[11],
      a[12],
      typeof a[13] === 'string' ? JSON.parse(a[13]) : a[13],
      a[14],
      a[15],
      a[16],
      a[17],
    ];
    const actual = [...b];
    actual[4] = Math.fround(Number(b[4]));
    actual[5] = Number(b[5]);
    actual[13] = JSON.parse(b[13] as string);
    assert.deepEqual(actual, expected, `row ${r}`);
  }
  return mine.length;
}

function copyOptions() {
  return {
    source,
    target,
    sourceSchema: my.name,
    sourceTable: MY_TABLE,
    targetSchema: 'public',
    targetTable: PG_TABLE,
    columns: COLUMNS,
    key: ['id'],
    translateRow: rowTranslator('mysql', 'postgres', MY_TABLE, conversions, ['id']),
    translateKey: keyTranslator('mysql', 'postgres', MY_TABLE, conversions.slice(0, 1)),
    split: { rowsPerSlice: 5000 },
    concurrency: 2,
    chunk: { initial: 700, min: 100, max: 4000 },
  };
}

describe('copy MySQL -> PostgreSQL', () => {
  test('a copy aborted mid-way and resumed from its checkpoint ends exactly equal', async () => {
    const ac = new AbortController();
    let saved: CopyCheckpoint | null = null;
    let reports = 0;
    await assert.rejects(
      copyTable({
        ...copyOptions(),
        signal: ac.signal,
        onProgress: (p) => {
          // Keep the checkpoint of the third chunk only: chunks committed after it (by the other slice)
          // are applied again on resume, which must change nothing.
          if (++reports === 3) {
            saved = p.checkpoint;
            ac.abort(new Error('worker killed'));
          }
        },
      }),
      /worker killed/,
    );
    assert.ok(saved);
    const checkpoint = JSON.parse(JSON.stringify(saved)) as CopyCheckpoint;
    assert.equal(checkpoint.slices.length, 4);
    const copiedBefore = checkpoint.slices.reduce((n, s) => n + s.rows, 0);
    assert.ok(copiedBefore > 0 && copiedBefore < ROWS);
    const lastSlice = checkpoint.slices[3]!;
    assert.equal(lastSlice.done, false);

    const progress: number[] = [];
    const result = await copyTable({
      ...copyOptions(),
      checkpoint,
      onProgress: (p) => {
        progress.push(p.rows);
      },
    });
    assert.equal(result.rows, ROWS);
    assert.ok(result.checkpoint.slices.every((s) => s.done));
    assert.ok(progress.every((n, i) => i === 0 || n >= progress[i - 1]!));
    assert.equal(await compareAll(), ROWS);

    // Copying again over a complete target changes nothing.
    await copyTable({ ...copyOptions(), checkpoint: null });
    assert.equal(await compareAll(), ROWS);
  });

  test('a case-insensitive text key is copied by key sets, whatever the target collation', async () => {
    const words = ['a', 'B', 'c', 'D', 'é', 'F', '_', 'Z', '𝄞', ' x', 'x '];
    await execMysql(my.url, [
      `CREATE TABLE ci (k varchar(20) COLLATE utf8mb4_general_ci PRIMARY KEY, v int) CHARACTER SET utf8mb4`,
      `INSERT INTO ci VALUES ${Array.from({ length: 1100 }, (_, i) => `('${words[i % words.length]}${i}', ${i})`).join(', ')}`,
    ]);
    await execPostgres(pgdb.url, [`CREATE TABLE ci (k text COLLATE "C" PRIMARY KEY, v integer)`]);
    const result = await copyTable({
      source,
      target,
      sourceSchema: my.name,
      sourceTable: 'ci',
      targetSchema: 'public',
      targetTable: 'ci',
      columns: ['k', 'v'],
      key: ['k'],
      deleteBy: 'keys',
      split: { rowsPerSlice: 200 },
      concurrency: 3,
      chunk: { initial: 60, min: 10 },
    });
    assert.equal(result.rows, 1100);
    const p = new pg.Client({ connectionString: pgdb.url });
    await p.connect();
    try {
      const { rows } = await p.query<{ k: string; v: number }>('SELECT k, v FROM ci');
      assert.equal(rows.length, 1100);
      const byValue = new Map(rows.map((r) => [r.v, r.k]));
      for (let i = 0; i < 1100; i++) assert.equal(byValue.get(i), `${words[i % words.length]}${i}`);
    } finally {
      await p.end();
    }
  });

  test('a zero date without a policy stops the copy naming table, column and key', async () => {
    const strict = conversions.map((c) => (c.source.name === 'zd' ? { ...c, zeroDates: undefined } : c));
    await assert.rejects(
      copyTable({
        ...copyOptions(),
        translateRow: rowTranslator('mysql', 'postgres', MY_TABLE, strict, ['id']),
      }),
      /table "order items", column "zd", key \["\d+"\]: zero or partial date/,
    );
    assert.equal(await compareAll(), ROWS);
  });
});
