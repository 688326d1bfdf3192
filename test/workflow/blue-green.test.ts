// blueGreenMigration on a real Temporal server and real PostgreSQL databases, with an application
// writer that follows the routing: approvals (validator rejections, two-person rule, the UI's
// signal), the cutover (fence error seen by the app, write-unavailable window measured), reverse
// replication, finalize; rollback after the cutover keeps every write made on the target; rollback
// during the copy, cancellation and an automatic rollback after a failure leave both sides clean.
// The recorded histories replay against the current workflow code (determinism).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import pg from 'pg';
import { findTemporalCli } from '../../src/temporal/cli-binary';
import type { MigrationResult } from '../../src/workflows/blue-green';
import {
  approveCutoverUpdate,
  approveSignal,
  finalizeSignal,
  rollbackSignal,
  statusQuery,
} from '../../src/workflows/messages';
import { type TestDatabase, withCredentials } from '../helpers/databases';
import {
  addTotals,
  assertHoldsAckedWrites,
  assertSameShop,
  cutoverObjects,
  rejectedWith,
  replayHistory,
  shopPair,
  shopSpec,
  ShopWriter,
  shopTotals,
  startMigration,
  statusRouting,
  waitForStatus,
} from '../helpers/migration';
import { testAddress, withWorker } from '../helpers/temporal';

const dbs: TestDatabase[] = [];
after(async () => {
  for (const d of dbs) await d.drop().catch(() => undefined);
});

const pair = async (accounts = 400) => shopPair('BG', accounts, dbs);
const spec = (name: string, extra: Record<string, unknown> = {}) => shopSpec(name, 'BG', extra);
const start = startMigration;
const replay = replayHistory;

async function tablesOf(url: string): Promise<string[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ t: string }>(
      `SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE '\\_cutover\\_routing%' ORDER BY 1`,
    );
    return r.rows.map((x) => x.t);
  } finally {
    await c.end();
  }
}

async function query<T extends pg.QueryResultRow>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

describe('blueGreenMigration', () => {
  let db: { source: TestDatabase; target: TestDatabase };
  before(async () => {
    db = await pair();
  });

  test('two approvers release the cutover; the app sees the fence, follows the routing, and the target equals the source', async () => {
    await withWorker(async ({ client, taskQueue }) => {
      const handle = await start(client, taskQueue, spec('bg-happy'));
      const writer = new ShopWriter({ source: db.source.url, target: db.target.url }, () =>
        handle.query(statusQuery).then((s) => s.routing.active),
      );
      try {
        const waiting = await waitForStatus(
          handle,
          (s) => s.phase === 'awaiting-approval',
          'the approval gate',
        );
        assert.equal(waiting.validation?.status, 'match');
        assert.equal(waiting.tables.length, 3);
        for (const t of waiting.tables) assert.equal(t.state, 'copied', t.table);

        await assert.rejects(
          handle.executeUpdate(approveCutoverUpdate, { args: [{ approver: 'mallory' }] }),
          rejectedWith(/mallory is not an approver of this migration/),
        );
        const first = await handle.executeUpdate(approveCutoverUpdate, {
          args: [{ approver: 'alice', comment: 'checked the plan' }],
        });
        assert.equal(first.approvals.length, 1);
        await assert.rejects(
          handle.executeUpdate(approveCutoverUpdate, { args: [{ approver: 'alice' }] }),
          rejectedWith(/alice has approved already/),
        );
        assert.equal((await handle.query(statusQuery)).phase, 'awaiting-approval');
        await handle.signal(approveSignal, { approver: 'bob', comment: 'from the UI' });

        const after = await waitForStatus(handle, (s) => s.phase === 'rollback-window', 'the cutover');
        assert.equal(after.routing.active, 'target');
        assert.ok(after.cutover.writeUnavailableMs! > 0 && after.cutover.writeUnavailableMs! < 60_000);
        // An app still acting on the old routing cannot write to the source: no side would keep it.
        assert.deepEqual([after.fence.state, after.fence.side], ['fenced', 'source']);
        await assert.rejects(
          query(db.source.url, `INSERT INTO accounts (email) VALUES ('stale@example.com')`),
          /fenced while migration "bg-happy"/,
        );
        // The app keeps writing, now on the target; reverse replication carries it to the source.
        await waitForStatus(
          handle,
          () => writer.side === 'target' && writer.writes > 50,
          'writes on the target',
        );
        await new Promise((r) => setTimeout(r, 1500));
      } finally {
        await writer.stop();
      }
      assert.ok(writer.fenced > 0, 'the app never met the fence');
      assert.match(writer.fenceMessage!, /fenced while migration "bg-happy"/);
      assert.ok(writer.writes > 100, `only ${writer.writes} writes`);

      await handle.signal(finalizeSignal);
      const result = (await handle.result()) as MigrationResult;
      assert.equal(result.outcome, 'completed');
      assert.deepEqual(
        result.approvals.map((a) => [a.approver, a.comment]),
        [
          ['alice', 'checked the plan'],
          ['bob', 'from the UI'],
        ],
      );
      assert.equal(result.validation?.status, 'match');
      await assertSameShop(db.target.url, db.source.url, 'after finalize');
      assert.deepEqual(await cutoverObjects(db.source.url), []);
      assert.deepEqual(await cutoverObjects(db.target.url), []);
      await replay(handle);
    });
  });
});

describe('blueGreenMigration rollback', () => {
  test('after the cutover, with the app writing throughout: every write acknowledged on either side ends on the source, which takes writes again', async () => {
    const db = await pair();
    const before = await shopTotals(db.source.url);
    await withWorker(async ({ client, taskQueue }) => {
      const handle = await start(client, taskQueue, spec('bg-rollback', { approval: { auto: true } }));
      const writer = new ShopWriter(
        { source: db.source.url, target: db.target.url },
        statusRouting(client, handle),
        { seed: 11 },
      );
      let deleted: { account_id: string; seq: number; amount: string }[];
      let fencedBefore: number;
      try {
        await waitForStatus(handle, (s) => s.phase === 'rollback-window', 'the cutover');
        await waitForStatus(
          handle,
          () => writer.side === 'target' && writer.writesOn.target > 150,
          'writes on the target',
        );
        // Rows written on the new side only, by hand: an identity insert, an update, a delete.
        await query(db.target.url, `INSERT INTO accounts (email) VALUES ('only-on-target@example.com')`);
        await query(db.target.url, `UPDATE accounts SET profile = '{"set": "on the target"}' WHERE id = 7`);
        deleted = await query(
          db.target.url,
          `DELETE FROM entries WHERE (account_id, seq) IN (SELECT account_id, seq FROM entries WHERE seq <= 800 LIMIT 3)
           RETURNING account_id, seq, amount`,
        );
        assert.ok(deleted.length > 0, 'entries deleted on the target');

        // The app keeps writing through the request and the compensations.
        fencedBefore = writer.fenced;
        await handle.signal(rollbackSignal, { reason: 'the app misbehaves on the new database' });
        const result = (await handle.result()) as MigrationResult;
        assert.equal(result.outcome, 'rolled-back');
        assert.equal(result.rollbackReason, 'the app misbehaves on the new database');
        const onSource = writer.writesOn.source;
        await waitForStatus(
          handle,
          () => writer.side === 'source' && writer.writesOn.source > onSource + 50,
          'writes on the source after the rollback',
        );
      } finally {
        await writer.stop();
      }
      assert.ok(writer.fenced > fencedBefore, "the app never met the target's fence in the rollback");
      const byHand = {
        accounts: 1,
        activeAccounts: 1,
        entries: -deleted.length,
        amountCents: -deleted.reduce((n, r) => n + Math.round(Number(r.amount) * 100), 0),
        seqSum: -deleted.reduce((n, r) => n + r.seq, 0),
      };
      await assertHoldsAckedWrites(
        db.source.url,
        addTotals(before, byHand),
        writer,
        'the source after the rollback',
      );
      assert.equal(
        (await query(db.source.url, `SELECT 1 FROM accounts WHERE email = 'only-on-target@example.com'`))
          .length,
        1,
      );
      assert.deepEqual(
        (await query<{ profile: unknown }>(db.source.url, `SELECT profile FROM accounts WHERE id = 7`))[0]!
          .profile,
        { set: 'on the target' },
      );
      for (const d of deleted)
        assert.deepEqual(
          await query(db.source.url, `SELECT 1 FROM entries WHERE account_id = $1 AND seq = $2`, [
            d.account_id,
            d.seq,
          ]),
          [],
          `entry ${d.account_id}/${d.seq} deleted on the target`,
        );
      // The source is not fenced, and its identity is past the rows that came back.
      await query(db.source.url, `INSERT INTO accounts (email) VALUES ('after-rollback@example.com')`);
      assert.deepEqual(await tablesOf(db.target.url), [], 'the target tables are dropped');
      assert.deepEqual(await cutoverObjects(db.source.url), []);
      assert.deepEqual(await cutoverObjects(db.target.url), [], 'the target fence is lifted too');
      // The target stays fenced until its tables are gone: no write lands there to be dropped.
      const scheduled = (await handle.fetchHistory()).events!.flatMap(
        (e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? [],
      );
      assert.ok(
        scheduled.lastIndexOf('liftFence') > scheduled.indexOf('dropTargetSchema'),
        `the target's fence is lifted after its tables are dropped: ${scheduled.join(', ')}`,
      );
      const status = await handle.query(statusQuery);
      assert.equal(status.routing.active, 'source');
      assert.equal(status.phase, 'rolled-back');
      await replay(handle);
    });
  });

  test('during the copy, by signal: the target is dropped and the source has no capture left', async () => {
    const db = await pair(3000);
    await withWorker(async ({ client, taskQueue }) => {
      const handle = await start(client, taskQueue, spec('bg-rb-copy', { copy: { maxRowsPerSecond: 500 } }));
      await waitForStatus(handle, (s) => s.phase === 'copying', 'the copy');
      await handle.signal(rollbackSignal, { reason: 'changed my mind' });
      const result = (await handle.result()) as MigrationResult;
      assert.equal(result.outcome, 'rolled-back');
      assert.deepEqual(await tablesOf(db.target.url), []);
      assert.deepEqual(await cutoverObjects(db.source.url), []);
    });
  });

  test('cancelling the workflow (as the Web UI does) rolls back too', async () => {
    const db = await pair();
    await withWorker(async ({ client, taskQueue }) => {
      const handle = await start(client, taskQueue, spec('bg-cancel'));
      await waitForStatus(handle, (s) => s.phase === 'awaiting-approval', 'the approval gate');
      await handle.cancel();
      await assert.rejects(handle.result(), (err: unknown) => err instanceof WorkflowFailedError);
      assert.equal((await handle.query(statusQuery)).phase, 'rolled-back');
      assert.deepEqual(await tablesOf(db.target.url), []);
      assert.deepEqual(await cutoverObjects(db.source.url), []);
    });
  });

  test('a permanent failure in the copy rolls back on its own, and the workflow fails with the reason', async () => {
    const db = await pair();
    await withWorker(async ({ client, taskQueue }) => {
      const handle = await start(
        client,
        taskQueue,
        spec('bg-fail', { columns: { 'accounts.email': { type: 'varchar(5)' } } }),
      );
      await assert.rejects(handle.result(), (err: unknown) => {
        assert.ok(err instanceof WorkflowFailedError);
        return true;
      });
      const status = await handle.query(statusQuery);
      assert.equal(status.phase, 'rolled-back');
      assert.match(status.error ?? '', /too long|value/i);
      assert.deepEqual(await tablesOf(db.target.url), []);
      assert.deepEqual(await cutoverObjects(db.source.url), []);
    });
  });

  test('a source table rewritten where the capture cannot see (ALTER ... USING) after the validation: no-go, re-validation, rollback', async () => {
    const db = await pair();
    await withWorker(async ({ client, taskQueue }) => {
      const handle = await start(
        client,
        taskQueue,
        spec('bg-rebuilt', { approval: { approvers: ['alice'], required: 1 } }),
      );
      await waitForStatus(handle, (s) => s.phase === 'awaiting-approval', 'the approval gate');
      // Every value changes on the source, and no row trigger fires.
      await query(db.source.url, `ALTER TABLE tags ALTER COLUMN uses TYPE bigint USING uses * 2`);
      await handle.executeUpdate(approveCutoverUpdate, { args: [{ approver: 'alice' }] });
      const noGo = await waitForStatus(
        handle,
        (s) => s.phase === 'awaiting-approval' && /no-go/.test(s.detail),
        'the no-go',
      );
      assert.match(noGo.detail, /source table\(s\) tags changed after the last validation/);
      assert.deepEqual(noGo.approval.approvals, [], 'the approval is void');
      assert.equal(noGo.fence.state, 'lifted');
      assert.equal(noGo.routing.active, 'source');
      await query(db.source.url, `INSERT INTO tags (tag, uses) VALUES ('still-writable', 1)`);
      // Approved again: the full validation runs first, finds the difference, and rolls back.
      await handle.executeUpdate(approveCutoverUpdate, { args: [{ approver: 'alice' }] });
      await assert.rejects(handle.result(), (err: unknown) => err instanceof WorkflowFailedError);
      const status = await handle.query(statusQuery);
      assert.equal(status.phase, 'rolled-back');
      assert.match(status.error ?? '', /mismatch|differ/i);
      assert.deepEqual(await tablesOf(db.target.url), []);
      assert.deepEqual(await cutoverObjects(db.source.url), []);
      await replay(handle);
    });
  });

  test('a compensation that fails for good is named, the others still run, and the workflow fails', async () => {
    const db = await pair();
    await withWorker(async ({ client, taskQueue }) => {
      const handle = await start(client, taskQueue, spec('bg-rb-stuck'));
      await waitForStatus(handle, (s) => s.phase === 'awaiting-approval', 'the approval gate');
      // The source refuses every DROP from now on: the capture cannot be removed.
      await query(
        db.source.url,
        `CREATE FUNCTION deny_drops() RETURNS event_trigger LANGUAGE plpgsql AS
           $$ BEGIN RAISE EXCEPTION 'drops are frozen here' USING ERRCODE = 'insufficient_privilege'; END $$`,
      );
      await query(
        db.source.url,
        `CREATE EVENT TRIGGER deny_drops ON ddl_command_start EXECUTE FUNCTION deny_drops()`,
      );
      try {
        await handle.signal(rollbackSignal, { reason: 'rehearsal' });
        await assert.rejects(handle.result(), (err: unknown) => err instanceof WorkflowFailedError);
        const status = await handle.query(statusQuery);
        assert.equal(status.phase, 'failed');
        assert.equal(status.rollback.state, 'incomplete');
        assert.match(status.error ?? '', /forward-capture: .*drops are frozen here/);
        assert.match(status.error ?? '', /left in place: forward-capture/);
        assert.deepEqual(await tablesOf(db.target.url), [], 'the target was still dropped');
      } finally {
        await query(db.source.url, `DROP EVENT TRIGGER deny_drops`);
      }
    });
  });

  test('the source at its critical load stops the copy (pt-osc --critical-load) and rolls back', async () => {
    const db = await pair();
    await withWorker(async ({ client, taskQueue }) => {
      // One running query (the load check itself) is already critical.
      const handle = await start(client, taskQueue, spec('bg-load', { copy: { criticalLoad: 1 } }));
      await assert.rejects(handle.result(), (err: unknown) => err instanceof WorkflowFailedError);
      const status = await handle.query(statusQuery);
      assert.equal(status.phase, 'rolled-back');
      assert.match(
        status.error ?? '',
        /the source's load \(\d+ running queries\) reached the critical threshold 1/,
      );
      assert.deepEqual(await tablesOf(db.target.url), []);
      assert.deepEqual(await cutoverObjects(db.source.url), []);
    });
  });

  for (const { rows, refusal } of [
    // With rows: the plan blocks it (TARGET_TABLE_EXISTS), before anything runs.
    { rows: 1, refusal: /TARGET_TABLE_EXISTS \(tags\): postgres schema "public" already has a table "tags"/ },
    // Empty, the plan only warns; the target-schema check refuses it before creating anything.
    { rows: 0, refusal: /already has table tags: drop or rename them/ },
  ])
    test(`a target that already has a table of the plan (${rows} row) is refused, and that table (someone else's) is left alone`, async () => {
      const db = await pair();
      await query(db.target.url, `CREATE TABLE tags (tag text PRIMARY KEY, owner text)`);
      if (rows) await query(db.target.url, `INSERT INTO tags VALUES ('theirs', 'another team')`);
      await withWorker(async ({ client, taskQueue }) => {
        const handle = await start(client, taskQueue, spec('bg-occupied'));
        await assert.rejects(handle.result(), (err: unknown) => err instanceof WorkflowFailedError);
        const status = await handle.query(statusQuery);
        assert.equal(status.phase, 'failed', 'nothing of ours was created: nothing to roll back');
        assert.match(status.error ?? '', refusal);
        assert.deepEqual(await tablesOf(db.target.url), ['tags']);
        assert.deepEqual(
          await query(db.target.url, `SELECT tag, owner FROM tags`),
          rows ? [{ tag: 'theirs', owner: 'another team' }] : [],
        );
        assert.deepEqual(await cutoverObjects(db.source.url), []);
      });
    });

  test('a foreign key the source rows themselves violate: catch-ups do not fix it, the migration names it and rolls back', async () => {
    const db = await pair();
    // Written under the replica role (as a logical replication subscriber writes), the orphan skipped
    // the source's foreign key triggers: the key is valid there, and VALIDATE on the target never passes.
    const c = new pg.Client({ connectionString: db.source.url });
    await c.connect();
    try {
      await c.query(`SET session_replication_role = replica`);
      await c.query(`INSERT INTO entries (account_id, seq, amount) VALUES (990001, 1, 1)`);
    } finally {
      await c.end();
    }
    await withWorker(async ({ client, taskQueue }) => {
      const handle = await start(client, taskQueue, spec('bg-orphan'));
      await assert.rejects(handle.result(), (err: unknown) => err instanceof WorkflowFailedError);
      const status = await handle.query(statusQuery);
      assert.equal(status.phase, 'rolled-back');
      assert.match(
        status.error ?? '',
        /validate foreign key entries_account_id_fkey on entries.*still after 5 catch-ups.*source's own rows/,
      );
      assert.ok(!status.error!.includes('990001'), 'no row value in the error');
      assert.deepEqual(await tablesOf(db.target.url), []);
      assert.deepEqual(await cutoverObjects(db.source.url), []);
      await replay(handle);
    });
  });
  test('a routing hook that fails at the cutover: the source stays fenced until routing is back, nothing acknowledged is lost', async () => {
    const db = await pair();
    process.env.CUTOVER_HOOK_BROKEN_ROUTER = 'echo "proxy unreachable" >&2; exit 3';
    await withWorker(async ({ client, taskQueue }) => {
      const handle = await start(
        client,
        taskQueue,
        spec('bg-router', {
          approval: { auto: true },
          cutover: {
            maxLagSeconds: 2,
            stableSeconds: 1,
            rollbackWindowMinutes: 30,
            hooks: { routing: 'BROKEN_ROUTER' },
          },
        }),
      );
      // An app that follows the control table: every tag it was told was written must survive.
      const acked: string[] = [];
      let stop = false;
      const app = (async () => {
        for (let i = 0; !stop; i++) {
          const side = await handle
            .query(statusQuery)
            .then((s) => s.routing.active)
            .catch(() => 'source' as const);
          const tag = `app-${i}`;
          try {
            await query(
              side === 'target' ? db.target.url : db.source.url,
              `INSERT INTO tags (tag, uses) VALUES ($1, 1)`,
              [tag],
            );
            acked.push(tag);
          } catch {
            // fenced, or the target's tables already dropped: not acknowledged, nothing to keep
          }
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      try {
        const end = await waitForStatus(
          handle,
          (s) => s.phase === 'rolled-back' || s.phase === 'rollback-window',
          'the end of the cutover',
        );
        assert.equal(end.phase, 'rolled-back', 'a failed routing hook must not complete the cutover');
        await assert.rejects(handle.result(), (err: unknown) => err instanceof WorkflowFailedError);
      } finally {
        stop = true;
        await app;
      }
      const status = await handle.query(statusQuery);
      assert.equal(status.phase, 'rolled-back');
      assert.match(status.error ?? '', /hook BROKEN_ROUTER failed for event routing-switched.*rolling back/);
      assert.equal(status.routing.active, 'source');
      const scheduled = (await handle.fetchHistory()).events!.flatMap(
        (e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? [],
      );
      assert.ok(
        scheduled.indexOf('liftFence') > scheduled.lastIndexOf('switchRouting'),
        `no fence is lifted before routing is back on the source: ${scheduled.join(', ')}`,
      );
      const onSource = new Set(
        (await query<{ tag: string }>(db.source.url, `SELECT tag FROM tags WHERE tag LIKE 'app-%'`)).map(
          (r) => r.tag,
        ),
      );
      assert.ok(acked.length > 20, `only ${acked.length} acknowledged writes`);
      assert.deepEqual(
        acked.filter((t) => !onSource.has(t)),
        [],
        'every acknowledged write is on the source',
      );
      await query(db.source.url, `INSERT INTO tags (tag, uses) VALUES ('after-rollback', 1)`);
      assert.deepEqual(await tablesOf(db.target.url), []);
      assert.deepEqual(await cutoverObjects(db.source.url), []);
      await replay(handle);
    });
  });
});

test('a migration started with plain JSON, as the Web UI form sends it, runs to the approval gate', async () => {
  const cli = findTemporalCli();
  assert.ok(cli, 'the Temporal CLI is built by scripts/test.ts');
  const db = await pair();
  await withWorker(async ({ client, taskQueue }) => {
    const workflowId = `bg-ui-${randomBytes(3).toString('hex')}`;
    execFileSync(cli, [
      'workflow',
      'start',
      '--address',
      testAddress(),
      '--type',
      'blueGreenMigration',
      '--task-queue',
      taskQueue,
      '--workflow-id',
      workflowId,
      '--input',
      JSON.stringify(spec('bg-ui')),
    ]);
    const handle = client.workflow.getHandle(workflowId);
    const s = await waitForStatus(handle, (x) => x.phase === 'awaiting-approval', 'the approval gate');
    assert.equal(s.validation?.status, 'match');
    await handle.signal(rollbackSignal, { reason: 'test over' });
    await handle.result();
    assert.deepEqual(await tablesOf(db.target.url), []);
  });
});

test('the read-only fence, and an approval older than revalidateAfterMinutes: validated again, cut over, the setting restored', async () => {
  const db = await pair();
  // The read-only fence exempts cutover's own role (it drains the changelog under the fence), so
  // cutover logs in to the source as a role of its own, as docs/CUTOVER.md asks.
  const role = `cutover_ro_${randomBytes(3).toString('hex')}`;
  await query(db.source.url, `CREATE ROLE ${role} LOGIN SUPERUSER`);
  process.env.CUTOVER_DB_BGRO_SRC = withCredentials(db.source.url, role, '');
  after(() => query(db.target.url, `DROP ROLE IF EXISTS ${role}`).catch(() => undefined));
  await withWorker(async ({ client, taskQueue }) => {
    const handle = await start(
      client,
      taskQueue,
      spec('bg-ro', {
        source: { engine: 'postgres', connection: 'BGRO_SRC', schema: 'public' },
        approval: { approvers: ['alice'], required: 1, revalidateAfterMinutes: 0 },
        cutover: { maxLagSeconds: 2, stableSeconds: 1, rollbackWindowMinutes: 30, fence: 'read-only' },
      }),
    );
    const writer = new ShopWriter(
      { source: db.source.url, target: db.target.url },
      statusRouting(client, handle),
    );
    let after;
    try {
      await waitForStatus(handle, (s) => s.phase === 'awaiting-approval', 'the approval gate');
      await new Promise((r) => setTimeout(r, 1500));
      await handle.signal(approveSignal, { approver: 'alice' });
      after = await waitForStatus(handle, (s) => s.phase === 'rollback-window', 'the cutover');
      await waitForStatus(
        handle,
        () => writer.side === 'target' && writer.writes > 50,
        'writes on the target',
      );
    } finally {
      await writer.stop();
    }
    assert.ok(after.cutover.writeUnavailableMs! > 0, 'the window is measured');
    assert.equal(
      after.validations.filter((v) => v.scope === 'full').length,
      2,
      'the approval came after the 0-minute limit: validated again before the cutover',
    );
    // The source stays read-only for the applications until finalize (reverse replication passes).
    assert.deepEqual([after.fence.state, after.fence.side], ['fenced', 'source']);
    await assert.rejects(
      query(db.source.url, `INSERT INTO tags (tag, uses) VALUES ('stale-app', 1)`),
      /read-only transaction/,
    );
    await handle.signal(finalizeSignal);
    const result = (await handle.result()) as MigrationResult;
    assert.equal(result.outcome, 'completed');
    // The source database's default is back to what it was (no setting), so it takes writes again.
    const [setting] = await query<{ ro: string }>(
      db.source.url,
      `SELECT current_setting('default_transaction_read_only') AS ro`,
    );
    assert.equal(setting!.ro, 'off');
    await assertSameShop(db.target.url, db.source.url, 'after a read-only fenced cutover');
    await query(db.source.url, `INSERT INTO tags (tag, uses) VALUES ('source-writable-again', 1)`);
    await replay(handle);
  });
});

test('a fence that cannot work as configured, with approval.auto: the migration fails and rolls back, naming why', async () => {
  const db = await pair();
  // The same role as the application's: the read-only fence would exempt the application too.
  const app = new pg.Client({ connectionString: db.source.url });
  await app.connect();
  try {
    await withWorker(async ({ client, taskQueue }) => {
      const handle = await start(
        client,
        taskQueue,
        spec('bg-ro-same-role', {
          approval: { auto: true },
          cutover: { maxLagSeconds: 2, stableSeconds: 1, rollbackWindowMinutes: 30, fence: 'read-only' },
        }),
      );
      await assert.rejects(handle.result(), (err: unknown) => err instanceof WorkflowFailedError);
      const status = await handle.query(statusQuery);
      assert.equal(status.phase, 'rolled-back');
      assert.match(status.error ?? '', /read-only fence on PostgreSQL needs cutover to log in as a role/);
      await app.query(`INSERT INTO tags (tag, uses) VALUES ('still-writable', 1)`);
      assert.deepEqual(await cutoverObjects(db.source.url), []);
    });
  } finally {
    await app.end();
  }
});
