// Trigger change capture on a real MariaDB: the changelog holds exactly the key changes (composite,
// binary, decimal, unicode and timestamp keys, key changes), late commits are not lost and rolled-back
// ones do not hold anything up, trim and lag, idempotent install and remove, a hostile table name and a
// table that already has a trigger of its own.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import mysql from 'mysql2/promise';
import type { CapturedChange, ChangeCapture } from '../../src/engines/capture';
import { EngineInputError } from '../../src/engines/errors';
import { mergeHoles, triggerCapture } from '../../src/engines/mysql/capture';
import { createPool } from '../../src/engines/mysql/engine';
import { createMysqlDatabase, execMysql, type TestDatabase } from '../helpers/databases';

let db: TestDatabase;
let pool: mysql.Pool;
let capture: ChangeCapture;
const HOSTILE = 'we`ird 表 ; DROP TABLE x; --\'"';
const q = (name: string) => '`' + name.replaceAll('`', '``') + '`';

before(async () => {
  db = await createMysqlDatabase('cutover_cap');
  await execMysql(db.url, [
    `CREATE TABLE orders (region VARCHAR(20) NOT NULL, n INT NOT NULL, note TEXT, amount DECIMAL(30,4),
       PRIMARY KEY (region, n)) DEFAULT CHARSET utf8mb4 COLLATE utf8mb4_general_ci`,
    `CREATE TABLE blobs (id VARBINARY(16) NOT NULL PRIMARY KEY, big BIGINT UNSIGNED, at TIMESTAMP(6) NULL)`,
    `CREATE TABLE nums (id DECIMAL(40,2) NOT NULL PRIMARY KEY, b BIGINT)`,
    `CREATE TABLE stamps (at TIMESTAMP(3) NOT NULL PRIMARY KEY, d DATETIME)`,
    `CREATE TABLE ${q(HOSTILE)} (id BIGINT UNSIGNED NOT NULL PRIMARY KEY, v TEXT)`,
    `CREATE TABLE audit (n INT)`,
    `CREATE TRIGGER app_audit AFTER INSERT ON orders FOR EACH ROW INSERT INTO audit VALUES (NEW.n)`,
  ]);
  pool = createPool(db.url);
  capture = triggerCapture(pool, db.name);
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
    const done = batch.position === pos;
    pos = batch.position;
    if (batch.changes.length < 3 || done) return { changes, position: pos };
  }
}

const brief = (c: CapturedChange) => [c.table, c.op, c.key, c.oldKey];

/** The changelog's committed ids, ascending. */
async function changelogIds(): Promise<string[]> {
  const [rows] = await pool.query<mysql.RowDataPacket[]>(
    `SELECT CAST(id AS CHAR) AS id FROM ${q(db.name)}._cutover_changelog ORDER BY id`,
  );
  return rows.map((r) => r.id as string);
}

async function ourTriggers(): Promise<string[]> {
  const [rows] = await pool.query<mysql.RowDataPacket[]>(
    `SELECT TRIGGER_NAME AS name FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY 1`,
    [db.name],
  );
  return rows.map((r) => r.name as string);
}

test('install refuses unknown tables and columns, and is idempotent', async () => {
  await assert.rejects(capture.install([{ table: 'nope', key: ['id'] }]), EngineInputError);
  await assert.rejects(capture.install([{ table: 'orders', key: ['nope'] }]), /no column/);
  await capture.install(TABLES);
  const first = await ourTriggers();
  await capture.install(TABLES);
  assert.deepEqual(await ourTriggers(), first);
  assert.equal(first.length, TABLES.length * 3 + 1);
  for (const name of first.filter((n) => n !== 'app_audit')) {
    assert.match(name, /^_cutover_[0-9a-f]{16}_(ins|upd|del)$/);
    assert.ok(name.length <= 64);
  }
});

test('the changelog holds exactly the key changes, in wire form; other triggers still run', async () => {
  const start = await readAll();
  assert.deepEqual(start.changes, []);
  // A writer in another time zone: TIMESTAMP keys are still captured as UTC text.
  await execMysql(db.url, [
    `SET time_zone = '+05:30'`,
    `INSERT INTO orders VALUES ('eu', 1, NULL, NULL), ('😀 ü', 2, '😀', 12345678901234567890.1234)`,
    `UPDATE orders SET note = 'x' WHERE n = 1`,
    `UPDATE orders SET region = 'EU' WHERE n = 1`,
    `DELETE FROM orders WHERE n = 2`,
    `INSERT INTO blobs VALUES (X'00ff', 18446744073709551615, NOW())`,
    `UPDATE blobs SET id = X'01'`,
    `INSERT INTO nums VALUES (12345678901234567890123456789012345678.50, NULL)`,
    `INSERT INTO stamps VALUES ('2024-01-31 12:00:00.123', NULL)`,
    `INSERT INTO ${q(HOSTILE)} VALUES (18446744073709551615, 'v')`,
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
    ['stamps', 'insert', ['2024-01-31 06:30:00.123'], null],
    [HOSTILE, 'insert', ['18446744073709551615'], null],
  ]);
  assert.match(changes[0]!.capturedAt, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
  const [audit] = await pool.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM audit');
  assert.equal(Number(audit[0]!.n), 2);
});

test('a transaction that commits after a later one is read, not skipped; trim keeps it', async () => {
  const { position: start } = await readAll();
  await capture.trim(start);
  const t1 = await mysql.createConnection(db.url);
  const t2 = await mysql.createConnection(db.url);
  try {
    await t1.query('BEGIN');
    await t1.query(`INSERT INTO orders VALUES ('late', 1, NULL, NULL)`); // smaller changelog id
    await t2.query(`INSERT INTO orders VALUES ('early', 2, NULL, NULL), ('early', 3, NULL, NULL)`);

    const first = await readAll(start);
    assert.deepEqual(first.changes.map(brief), [
      ['orders', 'insert', ['early', 2], null],
      ['orders', 'insert', ['early', 3], null],
    ]);
    // Trim must neither wait for the open transaction nor delete its id (nor the last row).
    const trimmed = await Promise.race([
      capture.trim(first.position),
      new Promise<string>((r) => setTimeout(() => r('blocked'), 3000)),
    ]);
    assert.notEqual(trimmed, 'blocked');
    assert.deepEqual(await changelogIds(), [first.changes[1]!.id]);

    await t1.query('COMMIT');
    const second = await readAll(first.position);
    assert.deepEqual(second.changes.map(brief), [['orders', 'insert', ['late', 1], null]]);
    assert.ok(BigInt(second.changes[0]!.id) < BigInt(first.changes[0]!.id));
    const lagNow = await capture.lag(first.position);
    assert.equal(lagNow.rowsBehind, 1);
    assert.ok(lagNow.secondsBehind > 0 && lagNow.secondsBehind < 60);
    assert.equal(await capture.trim(second.position), 1);
    assert.deepEqual(await changelogIds(), [first.changes[1]!.id]);
    assert.deepEqual(await capture.lag(second.position), { rowsBehind: 0, secondsBehind: 0 });
    // The hole is settled: the position no longer carries it.
    const third = await capture.readBatch(second.position, 10);
    assert.deepEqual(third.changes, []);
    assert.deepEqual(JSON.parse(third.position).holes, []);
  } finally {
    await t1.end();
    await t2.end();
  }
});

/**
 * Read on from `position` until it has no holes left: ids below it stay holes while any older
 * transaction runs on the server, and other test files' transactions share this server.
 */
async function settled(position: string): Promise<string> {
  for (let i = 0; JSON.parse(position).holes.length; i++) {
    assert.ok(i < 75, `holes still open after 15 s: ${position}`);
    await new Promise((r) => setTimeout(r, 200));
    const r = await capture.readBatch(position, 10);
    assert.deepEqual(r.changes, [], 'nothing new appears while the holes settle');
    position = r.position;
  }
  return position;
}

test('a rolled-back transaction leaves a hole that settles once it has ended', async () => {
  // From the start, ids trimmed before are holes too; they settle as soon as nothing older runs.
  const position = await settled((await readAll()).position);
  const t1 = await mysql.createConnection(db.url);
  try {
    await t1.query('BEGIN');
    await t1.query(`INSERT INTO orders VALUES ('gone', 1, NULL, NULL)`);
    // innodb_trx is a cache refreshed at most every 0.1 s: ask until this transaction shows.
    let own: { id: string } | undefined;
    for (let i = 0; i < 20 && !own; i++) {
      if (i) await new Promise((r) => setTimeout(r, 150));
      [[own]] = (await t1.query(
        'SELECT CAST(trx_id AS CHAR) AS id FROM information_schema.innodb_trx WHERE trx_mysql_thread_id = CONNECTION_ID()',
      )) as unknown as [{ id: string }[]];
    }
    assert.ok(own, 'the open transaction is listed');
    await execMysql(db.url, [`INSERT INTO orders VALUES ('kept', 1, NULL, NULL)`]);
    const first = await readAll(position);
    assert.deepEqual(first.changes.map(brief), [['orders', 'insert', ['kept', 1], null]]);
    const again = await capture.readBatch(first.position, 10);
    assert.equal(JSON.parse(again.position).holes.length, 1, 'the open transaction keeps its hole');
    await t1.query('ROLLBACK');
    // The next read sees the transaction gone; later reads re-read the hole and forget it once no
    // older transaction runs (other tests' transactions on the shared server may hold it a moment).
    const seen = await capture.readBatch(again.position, 10);
    assert.ok(
      !JSON.parse(seen.position).holes[0].waitFor.includes(own.id),
      'the ended transaction is not waited for',
    );
    let settled = await capture.readBatch(seen.position, 10);
    for (let i = 0; i < 50 && JSON.parse(settled.position).holes.length; i++) {
      assert.deepEqual(settled.changes, []);
      await new Promise((r) => setTimeout(r, 200));
      settled = await capture.readBatch(settled.position, 10);
    }
    assert.deepEqual(settled.changes, []);
    assert.deepEqual(JSON.parse(settled.position).holes, []);
  } finally {
    await t1.end();
  }
});

test('trim keeps the last row, so a restart that resets AUTO_INCREMENT loses no change', async () => {
  const { position: start } = await readAll();
  await execMysql(db.url, [
    `INSERT INTO orders VALUES ('floor', 1, NULL, NULL), ('floor', 2, NULL, NULL)`,
    `DELETE FROM orders WHERE region = 'floor'`,
  ]);
  const read = await readAll(start);
  assert.equal(read.changes.length, 4);
  const applied = { changes: read.changes, position: await settled(read.position) };
  await capture.trim(applied.position);
  assert.deepEqual(
    await changelogIds(),
    [applied.changes[3]!.id],
    'everything applied is gone but the last row',
  );
  assert.deepEqual(await capture.lag(applied.position), { rowsBehind: 0, secondsBehind: 0 });
  // What MySQL 5.7 and MariaDB < 10.2.4 do on a restart: the counter becomes MAX(id) + 1 (InnoDB
  // raises a lower AUTO_INCREMENT to that); on an emptied changelog it would be 1 again.
  await execMysql(db.url, [`ALTER TABLE ${q(db.name)}._cutover_changelog AUTO_INCREMENT = 1`]);
  await execMysql(db.url, [`INSERT INTO orders VALUES ('after restart', 1, NULL, NULL)`]);
  const next = await readAll(applied.position);
  assert.deepEqual(next.changes.map(brief), [['orders', 'insert', ['after restart', 1], null]]);
  assert.ok(BigInt(next.changes[0]!.id) > BigInt(applied.changes[3]!.id));
  await capture.trim(next.position);
});

test('positions from elsewhere are refused', async () => {
  await assert.rejects(capture.readBatch('{"engine":"postgres"}', 10), EngineInputError);
  await assert.rejects(capture.trim('garbage'), EngineInputError);
  await assert.rejects(capture.readBatch(null, 0), EngineInputError);
});

test('remove leaves nothing of cutover and is idempotent; other triggers stay', async () => {
  await capture.remove();
  await capture.remove();
  assert.deepEqual(await ourTriggers(), ['app_audit']);
  const [tables] = await pool.query<mysql.RowDataPacket[]>(
    `SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME LIKE '\\_cutover%'`,
    [db.name],
  );
  assert.equal(Number(tables[0]!.n), 0);
  await execMysql(db.url, [`INSERT INTO orders VALUES ('after', 1, NULL, NULL)`]);
  await capture.install(TABLES.slice(0, 1));
  await execMysql(db.url, [`DELETE FROM orders WHERE region = 'after'`]);
  const { changes } = await readAll();
  assert.deepEqual(changes.map(brief), [['orders', 'delete', ['after', 1], null]]);
  await capture.remove();
});

test('holes waiting for the same transactions merge, adjacent ranges join', () => {
  assert.deepEqual(
    mergeHoles([
      { ranges: [['5', '6']], waitFor: ['9', '7'] },
      { ranges: [['1', '2']], waitFor: null },
      {
        ranges: [
          ['7', '7'],
          ['10', '12'],
        ],
        waitFor: ['7', '9'],
      },
      { ranges: [['3', '3']], waitFor: null },
    ]),
    [
      {
        ranges: [
          ['5', '7'],
          ['10', '12'],
        ],
        waitFor: ['7', '9'],
      },
      { ranges: [['1', '3']], waitFor: null },
    ],
  );
});

test('a FLOAT key is captured as its exact stored value, so the row can be found again', async () => {
  const own = await createMysqlDatabase('cutover_capf');
  const ownPool = createPool(own.url);
  try {
    await execMysql(own.url, ['CREATE TABLE f (id FLOAT NOT NULL PRIMARY KEY, v INT)']);
    const cap = triggerCapture(ownPool, own.name);
    await cap.install([{ table: 'f', key: ['id'] }]);
    const start = await cap.readBatch(null, 10);
    await execMysql(own.url, ['INSERT INTO f VALUES (1/3, 1), (123456792, 2)']);
    const { changes } = await cap.readBatch(start.position, 10);
    const keys = changes.map((c) => c.key[0]);
    const [stored] = await ownPool.query<mysql.RowDataPacket[]>('SELECT id + 0e0 AS id FROM f ORDER BY id');
    assert.deepEqual(keys.sort(), stored.map((r) => r.id as number).sort());
    assert.equal(keys.includes(0.333333), false, 'not the 6-digit print form');
    for (const key of keys) {
      const [hit] = await ownPool.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM f WHERE id = ?', [
        key,
      ]);
      assert.equal(Number(hit[0]!.n), 1, `key ${key} finds its row`);
    }
    await cap.remove();
  } finally {
    await ownPool.end();
    await own.drop();
  }
});
