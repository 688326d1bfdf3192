// The operator commands (start, status, watch, approve, rollback, pause, resume, throttle, list) as
// an operator runs them: child processes against a real Temporal server (TEMPORAL_ADDRESS) whose
// worker, in this test, runs a stand-in blueGreenMigration (fixtures/fake-migration-workflow.ts)
// with the real messages. What is checked is the CLI: exit codes, JSON, refusals, plain output.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Context } from '@temporalio/activity';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { dataConverter } from '../../src/temporal/data-converter';
import { migrationWorkflowId, type MigrationStatus } from '../../src/workflows/messages';
import { MigrationPhase } from '../../src/workflows/search-attributes';
import { testAddress } from '../helpers/temporal';

const ROOT = join(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'cutover-mig-cli-'));
const suffix = randomBytes(3).toString('hex');
const taskQueue = `cli-migration-${suffix}`;
const name = `cli-${suffix}`;
const workflowId = migrationWorkflowId(name);

let worker: Worker;
let workerConnection: NativeConnection;
let running: Promise<void>;
let connection: Connection;
let client: Client;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cutover(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const childEnv: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: testAddress(),
      CUTOVER_TASK_QUEUE: taskQueue,
      ...env,
    };
    delete childEnv.NO_COLOR; // colours must be off because stdout is a pipe, not because we asked
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'cutover.js'), ...args], {
      env: childEnv,
      cwd: dir,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

async function status(): Promise<{
  status: MigrationStatus;
  live: { copies: { table: string; rows: number }[] };
}> {
  const r = await cutover(['status', workflowId, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** The workflow's status straight from a client: for waiting, so the CLI runs only for what is checked. */
function query(): Promise<MigrationStatus> {
  return client.workflow.getHandle(workflowId).query<MigrationStatus>('status');
}

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) assert.fail(`${what}: last seen ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function advance(phase: string): Promise<void> {
  await client.workflow.getHandle(workflowId).signal('testAdvance', { phase });
}

const ANSI = /\x1b\[/; // eslint-disable-line no-control-regex

before(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  workerConnection = await NativeConnection.connect({ address: testAddress() });
  worker = await Worker.create({
    connection: workerConnection,
    taskQueue,
    workflowsPath: require.resolve('./fixtures/fake-migration-workflow'),
    dataConverter,
    activities: {
      // A copy that never ends: heartbeats its rows like the real copyTable until cancelled.
      async copyTable(input: { table: string }) {
        const ctx = Context.current();
        for (;;) {
          ctx.heartbeat({ table: input.table, rows: 1234, bytes: 56_789, checkpoint: { slices: [] } });
          await ctx.sleep(200);
        }
      },
    },
  });
  running = worker.run();
  connection = await Connection.connect({ address: testAddress() });
  client = new Client({ connection, dataConverter });
  writeFileSync(
    join(dir, 'spec.yaml'),
    [
      `name: ${name}`,
      'source: { engine: mysql, connection: CLI_SRC }',
      'target: { engine: postgres, connection: CLI_DST }',
      'approval: { approvers: [alice, bob], required: 2 }',
      '',
    ].join('\n'),
  );
});

after(async () => {
  await client.workflow
    .getHandle(workflowId)
    .terminate('test over')
    .catch(() => undefined);
  worker.shutdown();
  await running;
  await workerConnection.close();
  await connection.close();
});

test('start with a bad spec exits 2, names every bad field and starts nothing', async () => {
  const bad = `bad-${suffix}`;
  writeFileSync(
    join(dir, 'bad.json'),
    JSON.stringify({
      name: bad,
      source: { engine: 'mysql' },
      target: { engine: 'pg', connection: 'X' },
      approval: { approvers: ['alice'], required: 2 },
      typo: 1,
    }),
  );
  const r = await cutover(['start', 'bad.json']);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /source\.connection: is required/);
  assert.match(r.stderr, /target\.engine: /);
  assert.match(r.stderr, /approval\.required: needs 2 distinct approvers/);
  assert.match(r.stderr, /typo: unknown field/);
  await assert.rejects(client.workflow.getHandle(migrationWorkflowId(bad)).describe(), WorkflowNotFoundError);

  const missing = await cutover(['start', 'nope.yaml']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read spec file nope\.yaml/);
});

test('start prints the workflow id; a second start of the same migration exits 1', async () => {
  const r = await cutover(['start', 'spec.yaml']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `${workflowId}\n`);
  assert.match(r.stderr, new RegExp(`started migration ${name} \\(mysql -> postgres\\)`));
  assert.doesNotMatch(r.stderr, /no worker is polling/);
  const description = await client.workflow.getHandle(workflowId).describe();
  assert.equal(description.type, 'blueGreenMigration');
  assert.equal(description.taskQueue, taskQueue);

  const again = await cutover(['start', 'spec.yaml']);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already running as workflow/);
});

test('status --json: the query merged with the live rows of the copy in flight', async () => {
  await advance('copying');
  await eventually(
    async () => (await client.workflow.getHandle(workflowId).describe()).raw.pendingActivities ?? [],
    (pending) => pending.some((a) => a.heartbeatDetails?.payloads?.length),
    'the copy heartbeats',
  );
  const r = await cutover(['status', workflowId, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const view = JSON.parse(r.stdout);
  for (const key of ['workflowId', 'runId', 'execution', 'status', 'live', 'failure', 'note'])
    assert.ok(key in view, `status --json has ${key}`);
  assert.equal(view.workflowId, workflowId);
  assert.equal(view.execution.status, 'RUNNING');
  assert.equal(view.execution.taskQueue, taskQueue);
  assert.equal(view.status.phase, 'copying');
  assert.equal(view.status.migration, name);
  const orders = view.status.tables.find((t: { table: string }) => t.table === 'orders');
  assert.equal(orders.rowsCopied, 1234, 'live rows from the heartbeat, not the workflow’s 0');
  assert.equal(orders.state, 'copying');
  assert.equal(view.live.copies[0].table, 'orders');
  assert.equal(view.live.copies[0].rows, 1234);
  assert.equal(view.live.copies[0].bytes, 56_789);

  const text = await cutover(['status', name]); // a migration name works as well as its id
  assert.equal(text.code, 0, text.stderr);
  assert.doesNotMatch(text.stdout + text.stderr, ANSI, 'no ANSI codes when not a terminal');
  assert.match(text.stdout, /phase\s+copying/);
  assert.match(text.stdout, /orders\s+1,234 \/ ~10,000\s+12%\s+copying/);
  assert.match(text.stdout, /approval\s+0\/2, approvers: alice, bob/);
});

test('pause, resume and throttle reach the workflow', async () => {
  const p = await cutover(['pause', workflowId]);
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stdout, /pause requested/);
  await eventually(query, (s) => s.paused, 'paused');
  assert.equal((await cutover(['resume', workflowId])).code, 0);
  await eventually(query, (s) => !s.paused, 'resumed');
  const t = await cutover(['throttle', workflowId, '--rows-per-second', '500']);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /throttle set to 500 rows\/s per table/);
  const view = await status();
  assert.equal(view.status.maxRowsPerSecond, 500);
  assert.equal(view.status.paused, false);
  const usage = await cutover(['throttle', workflowId, '--rows-per-second', '-3']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--rows-per-second must be a positive number/);
});

test('list shows the running migration with its phase', async () => {
  // Visibility is eventually consistent: wait for it through a client, then run the CLI once each way.
  await eventually(
    async () => {
      for await (const w of client.workflow.list({ query: `WorkflowId = '${workflowId}'` }))
        return w.typedSearchAttributes.get(MigrationPhase) ?? null;
      return null;
    },
    (phase) => phase === 'copying',
    'the migration is visible with its phase',
  );
  const r = await cutover(['list', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as { workflowId: string; name: string; phase: string; status: string }[];
  const mine = rows.find((row) => row.workflowId === workflowId);
  assert.ok(mine, r.stdout);
  assert.equal(mine.name, name);
  assert.equal(mine.phase, 'copying');
  assert.equal(mine.status, 'RUNNING');
  const text = await cutover(['list']);
  assert.equal(text.code, 0, text.stderr);
  assert.doesNotMatch(text.stdout, ANSI);
  assert.match(text.stdout, /^ID\s+NAME\s+PHASE\s+STARTED\s+STATUS$/m);
  assert.match(text.stdout, new RegExp(`^${workflowId}\\s+${name}\\s+copying\\s+\\S+\\s+running$`, 'm'));
});

test('approve: refused unless awaiting, by an approver, once each; accepted otherwise', async () => {
  const early = await cutover(['approve', workflowId, '--approver', 'alice']);
  assert.equal(early.code, 1);
  assert.match(early.stderr, /approval rejected: the migration is not awaiting approval \(phase: copying\)/);

  await advance('awaiting-approval');
  await eventually(query, (s) => s.approval.awaiting, 'awaiting approval');
  const watch = await cutover(['watch', workflowId]);
  assert.equal(watch.code, 0, watch.stderr);
  assert.match(watch.stdout, /awaiting-approval/);
  assert.doesNotMatch(watch.stdout + watch.stderr, ANSI);
  assert.match(watch.stderr, new RegExp(`cutover approve ${workflowId} --approver alice\\|bob`));

  const stranger = await cutover(['approve', workflowId, '--approver', 'mallory']);
  assert.equal(stranger.code, 1);
  assert.match(stranger.stderr, /mallory is not an approver of this migration \(approvers: alice, bob\)/);

  const ok = await cutover(['approve', workflowId, '--approver', 'alice', '--comment', 'numbers match']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /approved by alice: 1\/2 approvals \(1 more needed\)/);

  const twice = await cutover(['approve', workflowId, '--approver', 'alice', '--json']);
  assert.equal(twice.code, 1);
  assert.equal(twice.stdout, '');
  assert.match(twice.stderr, /alice has approved already/);

  const text = await cutover(['status', workflowId]);
  assert.match(text.stdout, /approval\s+1\/2, awaiting approval, approvers: alice, bob/);
  assert.match(text.stdout, /alice at \S+: "numbers match"/);
  assert.equal((await cutover(['approve', workflowId])).code, 2, '--approver is required');
});

test('rollback needs a reason, reaches the workflow, and a closed migration still shows its status', async () => {
  assert.equal((await cutover(['rollback', workflowId])).code, 2);
  const r = await cutover(['rollback', workflowId, '--reason', 'numbers off']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /rollback requested \(reason: numbers off\)/);
  await client.workflow.getHandle(workflowId).result();
  const view = await status();
  assert.equal(view.status.phase, 'rolled-back');
  assert.equal(view.status.rollback.requested, true);
  assert.equal(view.status.rollback.reason, 'numbers off');
  const again = await cutover(['rollback', workflowId, '--reason', 'again']);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /is completed: no rollback sent/);
  const closedList = await cutover(['list', '--all', '--json']);
  assert.ok(JSON.parse(closedList.stdout).some((m: { workflowId: string }) => m.workflowId === workflowId));
});

test('without a worker: start warns, status and approve say why they cannot answer, a closed one shows its outcome', async () => {
  const lonelyQueue = `${taskQueue}-no-worker`;
  const env = { CUTOVER_TASK_QUEUE: lonelyQueue };
  const lonely = `lonely-${suffix}`;
  writeFileSync(
    join(dir, 'lonely.json'),
    JSON.stringify({
      name: lonely,
      source: { engine: 'postgres', connection: 'A' },
      target: { engine: 'postgres', connection: 'B' },
    }),
  );
  const started = await cutover(['start', 'lonely.json', '--json'], env);
  assert.equal(started.code, 0, started.stderr);
  assert.equal(JSON.parse(started.stdout).workflowId, migrationWorkflowId(lonely));
  assert.match(started.stderr, new RegExp(`no worker is polling task queue ${lonelyQueue}`));

  const s = await cutover(['status', lonely], env);
  assert.equal(s.code, 1);
  assert.match(s.stdout, new RegExp(`no worker polls task queue ${lonelyQueue}`));
  const a = await cutover(['approve', lonely, '--approver', 'alice'], env);
  assert.equal(a.code, 1);
  assert.match(a.stderr, /no worker polls task queue .*: the approval cannot be checked now/);

  await client.workflow.getHandle(migrationWorkflowId(lonely)).terminate('operator gave up');
  const closed = await cutover(['status', lonely, '--json'], env);
  assert.equal(closed.code, 1);
  const view = JSON.parse(closed.stdout);
  assert.equal(view.execution.status, 'TERMINATED');
  assert.equal(view.status, null);
  assert.match(view.failure.message, /operator gave up/);
});

test('an unknown migration exits 1', async () => {
  const r = await cutover(['status', `no-such-${suffix}`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no migration workflow/);
});
