// The catchUp activity for the cutover's "validate what changed since the last validation":
// retainAfter keeps the applied changes after a position in the changelog (changedKeys lists them),
// and stableSeconds reports caught up only once the lag has held for that long; drainBacklog applies
// everything that waited at the start (the retry after a constraint the target did not meet yet).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import pg from 'pg';
import {
  catchUp,
  installCapture,
  removeCapture,
  type CatchUpActivityResult,
} from '../../src/activities/capture';
import { prepareTargetSchema } from '../../src/activities/schema';
import type { TableMove } from '../../src/activities/tables';
import { keyToJson } from '../../src/engines/key-range';
import { createPostgresEngine } from '../../src/engines/postgres/engine';
import { createPostgresDatabase, execPostgres, type TestDatabase } from '../helpers/databases';

let src: TestDatabase;
let dst: TestDatabase;
let move: TableMove;
const source = { engine: 'postgres' as const, connection: 'RETAIN_SRC', schema: 'public' };
const target = { engine: 'postgres' as const, connection: 'RETAIN_DST', schema: 'public' };

before(async () => {
  [src, dst] = await Promise.all([
    createPostgresDatabase('cutover_ret_s'),
    createPostgresDatabase('cutover_ret_t'),
  ]);
  process.env.CUTOVER_DB_RETAIN_SRC = src.url;
  process.env.CUTOVER_DB_RETAIN_DST = dst.url;
  await execPostgres(src.url, [
    'CREATE TABLE items (id int PRIMARY KEY, v text)',
    `INSERT INTO items VALUES (1, 'a'), (2, 'b')`,
  ]);
  const engine = createPostgresEngine(src.url);
  const model = await engine.introspect().finally(() => engine.close());
  const prepared = (await new MockActivityEnvironment().run(prepareTargetSchema, {
    target,
    phase: 'tables' as const,
    translate: { source: model, tables: ['items'] },
  })) as Awaited<ReturnType<typeof prepareTargetSchema>>;
  move = {
    table: model.tables.find((t) => t.name === 'items')!,
    mapping: prepared.plan.tables.find((t) => t.source === 'items')!,
  };
});

after(async () => {
  delete process.env.CUTOVER_DB_RETAIN_SRC;
  delete process.env.CUTOVER_DB_RETAIN_DST;
  await Promise.all([src?.drop(), dst?.drop()]);
});

test('catchUp with retainAfter keeps what changed since the last validation; stableSeconds holds the lag', async () => {
  const run = <A, R>(fn: (input: A) => Promise<R>, input: A) => new MockActivityEnvironment().run(fn, input);
  await run(installCapture, { source, tables: [{ table: 'items', key: ['id'] }] });
  await execPostgres(src.url, [`INSERT INTO items VALUES (3, 'c')`]);
  const validated = (await run(catchUp, {
    source,
    target,
    tables: [move],
    position: null,
  })) as CatchUpActivityResult;
  assert.equal(validated.caughtUp, true);

  await execPostgres(src.url, [
    `UPDATE items SET v = 'B' WHERE id = 2`,
    'UPDATE items SET id = 40 WHERE id = 3',
  ]);
  const started = Date.now();
  const r = (await run(catchUp, {
    source,
    target,
    tables: [move],
    position: validated.position,
    retainAfter: validated.position,
    batchSize: 1,
    stableSeconds: 1,
    pollMs: 100,
  })) as CatchUpActivityResult;
  assert.equal(r.caughtUp, true);
  assert.equal(r.lag.rowsBehind, 0);
  assert.ok(Date.now() - started >= 1000, 'caught up only after the lag held for stableSeconds');

  const engine = createPostgresEngine(src.url);
  try {
    const page = await engine.capture('public').changedKeys(validated.position, { limit: 100 });
    assert.deepEqual(
      page.keys.map((k) => [k.table, k.key && keyToJson(k.key)]),
      [
        ['items', [2]],
        ['items', [3]],
        ['items', [40]],
      ],
    );
    assert.equal(page.next, null);
  } finally {
    await engine.close();
  }
  await run(removeCapture, { source });
});

test('drainBacklog applies every change waiting at the start, even when the lag is within the thresholds', async () => {
  const run = <A, R>(fn: (input: A) => Promise<R>, input: A) => new MockActivityEnvironment().run(fn, input);
  await run(installCapture, { source, tables: [{ table: 'items', key: ['id'] }] });
  try {
    const base = { source, target, tables: [move], batchSize: 2 };
    const start = (await run(catchUp, { ...base, position: null })) as CatchUpActivityResult;
    await execPostgres(src.url, [`INSERT INTO items SELECT g, 'd' || g FROM generate_series(100, 104) g`]);
    const loose = { maxRowsBehind: Number.MAX_SAFE_INTEGER, maxSecondsBehind: 3600 };
    const one = (await run(catchUp, {
      ...base,
      ...loose,
      position: start.position,
    })) as CatchUpActivityResult;
    assert.equal(one.lag.rowsBehind, 3, 'within the thresholds after one batch: the rest waits');
    const all = (await run(catchUp, {
      ...base,
      ...loose,
      position: one.position,
      drainBacklog: true,
    })) as CatchUpActivityResult;
    assert.equal(all.caughtUp, true);
    assert.equal(all.lag.rowsBehind, 0);
    const c = new pg.Client({ connectionString: dst.url });
    await c.connect();
    try {
      const { rows } = await c.query(`SELECT count(*)::int AS n FROM items WHERE id >= 100`);
      assert.equal(rows[0].n, 5, 'every waiting change is on the target');
    } finally {
      await c.end();
    }
  } finally {
    await run(removeCapture, { source });
  }
});
