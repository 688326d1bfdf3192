// Durability of blueGreenMigration (DESIGN.md "Durable"): worker processes are SIGKILLed in given
// steps — mid-copy, in the catch-up (applying a batch job's backlog), the validation, the approval
// wait, under the source's fence, the rollback window, the rollback's compensations — and a new
// worker carries on, while an application writer follows the routing the whole time, the rollback
// included. Each kill is proven to have landed in its step (the activities the dead worker ran, as
// the server lists them; the fence in place). In the end the target equals the source row for row
// and holds every acknowledged write, or, after the rollback, the source holds every write
// acknowledged on either side. The Temporal server itself is also killed mid-copy (the copy shown
// unfinished then) under the writer and restarted on its database file. Every history then replays
// deterministically.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, test } from 'node:test';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import pg from 'pg';
import { workflowBundlePath } from '../../src/temporal/bundle';
import { dataConverter } from '../../src/temporal/data-converter';
import { freePort, startDevServer } from '../../src/temporal/dev-server';
import type { MigrationResult } from '../../src/workflows/blue-green';
import { finalizeSignal, rollbackSignal } from '../../src/workflows/messages';
import { createPostgresDatabase, type TestDatabase } from '../helpers/databases';
import {
  assertHoldsAckedWrites,
  assertSameShop,
  createShop,
  cutoverObjects,
  fenceObjects,
  KILL,
  rewriteEntries,
  ShopWriter,
  shopTotals,
  statusRouting,
  waitForStatus,
  WorkerProcesses as Workers,
  workerProcess,
} from '../helpers/migration';
import { testAddress } from '../helpers/temporal';

const dbs: TestDatabase[] = [];
after(async () => {
  for (const d of dbs) await d.drop().catch(() => undefined);
});

async function pair(accounts: number) {
  const source = await createPostgresDatabase('cutover_dur_src');
  const target = await createPostgresDatabase('cutover_dur_dst');
  dbs.push(source, target);
  await createShop(source.url, accounts);
  return { source, target };
}

function spec(name: string, extra: Record<string, unknown> = {}) {
  return {
    name,
    source: { engine: 'postgres', connection: 'DUR_SRC', schema: 'public' },
    target: { engine: 'postgres', connection: 'DUR_DST', schema: 'public' },
    plan: { sampleRows: 500, observeSeconds: 0 },
    approval: { approvers: ['alice'], required: 1 },
    // A throttled copy lasts a few seconds: long enough to be killed in.
    copy: { maxRowsPerSecond: 2000, slicesPerTable: 2, tablesAtOnce: 2 },
    cutover: { maxLagSeconds: 2, stableSeconds: 2, rollbackWindowMinutes: 30 },
    runtime: { heartbeatTimeoutSeconds: 4 },
    ...extra,
  };
}

async function replay(handle: WorkflowHandle): Promise<void> {
  await Worker.runReplayHistory(
    { workflowBundle: { codePath: await workflowBundlePath() } },
    await handle.fetchHistory(),
  );
}

test('SIGKILLed mid-copy, in the catch-up, the validation, the approval wait, under the source fence and in the rollback window: the migration completes, the target equals the source and holds every acknowledged write', async (t) => {
  const db = await pair(3000);
  const before = await shopTotals(db.source.url);
  const taskQueue = `dur-${randomBytes(3).toString('hex')}`;
  const connection = await Connection.connect({ address: testAddress() });
  const client = new Client({ connection, dataConverter });
  const workers = new Workers(testAddress(), taskQueue, { DUR_SRC: db.source.url, DUR_DST: db.target.url });
  let writer: ShopWriter | null = null;
  try {
    const handle = await client.workflow.start('blueGreenMigration', {
      taskQueue,
      workflowId: `dur-${taskQueue}`,
      args: [spec('dur-complete')],
    });
    writer = new ShopWriter({ source: db.source.url, target: db.target.url }, statusRouting(client, handle));
    const s = await workers.killThroughCutover(handle, 'alice', {
      // 5 x 6,000 changes, seconds old when the catch-up starts: it lasts long enough to be killed in.
      backlog: () => rewriteEntries(db.source.url, 5),
      sourceFence: () => fenceObjects('postgres', db.source.url),
    });
    t.diagnostic(workers.landed);
    assert.equal(s.routing.active, 'target');
    await waitForStatus(
      handle,
      () => writer!.side === 'target' && writer!.writesOn.target > 100,
      'writes on the target',
    );
    await writer.stop();
    await handle.signal(finalizeSignal);
    const result = (await handle.result()) as MigrationResult;
    assert.equal(result.outcome, 'completed', workers.landed);
    t.diagnostic(
      `writes unavailable ${result.cutover.writeUnavailableMs} ms (a worker killed under the fence)`,
    );
    assert.equal(result.validation?.status, 'match');
    await assertSameShop(db.target.url, db.source.url, workers.landed);
    await assertHoldsAckedWrites(db.target.url, before, writer, `the target ${workers.landed}`);
    assert.ok(writer.writesOn.source > 100 && writer.writesOn.target > 100, 'writes on both sides');
    assert.deepEqual(await cutoverObjects(db.source.url), []);
    assert.deepEqual(await cutoverObjects(db.target.url), []);
    await replay(handle);
  } finally {
    await writer?.stop();
    await workers.stop();
    await connection.close();
  }
});

test("SIGKILLed in the rollback window and during the rollback's compensations while the app keeps writing: the source ends with every write acknowledged on either side", async (t) => {
  const db = await pair(800);
  const before = await shopTotals(db.source.url);
  const taskQueue = `dur-rb-${randomBytes(3).toString('hex')}`;
  const connection = await Connection.connect({ address: testAddress() });
  const client = new Client({ connection, dataConverter });
  const workers = new Workers(testAddress(), taskQueue, { DUR_SRC: db.source.url, DUR_DST: db.target.url });
  try {
    const handle = await client.workflow.start('blueGreenMigration', {
      taskQueue,
      workflowId: `dur-${taskQueue}`,
      args: [spec('dur-rollback', { approval: { auto: true }, copy: {} })],
    });
    const writer = new ShopWriter(
      { source: db.source.url, target: db.target.url },
      statusRouting(client, handle),
    );
    let fencedBefore = 0;
    try {
      await workers.killAt(handle, KILL.rollbackWindow());
      await waitForStatus(
        handle,
        () => writer.side === 'target' && writer.writesOn.target > 200,
        'writes on the target',
      );
      // The app keeps writing through the request and the compensations.
      fencedBefore = writer.fenced;
      await handle.signal(rollbackSignal, { reason: 'rehearsal' });
      await workers.killAt(
        handle,
        KILL.rollbackCompensations(() => fenceObjects('postgres', db.target.url)),
      );
      const result = (await handle.result()) as MigrationResult;
      t.diagnostic(workers.landed);
      assert.equal(result.outcome, 'rolled-back', workers.landed);
      const onSource = writer.writesOn.source;
      await waitForStatus(
        handle,
        () => writer.side === 'source' && writer.writesOn.source > onSource + 50,
        'writes on the source after the rollback',
      );
    } finally {
      await writer.stop();
    }
    assert.ok(
      writer.fenced > fencedBefore,
      "the app never met the target's fence: it did not write through the rollback",
    );
    await assertHoldsAckedWrites(db.source.url, before, writer, `the source ${workers.landed}`);
    assert.deepEqual(await cutoverObjects(db.source.url), []);
    await replay(handle);
  } finally {
    await workers.stop();
    await connection.close();
  }
});

test('the Temporal server killed mid-copy (before the copy finished) under the app writes and restarted on its database file: the migration carries on, the target equals the source and holds every acknowledged write', async () => {
  const db = await pair(3000);
  const before = await shopTotals(db.source.url);
  const dir = mkdtempSync(join(tmpdir(), 'cutover-server-'));
  const port = await freePort();
  const options = {
    port,
    uiPort: 0,
    dbFile: join(dir, 'temporal.db'),
    headless: true,
    logFile: join(dir, 'server.log'),
  };
  let server = await startDevServer(options);
  const taskQueue = `dur-srv-${randomBytes(3).toString('hex')}`;
  const worker = workerProcess(server.address, taskQueue, { DUR_SRC: db.source.url, DUR_DST: db.target.url });
  // Closed at the end only: a query of the writer's may still be retrying on the first one, and a
  // retry on a closed connection throws where nobody catches it, leaving the query unsettled.
  const connections = [await Connection.connect({ address: server.address })];
  let client = new Client({ connection: connections[0], dataConverter });
  const workflowId = `dur-srv-${taskQueue}`;
  const handle = () => client.workflow.getHandle(workflowId);
  let writer: ShopWriter | null = null;
  try {
    await client.workflow.start('blueGreenMigration', {
      taskQueue,
      workflowId,
      args: [spec('dur-server', { approval: { auto: true } })],
    });
    // Queries fail while the server is down: the writer keeps writing where it was.
    writer = new ShopWriter({ source: db.source.url, target: db.target.url }, () =>
      statusRouting(client, handle())(),
    );
    await waitForStatus(
      handle(),
      (s) => s.phase === 'copying' && s.tables.some((t) => t.state !== 'copied'),
      'the copy',
      180_000,
      25,
    );
    await sleep(Math.floor(Math.random() * 800));
    server.process.kill('SIGKILL');
    await new Promise((r) => server.process.once('exit', r));
    // The copy had not finished: the seed rows (which the writer never adds to) are not all on the
    // target yet. Read after the kill, while the worker copies on: an upper bound of the rows then.
    const [copied, total] = await Promise.all([seedRows(db.target.url, 3000), seedRows(db.source.url, 3000)]);
    assert.ok(copied < total, `the copy was complete when the server died: ${copied} of ${total} seed rows`);
    await sleep(1000);
    server = await startDevServer(options);
    connections.push(await Connection.connect({ address: server.address }));
    client = new Client({ connection: connections.at(-1), dataConverter });
    await waitForStatus(
      handle(),
      (s) => s.phase === 'rollback-window' && writer!.side === 'target' && writer!.writesOn.target > 50,
      'writes on the target after the cutover',
      180_000,
    );
    await writer.stop();
    await handle().signal(finalizeSignal);
    const result = (await handle().result()) as MigrationResult;
    assert.equal(result.outcome, 'completed');
    await assertSameShop(db.target.url, db.source.url, 'after the server restart');
    await assertHoldsAckedWrites(db.target.url, before, writer, 'the target after the server restart');
  } finally {
    await writer?.stop();
    await worker.stop();
    for (const c of connections) await c.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Rows of the shop's seed on one side: accounts 1..n, their entries with seq 1..2n, tags 1..200. The
 * writer never adds to this set (it only deletes or re-keys seed entries), so after a complete copy
 * the target holds at least as many as the source.
 */
async function seedRows(url: string, accounts: number): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM accounts WHERE id <= $1)
            + (SELECT count(*) FROM entries WHERE account_id <= $1 AND seq <= 2 * $1)
            + (SELECT count(*) FROM tags WHERE tag ~ '^tag-[0-9]+$' AND substr(tag, 5)::int <= 200) AS n`,
      [accounts],
    );
    return Number(rows[0]!.n);
  } finally {
    await c.end();
  }
}
