// PostgreSQL capture DDL on a busy source: triggers that fire for writes made as a logical-replication
// applier or pg_restore (session_replication_role = replica), and CREATE/DROP TRIGGER that waits only
// briefly for its table lock, retries, and names the blocking session when the lock never comes.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { CaptureLockError, type LockBlocker } from '../../src/engines/capture';
import { triggerCapture } from '../../src/engines/postgres/capture';
import { createPool } from '../../src/engines/postgres/engine';
import { createPostgresDatabase, execPostgres, type TestDatabase } from '../helpers/databases';

let db: TestDatabase;
let pool: pg.Pool;

before(async () => {
  db = await createPostgresDatabase('cutover_capddl');
  await execPostgres(db.url, [
    'CREATE SCHEMA app',
    'CREATE TABLE app.t (id int PRIMARY KEY, v text)',
    'CREATE TABLE app.u (id int PRIMARY KEY, v text)',
  ]);
  pool = createPool(db.url);
});

after(async () => {
  await pool?.end();
  await db?.drop();
});

async function connect(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  return c;
}

async function triggersOn(table: string): Promise<number> {
  const { rows } = await pool.query(
    `SELECT count(*)::int AS n FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
      JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = 'app' AND c.relname = $1 AND NOT t.tgisinternal`,
    [table],
  );
  return rows[0].n;
}

test('writes made with session_replication_role = replica are captured', async () => {
  const capture = triggerCapture(pool, 'app');
  await capture.install([{ table: 't', key: ['id'] }]);
  try {
    const writer = await connect();
    try {
      await writer.query('SET session_replication_role = replica');
      await writer.query(`INSERT INTO app.t VALUES (1, 'as replica')`);
      await writer.query(`UPDATE app.t SET id = 2 WHERE id = 1`);
      await writer.query('TRUNCATE app.t');
    } finally {
      await writer.end();
    }
    const batch = await capture.readBatch(null, 100);
    assert.deepEqual(
      batch.changes.map((c) => [c.op, c.key, c.oldKey]),
      [
        ['insert', [1], null],
        ['update', [2], [1]],
        ['truncate', [], null],
      ],
    );
  } finally {
    await capture.remove();
  }
});

test('install waits out a transaction holding the table: it retries, and completes once it commits', async () => {
  const capture = triggerCapture(pool, 'app');
  const blocker = await connect();
  try {
    const { rows } = await blocker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    await blocker.query('BEGIN');
    await blocker.query(`INSERT INTO app.t VALUES (10, 'blocker')`);
    const retries: { attempt: number; blockers: LockBlocker[] }[] = [];
    let sawRetry!: () => void;
    const retried = new Promise<void>((resolve) => (sawRetry = resolve));
    const started = Date.now();
    const installing = capture.install([{ table: 't', key: ['id'] }], {
      lockTimeoutMs: 200,
      onLockRetry: (r) => {
        retries.push(r);
        sawRetry();
      },
    });
    await retried;
    assert.equal(await triggersOn('t'), 0, 'nothing is installed while the lock is held');
    assert.deepEqual(
      retries[0]!.blockers.map((b) => [b.id, b.user]),
      [[rows[0]!.pid, 'postgres']],
    );
    await blocker.query('COMMIT');
    await installing;
    assert.ok(Date.now() - started < 15_000);
    assert.equal(await triggersOn('t'), 2);
    await execPostgres(db.url, [`INSERT INTO app.t VALUES (11, 'after')`]);
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
  const capture = triggerCapture(pool, 'app');
  const blocker = await connect();
  try {
    const { rows } = await blocker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    await blocker.query('BEGIN');
    await blocker.query(`UPDATE app.u SET v = 'secret-marker' WHERE id = 1`);
    await new Promise((r) => setTimeout(r, 1100));
    const err = await capture
      .install(
        [
          { table: 't', key: ['id'] },
          { table: 'u', key: ['id'] },
        ],
        { lockTimeoutMs: 100, lockAttempts: 3 },
      )
      .then(
        () => assert.fail('install succeeded'),
        (e: unknown) => e,
      );
    assert.ok(err instanceof CaptureLockError, String(err));
    assert.match(err.message, /could not install change capture on "app"\."u"/);
    assert.match(
      err.message,
      new RegExp(`session ${rows[0]!.pid} \\(user "postgres", transaction open for [1-9]\\d* s\\)`),
    );
    assert.doesNotMatch(err.message, /secret-marker|UPDATE/);
    assert.equal(await triggersOn('u'), 0, 'the blocked table has no trigger');
    await blocker.query('ROLLBACK');
    await capture.remove();
    assert.equal(await triggersOn('t'), 0);
    const { rows: left } = await pool.query(`SELECT 1 FROM pg_namespace WHERE nspname = '_cutover'`);
    assert.equal(left.length, 0);
  } finally {
    await blocker.end();
  }
});

test('remove waits out a reader holding the table, then drops the trigger', async () => {
  const capture = triggerCapture(pool, 'app');
  await capture.install([{ table: 'u', key: ['id'] }]);
  const blocker = await connect();
  try {
    await blocker.query('BEGIN');
    await blocker.query('SELECT * FROM app.u');
    let retried = 0;
    const removing = capture.remove({ lockTimeoutMs: 100, onLockRetry: () => void retried++ });
    while (!retried) await new Promise((r) => setTimeout(r, 50));
    await blocker.query('COMMIT');
    await removing;
    assert.equal(await triggersOn('u'), 0);
  } finally {
    await blocker.end();
  }
});
