// Value round trips on real databases for the directions the big copier tests do not cover:
// PostgreSQL -> MySQL (boolean, timestamptz in UTC, intervals, jsonb, uuid, bytea, bit, enum, NULLs)
// and MySQL -> MySQL (identity, zero dates and all). Read with readRange, translate, replaceRange on
// the target (through the copier), then compare with independent SQL on both sides.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { copyTable } from '../../src/dataplane/copy/copier';
import { openRowsEngine, type RowsEngine } from '../../src/dataplane/copy/rows-engine';
import { keyTranslator, rowTranslator, type ColumnConversion } from '../../src/dataplane/values';
import { createPostgresEngine } from '../../src/engines/postgres/engine';
import {
  createMysqlDatabase,
  createPostgresDatabase,
  execMysql,
  execPostgres,
  type TestDatabase,
} from '../helpers/databases';

const ROWS = 2000;
let pgdb: TestDatabase;
let my1: TestDatabase;
let my2: TestDatabase;
let pgRows: RowsEngine;
let myRows1: RowsEngine;
let myRows2: RowsEngine;

const PG_TO_MY: Record<string, [string, string]> = {
  id: ['bigint', 'bigint'],
  flag: ['boolean', 'tinyint(1)'],
  ts: ['timestamptz(6)', 'datetime(6)'],
  t: ['timestamp(6)', 'datetime(6)'],
  d: ['date', 'date'],
  iv: ['interval hour to second(6)', 'time(6)'],
  j: ['jsonb', 'json'],
  u: ['uuid', 'char(36)'],
  b: ['bytea', 'longblob'],
  n: ['numeric(30,10)', 'decimal(30,10)'],
  r: ['real', 'float'],
  dd: ['double precision', 'double'],
  bits: ['bit(5)', 'bit(5)'],
  txt: ['text', 'longtext COLLATE utf8mb4_bin'],
  e: ['mood', "enum('sad','ok','🚀 happy')"],
};
const PG_COLUMNS = Object.keys(PG_TO_MY);

async function mysqlQuery(url: string, sql: string): Promise<unknown[][]> {
  const c = await mysql.createConnection({
    uri: url,
    charset: 'utf8mb4',
    supportBigNumbers: true,
    bigNumberStrings: true,
    jsonStrings: true,
  });
  try {
    await c.query(`SET time_zone = '+00:00'`);
    const [rows] = await c.query({ sql, rowsAsArray: true });
    return rows as unknown as unknown[][];
  } finally {
    await c.end();
  }
}

before(async () => {
  [pgdb, my1, my2] = await Promise.all([
    createPostgresDatabase('cutover_rt'),
    createMysqlDatabase('cutover_rt'),
    createMysqlDatabase('cutover_rt'),
  ]);
  await execPostgres(pgdb.url, [
    `CREATE TYPE mood AS ENUM ('sad', 'ok', '🚀 happy')`,
    `CREATE TABLE rt (${PG_COLUMNS.map((c) => `${c} ${PG_TO_MY[c]![0]}`).join(', ')}, PRIMARY KEY (id))`,
    `INSERT INTO rt SELECT
       CASE WHEN s = 1 THEN -9223372036854775808 WHEN s = 2 THEN 9223372036854775807 ELSE s * 1000003 END,
       CASE s % 3 WHEN 0 THEN true WHEN 1 THEN false END,
       '1999-12-31 23:59:59.999999+14'::timestamptz + s * interval '17 hours 1 second',
       CASE WHEN s % 10 = 0 THEN NULL ELSE '0001-01-01 00:00:00'::timestamp + s * interval '1 year 1 day 1 microsecond' END,
       '1000-01-01'::date + s * 3,
       CASE s % 4 WHEN 0 THEN interval '838:59:59' WHEN 1 THEN interval '-00:00:01.5' WHEN 2 THEN interval '1 day 02:00:00' ELSE make_interval(secs => s / 1000.0) END,
       jsonb_build_object('s', s, 'x', '𝄞 "\\', 'a', jsonb_build_array(1.5, null, true, 'é')),
       md5(s::text)::uuid,
       CASE WHEN s % 9 = 0 THEN NULL ELSE decode(lpad(to_hex(s % 256), 2, '0') || '00275c0a0d09ff', 'hex') END,
       (s - 1000) / 7.0,
       s / 3.0,
       CASE WHEN s = 3 THEN 5e-324 WHEN s = 4 THEN 1.7976931348623157e308 ELSE -s / 7.0 END,
       (s % 32)::bit(5),
       CASE WHEN s % 13 = 0 THEN NULL WHEN s % 13 = 1 THEN '' ELSE '🚀 ' || s || E' tab\\t nl\\n bs\\\\ q'' "' END,
       (ARRAY['sad', 'ok', '🚀 happy'])[1 + s % 3]::mood
     FROM generate_series(1, ${ROWS}) AS s`,
  ]);
  await execMysql(my1.url, [
    `CREATE TABLE rt (${PG_COLUMNS.map((c) => `\`${c}\` ${PG_TO_MY[c]![1]}`).join(', ')}, PRIMARY KEY (id))
       CHARACTER SET utf8mb4`,
  ]);
  pgRows = openRowsEngine('postgres', pgdb.url);
  myRows1 = openRowsEngine('mysql', my1.url);
  myRows2 = openRowsEngine('mysql', my2.url);
});

after(async () => {
  await Promise.all([pgRows?.close(), myRows1?.close(), myRows2?.close()]);
  await Promise.all([pgdb?.drop(), my1?.drop(), my2?.drop()]);
});

describe('value round trips', () => {
  test('PostgreSQL -> MySQL', async () => {
    const engine = createPostgresEngine(pgdb.url);
    let conversions: ColumnConversion[];
    try {
      const model = await engine.introspect({ schema: 'public' });
      const table = model.tables.find((t) => t.name === 'rt')!;
      conversions = PG_COLUMNS.map((c) => ({
        source: table.columns.find((x) => x.name === c)!,
        targetType: PG_TO_MY[c]![1],
      }));
    } finally {
      await engine.close();
    }
    const result = await copyTable({
      source: pgRows,
      target: myRows1,
      sourceSchema: 'public',
      sourceTable: 'rt',
      targetSchema: my1.name,
      targetTable: 'rt',
      columns: PG_COLUMNS,
      key: ['id'],
      translateRow: rowTranslator('postgres', 'mysql', 'rt', conversions, ['id']),
      translateKey: keyTranslator('postgres', 'mysql', 'rt', conversions.slice(0, 1)),
      split: { rowsPerSlice: 700 },
      chunk: { initial: 300 },
    });
    assert.equal(result.rows, ROWS);

    const c = new pg.Client({ connectionString: pgdb.url });
    await c.connect();
    let expected: unknown[][];
    try {
      ({ rows: expected } = await c.query<unknown[]>({
        text: `SELECT id::text, flag::int, to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
                 to_char(t, 'YYYY-MM-DD HH24:MI:SS.US'), d::text, extract(epoch FROM iv)::text, j::text, u::text,
                 encode(b, 'hex'), n::text, r::float8, dd, bits::text, txt, e::text
               FROM rt AS x ORDER BY x.id`,
        rowMode: 'array',
      }));
    } finally {
      await c.end();
    }
    const got = await mysqlQuery(
      my1.url,
      `SELECT CAST(id AS CHAR), flag, DATE_FORMAT(ts, '%Y-%m-%d %H:%i:%s.%f'), DATE_FORMAT(t, '%Y-%m-%d %H:%i:%s.%f'),
         CAST(d AS CHAR), CAST(TIME_TO_SEC(iv) AS CHAR), j, u, LOWER(HEX(b)), CAST(n AS CHAR), r + 0e0, dd,
         LPAD(BIN(bits), 5, '0'), txt, e
       FROM rt ORDER BY id`,
    );
    assert.equal(got.length, expected.length);
    for (let i = 0; i < got.length; i++) {
      const e = [...expected[i]!];
      const g = [...got[i]!];
      for (const k of [5]) [e[k], g[k]] = [Number(e[k]), Number(g[k])];
      [e[6], g[6]] = [JSON.parse(e[6] as string), JSON.parse(g[6] as string)];
      [e[10], g[10]] = [Math.fround(Number(e[10])), Math.fround(Number(g[10]))];
      [e[11], g[11]] = [Number(e[11]), Number(g[11])];
      assert.deepEqual(g, e, `row ${i}`);
    }
  });

  test('MySQL -> MySQL, zero dates included, is an exact copy', async () => {
    const ddl = `CREATE TABLE \`r t\` (k varbinary(8), s varchar(10) COLLATE utf8mb4_general_ci, f float, d double,
      z date, dt datetime(6), tm time(3), y year, bt bit(12), j json, e enum('a','b'), st set('x','y'),
      u bigint unsigned, n decimal(65,30), tx text, PRIMARY KEY (k, s)) CHARACTER SET utf8mb4`;
    await execMysql(my1.url, [
      `SET SESSION sql_mode = 'STRICT_TRANS_TABLES'`,
      ddl,
      `INSERT INTO \`r t\` WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 900)
       SELECT UNHEX(LPAD(HEX(i % 97), 4, '0')), CONCAT(CHAR(65 + i % 26), i, IF(i % 5 = 0, ' 🚀', '')), i / 3, i / 7,
         IF(i % 4 = 0, '0000-00-00', IF(i % 4 = 1, '2024-00-15', '2024-02-29')),
         IF(i % 3 = 0, '0000-00-00 00:00:00', '9999-12-31 23:59:59.999999'),
         IF(i % 2 = 0, '-838:59:59.000', '12:00:00.125'), IF(i % 2 = 0, 0, 1901 + i % 200), i % 4096,
         JSON_OBJECT('i', i, 'u', '𝄞'), IF(i % 3 = 1, 'a', 'b'), IF(i % 2 = 0, 'x,y', ''),
         18446744073709551615 - i, CONCAT('-', REPEAT('9', 35), '.', LPAD(i, 30, '0')),
         IF(i % 7 = 0, NULL, CONCAT('t', i, '\\\\', CHAR(9)))
       FROM seq`,
    ]);
    await execMysql(my2.url, [ddl]);
    const columns = ['k', 's', 'f', 'd', 'z', 'dt', 'tm', 'y', 'bt', 'j', 'e', 'st', 'u', 'n', 'tx'];
    const result = await copyTable({
      source: myRows1,
      target: myRows2,
      sourceSchema: my1.name,
      sourceTable: 'r t',
      targetSchema: my2.name,
      targetTable: 'r t',
      columns,
      key: ['k', 's'],
      split: { rowsPerSlice: 300 },
      chunk: { initial: 100, min: 10 },
    });
    assert.equal(result.rows, 900);
    const sum1 = await mysqlQuery(my1.url, 'CHECKSUM TABLE `r t` EXTENDED');
    const sum2 = await mysqlQuery(my2.url, 'CHECKSUM TABLE `r t` EXTENDED');
    assert.equal(sum1[0]![1], sum2[0]![1]);
    assert.notEqual(sum1[0]![1], null);
    const dump = (url: string) =>
      mysqlQuery(
        url,
        `SELECT HEX(k), s, HEX(f), HEX(d), CAST(z AS CHAR), CAST(dt AS CHAR), CAST(tm AS CHAR), y + 0, bt + 0, j,
           e + 0, st + 0, CAST(u AS CHAR), CAST(n AS CHAR), HEX(tx) FROM \`r t\` ORDER BY k, s`,
      );
    assert.deepEqual(await dump(my2.url), await dump(my1.url));
  });
});
