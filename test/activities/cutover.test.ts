// The cutover activities in a MockActivityEnvironment on real databases (PostgreSQL source reached
// through a URL with a password, MySQL target): fence the source (writes rejected), fail clearly and
// retryably when a long transaction blocks the fence, refuse unknown tables without retry, lift
// (idempotent), fence the target as a rollback does, switch the routing on both sides (a stale epoch
// is not retried), run hooks (a missing one is not retried); nothing that leaves an activity holds
// the password or the hook's token.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import mysql from 'mysql2/promise';
import pg from 'pg';
import {
  fenceState,
  fenceWrites,
  liftFence,
  readRouting,
  runHook,
  switchRouting,
  type FenceWritesResult,
} from '../../src/activities/cutover';
import {
  createMysqlDatabase,
  createPostgresDatabase,
  execMysql,
  execPostgres,
  withCredentials,
  type TestDatabase,
} from '../helpers/databases';

const PASSWORD = 'Pw-cutover-act-4q9z';
const HOOK_TOKEN = 'hooktoken-7Hq2x';
let pgdb: TestDatabase;
let my: TestDatabase;
const source = { engine: 'postgres' as const, connection: 'CUT_SRC', schema: 'public' };
const target = { engine: 'mysql' as const, connection: 'CUT_DST' };
const leaving: unknown[] = [];

async function run<A, R>(fn: (input: A) => Promise<R>, input: A): Promise<R> {
  const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 3000 });
  env.on('heartbeat', (d: unknown) => leaving.push(d));
  try {
    const r = (await env.run(fn, input)) as R;
    leaving.push(r);
    return r;
  } catch (err) {
    leaving.push(err instanceof Error ? `${err.name} ${err.message} ${err.stack ?? ''}` : err);
    throw err;
  }
}

async function pgWrite(sql: string): Promise<string | null> {
  const c = new pg.Client({ connectionString: pgdb.url });
  await c.connect();
  try {
    await c.query(sql);
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await c.end();
  }
}

async function myWrite(sql: string): Promise<string | null> {
  const c = await mysql.createConnection({ uri: my.url });
  try {
    await c.query(sql);
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await c.end();
  }
}

function failure(err: unknown): ApplicationFailure {
  assert.ok(err instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err)}`);
  return err;
}

before(async () => {
  [pgdb, my] = await Promise.all([createPostgresDatabase('cutover_cut'), createMysqlDatabase('cutover_cut')]);
  process.env.CUTOVER_DB_CUT_SRC = withCredentials(pgdb.url, 'postgres', PASSWORD);
  process.env.CUTOVER_DB_CUT_DST = my.url;
  await execPostgres(pgdb.url, [
    `CREATE TABLE orders (id int PRIMARY KEY)`,
    `CREATE TABLE items (id int PRIMARY KEY)`,
  ]);
  await execMysql(my.url, [
    `CREATE TABLE orders (id INT PRIMARY KEY)`,
    `CREATE TABLE items (id INT PRIMARY KEY)`,
  ]);
});

after(async () => {
  delete process.env.CUTOVER_DB_CUT_SRC;
  delete process.env.CUTOVER_DB_CUT_DST;
  delete process.env.CUTOVER_HOOK_PAUSE_APP;
  delete process.env.CUTOVER_HOOK_ROUTE;
  await Promise.all([pgdb?.drop(), my?.drop()]);
  const text = JSON.stringify(leaving);
  assert.equal(text.includes(PASSWORD), false, 'the password left an activity');
  assert.equal(text.includes(HOOK_TOKEN), false, "the hook's token left an activity");
});

describe('cutover activities', () => {
  let fenced: FenceWritesResult;

  test('fenceWrites fences the source: writes are rejected naming the table and migration', async () => {
    fenced = await run(fenceWrites, {
      endpoint: source,
      tables: ['orders', 'items'],
      migration: 'mig-1',
      mode: 'trigger',
    });
    assert.deepEqual(
      { ...fenced, fencedAt: typeof fenced.fencedAt },
      { schema: 'public', mode: 'trigger', tables: ['items', 'orders'], fencedAt: 'string', previous: null },
    );
    assert.equal(
      await pgWrite(`INSERT INTO orders VALUES (1)`),
      'cutover: writes to "public"."orders" are fenced while migration "mig-1" cuts over',
    );
    const state = await run(fenceState, { endpoint: source, migration: 'mig-1' });
    assert.deepEqual(state.tables, ['items', 'orders']);
    // A retry of the activity (after a crash) reports the same fence.
    const again = await run(fenceWrites, {
      endpoint: source,
      tables: ['orders', 'items'],
      migration: 'mig-1',
      mode: 'trigger',
    });
    assert.equal(again.fencedAt, fenced.fencedAt);
  });

  test('a fence blocked by a long transaction fails retryably, naming the session; nothing is left', async () => {
    const app = new pg.Client({ connectionString: pgdb.url });
    await app.connect();
    try {
      await app.query('BEGIN');
      const pid = (await app.query('SELECT pg_backend_pid() AS p')).rows[0].p;
      await execPostgres(pgdb.url, ['CREATE TABLE extra (id int PRIMARY KEY)']);
      await app.query('INSERT INTO extra VALUES (1)');
      const err = await run(fenceWrites, {
        endpoint: source,
        tables: ['extra'],
        migration: 'mig-2',
        mode: 'trigger',
        lockTimeoutMs: 100,
        attempts: 2,
      }).catch((e: unknown) => e);
      const f = failure(err);
      assert.equal(f.type, 'FenceBlocked');
      assert.ok(
        leaving.some((d) => JSON.stringify(d) === '{"stage":"waiting for table locks","attempt":2}'),
        'the retry heartbeats',
      );
      assert.equal(f.nonRetryable, false);
      assert.match(f.message, new RegExp(`session ${pid} \\(user "postgres"`));
      assert.deepEqual((await run(fenceState, { endpoint: source, migration: 'mig-2' })).tables, []);
    } finally {
      await app.query('ROLLBACK').catch(() => undefined);
      await app.end();
    }
  });

  test('unknown tables are refused without retry', async () => {
    const f = failure(
      await run(fenceWrites, {
        endpoint: source,
        tables: ['nope'],
        migration: 'mig-3',
        mode: 'trigger',
      }).catch((e: unknown) => e),
    );
    assert.equal(f.nonRetryable, true);
    assert.match(f.message, /do not exist: "public"."nope"/);
  });

  test('liftFence reopens the tables and succeeds when already lifted', async () => {
    const lifted = await run(liftFence, {
      endpoint: source,
      migration: 'mig-1',
      mode: 'trigger',
      previous: null,
    });
    assert.deepEqual(lifted, { schema: 'public', mode: 'trigger', tables: ['items', 'orders'] });
    assert.equal(await pgWrite(`INSERT INTO orders VALUES (1)`), null);
    assert.deepEqual(await run(liftFence, { endpoint: source, migration: 'mig-1' }), {
      schema: 'public',
      mode: null,
      tables: [],
    });
  });

  test('a rollback fences the MySQL target with the same activity', async () => {
    const r = await run(fenceWrites, {
      endpoint: target,
      tables: ['orders'],
      migration: 'mig-1',
      mode: 'trigger',
    });
    assert.equal(r.schema, my.name);
    assert.match(
      (await myWrite('INSERT INTO orders VALUES (1)')) ?? '',
      /writes to ".*"\."orders" are fenced while migration "mig-1"/,
    );
    await run(liftFence, { endpoint: target, migration: 'mig-1' });
    assert.equal(await myWrite('INSERT INTO orders VALUES (1)'), null);
  });

  test('switchRouting writes both sides once; a stale epoch is refused without retry', async () => {
    const r = await run(switchRouting, { migration: 'mig-1', active: 'target', source, target, epoch: 1 });
    assert.equal(r.activeEngine, 'mysql');
    assert.deepEqual(r.outcome, { source: 'written', target: 'written' });
    const retry = await run(switchRouting, {
      migration: 'mig-1',
      active: 'target',
      source,
      target,
      epoch: 1,
    });
    assert.deepEqual(retry.outcome, { source: 'unchanged', target: 'unchanged' });
    assert.equal(retry.switchedAt, r.switchedAt);
    const onSource = await run(readRouting, { endpoint: source, migration: 'mig-1' });
    const onTarget = await run(readRouting, { endpoint: target, migration: 'mig-1' });
    assert.deepEqual(onSource, onTarget);
    assert.equal(onSource?.active, 'target');
    const back = await run(switchRouting, { migration: 'mig-1', active: 'source', source, target, epoch: 2 });
    assert.equal(back.activeEngine, 'postgres');
    const f = failure(
      await run(switchRouting, { migration: 'mig-1', active: 'target', source, target, epoch: 1 }).catch(
        (e: unknown) => e,
      ),
    );
    assert.equal(f.type, 'RoutingConflict');
    assert.equal(f.nonRetryable, true);
  });

  test('runHook runs a command; a missing hook is not retried; a failing webhook is, without its token', async () => {
    process.env.CUTOVER_HOOK_PAUSE_APP = `test "$CUTOVER_EVENT" = fenced && grep -q '"migration":"mig-1"'`;
    const ok = await run(runHook, {
      hook: 'PAUSE_APP',
      event: 'fenced',
      migration: 'mig-1',
      details: { side: 'source' },
    });
    assert.deepEqual({ kind: ok.kind, exitCode: ok.exitCode }, { kind: 'command', exitCode: 0 });

    const missing = failure(
      await run(runHook, { hook: 'NOT_SET', event: 'fenced', migration: 'mig-1' }).catch((e: unknown) => e),
    );
    assert.equal(missing.type, 'HookNotConfigured');
    assert.equal(missing.nonRetryable, true);
    assert.match(missing.message, /set CUTOVER_HOOK_NOT_SET/);

    process.env.CUTOVER_HOOK_ROUTE = `http://127.0.0.1:9/${HOOK_TOKEN}`;
    const bad = failure(
      await run(runHook, {
        hook: 'ROUTE',
        event: 'routing-switched',
        migration: 'mig-1',
        timeoutSeconds: 2,
      }).catch((e: unknown) => e),
    );
    assert.equal(bad.type, 'HookFailed');
    assert.equal(bad.nonRetryable, false);
    assert.match(bad.message, /hook ROUTE \(http webhook\) for event "routing-switched"/);
  });
});
