// blueGreenMigration continues as new during a long approval wait (runtime.maxHistoryEvents made
// small): the approvals, validation and positions carry over, a second approval by the same person
// is still refused, and the migration completes from the new run with the target equal to the source.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { MigrationResult } from '../../src/workflows/blue-green';
import { approveCutoverUpdate } from '../../src/workflows/messages';
import type { TestDatabase } from '../helpers/databases';
import {
  assertSameShop,
  rejectedWith,
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

test('a long approval wait continues as new with its whole state, and the migration completes from the new run', async () => {
  const db = await shopPair('CAN', 400, dbs);
  await withWorker(async ({ client, taskQueue }) => {
    const handle = await startMigration(
      client,
      taskQueue,
      shopSpec('bg-can', 'CAN', {
        approval: { approvers: ['alice', 'bob'], required: 2 },
        runtime: { heartbeatTimeoutSeconds: 5, followSeconds: 1, maxHistoryEvents: 200 },
        cutover: { maxLagSeconds: 2, stableSeconds: 1, rollbackWindowMinutes: 0 },
      }),
    );
    const first = (await handle.describe()).runId;
    await waitForStatus(handle, (s) => s.phase === 'awaiting-approval', 'the approval gate');
    await handle.executeUpdate(approveCutoverUpdate, { args: [{ approver: 'alice', comment: 'before' }] });
    const latest = client.workflow.getHandle(handle.workflowId);
    await waitForStatus(latest, () => true, 'a status');
    const deadline = Date.now() + 120_000;
    while ((await latest.describe()).runId === first) {
      assert.ok(Date.now() < deadline, 'the workflow never continued as new');
      await new Promise((r) => setTimeout(r, 500));
    }
    const carried = await waitForStatus(
      latest,
      (s) => s.phase === 'awaiting-approval',
      'the gate in the new run',
    );
    assert.deepEqual(
      carried.approval.approvals.map((a) => a.approver),
      ['alice'],
    );
    assert.equal(carried.validation?.status, 'match');
    await assert.rejects(
      latest.executeUpdate(approveCutoverUpdate, { args: [{ approver: 'alice' }] }),
      rejectedWith(/alice has approved already/),
    );
    await latest.executeUpdate(approveCutoverUpdate, { args: [{ approver: 'bob' }] });
    const result = (await latest.result()) as MigrationResult;
    assert.equal(result.outcome, 'completed');
    assert.deepEqual(
      result.approvals.map((a) => a.approver),
      ['alice', 'bob'],
    );
    await assertSameShop(db.target.url, db.source.url, 'after continue-as-new');
  });
});
