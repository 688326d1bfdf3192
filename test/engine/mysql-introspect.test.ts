// Introspection of a real MariaDB/MySQL schema that holds one of everything the planner must notice.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Engine } from '../../src/engines/engine';
import type { SchemaModel, TableModel } from '../../src/engines/model';
import { createMysqlEngine } from '../../src/engines/mysql/engine';
import { createMysqlDatabase, execMysql, type TestDatabase } from '../helpers/databases';

let db: TestDatabase;
let other: TestDatabase;
let engine: Engine;
let model: SchemaModel;

const FIXTURE = [
  `CREATE TABLE parent (
     id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
     grp INT NOT NULL,
     KEY grp_idx (grp)
   ) ENGINE=InnoDB COMMENT='the parents'`,
  `CREATE TABLE kitchen (
     id INT UNSIGNED NOT NULL AUTO_INCREMENT,
     flag TINYINT(1) NOT NULL DEFAULT 0,
     big BIGINT UNSIGNED NULL,
     amount DECIMAL(12,2) NOT NULL DEFAULT 1.50,
     ratio FLOAT,
     score DOUBLE,
     email VARCHAR(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL DEFAULT 'abc' COMMENT 'login email',
     code CHAR(3) CHARACTER SET latin1 NULL,
     body TEXT,
     payload BLOB,
     uuid BINARY(16),
     mood ENUM('', 'happy', 'it''s', 'a,b') NOT NULL DEFAULT 'happy',
     size ENUM('s', 'm', 'l'),
     tags SET('a', 'b', 'c'),
     born DATE,
     seen DATETIME(6),
     created TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
     dur TIME,
     yr YEAR,
     doc JSON,
     email_len INT AS (CHAR_LENGTH(email)) VIRTUAL,
     email_upper VARCHAR(191) AS (UPPER(email)) STORED,
     loc POINT NOT NULL,
     parent_id INT UNSIGNED,
     parent_grp INT,
     PRIMARY KEY (id),
     UNIQUE KEY email_uq (email),
     UNIQUE KEY code_yr_uq (code, yr),
     KEY body_prefix (body(10)),
     KEY born_desc (born DESC),
     FULLTEXT KEY body_ft (body),
     SPATIAL KEY loc_sp (loc),
     CONSTRAINT fk_parent FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE CASCADE,
     CONSTRAINT fk_grp FOREIGN KEY (parent_grp) REFERENCES parent (grp),
     CONSTRAINT amount_positive CHECK (amount >= 0)
   ) ENGINE=InnoDB COMMENT='one of everything'`,
  `CREATE TABLE no_pk (a INT, b VARCHAR(10))`,
  `CREATE TABLE parts (id INT PRIMARY KEY) PARTITION BY HASH (id) PARTITIONS 2`,
  `CREATE TRIGGER kitchen_bi BEFORE INSERT ON kitchen FOR EACH ROW SET NEW.score = COALESCE(NEW.score, 0)`,
  `CREATE VIEW kitchen_emails AS SELECT id, email FROM kitchen`,
  `CREATE PROCEDURE touch_parent() BEGIN UPDATE parent SET grp = grp; END`,
  `CREATE FUNCTION double_it(x INT) RETURNS INT DETERMINISTIC RETURN x * 2`,
  `CREATE EVENT nightly_cleanup ON SCHEDULE EVERY 1 HOUR STARTS '2030-01-01 00:00:00' DISABLE DO DELETE FROM no_pk`,
  `INSERT INTO parent (grp) VALUES (10), (20)`,
];

before(async () => {
  db = await createMysqlDatabase();
  other = await createMysqlDatabase();
  await execMysql(other.url, [
    `CREATE TABLE accounts (id INT PRIMARY KEY, code VARCHAR(10) NOT NULL, UNIQUE KEY (code))`,
  ]);
  await execMysql(db.url, [
    ...FIXTURE,
    `CREATE TABLE remote_child (
       id INT PRIMARY KEY,
       account_code VARCHAR(10),
       CONSTRAINT fk_remote FOREIGN KEY (account_code) REFERENCES \`${other.name}\`.accounts (code)
     )`,
  ]);
  engine = createMysqlEngine(db.url);
  model = await engine.introspect();
});

after(async () => {
  await engine?.close();
  await db?.drop(); // first: its foreign key points into the other database
  await other?.drop();
});

function table(name: string): TableModel {
  const t = model.tables.find((x) => x.name === name);
  assert.ok(t, `table ${name} is in the model`);
  return t;
}

const column = (t: string, c: string) => {
  const col = table(t).columns.find((x) => x.name === c);
  assert.ok(col, `column ${t}.${c} is in the model`);
  return col;
};

test('schema-level facts: server, schema, charset, only base tables, sorted', () => {
  assert.equal(model.engine, 'mysql');
  assert.match(model.serverVersion, /^(MariaDB|MySQL) \d+\.\d+\.\d+$/);
  assert.equal(model.schema, db.name);
  assert.equal(model.database, db.name);
  assert.equal(model.charset, 'utf8mb4');
  assert.equal(model.collation, 'utf8mb4_general_ci');
  assert.deepEqual(
    model.tables.map((t) => t.name),
    ['kitchen', 'no_pk', 'parent', 'parts', 'remote_child'],
  );
  assert.deepEqual(model.sequences, []);
});

test('defaultSchema is the database of the URL', async () => {
  assert.equal(await engine.defaultSchema(), db.name);
});

test('numeric columns: unsigned, auto_increment, tinyint(1), decimal, float, double', () => {
  const id = column('kitchen', 'id');
  assert.equal(id.dataType, 'int');
  assert.match(id.nativeType, /^int(\(10\))? unsigned$/);
  assert.equal(id.unsigned, true);
  assert.equal(id.autoIncrement, true);
  assert.equal(id.nullable, false);
  assert.equal(id.default, null);
  assert.equal(id.ordinal, 1);

  const flag = column('kitchen', 'flag');
  assert.equal(flag.nativeType, 'tinyint(1)');
  assert.equal(flag.dataType, 'tinyint');
  assert.equal(flag.unsigned, false);
  assert.equal(flag.default, '0');

  const big = column('kitchen', 'big');
  assert.match(big.nativeType, /^bigint(\(20\))? unsigned$/);
  assert.equal(big.unsigned, true);
  assert.equal(big.nullable, true);
  assert.equal(big.default, null, 'a nullable column without a default has no default (not the string NULL)');

  const amount = column('kitchen', 'amount');
  assert.equal(amount.nativeType, 'decimal(12,2)');
  assert.equal(amount.precision, 12);
  assert.equal(amount.scale, 2);
  assert.equal(amount.default, '1.50');

  assert.equal(column('kitchen', 'ratio').dataType, 'float');
  assert.equal(column('kitchen', 'score').dataType, 'double');
  assert.equal(column('kitchen', 'ratio').length, null);
});

test('character columns: length, charset, collation, quoted string default, comment', () => {
  const email = column('kitchen', 'email');
  assert.equal(email.nativeType, 'varchar(191)');
  assert.equal(email.length, 191);
  assert.equal(email.charset, 'utf8mb4');
  assert.equal(email.collation, 'utf8mb4_general_ci');
  assert.equal(email.default, "'abc'");
  assert.equal(email.comment, 'login email');

  const code = column('kitchen', 'code');
  assert.equal(code.nativeType, 'char(3)');
  assert.equal(code.length, 3);
  assert.equal(code.charset, 'latin1');

  const body = column('kitchen', 'body');
  assert.equal(body.dataType, 'text');
  assert.equal(body.length, null);
  assert.equal(body.comment, null);

  assert.equal(column('kitchen', 'payload').dataType, 'blob');
  assert.equal(column('kitchen', 'payload').charset, null);
  const uuid = column('kitchen', 'uuid');
  assert.equal(uuid.nativeType, 'binary(16)');
  assert.equal(uuid.length, 16);
});

test('enum and set members, including the empty string and quotes', () => {
  const mood = column('kitchen', 'mood');
  assert.equal(mood.dataType, 'enum');
  assert.deepEqual(mood.enumValues, ['', 'happy', "it's", 'a,b']);
  assert.equal(mood.default, "'happy'");
  assert.deepEqual(column('kitchen', 'size').enumValues, ['s', 'm', 'l']);
  assert.deepEqual(column('kitchen', 'tags').enumValues, ['a', 'b', 'c']);
  assert.equal(column('kitchen', 'tags').dataType, 'set');
  assert.equal(column('kitchen', 'email').enumValues, null);
});

test('temporal columns: fractional precision in scale', () => {
  assert.equal(column('kitchen', 'born').dataType, 'date');
  assert.equal(column('kitchen', 'born').scale, null);
  const seen = column('kitchen', 'seen');
  assert.equal(seen.nativeType, 'datetime(6)');
  assert.equal(seen.scale, 6);
  assert.equal(seen.precision, null);
  const created = column('kitchen', 'created');
  assert.equal(created.dataType, 'timestamp');
  assert.equal(created.scale, 0);
  assert.match(created.default ?? '', /^current_timestamp(\(\))?$/i);
  assert.equal(column('kitchen', 'dur').dataType, 'time');
  assert.equal(column('kitchen', 'yr').dataType, 'year');
});

test('JSON: MariaDB alias (longtext + json_valid check) is JSON and its check is not listed', () => {
  const doc = column('kitchen', 'doc');
  assert.equal(doc.isJson, true);
  assert.ok(['json', 'longtext'].includes(doc.dataType));
  assert.equal(column('kitchen', 'body').isJson, false);
  const checks = table('kitchen').checks;
  assert.deepEqual(
    checks.map((c) => c.name),
    ['amount_positive'],
  );
  assert.match(checks[0]?.expression ?? '', /`amount` >= 0/);
  assert.ok(!checks.some((c) => /json_valid/i.test(c.expression)));
});

test('generated columns: virtual and stored, with expressions; no default', () => {
  const len = column('kitchen', 'email_len');
  assert.deepEqual(len.generated?.stored, false);
  assert.match(len.generated?.expression ?? '', /char_length\(`email`\)/i);
  assert.equal(len.default, null);
  const upper = column('kitchen', 'email_upper');
  assert.equal(upper.generated?.stored, true);
  assert.match(upper.generated?.expression ?? '', /(upper|ucase)\(`email`\)/i);
  assert.equal(column('kitchen', 'email').generated, null);
});

test('keys and indexes: PK, unique keys, prefix, descending, fulltext, spatial', () => {
  const t = table('kitchen');
  assert.deepEqual(t.primaryKey, ['id']);
  assert.deepEqual(t.uniqueKeys, [
    { name: 'code_yr_uq', columns: ['code', 'yr'] },
    { name: 'email_uq', columns: ['email'] },
  ]);
  const names = t.indexes.map((i) => i.name);
  assert.deepEqual(
    names,
    [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
    'indexes sorted by name',
  );
  const index = (name: string) => {
    const i = t.indexes.find((x) => x.name === name);
    assert.ok(i, `index ${name}`);
    return i;
  };
  assert.equal(index('PRIMARY').primary, true);
  assert.equal(index('PRIMARY').unique, true);
  assert.deepEqual(
    index('code_yr_uq').columns.map((c) => c.column),
    ['code', 'yr'],
  );
  assert.equal(index('code_yr_uq').unique, true);
  assert.equal(index('body_prefix').columns[0]?.prefixLength, 10);
  assert.equal(index('body_prefix').method, 'btree');
  assert.equal(index('body_prefix').unique, false);
  assert.equal(index('born_desc').columns[0]?.descending, true);
  assert.equal(index('email_uq').columns[0]?.descending, false);
  assert.equal(index('body_ft').method, 'fulltext');
  assert.equal(index('body_ft').columns[0]?.prefixLength, null);
  assert.equal(index('loc_sp').method, 'spatial');
  assert.equal(index('loc_sp').columns[0]?.prefixLength, null, 'no user prefix on a spatial index');
  assert.equal(index('loc_sp').predicate, null);
  assert.equal(column('kitchen', 'loc').dataType, 'point');
  assert.equal(column('kitchen', 'loc').nullable, false);
});

test('foreign keys: to a PK (unique) and to a non-unique indexed column', () => {
  const fks = table('kitchen').foreignKeys;
  assert.deepEqual(
    fks.map((f) => f.name),
    ['fk_grp', 'fk_parent'],
  );
  const [grp, parent] = fks;
  assert.deepEqual(parent, {
    name: 'fk_parent',
    columns: ['parent_id'],
    referencedSchema: db.name,
    referencedTable: 'parent',
    referencedColumns: ['id'],
    onUpdate: 'RESTRICT',
    onDelete: 'CASCADE',
    referencesUniqueKey: true,
  });
  assert.equal(
    grp?.referencesUniqueKey,
    false,
    'InnoDB allows an FK to a non-unique index; PostgreSQL does not',
  );
  assert.deepEqual(grp?.referencedColumns, ['grp']);
});

test('a foreign key into another database is resolved against that database', () => {
  const [fk] = table('remote_child').foreignKeys;
  assert.equal(fk?.referencedSchema, other.name);
  assert.equal(fk?.referencedTable, 'accounts');
  assert.deepEqual(fk?.referencedColumns, ['code']);
  assert.equal(fk?.referencesUniqueKey, true);
});

test('table facts: no PK, comments, engine, counts, auto_increment', async () => {
  assert.equal(table('no_pk').primaryKey, null);
  assert.deepEqual(table('no_pk').indexes, []);
  assert.equal(table('kitchen').comment, 'one of everything');
  assert.equal(table('parent').comment, 'the parents');
  assert.equal(table('no_pk').comment, null);
  assert.equal(table('kitchen').storageEngine, 'InnoDB');
  assert.equal(table('kitchen').partitioned, false);
  assert.equal(table('parts').partitioned, true);
  assert.equal(table('parent').autoIncrement, 3);
  assert.equal(table('no_pk').autoIncrement, null);
  assert.ok(table('parent').rowEstimate >= 0);
  assert.ok(table('parent').dataBytes > 0);
  assert.ok(table('kitchen').indexBytes > 0);
  for (const t of model.tables) assert.equal(t.exactRows, null, 'no COUNT(*) unless asked');

  const counted = await engine.introspect({ exactCounts: true });
  const exact = Object.fromEntries(counted.tables.map((t) => [t.name, t.exactRows]));
  assert.deepEqual(exact, { kitchen: 0, no_pk: 0, parent: 2, parts: 0, remote_child: 0 });
});

test('triggers, views, routines, events', () => {
  assert.equal(model.triggers.length, 1);
  const [trigger] = model.triggers;
  assert.equal(trigger?.name, 'kitchen_bi');
  assert.equal(trigger?.table, 'kitchen');
  assert.equal(trigger?.timing, 'BEFORE INSERT');
  assert.match(trigger?.definition ?? '', /COALESCE/i);
  assert.deepEqual(table('kitchen').triggers, ['kitchen_bi']);
  assert.deepEqual(table('parent').triggers, []);

  assert.deepEqual(
    model.views.map((v) => [v.name, v.materialized]),
    [['kitchen_emails', false]],
  );
  assert.match(model.views[0]?.definition ?? '', /select/i);
  assert.ok(!model.tables.some((t) => t.name === 'kitchen_emails'), 'views are not tables');

  assert.deepEqual(model.routines, [
    { name: 'double_it', kind: 'function', language: 'sql' },
    { name: 'touch_parent', kind: 'procedure', language: 'sql' },
  ]);
  assert.deepEqual(model.events, [
    { name: 'nightly_cleanup', schedule: "EVERY 1 HOUR STARTS '2030-01-01 00:00:00'", status: 'DISABLED' },
  ]);
});

test('introspecting a database that does not exist fails clearly', async () => {
  const missing = `${db.name}_missing`;
  await assert.rejects(engine.introspect({ schema: missing }), (err: Error) => {
    assert.equal(err.name, 'EngineInputError', err.message);
    assert.ok(err.message.includes(`"${missing}" does not exist`), err.message);
    return true;
  });
});

test('an engine on a URL without a database refuses defaultSchema clearly', async () => {
  const bare = createMysqlEngine(new URL('/', db.url).toString());
  try {
    await assert.rejects(bare.defaultSchema(), (err: Error) => {
      assert.equal(err.name, 'EngineInputError', err.message);
      assert.match(err.message, /names no database/);
      return true;
    });
  } finally {
    await bare.close();
  }
});
