// Canonical encoding against real servers: the same awkward data inserted by hand into MariaDB and
// into PostgreSQL (with the types the mapping gives), read back with each engine's readSample,
// encodes identically row for row; one value changed on one side makes that row, and only that
// row, differ.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { canonicalColumn, canonicalRow, type CanonicalColumn } from '../../src/dataplane/validate/canonical';
import type { Engine } from '../../src/engines/engine';
import type { TableModel } from '../../src/engines/model';
import { createMysqlEngine } from '../../src/engines/mysql/engine';
import { createPostgresEngine } from '../../src/engines/postgres/engine';
import { mapColumn, refineMapping } from '../../src/engines/type-mapping';
import {
  createMysqlDatabase,
  createPostgresDatabase,
  execMysql,
  execPostgres,
  type TestDatabase,
} from '../helpers/databases';

let my: TestDatabase;
let pgdb: TestDatabase;
let source: Engine;
let target: Engine;
let columns: CanonicalColumn[];
let names: string[];

const MYSQL_DDL = `CREATE TABLE awkward (
  id int PRIMARY KEY,
  flag tinyint(1),
  big bigint unsigned,
  amount decimal(10,2),
  f float,
  d double,
  y year,
  name varchar(20) COLLATE utf8mb4_general_ci,
  code char(5),
  mood enum('happy','sad'),
  tags set('a','b','c'),
  dt datetime(6),
  ts timestamp(3) NULL DEFAULT NULL,
  tm time,
  doc json,
  bin varbinary(8),
  bfix binary(4),
  empty varchar(5),
  nothing varchar(5)
)`;

const MYSQL_ROWS = [
  `INSERT INTO awkward VALUES (1, 1, 18446744073709551615, 12.00, 1.1, 0.1, 2024, 'Ä x', 'ab', 'sad', 'c,a',
    '2024-01-31 12:00:00.1', '2038-01-19 03:14:07.123', '838:59:59',
    '{"b": 1, "a": [1.0, "x", {"z": null}], "k": 1, "k": 2, "e": "\\\\u00e9"}', x'00ff', 'ab', '', NULL)`,
  `INSERT INTO awkward VALUES (2, 0, 0, -0.50, -2.5, 1e300, 1901, 'a ', '  x', 'happy', '',
    '0001-01-01 00:00:00', '1970-01-01 00:00:01', '-00:00:01', '[]', x'', x'00', 'NULL', '')`,
  `INSERT INTO awkward VALUES (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
];

before(async () => {
  [my, pgdb] = await Promise.all([
    createMysqlDatabase('cutover_vcanon'),
    createPostgresDatabase('cutover_vcanon'),
  ]);
  await execMysql(my.url, [MYSQL_DDL, ...MYSQL_ROWS]);
  source = createMysqlEngine(my.url);
  target = createPostgresEngine(pgdb.url);
  const model = await source.introspect();
  const table = model.tables.find((t) => t.name === 'awkward') as TableModel;
  // The mapping the planner would give, with the probes answered clean (TINYINT(1) holds 0/1 only).
  const mapped = table.columns.map((c) => {
    const m = mapColumn('mysql', 'postgres', c, { table: 'awkward', targetSchema: 'public' });
    assert.equal(m.refused, false, c.name);
    if (m.refused) throw new Error('refused');
    const probes = (m.decideWithProbes ?? []).map((d) => ({
      column: c.name,
      kind: d.kind,
      offendingRows: 0,
    }));
    return { c, m: refineMapping(m, c, probes).mapping };
  });
  const ddl: string[] = [];
  for (const { m } of mapped)
    if (m.enumType)
      ddl.push(
        `CREATE TYPE "${m.enumType.name}" AS ENUM (${m.enumType.labels.map((l) => `'${l}'`).join(', ')})`,
      );
  ddl.push(
    `CREATE TABLE awkward (${mapped.map(({ c, m }) => `"${c.name}" ${m.targetType}`).join(', ')}, PRIMARY KEY (id))`,
  );
  assert.match(ddl.at(-1)!, /"flag" boolean/);
  assert.match(ddl.at(-1)!, /"tags" text\[\]/);
  assert.match(ddl.at(-1)!, /"tm" interval\(0\)/);
  await execPostgres(pgdb.url, ddl);
  // The same data, as someone would write it on PostgreSQL (other zones, other spellings).
  await execPostgres(pgdb.url, [
    `INSERT INTO awkward VALUES (1, true, 18446744073709551615, 12, 1.1, 0.1, 2024, 'Ä x', 'ab', 'sad', '{a,c}',
      '2024-01-31 12:00:00.100', '2038-01-19 05:14:07.123+02', '34 days 22:59:59',
      '{"k": 2, "a": [1.0, "x", {"z": null}], "b": 1, "e": "é"}', '\\x00ff', '\\x61620000', '', NULL)`,
    `INSERT INTO awkward VALUES (2, false, 0, -0.5, -2.5, 1e300, 1901, 'a ', '  x', 'happy', '{}',
      '0001-01-01 00:00:00', '1969-12-31 19:00:01-05', '-1 seconds', '[]', '\\x', '\\x00000000', 'NULL', '')`,
    `INSERT INTO awkward (id) VALUES (3)`,
  ]);
  columns = mapped.map(({ c, m }) => canonicalColumn('mysql', 'postgres', c, m.targetType));
  names = columns.map((c) => c.name);
});

after(async () => {
  await Promise.allSettled([source?.close(), target?.close()]);
  await Promise.allSettled([my?.drop(), pgdb?.drop()]);
});

async function encoded(): Promise<{ mysql: string[]; postgres: string[] }> {
  const [a, b] = await Promise.all([
    source.readSample(my.name, 'awkward', names, 100),
    target.readSample('public', 'awkward', names, 100),
  ]);
  return {
    mysql: a.rows.map((r) => canonicalRow(columns, 'source', r)),
    postgres: b.rows.map((r) => canonicalRow(columns, 'target', r)),
  };
}

test('the same data read from MariaDB and PostgreSQL encodes identically', async () => {
  const { mysql, postgres } = await encoded();
  assert.equal(mysql.length, 3);
  assert.deepEqual(postgres, mysql);
});

test('one changed value on one side makes exactly that row differ', async () => {
  const changes = [
    `UPDATE awkward SET name = 'ä x' WHERE id = 1`, // only case: a _ci collation would call it equal
    `UPDATE awkward SET name = 'Ä x', amount = 12.01 WHERE id = 1`,
    `UPDATE awkward SET amount = 12, ts = '2038-01-19 03:14:07.124+00' WHERE id = 1`,
    `UPDATE awkward SET ts = '2038-01-19 03:14:07.123+00', doc = '{"k": 1, "a": [1.0, "x", {"z": null}], "b": 1, "e": "é"}' WHERE id = 1`,
    `UPDATE awkward SET doc = '{"k": 2, "a": [1.0, "x", {"z": null}], "b": 1, "e": "é"}', empty = NULL WHERE id = 1`,
    `UPDATE awkward SET empty = '', tags = '{c,a}' WHERE id = 1`,
    `UPDATE awkward SET tags = '{a,c}', tm = '838:59:58' WHERE id = 1`,
  ];
  for (const change of changes) {
    await execPostgres(pgdb.url, [change]);
    const { mysql, postgres } = await encoded();
    assert.notEqual(postgres[0], mysql[0], change);
    assert.deepEqual(postgres.slice(1), mysql.slice(1), change);
  }
  await execPostgres(pgdb.url, [`UPDATE awkward SET tm = '838:59:59' WHERE id = 1`]);
  const { mysql, postgres } = await encoded();
  assert.deepEqual(postgres, mysql);
});

test('PostgreSQL -> MariaDB: the same data encodes identically, and a change shows', async () => {
  await execPostgres(pgdb.url, [
    `CREATE TYPE mood AS ENUM ('happy', 'sad')`,
    `CREATE TABLE back (id integer PRIMARY KEY, ok boolean, qty numeric(12,3), r real, d double precision,
      t text, c character(4), raw bytea, day date, at timestamp(6), tz timestamptz(3), tm time(0),
      span interval hour to second, doc jsonb, u uuid, m mood, bits bit(5))`,
    `INSERT INTO back VALUES
      (1, true, 1.500, 3.25, -0.0, 'Tab\there ✓', 'ab', '\\xdeadbeef', '2024-02-29', '2024-02-29 23:59:59.999999',
       '2024-06-01 12:00:00.5+02', '23:59:59', '26:00:00', '{"z": [1, 2.50], "a": {"b": null}}',
       'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', 'sad', B'00101'),
      (2, false, 0, 0, 1e-300, '', 'abcd', '\\x', '0001-01-01', '1970-01-01 00:00:00', '1999-12-31 23:59:59+00',
       '00:00:00', '-00:00:01', '[]', '00000000-0000-0000-0000-000000000000', 'happy', B'11111')`,
  ]);
  const e = createPostgresEngine(pgdb.url);
  let table: TableModel;
  try {
    table = (await e.introspect({ schema: 'public' })).tables.find((t) => t.name === 'back') as TableModel;
  } finally {
    await e.close();
  }
  const mapped = table.columns.map((c) => {
    const m = mapColumn('postgres', 'mysql', c);
    if (m.refused) throw new Error(`${c.name}: ${m.reason}`);
    return { c, type: m.targetType };
  });
  await execMysql(my.url, [
    `CREATE TABLE back (${mapped.map(({ c, type }) => `\`${c.name}\` ${type}`).join(', ')}, PRIMARY KEY (id))`,
    `SET time_zone = '+00:00'`,
  ]);
  // The same data as MySQL holds it: UTC wall-clock for timestamptz, 1/0, TIME for the interval.
  const insert = async (sql: string[]): Promise<void> =>
    execMysql(my.url, [`SET time_zone = '+00:00'`, ...sql]);
  await insert([
    `INSERT INTO back VALUES
      (1, 1, 1.5, 3.25, 0, 'Tab\\there ✓', 'ab', x'deadbeef', '2024-02-29', '2024-02-29 23:59:59.999999',
       '2024-06-01 10:00:00.500', '23:59:59', '26:00:00', '{"a": {"b": null}, "z": [1, 2.5]}',
       'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'sad', b'00101'),
      (2, 0, 0.000, 0, 1e-300, '', 'abcd', x'', '0001-01-01', '1970-01-01 00:00:00', '1999-12-31 23:59:59',
       '00:00:00', '-00:00:01', '[]', '00000000-0000-0000-0000-000000000000', 'happy', b'11111')`,
  ]);
  const cols = mapped.map(({ c, type }) => canonicalColumn('postgres', 'mysql', c, type));
  const colNames = cols.map((c) => c.name);
  const read = async (): Promise<{ pg: string[]; my: string[] }> => {
    const [p, m] = await Promise.all([
      target.readSample('public', 'back', colNames, 10),
      source.readSample(my.name, 'back', colNames, 10),
    ]);
    return {
      pg: p.rows.map((r) => canonicalRow(cols, 'source', r)),
      my: m.rows.map((r) => canonicalRow(cols, 'target', r)),
    };
  };
  const same = await read();
  assert.equal(same.pg.length, 2);
  assert.deepEqual(same.my, same.pg);
  for (const change of [
    `UPDATE back SET tz = '2024-06-01 12:00:00.500' WHERE id = 1`, // the zone not applied
    `UPDATE back SET tz = '2024-06-01 10:00:00.500', t = 'tab\\there ✓' WHERE id = 1`,
  ]) {
    await insert([change]);
    const after = await read();
    assert.notEqual(after.my[0], after.pg[0], change);
    assert.equal(after.my[1], after.pg[1], change);
  }
});
