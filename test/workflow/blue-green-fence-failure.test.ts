// Faults injected into the fence activities of a real worker, on real databases.
//
// A source fence that fails for a moment (the connection lost right after the fence committed, on
// every one of the 3 attempts): a no-go, not a failed migration. Whatever was installed comes off at
// once, the approval is void and, with approval.auto, the next attempt waits a minute of replication
// (no tight fence-and-lift loop). The next fence works but is slow to answer: the write window counts
// from the fence request, not from the activity's return.
//
// A source fence that cannot be lifted at finalize (a permanent error): the migration still
// completes with the target live and its capture removed, naming the fence left on the retired
// source; it does not roll back (that would fence the live target).
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, test } from 'node:test';
import { ApplicationFailure, Context } from '@temporalio/activity';
import * as activities from '../../src/activities';
import type { FenceWritesInput, LiftFenceInput } from '../../src/activities/cutover';
import type { MigrationResult } from '../../src/workflows/blue-green';
import { finalizeSignal, statusQuery } from '../../src/workflows/messages';
import { execPostgres, type TestDatabase } from '../helpers/databases';
import {
  assertSameShop,
  cutoverObjects,
  replayHistory,
  shopPair,
  shopSpec,
  startMigration,
  waitForStatus,
} from '../helpers/migration';
import { withWorker } from '../helpers/temporal';

const dbs: TestDatabase[] = [];
after(async () => {
  for (const d of dbs) await d.drop().catch(() => undefined);
});

test('a source fence that fails for a moment: no-go with nothing left fenced, approval.auto tries again after a minute, and the write window counts from the fence request', async () => {
  const db = await shopPair('FF', 300, dbs);
  const calls: number[] = [];
  const SLOW_MS = 6000;
  const fenceWrites = async (input: FenceWritesInput) => {
    calls.push(Date.now());
    const result = await activities.fenceWrites(input);
    if (calls.length <= 3) throw new Error('Connection terminated unexpectedly');
    // Longer than the rest of the cutover takes here; heartbeating, as the real activity does.
    for (let waited = 0; waited < SLOW_MS; waited += 500) {
      Context.current().heartbeat({ stage: 'slow to answer' });
      await sleep(500);
    }
    return result;
  };
  await withWorker(
    async ({ client, taskQueue }) => {
      const handle = await startMigration(
        client,
        taskQueue,
        shopSpec('ff', 'FF', { approval: { auto: true } }),
      );
      const noGo = await waitForStatus(
        handle,
        (s) => s.phase === 'awaiting-approval' && /tries again in a minute/.test(s.detail),
        'the no-go',
        120_000,
      );
      assert.equal(calls.length, 3, 'three attempts of the fence, then the no-go');
      assert.match(noGo.detail, /no-go: the fence failed \(Connection terminated unexpectedly\)/);
      assert.deepEqual(noGo.approval.approvals, [], 'the automatic approval is void');
      assert.notEqual(noGo.fence.state, 'fenced');
      assert.equal(noGo.routing.active, 'source');
      assert.equal(noGo.cutover.writeUnavailableMs, null);
      // The fence each failed attempt installed is gone: the source takes writes.
      assert.deepEqual(
        (await cutoverObjects(db.source.url)).filter((o) => o.includes('fence')),
        [],
        'fence objects left on the source',
      );
      await execPostgres(db.source.url, [
        `INSERT INTO tags (tag, uses) VALUES ('written-after-the-no-go', 1)`,
      ]);

      const cut = await waitForStatus(
        handle,
        (s) => s.phase === 'rollback-window',
        'the second cutover',
        180_000,
      );
      assert.equal(calls.length, 4);
      const waited = calls[3]! - calls[2]!;
      assert.ok(
        waited >= 60_000,
        `the next fence came ${waited} ms after the failed one, not after a minute`,
      );
      assert.ok(
        cut.cutover.writeUnavailableMs! >= SLOW_MS,
        `the write window (${cut.cutover.writeUnavailableMs} ms) leaves out the ${SLOW_MS} ms the fence took`,
      );
      await handle.signal(finalizeSignal);
      const result = (await handle.result()) as MigrationResult;
      assert.equal(result.outcome, 'completed');
      assert.deepEqual(
        result.approvals.map((a) => a.approver),
        ['auto'],
      );
      await assertSameShop(db.target.url, db.source.url, 'after the retried cutover');
      assert.deepEqual(await cutoverObjects(db.source.url), []);
      await replayHistory(handle);
    },
    { replaceActivities: { fenceWrites } },
  );
});

test('a source fence that cannot be lifted at finalize: the migration completes with the target live, naming what is left; no rollback', async () => {
  const db = await shopPair('FL', 200, dbs);
  const liftFence = async (input: LiftFenceInput) => {
    if (input.endpoint.connection === 'FL_SRC')
      throw ApplicationFailure.create({
        type: 'PermissionDenied',
        message: 'permission denied for table accounts',
        nonRetryable: true,
      });
    return activities.liftFence(input);
  };
  await withWorker(
    async ({ client, taskQueue }) => {
      const handle = await startMigration(
        client,
        taskQueue,
        shopSpec('fl', 'FL', { approval: { auto: true } }),
      );
      await waitForStatus(handle, (s) => s.phase === 'rollback-window', 'the cutover', 120_000);
      await handle.signal(finalizeSignal);
      const result = (await handle.result()) as MigrationResult;
      assert.equal(result.outcome, 'completed');
      assert.match(
        result.error ?? '',
        /finalized, but left in place, to remove by hand: the source's write fence \(.*permission denied for table accounts/,
      );
      const status = await handle.query(statusQuery);
      assert.equal(status.routing.active, 'target');
      assert.deepEqual([status.fence.state, status.fence.side], ['fenced', 'source']);
      await assertSameShop(db.target.url, db.source.url, 'after the finalize');
      // The target is live and clean: no capture, no fence, it takes writes.
      assert.deepEqual(await cutoverObjects(db.target.url), []);
      await execPostgres(db.target.url, [
        `INSERT INTO tags (tag, uses) VALUES ('written-after-finalize', 1)`,
      ]);
      await assert.rejects(
        execPostgres(db.source.url, [`INSERT INTO tags (tag, uses) VALUES ('stale-write', 1)`]),
        /fenced while migration "fl"/,
      );
      await replayHistory(handle);
    },
    { replaceActivities: { liftFence } },
  );
});
