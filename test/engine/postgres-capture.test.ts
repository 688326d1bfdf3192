// Trigger change capture on a real PostgreSQL: the changelog holds exactly the key changes (composite,
// binary, numeric, unicode and timestamp keys, key changes), late commits are not lost, trim and lag,
// idempotent install and remove, a hostile table name.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import type { CapturedChange, ChangeCapture } from '../../src/engines/capture';
import { EngineInputError } from '../../src/engines/errors';
import { triggerCapture } from '../../src/engines/postgres/capture';
import { createPool } from '../../src/engines/postgres/engine';
import { createPostgresDatabase, execPostgres, type TestDatabase } from '../helpers/databases';

let db: TestDatabase;
let pool: pg.Pool;
let capture: ChangeCapture;
const HOSTILE = `we"ird 表 ; DROP TABLE x; --'`;

before(async () => {
  db = await createPostgresDatabase('cutover_cap');
  await execPostgres(db.url, [
    `CREATE SCHEMA app`,
    `CREATE TABLE app.orders (region text, n int, note text, amount numeric(30,4), PRIMARY KEY (region, n))`,
    `CREATE TABLE app.blobs (id bytea PRIMARY KEY, big bigint, at timestamptz)`,
    `CREATE TABLE app.nums (id numeric(40,2) PRIMARY KEY, pad char(4))`,
    `CREATE TABLE app.stamps (at timestamptz PRIMARY KEY)`,
    `CREATE TABLE app."${HOSTILE.replaceAll('"', '""')}" (id bigint PRIMARY KEY, v text)`,
  ]);
  pool = createPool(db.url);
  capture = triggerCapture(pool, 'app');
});

after(async () => {
  await pool?.end();
  await db?.drop();
});

const TABLES = [
  { table: 'orders', key: ['region', 'n'] },
  { table: 'blobs', key: ['id'] },
  { table: 'nums', key: ['id'] },
  { table: 'stamps', key: ['at'] },
  { table: HOSTILE, key: ['id'] },
];

async function readAll(
  position: string | null = null,
): Promise<{ changes: CapturedChange[]; position: string }> {
  const changes: CapturedChange[] = [];
  let pos = position;
  for (;;) {
    const batch = await capture.readBatch(pos, 3);
    changes.push(...batch.changes);
    pos = batch.position;
    if (batch.changes.length < 3) return { changes, position: pos! };
  }
}

const brief = (c: CapturedChange) => [c.table, c.op, c.key, c.oldKey];

test('install refuses unknown tables and columns, and is idempotent', async () => {
  await assert.rejects(capture.install([{ table: 'nope', key: ['id'] }]), EngineInputError);
  await assert.rejects(capture.install([{ table: 'orders', key: ['nope'] }]), /no column/);
  await assert.rejects(capture.install([]), EngineInputError);
  await capture.install(TABLES);
  await capture.install(TABLES);
  const { rows } = await pool.query(
    `SELECT count(*)::int AS n FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
      JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = 'app' AND NOT t.tgisinternal`,
  );
  assert.equal(rows[0].n, TABLES.length * 2, 'a row trigger and a TRUNCATE trigger per table');
});

test('the changelog holds exactly the key changes, in wire form', async () => {
  const start = await readAll();
  assert.deepEqual(start.changes, []);
  // A writer with a hostile session: other zone and date style must not change the captured keys.
  await execPostgres(db.url, [
    `SET TIME ZONE 'Asia/Kolkata'`,
    `SET DateStyle = 'SQL, DMY'`,
    `INSERT INTO app.orders VALUES ('eu', 1, NULL, NULL), ('😀 ü', 2, '😀', 12345678901234567890.1234)`,
    `UPDATE app.orders SET note = 'x' WHERE n = 1`,
    `UPDATE app.orders SET region = 'EU' WHERE n = 1`,
    `DELETE FROM app.orders WHERE n = 2`,
    `INSERT INTO app.blobs VALUES ('\\x00ff'::bytea, 9223372036854775807, now())`,
    `UPDATE app.blobs SET id = '\\x01'::bytea`,
    `INSERT INTO app.nums VALUES (12345678901234567890123456789012345678.50, 'a')`,
    `INSERT INTO app.stamps VALUES ('2024-01-31 12:00:00.123456+05:30')`,
    `INSERT INTO app."${HOSTILE.replaceAll('"', '""')}" VALUES (9007199254740993, 'v')`,
  ]);
  const { changes } = await readAll(start.position);
  assert.deepEqual(changes.map(brief), [
    ['orders', 'insert', ['eu', 1], null],
    ['orders', 'insert', ['😀 ü', 2], null],
    ['orders', 'update', ['eu', 1], null],
    ['orders', 'update', ['EU', 1], ['eu', 1]],
    ['orders', 'delete', ['😀 ü', 2], null],
    ['blobs', 'insert', [Buffer.from([0, 255])], null],
    ['blobs', 'update', [Buffer.from([1])], [Buffer.from([0, 255])]],
    ['nums', 'insert', ['12345678901234567890123456789012345678.50'], null],
    ['stamps', 'insert', ['2024-01-31 06:30:00.123456+00'], null],
    [HOSTILE, 'insert', ['9007199254740993'], null],
  ]);
  const ids = changes.map((c) => BigInt(c.id));
  assert.ok(ids.every((id, i) => i === 0 || id > ids[i - 1]!));
  assert.match(changes[0]!.capturedAt, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
});

test('a transaction that commits after a later one is read, not skipped; trim keeps it', async () => {
  const { position: start } = await readAll();
  await capture.trim(start);
  const t1 = new pg.Client({ connectionString: db.url });
  const t2 = new pg.Client({ connectionString: db.url });
  await t1.connect();
  await t2.connect();
  try {
    await t1.query('BEGIN');
    await t1.query(`INSERT INTO app.orders VALUES ('late', 1, NULL, NULL)`); // smaller changelog id
    await t2.query('BEGIN');
    await t2.query(`INSERT INTO app.orders VALUES ('early', 2, NULL, NULL)`);
    await t2.query('COMMIT');

    const first = await readAll(start);
    assert.deepEqual(first.changes.map(brief), [['orders', 'insert', ['early', 2], null]]);
    assert.equal(await capture.trim(first.position), 1);
    assert.deepEqual(await capture.lag(first.position), { rowsBehind: 0, secondsBehind: 0 });

    await t1.query('COMMIT');
    const second = await readAll(first.position);
    assert.deepEqual(second.changes.map(brief), [['orders', 'insert', ['late', 1], null]]);
    assert.ok(BigInt(second.changes[0]!.id) < BigInt(first.changes[0]!.id));
    const lagNow = await capture.lag(first.position);
    assert.equal(lagNow.rowsBehind, 1);
    assert.ok(lagNow.secondsBehind > 0 && lagNow.secondsBehind < 60);
    assert.equal(await capture.trim(second.position), 1);
    assert.deepEqual(await capture.lag(), { rowsBehind: 0, secondsBehind: 0 });
  } finally {
    await t1.end();
    await t2.end();
  }
});

test('a late commit is read even when the reader has moved past larger ids without trimming', async () => {
  const { position: start } = await readAll();
  const t1 = new pg.Client({ connectionString: db.url });
  await t1.connect();
  try {
    await t1.query('BEGIN');
    await t1.query(`INSERT INTO app.orders VALUES ('slow', 1, NULL, NULL)`);
    await execPostgres(db.url, [
      `INSERT INTO app.orders VALUES ('fast', 1, NULL, NULL)`,
      `INSERT INTO app.orders VALUES ('fast', 2, NULL, NULL)`,
    ]);
    const first = await readAll(start);
    assert.deepEqual(
      first.changes.map((c) => c.key),
      [
        ['fast', 1],
        ['fast', 2],
      ],
    );
    await t1.query('COMMIT');
    const second = await readAll(first.position);
    assert.deepEqual(
      second.changes.map((c) => c.key),
      [['slow', 1]],
    );
    assert.ok(second.changes.every((c) => first.changes.every((f) => BigInt(c.id) < BigInt(f.id))));
    assert.equal(await capture.trim(second.position), 3);
  } finally {
    await t1.end();
  }
});

test('a rolled-back transaction leaves nothing and holds nothing up', async () => {
  const { position } = await readAll();
  await execPostgres(db.url, [
    `BEGIN`,
    `INSERT INTO app.orders VALUES ('gone', 1, NULL, NULL)`,
    `ROLLBACK`,
    `INSERT INTO app.orders VALUES ('kept', 1, NULL, NULL)`,
  ]);
  const { changes } = await readAll(position);
  assert.deepEqual(changes.map(brief), [['orders', 'insert', ['kept', 1], null]]);
});

test('TRUNCATE is captured as a change with an empty key', async () => {
  const { position } = await readAll();
  await execPostgres(db.url, [`TRUNCATE app.nums`, `INSERT INTO app.nums VALUES (1, 'b')`]);
  const { changes } = await readAll(position);
  assert.deepEqual(changes.map(brief), [
    ['nums', 'truncate', [], null],
    ['nums', 'insert', ['1.00'], null],
  ]);
});

test('positions from elsewhere are refused', async () => {
  await assert.rejects(capture.readBatch('{"engine":"mysql"}', 10), EngineInputError);
  await assert.rejects(capture.trim('garbage'), EngineInputError);
  await assert.rejects(capture.readBatch(null, 0), EngineInputError);
});

test('remove leaves nothing of cutover and is idempotent; install works again after', async () => {
  await capture.remove();
  await capture.remove();
  const { rows } = await pool.query(
    `SELECT (SELECT count(*) FROM pg_namespace WHERE nspname = '_cutover')::int AS schemas,
            (SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal)::int AS triggers,
            (SELECT count(*) FROM pg_proc WHERE proname LIKE '\\_cutover%')::int AS functions,
            (SELECT count(*) FROM pg_class WHERE relname LIKE '\\_cutover%')::int AS relations`,
  );
  assert.deepEqual(rows[0], { schemas: 0, triggers: 0, functions: 0, relations: 0 });
  await execPostgres(db.url, [`INSERT INTO app.orders VALUES ('after', 1, NULL, NULL)`]);
  await capture.install(TABLES.slice(0, 1));
  await execPostgres(db.url, [`DELETE FROM app.orders WHERE region = 'after'`]);
  const { changes } = await readAll();
  assert.deepEqual(changes.map(brief), [['orders', 'delete', ['after', 1], null]]);
  await capture.remove();
});

test('a hostile schema name works, and captures of two schemas share the changelog without mixing', async () => {
  const schema = `sch"ema ü; --`;
  const qs = `"${schema.replaceAll('"', '""')}"`;
  await execPostgres(db.url, [`CREATE SCHEMA ${qs}`, `CREATE TABLE ${qs}."t t" (id int PRIMARY KEY)`]);
  const other = triggerCapture(pool, schema);
  await other.install([{ table: 't t', key: ['id'] }]);
  await other.install([{ table: 't t', key: ['id'] }]);
  await capture.install(TABLES.slice(0, 1));
  await execPostgres(db.url, [
    `INSERT INTO ${qs}."t t" VALUES (7)`,
    `UPDATE ${qs}."t t" SET id = 8`,
    `INSERT INTO app.orders VALUES ('mine', 1, NULL, NULL)`,
  ]);
  const theirs = await other.readBatch(null, 10);
  assert.deepEqual(theirs.changes.map(brief), [
    ['t t', 'insert', [7], null],
    ['t t', 'update', [8], [7]],
  ]);
  assert.equal(await other.trim(theirs.position), 2);
  await other.remove();
  const mine = await capture.readBatch(null, 10);
  assert.deepEqual(mine.changes.map(brief), [['orders', 'insert', ['mine', 1], null]]);
  await capture.remove();
  const { rows } = await pool.query(
    `SELECT (SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal)::int AS triggers,
            (SELECT count(*) FROM pg_namespace WHERE nspname = '_cutover')::int AS schemas`,
  );
  assert.deepEqual(rows[0], { triggers: 0, schemas: 0 });
});

test('names that hold the dollar-quote tag or backslashes cannot break out of the trigger function', async () => {
  const own = await createPostgresDatabase('cutover_capq');
  const ownPool = createPool(own.url);
  const column = 'k$cutover$ END; $x$';
  const table = 'ev\\il$cutover$';
  try {
    await execPostgres(own.url, [
      'CREATE SCHEMA s',
      `CREATE TABLE s."${table}" ("${column}" int PRIMARY KEY, v text)`,
      'CREATE TABLE s.canary (n int)',
    ]);
    const cap = triggerCapture(ownPool, 's');
    await cap.install([{ table, key: [column] }]);
    const start = await cap.readBatch(null, 10);
    // The application's writes still work, under either string-literal setting.
    await execPostgres(own.url, [
      `INSERT INTO s."${table}" VALUES (1, 'a')`,
      `SET standard_conforming_strings = off`,
      `UPDATE s."${table}" SET v = 'b'`,
    ]);
    const { changes } = await cap.readBatch(start.position, 10);
    assert.deepEqual(
      changes.map((c) => [c.table, c.op, c.key]),
      [
        [table, 'insert', [1]],
        [table, 'update', [1]],
      ],
    );
    const { rows } = await ownPool.query(`SELECT count(*)::int AS n FROM s.canary`);
    assert.equal(rows[0].n, 0);
    await cap.remove();
  } finally {
    await ownPool.end();
    await own.drop();
  }
});
