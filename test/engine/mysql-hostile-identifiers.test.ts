// Names that break naive SQL building: every one is created through quoteIdent, filled through
// parameters, and must come back from introspection, probes and sample reads exactly as written.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import mysql from 'mysql2/promise';
import type { Engine } from '../../src/engines/engine';
import type { SchemaModel } from '../../src/engines/model';
import { createMysqlEngine } from '../../src/engines/mysql/engine';
import { qualify, quoteIdent } from '../../src/engines/mysql/quote';
import { createMysqlDatabase, execMysql, type TestDatabase } from '../helpers/databases';

const q = quoteIdent;

const TABLE = 'x`; DROP TABLE y; --';
const CHILD = 'Ünïcødé 表';
const LONGEST = 'Ü'.repeat(64);
const COLUMNS = {
  key: 'select',
  backtick: 'back`tick',
  double: 'dq"uote',
  single: "sq'uote",
  space: 'with space',
  leading: ' leading space',
  unicode: 'Ünïcødé 表',
  order: 'order',
  group: 'group',
  comment: 'semi;colon -- comment',
  backslash: 'back\\slash',
  wildcard: 'per%cent_under',
};
const INDEX_ORDER = 'idx `order` "1"';
const UNIQUE_SINGLE = "uq 'single'";
const FK_NAME = 'fk`; --';

let db: TestDatabase;
let engine: Engine;
let model: SchemaModel;

before(async () => {
  db = await createMysqlDatabase();
  const c = COLUMNS;
  await execMysql(db.url, [
    `CREATE TABLE y (id INT PRIMARY KEY)`,
    `CREATE TABLE ${q(TABLE)} (
       ${q(c.key)} INT NOT NULL,
       ${q(c.backtick)} VARCHAR(20), ${q(c.double)} VARCHAR(20), ${q(c.single)} VARCHAR(20),
       ${q(c.space)} VARCHAR(20), ${q(c.leading)} VARCHAR(20), ${q(c.unicode)} TEXT,
       ${q(c.order)} INT, ${q(c.group)} INT, ${q(c.comment)} VARCHAR(20), ${q(c.backslash)} VARCHAR(20),
       ${q(c.wildcard)} VARCHAR(20),
       PRIMARY KEY (${q(c.key)}),
       KEY ${q(INDEX_ORDER)} (${q(c.order)}, ${q(c.group)}),
       UNIQUE KEY ${q(UNIQUE_SINGLE)} (${q(c.single)})
     )`,
    `CREATE TABLE ${q(CHILD)} (
       ${q('id')} INT PRIMARY KEY,
       ${q(c.key)} INT,
       CONSTRAINT ${q(FK_NAME)} FOREIGN KEY (${q(c.key)}) REFERENCES ${q(TABLE)} (${q(c.key)})
     )`,
    `CREATE TABLE ${q(LONGEST)} (${q('Ö'.repeat(64))} INT)`,
  ]);
  const conn = await mysql.createConnection({ uri: db.url });
  try {
    const cols = Object.values(c).map(q).join(', ');
    const rows = [
      [
        2,
        'b`2',
        'd"2',
        "s'2",
        'trailing ',
        ' lead',
        `nul\0byte`,
        1,
        2,
        "'; DROP TABLE y; --",
        'a\\b',
        '100%',
      ],
      [1, 'b`1', 'd"1', "s'1", 'none', 'x', 'Ünïcødé 表', 3, 4, '-- not a comment', '\\', '_'],
    ];
    for (const r of rows) {
      await conn.query(
        `INSERT INTO ${qualify(db.name, TABLE)} (${cols}) VALUES (${r.map(() => '?').join(', ')})`,
        r,
      );
    }
    await conn.query(
      `INSERT INTO ${qualify(db.name, CHILD)} (${q('id')}, ${q(c.key)}) VALUES (?, ?)`,
      [1, 2],
    );
  } finally {
    await conn.end();
  }
  engine = createMysqlEngine(db.url);
  model = await engine.introspect({ exactCounts: true });
});

after(async () => {
  await engine?.close();
  await db?.drop();
});

test('table, column, index and constraint names round-trip exactly', () => {
  const byCode = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  assert.deepEqual(
    model.tables.map((t) => t.name),
    [TABLE, 'y', LONGEST, CHILD].sort(byCode),
  );
  const t = model.tables.find((x) => x.name === TABLE);
  assert.ok(t);
  assert.deepEqual(
    t.columns.map((col) => col.name),
    Object.values(COLUMNS),
  );
  assert.deepEqual(t.primaryKey, [COLUMNS.key]);
  const index = t.indexes.find((i) => i.name === INDEX_ORDER);
  assert.deepEqual(
    index?.columns.map((x) => x.column),
    [COLUMNS.order, COLUMNS.group],
  );
  assert.deepEqual(t.uniqueKeys, [{ name: UNIQUE_SINGLE, columns: [COLUMNS.single] }]);
  assert.equal(t.exactRows, 2);
  assert.equal(model.tables.find((x) => x.name === 'y')?.exactRows, 0, 'table y survived');

  const child = model.tables.find((x) => x.name === CHILD);
  assert.deepEqual(child?.foreignKeys, [
    {
      name: FK_NAME,
      columns: [COLUMNS.key],
      referencedSchema: db.name,
      referencedTable: TABLE,
      referencedColumns: [COLUMNS.key],
      onUpdate: 'RESTRICT',
      onDelete: 'RESTRICT',
      referencesUniqueKey: true,
    },
  ]);
  assert.deepEqual(
    model.tables.find((x) => x.name === LONGEST)?.columns.map((x) => x.name),
    ['Ö'.repeat(64)],
  );
});

test('probe() works on hostile names', async () => {
  const results = await engine.probe(db.name, TABLE, [
    { column: COLUMNS.space, kind: 'trailing-space' },
    { column: COLUMNS.unicode, kind: 'nul-byte' },
    { column: COLUMNS.order, kind: 'non-boolean' },
    { column: COLUMNS.key, kind: 'negative' },
  ]);
  assert.deepEqual(
    results.map((r) => [r.column, r.kind, r.offendingRows]),
    [
      [COLUMNS.space, 'trailing-space', 1],
      [COLUMNS.unicode, 'nul-byte', 1],
      [COLUMNS.order, 'non-boolean', 1],
      [COLUMNS.key, 'negative', 0],
    ],
  );
});

test('readSample() works on hostile names, in primary-key order', async () => {
  const columns = Object.values(COLUMNS);
  const batch = await engine.readSample(db.name, TABLE, columns, 10);
  assert.deepEqual(batch.columns, columns);
  assert.deepEqual(batch.rows, [
    [1, 'b`1', 'd"1', "s'1", 'none', 'x', 'Ünïcødé 表', 3, 4, '-- not a comment', '\\', '_'],
    [2, 'b`2', 'd"2', "s'2", 'trailing ', ' lead', `nul\0byte`, 1, 2, "'; DROP TABLE y; --", 'a\\b', '100%'],
  ]);
  assert.ok(batch.bytes > 0);
});

test('scratchLoad() takes hostile column names', async () => {
  const columns = [COLUMNS.key, COLUMNS.backtick, COLUMNS.comment];
  const batch = await engine.readSample(db.name, TABLE, columns, 10);
  const timings = await engine.scratchLoad(
    [
      { name: COLUMNS.key, type: 'int' },
      { name: COLUMNS.backtick, type: 'varchar(20)' },
      { name: COLUMNS.comment, type: 'varchar(40)' },
    ],
    [COLUMNS.key],
    batch,
  );
  assert.ok(timings.loadMs > 0 && timings.upsertMs > 0);
});

test('quoteIdent quotes with backticks and refuses impossible names clearly', () => {
  assert.equal(quoteIdent('a`b'), '`a``b`');
  assert.equal(quoteIdent('select'), '`select`');
  assert.equal(qualify('s`', 't'), '`s```.`t`');
  assert.throws(() => quoteIdent(''), /must not be empty/);
  assert.throws(() => quoteIdent('a\0b'), /"a\\u0000b" contains a NUL character/);
  const long = 'n'.repeat(65);
  assert.throws(
    () => quoteIdent(long),
    (err: Error) => err.message.includes(long) && /65 characters.*limit is 64/.test(err.message),
  );
  assert.equal(quoteIdent('é'.repeat(64)), '`' + 'é'.repeat(64) + '`', '64 characters, not bytes');
  // MySQL stores identifiers as utf8mb3: the server itself refuses emoji ("Invalid utf8mb3 character string").
  assert.throws(
    () => quoteIdent('emoji 😀'),
    /"emoji 😀" contains a character outside the Basic Multilingual Plane/,
  );
  assert.throws(() => quoteIdent('lone \ud800'), /outside the Basic Multilingual Plane/);
});

test('the server agrees: an emoji table name cannot be created', async () => {
  await assert.rejects(execMysql(db.url, ['CREATE TABLE `emoji 😀` (a INT)']), /utf8mb3|Incorrect|Invalid/);
});
