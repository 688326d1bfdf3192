// MySQL capture DDL on a busy source: CREATE/DROP TRIGGER waits only briefly for the table's metadata
// lock (a waiting CREATE TRIGGER blocks every writer queued behind it), retries, and names the blocking
// session when the lock never comes; servers whose changelog ids the reader cannot order are refused.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import mysql from 'mysql2/promise';
import { CaptureLockError, type LockBlocker } from '../../src/engines/capture';
import { EngineInputError } from '../../src/engines/errors';
import { triggerCapture } from '../../src/engines/mysql/capture';
import { createPool } from '../../src/engines/mysql/engine';
import { createMysqlDatabase, execMysql, type TestDatabase } from '../helpers/databases';

let db: TestDatabase;
let pool: mysql.Pool;

before(async () => {
  db = await createMysqlDatabase('cutover_capddl');
  await execMysql(db.url, [
    'CREATE TABLE t (id INT PRIMARY KEY, v TEXT)',
    'CREATE TABLE u (id INT PRIMARY KEY, v TEXT)',
    `INSERT INTO u VALUES (1, 'one')`,
  ]);
  pool = createPool(db.url);
});

after(async () => {
  await pool?.end();
  await db?.drop();
});

async function triggersOn(table: string): Promise<number> {
  const [rows] = await pool.query<mysql.RowDataPacket[]>(
    'SELECT COUNT(*) AS n FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = ? AND EVENT_OBJECT_TABLE = ?',
    [db.name, table],
  );
  return Number(rows[0]!.n);
}

async function changelogExists(): Promise<boolean> {
  const [rows] = await pool.query<mysql.RowDataPacket[]>(
    `SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = '_cutover_changelog'`,
    [db.name],
  );
  return rows.length > 0;
}

test('auto_increment_increment > 1 is refused before anything is created, naming the setting', async () => {
  // The install reads the global and its own session's value: set the session's (nothing global).
  const one = createPool(db.url);
  try {
    const conn = await one.getConnection();
    await conn.query('SET SESSION auto_increment_increment = 2');
    conn.release();
    await assert.rejects(
      triggerCapture(one, db.name).install([{ table: 't', key: ['id'] }]),
      (err: unknown) =>
        err instanceof EngineInputError && /auto_increment_increment = 1, not 2/.test(err.message),
    );
  } finally {
    await one.end();
  }
  assert.equal(await triggersOn('t'), 0);
  assert.equal(await changelogExists(), false);
});

test('install waits out a transaction holding the table: it retries, and completes once it commits', async () => {
  const capture = triggerCapture(pool, db.name);
  const blocker = await mysql.createConnection({ uri: db.url });
  try {
    const [[me]] = await blocker.query<mysql.RowDataPacket[]>('SELECT CONNECTION_ID() AS id');
    await blocker.query('START TRANSACTION');
    await blocker.query(`INSERT INTO t VALUES (10, 'blocker')`);
    const retries: { attempt: number; blockers: LockBlocker[] }[] = [];
    let sawRetry!: () => void;
    const retried = new Promise<void>((resolve) => (sawRetry = resolve));
    const installing = capture.install([{ table: 't', key: ['id'] }], {
      onLockRetry: (r) => {
        retries.push(r);
        sawRetry();
      },
    });
    await retried;
    assert.equal(await triggersOn('t'), 0, 'nothing is installed while the lock is held');
    const named = retries[0]!.blockers.find((b) => b.id === Number(me!.id));
    assert.ok(named, JSON.stringify(retries[0]));
    assert.equal(named.user, 'root');
    assert.ok(named.transactionSeconds >= 1 && named.transactionSeconds < 60, JSON.stringify(named));
    await blocker.query('COMMIT');
    await installing;
    assert.equal(await triggersOn('t'), 3);
    await execMysql(db.url, [`INSERT INTO t VALUES (11, 'after')`]);
    const batch = await capture.readBatch(null, 100);
    assert.deepEqual(
      batch.changes.map((c) => c.key),
      [[11]],
    );
  } finally {
    await blocker.end();
    await capture.remove();
  }
});

test('a blocker that never ends: a clear error naming it, nothing half-installed, remove() clean', async () => {
  const capture = triggerCapture(pool, db.name);
  const blocker = await mysql.createConnection({ uri: db.url });
  try {
    const [[me]] = await blocker.query<mysql.RowDataPacket[]>('SELECT CONNECTION_ID() AS id');
    await blocker.query('START TRANSACTION');
    await blocker.query(`UPDATE u SET v = 'secret-marker' WHERE id = 1`);
    const err = await capture
      .install(
        [
          { table: 't', key: ['id'] },
          { table: 'u', key: ['id'] },
        ],
        { lockAttempts: 2 },
      )
      .then(
        () => assert.fail('install succeeded'),
        (e: unknown) => e,
      );
    assert.ok(err instanceof CaptureLockError, String(err));
    assert.match(
      err.message,
      /could not install change capture on `[^`]+`\.`u`: its lock was not granted within 2 attempts/,
    );
    assert.match(
      err.message,
      new RegExp(`session ${me!.id} \\(user "root", transaction open for [1-9]\\d* s\\)`),
    );
    assert.doesNotMatch(err.message, /secret-marker|UPDATE/);
    // Without metadata-lock tables (performance_schema, metadata_lock_info) the server cannot say
    // which open transaction holds the table, and the message says so.
    assert.match(err.message, /blocked by session|the server cannot tell which session holds it/);
    assert.equal(await triggersOn('u'), 0, 'the blocked table has no trigger');
    await blocker.query('ROLLBACK');
    await capture.remove();
    assert.equal(await triggersOn('t'), 0);
    assert.equal(await changelogExists(), false);
  } finally {
    await blocker.end();
  }
});

test('an abandoned install that adds a trigger while remove() waits for the changelog: writes still work after remove()', async () => {
  const capture = triggerCapture(pool, db.name);
  await capture.install([{ table: 't', key: ['id'] }]);
  // A reader holds the changelog, so remove() has dropped t's triggers and now waits to drop the
  // changelog; meanwhile an install the server already gave up on (a worker stalled past its
  // heartbeat timeout) creates u's triggers, which write to that changelog.
  const reader = await mysql.createConnection({ uri: db.url });
  try {
    await reader.query('START TRANSACTION');
    await reader.query('SELECT COUNT(*) FROM _cutover_changelog');
    let zombie: Promise<void> | null = null;
    const removing = capture.remove({
      onLockRetry: () => {
        zombie ??= triggerCapture(pool, db.name)
          .install([{ table: 'u', key: ['id'] }])
          .then(() => reader.query('COMMIT'))
          .then(() => undefined);
      },
    });
    await removing;
    await zombie;
    assert.equal(await changelogExists(), false);
    assert.equal(await triggersOn('u'), 0, 'no trigger is left writing to a changelog that is gone');
    await execMysql(db.url, [`INSERT INTO u VALUES (20, 'the app writes on')`, `UPDATE t SET v = 'x'`]);
  } finally {
    await reader.end();
    await capture.remove();
  }
});

test('install stops adding triggers once its signal aborts (an attempt the server abandoned)', async () => {
  const capture = triggerCapture(pool, db.name);
  try {
    await assert.rejects(
      capture.install([{ table: 'u', key: ['id'] }], { signal: AbortSignal.abort() }),
      (err: unknown) => (err as Error).name === 'AbortError',
    );
    assert.equal(await triggersOn('u'), 0);
  } finally {
    await capture.remove();
  }
});
