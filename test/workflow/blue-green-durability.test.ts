// Durability of blueGreenMigration (DESIGN.md "Durable"): worker processes are SIGKILLed at a random
// moment of every phase — copy, catch-up or validation, the approval wait, the cutover, the
// rollback window, the rollback — and a new worker carries on, while an application writer follows
// the routing the whole time. In the end the target equals the source row for row, or, after the
// rollback, the source holds every write made on either side. The Temporal server itself is also
// killed mid-copy and restarted on its database file. Every history then replays deterministically.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, test } from 'node:test';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { workflowBundlePath } from '../../src/temporal/bundle';
import { dataConverter } from '../../src/temporal/data-converter';
import { freePort, startDevServer } from '../../src/temporal/dev-server';
import type { MigrationResult } from '../../src/workflows/blue-green';
import { finalizeSignal, rollbackSignal, statusQuery } from '../../src/workflows/messages';
import { createPostgresDatabase, type TestDatabase } from '../helpers/databases';
import {
  assertSameShop,
  createShop,
  cutoverObjects,
  SHOP_KEYS,
  SHOP_TABLES,
  ShopWriter,
  tableDigest,
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

test('SIGKILLed in the copy, the catch-up or validation, the approval wait, the cutover and the rollback window, the migration completes and the target equals the source', async (t) => {
  const db = await pair(3000);
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
    writer = new ShopWriter({ source: db.source.url, target: db.target.url }, () =>
      handle.query(statusQuery).then((s) => s.routing.active),
    );
    const s = await workers.killThroughCutover(handle, 'alice');
    assert.equal(s.routing.active, 'target');
    await waitForStatus(
      handle,
      () => writer!.side === 'target' && writer!.writes > 100,
      'writes on the target',
    );
    await writer.stop();
    writer = null;
    await handle.signal(finalizeSignal);
    const result = (await handle.result()) as MigrationResult;
    assert.equal(result.outcome, 'completed', JSON.stringify(workers.kills));
    assert.equal(result.validation?.status, 'match');
    t.diagnostic(workers.landed);
    await assertSameShop(db.target.url, db.source.url, workers.landed);
    assert.deepEqual(await cutoverObjects(db.source.url), []);
    assert.deepEqual(await cutoverObjects(db.target.url), []);
    await replay(handle);
  } finally {
    await writer?.stop();
    await workers.stop();
    await connection.close();
  }
});

test('SIGKILLed in the rollback window and during the rollback, the source ends with every write made on either side', async () => {
  const db = await pair(800);
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
    const writer = new ShopWriter({ source: db.source.url, target: db.target.url }, () =>
      handle.query(statusQuery).then((s) => s.routing.active),
    );
    try {
      await workers.killIn(handle, ['rollback-window'], 500);
      await waitForStatus(
        handle,
        () => writer.side === 'target' && writer.writes > 200,
        'writes on the target',
      );
    } finally {
      await writer.stop();
    }
    const expected = await Promise.all(SHOP_TABLES.map((t) => tableDigest(db.target.url, t, SHOP_KEYS[t]!)));
    await handle.signal(rollbackSignal, { reason: 'rehearsal' });
    await workers.killIn(handle, ['rolling-back'], 300);
    const result = (await handle.result()) as MigrationResult;
    assert.equal(result.outcome, 'rolled-back');
    const actual = await Promise.all(SHOP_TABLES.map((t) => tableDigest(db.source.url, t, SHOP_KEYS[t]!)));
    assert.deepEqual(actual, expected, `the source ${workers.landed}`);
    assert.deepEqual(await cutoverObjects(db.source.url), []);
    await replay(handle);
  } finally {
    await workers.stop();
    await connection.close();
  }
});

test('the Temporal server killed mid-copy and restarted on its database file: the migration carries on', async () => {
  const db = await pair(3000);
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
  let connection = await Connection.connect({ address: server.address });
  try {
    let client = new Client({ connection, dataConverter });
    const workflowId = `dur-srv-${taskQueue}`;
    await client.workflow.start('blueGreenMigration', {
      taskQueue,
      workflowId,
      args: [spec('dur-server', { approval: { auto: true }, cutover: { rollbackWindowMinutes: 0 } })],
    });
    await waitForStatus(
      client.workflow.getHandle(workflowId),
      (s) => s.phase === 'copying',
      'the copy',
      180_000,
      25,
    );
    await sleep(800);
    server.process.kill('SIGKILL');
    await new Promise((r) => server.process.once('exit', r));
    await connection.close();
    await sleep(1000);
    server = await startDevServer(options);
    connection = await Connection.connect({ address: server.address });
    client = new Client({ connection, dataConverter });
    const result = (await client.workflow.getHandle(workflowId).result()) as MigrationResult;
    assert.equal(result.outcome, 'completed');
    await assertSameShop(db.target.url, db.source.url, 'after the server restart');
  } finally {
    await worker.stop();
    await connection.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
