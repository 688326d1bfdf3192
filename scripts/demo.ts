// The README's first command: a generated MySQL shop under a live write load, moved to PostgreSQL by
// the blueGreenMigration workflow: the source prepared the way the plan says, planned (no blocking
// finding), copied, caught up, validated, approved (by itself with --auto-approve, otherwise by the
// operator with `cutover approve`), cut over while the app follows the routing, and finalized. Then
// it checks on its own that no acknowledged write was lost and that the old MySQL source equals
// PostgreSQL in every migrated table and column (scripts/compare-sides.ts), and exits 0 only if all
// holds.
//
// Uses the embedded dev server unless TEMPORAL_ADDRESS is set; the worker runs in this process on a
// task queue of its own either way, because it holds the demo's connection URLs.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import { WorkflowIdConflictPolicy } from '@temporalio/common';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { RateTracker } from '../src/cli/commands/status';
import { webUiLink } from '../src/cli/commands/start';
import { loadMigrationView, TERMINAL_PHASES, WORKFLOW_TYPE } from '../src/cli/migration-view';
import { describeFailure } from '../src/cli/output';
import { openSession } from '../src/cli/session';
import { readSpecFile } from '../src/cli/spec-file';
import { watchLine } from '../src/cli/status-render';
import { formatSpecProblems, parseMigrationSpec, type MigrationSpec } from '../src/spec/migration-spec';
import type { PlanReport } from '../src/spec/plan-report';
import type { MigrationResult } from '../src/workflows/blue-green';
import {
  approveCutoverUpdate,
  finalizeSignal,
  migrationWorkflowId,
  statusQuery,
  type MigrationStatus,
  type ValidationSummary,
} from '../src/workflows/messages';
import { compareMysqlPostgres, describeDifference } from './compare-sides';
import { ShopLoad, type Side } from './demo-load';
import { createSampleShop } from './sample-shop';

const ROOT = join(__dirname, '..');
const SPEC_PATH = join(ROOT, 'examples', 'sample-mysql-to-postgres.json');
const MYSQL_ADMIN = process.env.CUTOVER_DEMO_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/';
const PG_ADMIN = process.env.CUTOVER_DEMO_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SOURCE_DB = 'cutover_sample';
const TARGET_DB = 'cutover_sample_target';
/** How long the app keeps writing on PostgreSQL after the switch, before the demo finalizes. */
const WRITES_AFTER_CUTOVER_MS = 5_000;

const demoStart = Date.now();
/** Progress lines count from the workflow's start. */
let t0 = Date.now();
/** Set by Ctrl-C. */
let interrupted = false;
const say = (line: string) => process.stdout.write(`${line}\n`);
const stamp = () => `[${String(Math.round((Date.now() - t0) / 1000)).padStart(4)}s]`;

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

function operatorName(): string {
  try {
    return userInfo().username || 'operator';
  } catch {
    return process.env.USER ?? 'operator';
  }
}

/**
 * What a DBA does with the plan's mitigations before an online move: each source fix the plan
 * names for the tables that move online, printed with its SQL and what it changed.
 */
async function prepareSource(url: string): Promise<void> {
  const c = await mysql.createConnection({ uri: url });
  // The shop's legacy mode: zero dates can be read and compared without errors.
  await c.query(`SET SESSION sql_mode = ''`);
  const run = async (why: string, sql: string) => {
    const [r] = await c.query(sql);
    const affected = (r as mysql.ResultSetHeader).affectedRows;
    say(`  - ${why}\n      ${sql}${/^\s*UPDATE/i.test(sql) ? `   -- ${affected} row(s)` : ''}`);
  };
  try {
    say('demo: preparing the source as the plan advises (the tables that move online):');
    await run(
      'CASCADE_NOT_CAPTURED order_items: MySQL fires no trigger for cascaded deletes; keep the FK, drop its CASCADE (the app deletes items itself)',
      'ALTER TABLE order_items DROP FOREIGN KEY fk_items_order',
    );
    await run(
      '  ... and the same FK again, without the action',
      'ALTER TABLE order_items ADD CONSTRAINT fk_items_order FOREIGN KEY (order_id) REFERENCES orders (id)',
    );
    const [[dup]] = await c.query<mysql.RowDataPacket[]>(
      'SELECT COUNT(*) AS n, COUNT(DISTINCT external_ref) AS d FROM orders',
    );
    if (Number(dup!.n) === Number(dup!.d)) {
      await run(
        'FK_TO_NON_UNIQUE shipments: orders.external_ref holds no duplicate, so make it unique',
        'ALTER TABLE orders ADD UNIQUE KEY uq_orders_external_ref (external_ref)',
      );
    } else {
      await run(
        `FK_TO_NON_UNIQUE shipments: ${dup!.n} orders share ${dup!.d} external_ref values, so no UNIQUE key is possible without changing data: drop the FK, the application keeps the relation`,
        'ALTER TABLE shipments DROP FOREIGN KEY fk_shipments_order_ref',
      );
    }
    await run(
      'NUL_BYTES customers.notes: PostgreSQL text cannot hold NUL: strip it',
      `UPDATE customers SET notes = REPLACE(notes, CHAR(0), '') WHERE INSTR(notes, CHAR(0)) > 0`,
    );
    await run(
      "EMPTY_ENUM_VALUES customers.status: '' is MySQL's error value, not a label: set the column default",
      `UPDATE customers SET status = 'active' WHERE status = ''`,
    );
    // The spec's zeroDates overrides would do this on the way (the copy does), but the validator
    // compares the source's zero dates as they are and reports those rows as differing: fix them here.
    await run(
      "ZERO_DATES customers.birthday: no such date; NULL says 'unknown'",
      'UPDATE customers SET birthday = NULL WHERE MONTH(birthday) = 0 OR DAYOFMONTH(birthday) = 0',
    );
    await run(
      'ZERO_DATES customers.created_at: NOT NULL, so a sentinel date',
      `UPDATE customers SET created_at = '0001-01-01 00:00:00' WHERE MONTH(created_at) = 0 OR DAYOFMONTH(created_at) = 0`,
    );
    say(
      '  - in the spec (examples/sample-mysql-to-postgres.json): customers.prefs as json (keeps \\u0000), the generated columns of products in PostgreSQL SQL;\n' +
        '    audit_log (no primary key), legacy_sessions (MyISAM), the 64-byte table, warehouses/employees (spatial column) left for a maintenance window;\n' +
        '    reverse replication accepted for columns PostgreSQL could widen (latin1 country, TIMESTAMP, json, TIME): the app writes none of those values',
    );
  } finally {
    await c.end();
  }
}

async function scalar(url: string, sql: string): Promise<string> {
  if (url.startsWith('mysql')) {
    const c = await mysql.createConnection({ uri: url });
    try {
      const [rows] = await c.query<mysql.RowDataPacket[]>(sql);
      return String(Object.values(rows[0]!)[0]);
    } finally {
      await c.end();
    }
  }
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query(sql);
    return String(Object.values(r.rows[0] as object)[0]);
  } finally {
    await c.end();
  }
}

const cents = (decimal: string) => Math.round(Number(decimal) * 100);

/** Every acknowledged order, with its items, on the target; returns the problems found. */
async function checkOrders(
  load: ShopLoad,
  targetUrl: string,
): Promise<{ problems: string[]; extra: number }> {
  const c = new pg.Client({ connectionString: targetUrl });
  await c.connect();
  try {
    const r = await c.query<{
      ref: string;
      customer_id: string;
      total: string;
      lines: number;
      amount: string;
    }>(
      `SELECT o.external_ref AS ref, o.customer_id::text AS customer_id, o.total::text AS total,
              count(i.line_no)::int AS lines, coalesce(sum(i.qty * i.unit_price), 0)::text AS amount
         FROM orders o LEFT JOIN order_items i ON i.order_id = o.id
        WHERE o.external_ref LIKE 'demo-%' GROUP BY o.id, o.external_ref, o.customer_id, o.total`,
    );
    const found = new Map(r.rows.map((x) => [x.ref, x]));
    const problems: string[] = [];
    for (const o of load.orders) {
      const row = found.get(o.ref);
      const amount = o.lines.reduce((n, l) => n + l.qty * cents(l.unitPrice), 0);
      if (!row) problems.push(`order ${o.ref} (written on the ${o.side}) is missing`);
      else if (
        Number(row.customer_id) !== o.customerId ||
        cents(row.total) !== cents(o.total) ||
        row.lines !== o.lines.length ||
        cents(row.amount) !== amount
      )
        problems.push(`order ${o.ref} (written on the ${o.side}) differs: ${JSON.stringify(row)}`);
      found.delete(o.ref);
    }
    return { problems, extra: found.size };
  } finally {
    await c.end();
  }
}

/**
 * A spec table pattern: an exact name or a glob with * and ?. Its own matcher on purpose, not the
 * planner's selectTables: the planner's selection is what migratedTables() checks.
 */
function globMatches(pattern: string, name: string): boolean {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 's').test(name);
}

/**
 * The tables the migration moves, read independently: the source's base tables that the spec's
 * include patterns select and its exclude patterns do not (cutover's own _cutover_* tables never
 * move), each with its target name from the plan. A table the spec selects that the plan does not
 * move, or the other way round, is a problem of its own.
 */
async function migratedTables(
  sourceUrl: string,
  spec: MigrationSpec,
  report: PlanReport,
): Promise<{ tables: string[]; targetName: (table: string) => string; problems: string[] }> {
  const c = await mysql.createConnection({ uri: sourceUrl });
  let all: string[];
  try {
    const [rows] = await c.query<mysql.RowDataPacket[]>(
      `SELECT TABLE_NAME AS name FROM information_schema.TABLES
        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'`,
    );
    all = rows.map((r) => String(r.name)).sort();
  } finally {
    await c.end();
  }
  const tables = all.filter(
    (t) =>
      !t.startsWith('_cutover_') &&
      spec.tables.include.some((p) => globMatches(p, t)) &&
      !spec.tables.exclude.some((p) => globMatches(p, t)),
  );
  const planned = new Map(report.tables.map((t) => [t.table, t.targetTable]));
  const problems = [
    ...tables
      .filter((t) => !planned.has(t))
      .map((t) => `the spec selects ${t}, but the plan does not move it`),
    ...[...planned.keys()]
      .filter((t) => !tables.includes(t))
      .map((t) => `the plan moves ${t}, which the spec does not select`),
  ];
  return { tables, targetName: (t) => planned.get(t) ?? t, problems };
}

/** Columns the spec leaves out of the target ("<table>.<column>": { "exclude": true }). */
function excludedColumns(spec: MigrationSpec): Set<string> {
  return new Set(
    Object.entries(spec.columns)
      .filter(([, o]) => o.exclude === true)
      .map(([k]) => k),
  );
}

function validationText(v: ValidationSummary | null | undefined): string {
  if (!v) return 'none seen';
  return `${v.status} (${v.scope}, ${v.tables} table(s)${v.status === 'mismatch' ? `: ${v.mismatched} differing, ${v.missing} missing, ${v.extra} extra` : ''}, at ${v.at})`;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== '--auto-approve');
  if (unknown.length || args.includes('--help')) {
    process.stderr.write(
      `usage: npm run demo [-- --auto-approve]\n  --auto-approve  approve the cutover from the demo itself (otherwise it waits for \`cutover approve\`)\n`,
    );
    return unknown.length ? 2 : 0;
  }
  const autoApprove = args.includes('--auto-approve');

  // ---- 1. databases ----
  if (spawnSync('bash', [join(ROOT, 'scripts', 'ensure-databases.sh')], { stdio: 'inherit' }).status !== 0)
    return 1;
  const sourceUrl = withDatabase(MYSQL_ADMIN, SOURCE_DB);
  const targetUrl = withDatabase(PG_ADMIN, TARGET_DB);
  say(`demo: generating the sample MySQL shop ${SOURCE_DB} (awkward data included)`);
  await createSampleShop(MYSQL_ADMIN, SOURCE_DB);
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${TARGET_DB} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${TARGET_DB}`);
  await admin.end();
  say(`demo: empty PostgreSQL database ${TARGET_DB} created`);
  // The worker resolves the spec's connection names from these (they never enter Temporal).
  process.env.CUTOVER_DB_SAMPLE_SRC = sourceUrl;
  process.env.CUTOVER_DB_SAMPLE_DST = targetUrl;

  // ---- 2. the plan's mitigations, and a plan without blocking findings ----
  await prepareSource(sourceUrl);
  const input = readSpecFile(SPEC_PATH);
  const parsed = parseMigrationSpec(input);
  if (!parsed.ok) throw new Error(`${SPEC_PATH}: ${formatSpecProblems(parsed.problems)}`);
  const spec = parsed.spec;
  // One session (one Temporal connection, one in-process worker) for the plan and the migration.
  const session = await openSession({
    log: (line) => say(line),
    inProcessWorker: 'always',
    taskQueue: `cutover-demo-${randomBytes(4).toString('hex')}`,
  });
  try {
    return await session.run(
      (async () => {
        const report = await planOk(session, spec);
        if (!report) return 1;
        return migrate(session, spec, report, input, sourceUrl, targetUrl, autoApprove);
      })(),
    );
  } catch (err) {
    if (interrupted) return 130; // the worker stopped on Ctrl-C: runUntil rejects
    throw err;
  } finally {
    await session.close();
  }
}

type DemoSession = Awaited<ReturnType<typeof openSession>>;

/** Plan the move as prepared (planMigration); the report when no blocking finding stands. */
async function planOk(session: DemoSession, spec: MigrationSpec): Promise<PlanReport | null> {
  const workflowId = `plan-${spec.name}-${randomBytes(3).toString('hex')}`;
  say(`demo: planning the move with the prepared source and the spec (workflow ${workflowId})`);
  const report = (await session.client.workflow.execute('planMigration', {
    taskQueue: session.taskQueue,
    workflowId,
    args: [spec],
  })) as PlanReport;
  mkdirSync(join(ROOT, '.cutover'), { recursive: true });
  const planPath = join(ROOT, '.cutover', 'sample-plan.json');
  writeFileSync(planPath, `${JSON.stringify(report, null, 2)}\n`);
  const count = (sev: string) => report.risks.filter((r) => r.severity === sev).length;
  say(
    `demo: plan verdict ${report.verdict.downtime}: ${count('blocking')} blocking, ${count('high')} high, ${count('medium')} medium, ${count('low')} low finding(s); ${report.tables.length} table(s) move online (report: ${planPath})`,
  );
  for (const r of report.risks.filter((x) => x.severity === 'high'))
    say(
      `    high ${r.code} ${r.table ?? ''}${r.column ? `.${r.column}` : ''}: ${r.mitigation.split(/[;:]/)[0]}`,
    );
  if (!report.verdict.canStartOnline)
    say(`demo: FAILED: the plan still blocks an online move: ${report.verdict.reasons.join('; ')}`);
  return report.verdict.canStartOnline ? report : null;
}

async function migrate(
  session: DemoSession,
  spec: MigrationSpec,
  report: PlanReport,
  input: unknown,
  sourceUrl: string,
  targetUrl: string,
  autoApprove: boolean,
): Promise<number> {
  const workflowId = migrationWorkflowId(spec.name);
  let handle: WorkflowHandle | null = null;
  const validations = new Map<string, ValidationSummary>();
  let latest: MigrationStatus | null = null;
  const observe = (s: MigrationStatus) => {
    latest = s;
    if (s.validation) validations.set(`${s.validation.scope}@${s.validation.at}`, s.validation);
    return s;
  };

  // ---- 4. the app: writes on the side the routing names, from before the start ----
  const customers = Number(await scalar(sourceUrl, 'SELECT COUNT(*) FROM customers'));
  const products = Number(await scalar(sourceUrl, 'SELECT COUNT(*) FROM products'));
  // Customer 1 holds the BIGINT UNSIGNED maximum and the last product id is 2^64-1: left alone.
  const loyaltySql = `SELECT COALESCE(SUM(loyalty_points), 0) FROM customers WHERE id BETWEEN 2 AND ${customers}`;
  const loyaltyBefore = BigInt(await scalar(sourceUrl, loyaltySql));
  const load = new ShopLoad(
    { source: sourceUrl, target: targetUrl },
    // A deadline: a query left behind by the app's bounded wait must settle before the demo ends.
    async () =>
      handle
        ? observe(await session.client.withDeadline(Date.now() + 2_000, () => handle!.query(statusQuery)))
            .routing.active
        : 'source',
    { first: 2, last: customers },
    { first: 1, last: products - 1 },
  );
  say('demo: app write load started on the source (customer updates; orders with items in one transaction)');

  // Ctrl-C also stops the worker in this process (the Temporal runtime's own handler), so nothing
  // could roll the migration back: end it. The next run recreates both databases anyway.
  const onInterrupt = () => {
    interrupted = true;
    say('demo: interrupted: terminating the migration (the next run starts from scratch)');
    void handle?.terminate('demo interrupted').catch(() => undefined);
  };
  process.once('SIGINT', onInterrupt);

  let progress: NodeJS.Timeout | undefined;
  /** The progress poll in flight: awaited before the session closes. */
  let polling: Promise<void> | null = null;
  try {
    handle = await session.client.workflow.start(WORKFLOW_TYPE, {
      taskQueue: session.taskQueue,
      workflowId,
      // A leftover of an interrupted demo has no worker any more (its task queue died with it).
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.TERMINATE_EXISTING,
      args: [input],
    });
    const h = handle;
    t0 = Date.now();
    say(`demo: started workflow ${workflowId} (blueGreenMigration, task queue ${session.taskQueue})`);
    const link = webUiLink(session.uiUrl, session.namespace, workflowId);
    say(
      `demo: Web UI: ${link ?? `(your cluster's UI) namespace ${session.namespace}, workflow ${workflowId}`}`,
    );

    // ---- progress: the operator CLI's one-line rendering, once a second when it changes ----
    const rates = new RateTracker();
    let lastLine = '';
    progress = setInterval(() => {
      if (polling) return;
      polling = loadMigrationView(session.client, workflowId)
        .then((view) => {
          if (view.status) observe(view.status);
          const line = watchLine(view, rates.update(view)).slice(workflowId.length + 1);
          const writes = `app: ${load.writes.source} writes on MySQL, ${load.writes.target} on PostgreSQL, ${load.fenced} fenced`;
          if (line !== lastLine) say(`${stamp()} ${line} | ${writes}`);
          lastLine = line;
        })
        .catch(() => undefined)
        .finally(() => (polling = null));
    }, 1000);

    const waitFor = async (test: (s: MigrationStatus) => boolean): Promise<MigrationStatus> => {
      for (;;) {
        try {
          const s = observe(await h.query(statusQuery));
          if (test(s) || TERMINAL_PHASES.includes(s.phase) || interrupted) return s;
        } catch {
          // the first workflow task has not run yet
        }
        await sleep(250);
      }
    };

    // ---- 5. approval ----
    const approver = operatorName();
    let s = await waitFor(
      (x) => x.approval.awaiting || ['cutting-over', 'rollback-window'].includes(x.phase),
    );
    if (s.approval.awaiting && !interrupted) {
      if (autoApprove) {
        const a = await h.executeUpdate(approveCutoverUpdate, {
          args: [{ approver, comment: 'demo --auto-approve' }],
        });
        say(`demo: approved by ${approver} (--auto-approve): ${a.approvals.length}/${a.required}`);
      } else {
        say(
          `\ndemo: the migration awaits approval. Validation: ${validationText(s.validation)}. To release the cutover, run in another terminal:\n\n    npx cutover approve ${workflowId} --approver ${approver}\n\n(or send the 'approve' signal from the Web UI). The demo keeps replicating and writing until then.\n`,
        );
      }
    }
    s = await waitFor((x) => x.phase === 'rollback-window');

    // ---- 6. after the cutover: a few more writes on PostgreSQL, then finalize ----
    if (s.phase === 'rollback-window' && !interrupted) {
      say(
        `demo: cut over at ${s.cutover.at}: writes were unavailable for ${s.cutover.writeUnavailableMs} ms; the app writes on PostgreSQL now`,
      );
      const until = Date.now() + WRITES_AFTER_CUTOVER_MS;
      while ((Date.now() < until || load.writes.target === 0) && !interrupted && Date.now() < until + 30_000)
        await sleep(200);
    }
    await load.stop();
    say(
      `demo: app stopped: ${load.writes.source} writes acknowledged by MySQL, ${load.writes.target} by PostgreSQL, ${load.fenced} rejected by the fence, ${load.retried.length} re-issued after a deadlock or lock timeout, ${load.failures.length} other failure(s)`,
    );
    if (interrupted) return 130;
    if (s.phase === 'rollback-window') {
      say('demo: finalizing (ends the rollback window and reverse replication)');
      await h.signal(finalizeSignal);
    }
    let result: MigrationResult;
    try {
      result = (await h.result()) as MigrationResult;
    } catch (err) {
      if (interrupted) return 130;
      const f = describeFailure(err);
      say(`demo: FAILED: the migration failed${f.type ? ` (${f.type})` : ''}: ${f.message}`);
      if (latest)
        say(`demo: last status: ${(latest as MigrationStatus).phase}: ${(latest as MigrationStatus).detail}`);
      return 1;
    } finally {
      clearInterval(progress);
      progress = undefined;
    }

    // ---- verify independently ----
    const problems: string[] = [];
    if (result.outcome !== 'completed')
      problems.push(`the migration ended ${result.outcome}: ${result.rollbackReason}`);
    const fulls = [...validations.values()].filter((v) => v.scope === 'full');
    const full = fulls.at(-1);
    if (full?.status !== 'match')
      problems.push(`the full validation before the cutover: ${validationText(full)}`);
    const changed = result.validation;
    if (changed?.scope !== 'changed' || changed.status !== 'match')
      problems.push(`the validation of changed rows at the cutover: ${validationText(changed)}`);
    const orders = await checkOrders(load, targetUrl);
    problems.push(...orders.problems.slice(0, 10));
    if (orders.problems.length > 10) problems.push(`... ${orders.problems.length - 10} more order problems`);
    const loyaltyAfter = BigInt(await scalar(targetUrl, loyaltySql));
    const increments = load.increments.source + load.increments.target;
    const loyaltyExpected = loyaltyBefore + BigInt(increments);
    if (loyaltyAfter !== loyaltyExpected)
      problems.push(
        `customers' loyalty points on PostgreSQL sum to ${loyaltyAfter}, expected ${loyaltyExpected} (${increments} acknowledged increments)`,
      );
    // Reverse replication, checked without cutover's code: after the finalize the old MySQL source
    // holds what PostgreSQL holds (the app's writes on PostgreSQL included), every migrated table,
    // every migrated column, row for row by primary key (scripts/compare-sides.ts says how values
    // of each type are compared). The demo's data needs no column-specific exception: the columns
    // reverse replication may not write back exactly (cutover.acceptLossyReverse: latin1 country,
    // TIMESTAMP last_login, json prefs, TIME delivery_window) hold only values MySQL can take
    // back, the app never writes them, and they are compared like all others (CHAR without its
    // padding, TIMESTAMP in UTC, JSON as parsed values, TIME as seconds of an interval).
    // prepareSource already removed what PostgreSQL cannot hold (NUL bytes, '' enum values,
    // zero dates), on the source itself, so those rows compare as they are.
    const migrated = await migratedTables(sourceUrl, spec, report);
    problems.push(...migrated.problems);
    if (!migrated.tables.length) problems.push('the spec selects no table of the source to compare');
    const excluded = excludedColumns(spec);
    const sides = await compareMysqlPostgres(sourceUrl, targetUrl, migrated.tables, {
      schema: spec.target.schema,
      targetName: migrated.targetName,
      skipColumn: (table, column) => excluded.has(`${table}.${column}`),
    });
    for (const t of sides) {
      problems.push(...t.differences.map((d) => `after the finalize, ${describeDifference(d)}`));
      if (t.differing > t.differences.length)
        problems.push(
          `after the finalize, ${t.table}: ... ${t.differing - t.differences.length} more difference(s)`,
        );
    }
    const sidesDiffer = sides.some((t) => t.differing > 0);
    const sideRows = sides.reduce((n, t) => n + t.rowsCompared, 0);
    if (load.failures.length)
      problems.push(
        `${load.failures.length} write(s) failed with an unexpected error, e.g. ${load.failures[0]}`,
      );

    const bySide = (side: Side) => load.orders.filter((o) => o.side === side).length;
    const appGap =
      load.firstTargetAckMs !== null && load.lastSourceAckMs !== null
        ? `${load.firstTargetAckMs - load.lastSourceAckMs} ms between the app's last write on MySQL and its first on PostgreSQL`
        : 'not measured';
    say('\n==== demo summary ====');
    say(`workflow          ${workflowId}: ${result.outcome}, ${result.startedAt} -> ${result.finishedAt}`);
    say(`validation        full before the cutover: ${validationText(full)}`);
    say(`                  changed rows at the cutover: ${validationText(changed)}`);
    say(
      `approved by       ${result.approvals.map((a) => `${a.approver} at ${a.at}${a.comment ? ` ("${a.comment}")` : ''}`).join(', ') || 'nobody'}`,
    );
    say(
      `cutover           at ${result.cutover.at}; writes unavailable ${result.cutover.writeUnavailableMs} ms (workflow); ${appGap}`,
    );
    say(
      `app writes        ${load.orders.length} orders acknowledged (${bySide('source')} on MySQL, ${bySide('target')} on PostgreSQL): ${load.orders.length - orders.problems.length} found identical on PostgreSQL${orders.extra ? ` (+${orders.extra} unacknowledged)` : ''}`,
    );
    say(
      `                  ${increments} loyalty increments acknowledged (${load.increments.source} on MySQL, ${load.increments.target} on PostgreSQL): sum on PostgreSQL ${loyaltyAfter === loyaltyExpected ? 'as expected' : 'DIFFERS'}`,
    );
    say(
      `                  ${load.fenced} write(s) rejected by the fence (never acknowledged; the app then asked the routing again); ${load.retried.length} transaction(s) re-issued after a deadlock or lock timeout${load.retried.length ? ` (first: ${load.retried[0]})` : ''}`,
    );
    say(
      `rollback path     ${sideRows} rows of ${sides.length} migrated table(s) compared, every column, between PostgreSQL and the old MySQL source after the finalize: ${sidesDiffer ? 'DIFFERENT' : 'identical (reverse replication carried every write back)'}`,
    );
    for (const t of sides)
      say(
        `                  ${t.table.padEnd(12)} ${String(t.rowsCompared).padStart(6)} rows (MySQL ${t.mysqlRows}, PostgreSQL ${t.postgresRows}), ${t.columnsCompared.length} columns${t.generated.length ? ` (generated: ${t.generated.join(', ')})` : ''}: ${t.differing ? `${t.differing} difference(s)` : 'identical'}`,
      );
    if (problems.length) {
      say(`\ndemo: FAILED:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
      return 1;
    }
    say(
      `\ndemo: OK: zero lost writes, validations matched, both sides identical after the finalize, the demo took ${Math.round((Date.now() - demoStart) / 1000)} s`,
    );
    return 0;
  } finally {
    if (progress) clearInterval(progress);
    process.off('SIGINT', onInterrupt);
    await load.stop();
    await polling;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`demo: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
