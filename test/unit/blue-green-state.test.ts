// The blue-green workflow's pure rules: who may approve when, the cutover window (UTC, across
// midnight), zero-date policies from the spec, and the Web UI's details text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMigrationSpec, type MigrationSpec } from '../../src/spec/migration-spec';
import {
  approvalProblem,
  detailsMarkdown,
  initialState,
  msLeftInWindow,
  msUntilWindow,
  recordApproval,
  zeroDatesOf,
} from '../../src/workflows/blue-green-state';

function spec(extra: Record<string, unknown> = {}): MigrationSpec {
  const r = parseMigrationSpec({
    name: 'm1',
    source: { engine: 'mysql', connection: 'SRC' },
    target: { engine: 'postgres', connection: 'DST' },
    ...extra,
  });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  return r.spec;
}

test('approvals: only while awaiting, only listed approvers, each once, with a name', () => {
  const sp = spec({ approval: { approvers: ['alice', 'bob'], required: 2 } });
  const s = initialState(sp, '2026-01-01T00:00:00Z').status;
  assert.match(
    approvalProblem(s, sp, { approver: 'alice' })!,
    /not awaiting approval \(phase: validating-spec\)/,
  );
  s.phase = 'awaiting-approval';
  s.approval.awaiting = true;
  assert.equal(approvalProblem(s, sp, { approver: 'alice' }), null);
  assert.match(
    approvalProblem(s, sp, { approver: 'mallory' })!,
    /mallory is not an approver of this migration \(approvers: alice, bob\)/,
  );
  assert.match(approvalProblem(s, sp, { approver: '  ' })!, /needs the approver/);
  assert.match(approvalProblem(s, sp, undefined)!, /needs the approver/);
  recordApproval(s, { approver: ' alice ', comment: 'ok' }, '2026-01-01T01:00:00Z');
  assert.deepEqual(s.approval.approvals, [{ approver: 'alice', comment: 'ok', at: '2026-01-01T01:00:00Z' }]);
  assert.match(
    approvalProblem(s, sp, { approver: 'alice' })!,
    /alice has approved already: 2 distinct approvers/,
  );
  const open = spec();
  assert.equal(approvalProblem(s, open, { approver: 'anyone' }), null, 'no list: any named approver');
});

test('the spec refuses approval rules that cannot be met', () => {
  const bad = parseMigrationSpec({
    name: 'm1',
    source: { engine: 'mysql', connection: 'SRC' },
    target: { engine: 'postgres', connection: 'DST' },
    approval: { approvers: ['a', 'a'], required: 3, auto: true, window: { start: '25:00', end: '06:00' } },
  });
  assert.ok(!bad.ok);
  const paths = bad.problems.map((p) => p.path).sort();
  assert.deepEqual(paths, [
    'approval.approvers',
    'approval.auto',
    'approval.required',
    'approval.window.start',
  ]);
  const empty = parseMigrationSpec({
    name: 'm1',
    source: { engine: 'mysql', connection: 'SRC' },
    target: { engine: 'postgres', connection: 'DST' },
    approval: { window: { start: '22:00', end: '22:00' } },
  });
  assert.ok(!empty.ok);
  assert.deepEqual(
    empty.problems.map((p) => `${p.path}: ${p.message}`),
    ['approval.window.end: equals start: an empty window never opens (leave window out for "any time")'],
  );
});

test('the cutover window: inside, before, after, and across midnight', () => {
  const at = (hhmm: string) => Date.parse(`2026-03-10T${hhmm}:00Z`);
  const w = { start: '02:00', end: '04:00' };
  assert.equal(msUntilWindow(null, at('13:00')), 0);
  assert.equal(msUntilWindow(w, at('03:00')), 0);
  assert.equal(msUntilWindow(w, at('01:30')), 30 * 60_000);
  assert.equal(msUntilWindow(w, at('04:00')), 22 * 3_600_000);
  const night = { start: '23:00', end: '01:00' };
  assert.equal(msUntilWindow(night, at('23:30')), 0);
  assert.equal(msUntilWindow(night, at('00:30')), 0);
  assert.equal(msUntilWindow(night, at('22:00')), 3_600_000);
});

test('zero-date policies come from the spec per table and column', () => {
  const sp = spec({
    columns: {
      'customers.birthday': { zeroDates: 'null' },
      'customers.created_at': { zeroDates: { sentinel: '0001-01-01 00:00:00' } },
      'orders.note': { type: 'text' },
    },
  });
  assert.deepEqual(zeroDatesOf(sp, 'customers'), {
    birthday: 'null',
    created_at: { sentinel: '0001-01-01 00:00:00' },
  });
  assert.equal(zeroDatesOf(sp, 'orders'), undefined);
});

test('the UI details say what waits for whom', () => {
  const sp = spec({ approval: { approvers: ['alice'], required: 1 } });
  const s = initialState(sp, '2026-01-01T00:00:00Z').status;
  s.phase = 'awaiting-approval';
  s.approval.awaiting = true;
  s.tables = [
    {
      table: 'orders',
      targetTable: 'orders',
      rowsEstimate: 10,
      rowsCopied: 10,
      state: 'copied',
      rowsPerSecond: null,
      etaSeconds: null,
    },
  ];
  const md = detailsMarkdown(s);
  assert.match(md, /\*\*awaiting approval\*\*/);
  assert.match(md, /\| orders \| copied \| 10 \/ ~10 \|/);
  assert.match(md, /Fence: none; routing: source/);
  s.phase = 'rollback-window';
  s.fence = { state: 'fenced', side: 'source', since: '2026-01-01T01:00:00Z' };
  s.routing = { active: 'target', epoch: 1, switchedAt: '2026-01-01T01:00:01Z' };
  assert.match(
    detailsMarkdown(s),
    /Fence: fenced \(source: the standby, until finalize or rollback\); routing: target/,
  );
});

test('time left in the cutover window bounds the go/no-go', () => {
  const at = (hhmm: string) => Date.parse(`2026-03-10T${hhmm}:00Z`);
  assert.equal(msLeftInWindow(null, at('12:00')), Infinity);
  assert.equal(msLeftInWindow({ start: '02:00', end: '04:00' }, at('03:30')), 30 * 60_000);
  assert.equal(msLeftInWindow({ start: '02:00', end: '04:00' }, at('05:00')), 0);
  assert.equal(msLeftInWindow({ start: '23:00', end: '01:00' }, at('23:30')), 90 * 60_000);
});
