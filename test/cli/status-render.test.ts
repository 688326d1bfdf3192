// How a migration's status reads: the report, the plain watch line, rates from successive heartbeats.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateTracker } from '../../src/cli/commands/status';
import { mergeLive, type MigrationView } from '../../src/cli/migration-view';
import { renderStatus, renderWatchFrame, styleFor, watchLine } from '../../src/cli/status-render';
import type { MigrationStatus } from '../../src/workflows/messages';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const iso = (ms: number) => new Date(T0 + ms).toISOString();

function status(): MigrationStatus {
  return {
    migration: 'shop',
    phase: 'copying',
    detail: 'copying 2 table(s)',
    startedAt: iso(0),
    phaseStartedAt: iso(0),
    paused: false,
    maxRowsPerSecond: null,
    tables: [
      {
        table: 'orders',
        targetTable: 'orders',
        rowsEstimate: 100_000,
        rowsCopied: 0,
        state: 'copying',
        rowsPerSecond: null,
        etaSeconds: null,
      },
      {
        table: 'users',
        targetTable: 'users',
        rowsEstimate: 2_000,
        rowsCopied: 2_010,
        state: 'copied',
        rowsPerSecond: null,
        etaSeconds: null,
      },
      {
        table: 'audit',
        targetTable: 'audit',
        rowsEstimate: -1,
        rowsCopied: 0,
        state: 'pending',
        rowsPerSecond: null,
        etaSeconds: null,
      },
    ],
    lag: { rowsBehind: 12, secondsBehind: 0.4, at: iso(1_000) },
    validation: null,
    validations: [],
    approval: {
      required: 2,
      approvers: ['alice', 'bob'],
      approvals: [{ approver: 'alice', comment: 'ok', at: iso(2_000) }],
      window: null,
      awaiting: true,
    },
    fence: { state: 'none', side: null, since: null },
    routing: { active: 'source', epoch: 0, switchedAt: null },
    cutover: { at: null, writeUnavailableMs: null },
    rollback: { requested: false, reason: null, at: null, state: 'none' },
    error: null,
  };
}

function view(rows: number, heartbeatMs: number): MigrationView {
  const live: MigrationView['live'] = {
    copies: [
      {
        table: 'orders',
        rows,
        bytes: rows * 100,
        attempt: 2,
        rowsPerSecond: null,
        lastHeartbeatAt: iso(heartbeatMs),
      },
    ],
    catchUp: null,
  };
  return {
    workflowId: 'cutover-shop',
    runId: 'r',
    execution: { status: 'RUNNING', startTime: iso(0), closeTime: null, taskQueue: 'cutover' },
    status: mergeLive(status(), live),
    live,
    result: null,
    failure: null,
    note: null,
  };
}

const plain = styleFor({ isTTY: false } as NodeJS.WriteStream);

test('the report merges live rows and names approvals; an unknown estimate reads ?', () => {
  const text = renderStatus(view(25_000, 10_000), plain, T0 + 60_000);
  assert.match(text, /phase\s+copying for 1m00s: copying 2 table\(s\)/);
  assert.match(text, /orders\s+25,000 \/ ~100,000\s+25%\s+copying/);
  assert.match(text, /users\s+2,010 \/ ~2,000\s+100%\s+copied/);
  assert.match(text, /audit\s+0 \/ \?\s+0%\s+pending/);
  assert.match(text, /approval\s+1\/2, awaiting approval, approvers: alice, bob/);
  assert.match(text, /alice at 2026-01-01T00:00:02.000Z: "ok"/);
  assert.match(text, /lag\s+12 rows, 0.4 s behind/);
  assert.doesNotMatch(text, /\x1b\[/); // eslint-disable-line no-control-regex
});

test("in the rollback window the source's fence reads as the standby's guard", () => {
  const v = view(25_000, 10_000);
  v.status = {
    ...v.status!,
    phase: 'rollback-window',
    fence: { state: 'fenced', side: 'source', since: iso(5_000) },
    routing: { active: 'target', epoch: 1, switchedAt: iso(5_400) },
  };
  assert.match(
    renderStatus(v, plain, T0 + 60_000),
    /fence\s+fenced on source since 2026-01-01T00:00:05.000Z \(writes go to the target; the source stays fenced as the standby until finalize or rollback\)/,
  );
  v.status = { ...v.status!, routing: { ...v.status!.routing, active: 'source' } };
  assert.doesNotMatch(renderStatus(v, plain, T0 + 60_000), /standby/);
});

test('rates come from successive heartbeats; the ETA from the rows left', () => {
  const tracker = new RateTracker();
  const first = tracker.update(view(10_000, 0));
  assert.equal(first.get('orders')?.rowsPerSecond, null, 'a retried attempt has no rate from one sample');
  tracker.update(view(10_000, 0)); // the same heartbeat again: no new sample
  const second = tracker.update(view(30_000, 10_000));
  assert.equal(second.get('orders')?.rowsPerSecond, 2_000);
  assert.equal(second.get('orders')?.etaMs, 35_000);
  const line = watchLine(view(30_000, 10_000), second);
  assert.equal(
    line,
    'cutover-shop copying: copying 2 table(s); tables 1/3 copied; orders 30,000/~100,000 rows 30% 2,000 rows/s ETA 35s; lag 12 rows/0.4 s; approvals 1/2',
  );
  const frame = renderWatchFrame(view(30_000, 10_000), second, plain, 100, T0 + 20_000);
  assert.match(
    frame[2]!,
    /^ {2}orders █+░+ +30% {2}30,000\/~100,000 {2}2,000 rows\/s {2}ETA 35s {2}\(10s ago\)$/,
  );
});
