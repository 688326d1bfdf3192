// The data-plane activities in a MockActivityEnvironment (no Temporal server) on real databases,
// MySQL -> PostgreSQL, with the target reached through a URL that holds a password: the schema is
// prepared, the table copied with a heartbeat per chunk, cancelled mid-way, resumed from the last
// heartbeat to an exact copy, captured changes caught up, validated; and nothing that leaves an
// activity (results, heartbeats, failures) holds the password or a row value.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import pg from 'pg';
import {
  catchUp,
  installCapture,
  removeCapture,
  type CatchUpActivityResult,
} from '../../src/activities/capture';
import {
  copyTable,
  type CopyHeartbeat,
  type CopyTableInput,
  type CopyTableResult,
} from '../../src/activities/copy';
import { dropTargetSchema, prepareTargetSchema } from '../../src/activities/schema';
import type { TableMove } from '../../src/activities/tables';
import { validateTables, type ValidateTablesResult } from '../../src/activities/validate';
import type { DdlPlan } from '../../src/engines/ddl-plan';
import type { SchemaModel } from '../../src/engines/model';
import { createMysqlEngine } from '../../src/engines/mysql/engine';
import {
  createMysqlDatabase,
  createPostgresDatabase,
  execMysql,
  execPostgres,
  withCredentials,
  type TestDatabase,
} from '../helpers/databases';

const PASSWORD = 'Pw-activities-7f3k';
const ROWS = 5000;
const CHUNK = 500;

let my: TestDatabase;
let pgdb: TestDatabase;
let targetUrl: string;
let model: SchemaModel;
let plan: DdlPlan;
const source = { engine: 'mysql' as const, connection: 'ACT_SRC' };
const target = { engine: 'postgres' as const, connection: 'ACT_DST', schema: 'public' };
/** Everything that left an activity: results, heartbeats and failure messages. */
const leaving: unknown[] = [];

function env(heartbeatDetails?: unknown): MockActivityEnvironment {
  const e = new MockActivityEnvironment(heartbeatDetails === undefined ? {} : { heartbeatDetails });
  e.on('heartbeat', (d: unknown) => leaving.push(d));
  return e;
}

async function run<A, R>(fn: (input: A) => Promise<R>, input: A, heartbeatDetails?: unknown): Promise<R> {
  try {
    const r = (await env(heartbeatDetails).run(fn, input)) as R;
    leaving.push(r);
    return r;
  } catch (err) {
    leaving.push(err instanceof Error ? `${err.name} ${err.message} ${err.stack ?? ''}` : err);
    throw err;
  }
}

function move(table: string): TableMove {
  return {
    table: model.tables.find((t) => t.name === table)!,
    mapping: plan.tables.find((t) => t.source === table)!,
  };
}

async function pgRows(sql: string): Promise<unknown[][]> {
  const c = new pg.Client({ connectionString: pgdb.url });
  await c.connect();
  try {
    return (await c.query({ text: sql, rowMode: 'array' })).rows as unknown[][];
  } finally {
    await c.end();
  }
}

before(async () => {
  [my, pgdb] = await Promise.all([createMysqlDatabase('cutover_act'), createPostgresDatabase('cutover_act')]);
  targetUrl = withCredentials(pgdb.url, 'postgres', PASSWORD);
  process.env.CUTOVER_DB_ACT_SRC = my.url;
  process.env.CUTOVER_DB_ACT_DST = targetUrl;
  const rows = Array.from(
    { length: ROWS },
    (_, i) => `(${i + 1}, 'name ${i + 1} é🚀', ${i * 3}.25, '2024-01-0${1 + (i % 9)} 10:00:00')`,
  );
  await execMysql(my.url, [
    `CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL, amount DECIMAL(12,2), created DATETIME)`,
    `INSERT INTO items VALUES ${rows.join(', ')}`,
    `CREATE TABLE events (id INT PRIMARY KEY, happened DATE)`,
    `SET SESSION sql_mode = ''`,
  ]);
  // Zero dates need a session without NO_ZERO_DATE / strict mode.
  await execMysql(my.url, [
    `SET SESSION sql_mode = ''`,
    `INSERT INTO events VALUES (1, '2024-05-01'), (2, '1999-12-31'), (3, '0000-00-00'), (4, '2001-01-01')`,
  ]);
  const engine = createMysqlEngine(my.url);
  try {
    model = await engine.introspect();
  } finally {
    await engine.close();
  }
});

after(async () => {
  delete process.env.CUTOVER_DB_ACT_SRC;
  delete process.env.CUTOVER_DB_ACT_DST;
  await Promise.all([my?.drop(), pgdb?.drop()]);
});

describe('data-plane activities, MySQL -> PostgreSQL', () => {
  test('prepareTargetSchema translates and applies the tables phase; a rerun with the plan skips', async () => {
    const r = await run(prepareTargetSchema, {
      target,
      phase: 'tables',
      translate: { source: model, tables: ['items', 'events'] },
    });
    plan = r.plan;
    assert.ok(r.applied >= 2, `applied ${r.applied}`);
    assert.deepEqual(
      (await pgRows(`SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).flat(),
      ['events', 'items'],
    );
    // A second start without the plan: the tables exist and are not known to be ours.
    await assert.rejects(
      run(prepareTargetSchema, { target, phase: 'tables', translate: { source: model, tables: ['items'] } }),
      (err: unknown) =>
        err instanceof ApplicationFailure &&
        err.type === 'RefusedError' &&
        err.nonRetryable === true &&
        /items/.test(err.message),
    );
    const again = await run(prepareTargetSchema, { target, phase: 'tables', plan, allowExisting: true });
    assert.equal(again.applied, 0);
  });

  const copyInput = (): CopyTableInput => ({
    source,
    target,
    ...move('items'),
    concurrency: 1,
    split: { rowsPerSlice: 1_000_000 },
    chunk: { initial: CHUNK, min: CHUNK, max: CHUNK },
  });

  let lastHeartbeat: CopyHeartbeat | undefined;

  test('cancelled mid-copy: stops promptly with a CancelledFailure, no partial chunk on the target', async () => {
    const e = env();
    let beats = 0;
    let cancelledAt = 0;
    e.on('heartbeat', (d: CopyHeartbeat) => {
      lastHeartbeat = d;
      if (++beats === 3) {
        cancelledAt = Date.now();
        e.cancel();
      }
    });
    await assert.rejects(e.run(copyTable, copyInput()), (err: unknown) => err instanceof CancelledFailure);
    assert.ok(Date.now() - cancelledAt < 2000, 'the copy stopped within 2 s');
    await new Promise((r) => setTimeout(r, 300));
    const [[count, max]] = (await pgRows(`SELECT count(*)::int, max(id) FROM items`)) as [[number, number]];
    assert.equal(count, 3 * CHUNK, 'exactly the three heartbeated chunks are on the target');
    assert.equal(max, 3 * CHUNK);
    assert.equal(lastHeartbeat?.rows, 3 * CHUNK);
    assert.deepEqual(lastHeartbeat?.checkpoint.slices[0]?.lastKey, [3 * CHUNK]);
  });

  test('a retry given the last heartbeat copies only the rest; the target equals the source', async () => {
    const beats: CopyHeartbeat[] = [];
    const e = env(lastHeartbeat);
    e.on('heartbeat', (d: CopyHeartbeat) => beats.push(d));
    const r = (await e.run(copyTable, copyInput())) as CopyTableResult;
    leaving.push(r);
    assert.equal(r.resumed, true);
    assert.equal(r.rows, ROWS);
    assert.equal(r.rowsThisAttempt, ROWS - 3 * CHUNK);
    assert.equal(r.chunks, (ROWS - 3 * CHUNK) / CHUNK + 1, 'one chunk per 500 rows, and the empty last one');
    assert.ok(beats.length >= (ROWS - 3 * CHUNK) / CHUNK, 'a heartbeat per committed chunk');
    assert.equal(beats.at(-1)?.rows, ROWS);
    const v = await run(validateTables, { source, target, tables: [move('items')], chunkRows: 700 });
    assert.equal(v.status, 'match');
    assert.equal(v.tables[0]?.sourceRows, ROWS);
    assert.equal(v.tables[0]?.matching, ROWS);
  });

  test('validateTables reports a difference, heartbeats its progress and resumes from it', async (t) => {
    await execPostgres(pgdb.url, [`UPDATE items SET amount = amount + 1 WHERE id = 4321`]);
    t.after(() => execPostgres(pgdb.url, [`UPDATE items SET amount = amount - 1 WHERE id = 4321`]));
    const beats: unknown[] = [];
    const e = env();
    e.on('heartbeat', (d: unknown) => beats.push(d));
    const input = { source, target, tables: [move('items')], chunkRows: 1000, recheckAttempts: 0 };
    const r = (await e.run(validateTables, input)) as ValidateTablesResult;
    assert.equal(r.status, 'mismatch');
    assert.equal(r.tables[0]?.mismatched, 1);
    assert.deepEqual(r.tables[0]?.samples.mismatched, [[4321]]);
    const midway = beats.find(
      (b) =>
        (b as { current?: { checkpoint: { after: unknown } } }).current?.checkpoint.after?.toString() ===
        '2000',
    );
    assert.ok(midway, 'a heartbeat after the second chunk');
    const resumed = await run(validateTables, input, midway);
    assert.deepEqual(resumed.tables[0]?.resumedAfter, [2000]);
    assert.equal(resumed.tables[0]?.mismatched, 1);
  });

  test('a value the target cannot hold fails non-retryably, naming table, column and key, not the value', async () => {
    await assert.rejects(run(copyTable, { source, target, ...move('events') }), (err: unknown) => {
      assert.ok(err instanceof ApplicationFailure, String(err));
      assert.equal(err.type, 'ValueTranslationError');
      assert.equal(err.nonRetryable, true);
      assert.match(err.message, /"events"/);
      assert.match(err.message, /"happened"/);
      assert.match(err.message, /key \[3\]/);
      assert.doesNotMatch(err.message, /0000-00-00/);
      return true;
    });
  });

  test('with a zero-date policy the copy maps zero dates, and validation compares them as mapped', async () => {
    for (const policy of ['null', { sentinel: '1970-01-01' }] as const) {
      const zeroMove = { ...move('events'), zeroDates: { happened: policy } };
      await run(copyTable, { source, target, ...zeroMove });
      assert.deepEqual((await pgRows(`SELECT happened::text FROM events WHERE id = 3`)).flat(), [
        policy === 'null' ? null : '1970-01-01',
      ]);
      const v = await run(validateTables, { source, target, tables: [zeroMove] });
      assert.equal(v.status, 'match', JSON.stringify(v.tables[0]));
    }
    // A real difference is still one.
    await execPostgres(pgdb.url, [`UPDATE events SET happened = '1971-01-01' WHERE id = 3`]);
    const zeroMove = { ...move('events'), zeroDates: { happened: { sentinel: '1970-01-01' } } };
    const v = await run(validateTables, { source, target, tables: [zeroMove], recheckAttempts: 0 });
    assert.equal(v.tables[0]?.mismatched, 1);
  });

  test('installCapture / removeCapture are idempotent; catchUp applies changes until the lag is small', async () => {
    const tables = [{ table: 'items', key: ['id'] }];
    await run(installCapture, { source, tables });
    await run(installCapture, { source, tables });
    await execMysql(my.url, [
      `INSERT INTO items VALUES (9001, 'new', 1.50, '2024-02-02 00:00:00')`,
      `UPDATE items SET name = 'changed' WHERE id = 1`,
      `DELETE FROM items WHERE id = 2`,
    ]);
    const beats: unknown[] = [];
    const e = env();
    e.on('heartbeat', (d: unknown) => beats.push(d));
    const r = (await e.run(catchUp, {
      source,
      target,
      tables: [move('items')],
      position: null,
      maxSeconds: 30,
    })) as CatchUpActivityResult;
    leaving.push(r);
    assert.equal(r.caughtUp, true);
    assert.equal(r.changes, 3);
    assert.deepEqual(r.lag, { rowsBehind: 0, secondsBehind: 0 });
    assert.ok(
      beats.some((b) => (b as { lag?: unknown }).lag !== undefined),
      'heartbeats carry the lag',
    );
    assert.deepEqual(await pgRows(`SELECT id, name FROM items WHERE id IN (1, 2, 9001) ORDER BY id`), [
      [1, 'changed'],
      [9001, 'new'],
    ]);
    const v = await run(validateTables, { source, target, tables: [move('items')] });
    assert.equal(v.status, 'match');
    await run(removeCapture, { source });
    await run(removeCapture, { source });
  });

  test('dropTargetSchema drops exactly the plan, and again when already gone', async () => {
    await execPostgres(pgdb.url, [`CREATE TABLE keep_me (id int)`]);
    const r = await run(dropTargetSchema, { target, plan });
    assert.deepEqual(r.dropped, ['table events', 'table items']);
    await run(dropTargetSchema, { target, plan });
    assert.deepEqual(
      (await pgRows(`SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'`)).flat(),
      ['keep_me'],
    );
  });

  test('failures name no password: a missing database on a URL with a password', async () => {
    process.env.CUTOVER_DB_ACT_BAD = withCredentials(pgdb.url, 'postgres', PASSWORD, 'no_such_db_here');
    try {
      await assert.rejects(
        run(prepareTargetSchema, { target: { ...target, connection: 'ACT_BAD' }, phase: 'tables', plan }),
        (err: unknown) => err instanceof ApplicationFailure && err.nonRetryable === true,
      );
    } finally {
      delete process.env.CUTOVER_DB_ACT_BAD;
    }
  });

  test('nothing that left an activity holds the password or a row value', () => {
    const text = JSON.stringify(leaving, (_k, v: unknown) =>
      v instanceof Error ? `${v.name} ${v.message} ${v.stack ?? ''}` : v,
    );
    assert.ok(leaving.length > 20);
    assert.ok(!text.includes(PASSWORD), 'the password leaked');
    assert.ok(!text.includes('é🚀'), 'a row value leaked');
    assert.ok(!text.includes('0000-00-00'), 'a row value leaked');
  });
});
