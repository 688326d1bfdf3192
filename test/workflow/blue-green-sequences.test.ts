// blueGreenMigration on a real Temporal server and real PostgreSQL databases: the target's identity
// after the cutover starts past the source's counter as it was under the fence, not as it was when
// the plan was made. Ids the source handed out while the migration waited for its approval and
// deleted again (a consumed queue) are not handed out a second time by the target.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import pg from 'pg';
import type { MigrationResult } from '../../src/workflows/blue-green';
import { approveSignal, finalizeSignal } from '../../src/workflows/messages';
import { execPostgres, type TestDatabase } from '../helpers/databases';
import { replayHistory, shopPair, shopSpec, startMigration, waitForStatus } from '../helpers/migration';
import { withWorker } from '../helpers/temporal';

const dbs: TestDatabase[] = [];
after(async () => {
  for (const d of dbs) await d.drop().catch(() => undefined);
});

async function insertAccount(url: string, email: string): Promise<string> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ id: string }>(`INSERT INTO accounts (email) VALUES ($1) RETURNING id`, [email]);
    return String(r.rows[0]!.id);
  } finally {
    await c.end();
  }
}

test('after the cutover the target hands out no id the source handed out after the plan', async () => {
  const db = await shopPair('BGSEQ', 50, dbs);
  await withWorker(async ({ client, taskQueue }) => {
    const handle = await startMigration(
      client,
      taskQueue,
      shopSpec('bg-sequences', 'BGSEQ', { approval: { approvers: ['alice'], required: 1 } }),
    );
    await waitForStatus(handle, (s) => s.phase === 'awaiting-approval', 'the approval gate');
    // Planned (and the target's sequences first set) with the source's next id at 51; then 1000
    // accounts come and go on the source: its next id is 1051, and none of those rows exists.
    await execPostgres(db.source.url, [
      `INSERT INTO accounts (email) SELECT 'gone' || g || '@example.com' FROM generate_series(1, 1000) g`,
      `DELETE FROM accounts WHERE email LIKE 'gone%'`,
    ]);
    await handle.signal(approveSignal, { approver: 'alice' });
    await waitForStatus(handle, (s) => s.phase === 'rollback-window', 'the cutover');
    assert.equal(await insertAccount(db.target.url, 'first-on-target@example.com'), '1051');
    await handle.signal(finalizeSignal);
    assert.equal(((await handle.result()) as MigrationResult).outcome, 'completed');
    await replayHistory(handle);
  });
});
