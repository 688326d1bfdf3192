// Operating a running blueGreenMigration: pause stops the copy between chunks (the target stops
// growing) and resume carries on; the operator hooks run at the fence, the routing switch, the
// writes' resumption on the target and the fence's lift at finalize, in that order, with the event
// JSON; the Web UI's current details and the MigrationPhase search attribute follow the phases; a
// throttle acts on the table being copied.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, test } from 'node:test';
import pg from 'pg';
import type { MigrationResult } from '../../src/workflows/blue-green';
import { pauseSignal, resumeSignal, statusQuery, throttleSignal } from '../../src/workflows/messages';
import type { TestDatabase } from '../helpers/databases';
import { assertSameShop, shopPair, shopSpec, startMigration, waitForStatus } from '../helpers/migration';
import { withWorker } from '../helpers/temporal';

const dbs: TestDatabase[] = [];
const dir = mkdtempSync(join(tmpdir(), 'cutover-hooks-'));
after(async () => {
  for (const d of dbs) await d.drop().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

async function count(url: string, table: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return Number((await c.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
  } catch {
    return 0; // not created yet
  } finally {
    await c.end();
  }
}

test('pause holds the copy, resume carries on; the hooks run at fence, switch, resumption and lift; the UI details follow', async () => {
  const db = await shopPair('OPS', 15000, dbs);
  const events = join(dir, 'events.log');
  process.env.CUTOVER_HOOK_OPS_HOOK = `printf '%s ' "$CUTOVER_EVENT" >> '${events}'; cat >> '${events}'; echo >> '${events}'`;
  await withWorker(async ({ client, taskQueue }) => {
    const handle = await startMigration(
      client,
      taskQueue,
      shopSpec('ops', 'OPS', {
        approval: { auto: true },
        copy: { maxRowsPerSecond: 3000, tablesAtOnce: 1, slicesPerTable: 1 },
        cutover: {
          maxLagSeconds: 2,
          stableSeconds: 1,
          rollbackWindowMinutes: 0,
          hooks: { fence: 'OPS_HOOK', routing: 'OPS_HOOK' },
        },
      }),
    );
    await waitForStatus(handle, (s) => s.phase === 'copying', 'the copy');
    await waitForStatus(handle, () => true, 'a status');
    while ((await count(db.target.url, 'accounts')) < 2000) await sleep(100);
    await handle.signal(pauseSignal);
    assert.equal((await handle.query(statusQuery)).paused, true);
    // The copy stops at its next chunk boundary (it asks the workflow every 3 s; a chunk may be
    // big): then nothing more arrives for as long as the pause lasts.
    const copied = async () =>
      (await count(db.target.url, 'accounts')) + (await count(db.target.url, 'entries'));
    let held = await copied();
    for (let i = 0; i < 10; i++) {
      await sleep(6000);
      const now = await copied();
      if (now === held) break;
      held = now;
    }
    await sleep(6000);
    assert.equal(await copied(), held, 'rows were copied while paused');
    assert.ok(held < 15000 * 3, `the copy finished (${held} rows) before the pause took effect`);
    const described = await handle.describe();
    assert.equal(described.searchAttributes?.MigrationPhase?.[0], 'copying');
    await handle.signal(resumeSignal);
    const result = (await handle.result()) as MigrationResult;
    assert.equal(result.outcome, 'completed');
    await assertSameShop(db.target.url, db.source.url, 'after pause and resume');
    const lines = readFileSync(events, 'utf8').trim().split('\n');
    assert.deepEqual(
      lines.map((l) => l.split(' ')[0]),
      ['fenced', 'routing-switched', 'writes-resumed', 'fence-lifted'],
    );
    const routing = JSON.parse(lines[1]!.slice(lines[1]!.indexOf(' ') + 1)) as Record<string, unknown>;
    assert.equal(routing.migration, 'ops');
    assert.equal((await handle.describe()).searchAttributes?.MigrationPhase?.[0], 'completed');
  });
});

test('throttle changes the rate of the table being copied, not only of the next one', async () => {
  const db = await shopPair('THR', 3000, dbs);
  await withWorker(async ({ client, taskQueue }) => {
    // 20 rows/s: the accounts table alone would take 150 s, the whole copy over 7 minutes.
    const handle = await startMigration(
      client,
      taskQueue,
      shopSpec('thr', 'THR', {
        approval: { auto: true },
        copy: { maxRowsPerSecond: 20, tablesAtOnce: 1, slicesPerTable: 1 },
        cutover: { maxLagSeconds: 2, stableSeconds: 1, rollbackWindowMinutes: 0 },
      }),
    );
    await waitForStatus(handle, (s) => s.tables.some((t) => t.state === 'copying'), 'the copy');
    // The status query itself (not only the CLI's heartbeat reading) shows the table's live
    // progress, rate and time left, and so do the UI's current details.
    const live = await waitForStatus(
      handle,
      (x) => x.tables.some((t) => t.state === 'copying' && t.rowsCopied > 0 && t.etaSeconds !== null),
      'live copy progress in the status',
      120_000,
    );
    const accounts = live.tables.find((t) => t.state === 'copying')!;
    assert.equal(accounts.table, 'accounts');
    assert.ok(
      accounts.rowsPerSecond! > 5 && accounts.rowsPerSecond! < 60,
      `${accounts.rowsPerSecond} rows/s`,
    );
    assert.ok(accounts.etaSeconds! > 20, `ETA ${accounts.etaSeconds} s for ~3000 rows at 20 rows/s`);
    const details = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    assert.match(
      details.currentDetails ?? '',
      /\| accounts \| copying \| [1-9]\d* \/ ~\d+ \| \d+ \| \d+ min \|/,
    );
    await handle.signal(throttleSignal, { maxRowsPerSecond: null });
    const s = await waitForStatus(
      handle,
      (x) => x.phase === 'completed',
      'the migration, unthrottled',
      120_000,
    );
    assert.equal(s.maxRowsPerSecond, null);
    await assertSameShop(db.target.url, db.source.url, 'after the throttle was lifted mid-table');
  });
});
