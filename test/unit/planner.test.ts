// The planner's pure parts: FK ordering and cycles, table selection, estimates and the verdict.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeDependencies } from '../../src/dataplane/planner/dependencies';
import { estimate } from '../../src/dataplane/planner/estimates';
import { selectTables } from '../../src/dataplane/planner/table-filter';
import { downtimeVerdict, liveFindings } from '../../src/dataplane/planner/verdict';
import type { TableModel } from '../../src/engines/model';
import type { SampleMeasurement, SideState, TablePlan, TableVolume } from '../../src/spec/plan-report';

function table(name: string, fks: [string, string][] = []): TableModel {
  return {
    name,
    columns: [],
    primaryKey: ['id'],
    uniqueKeys: [],
    indexes: [],
    foreignKeys: fks.map(([fk, parent]) => ({
      name: fk,
      columns: ['x'],
      referencedSchema: 's',
      referencedTable: parent,
      referencedColumns: ['id'],
      onUpdate: 'NO ACTION',
      onDelete: 'NO ACTION',
      referencesUniqueKey: true,
    })),
    checks: [],
    triggers: [],
    rowEstimate: 0,
    exactRows: null,
    dataBytes: 0,
    indexBytes: 0,
    autoIncrement: null,
    comment: null,
    storageEngine: null,
    partitioned: false,
  };
}

test('parents come before children; a cycle is ordered as one unit; self-references are listed', () => {
  const r = analyzeDependencies(
    [
      table('order_items', [
        ['fk1', 'orders'],
        ['fk2', 'products'],
      ]),
      table('orders', [['fk3', 'customers']]),
      table('customers'),
      table('products'),
      table('a', [['fk4', 'b']]),
      table('b', [['fk5', 'a']]),
      table('c', [['fk6', 'a']]),
      table('employees', [['fk7', 'employees']]),
      table('elsewhere', [['fk8', 'not_selected']]),
    ],
    's',
  );
  const pos = (t: string) => r.copyOrder.indexOf(t);
  assert.equal(r.copyOrder.length, 9);
  assert.ok(
    pos('customers') < pos('orders') &&
      pos('orders') < pos('order_items') &&
      pos('products') < pos('order_items'),
  );
  assert.deepEqual(r.cycles, [['a', 'b']]);
  assert.deepEqual(r.selfReferences, ['employees']);
  assert.ok(pos('c') > pos('a') && pos('c') > pos('b'), 'a child of a cycle comes after the whole cycle');
  assert.equal(r.edges.length, 7, 'the FK to a table outside the selection is not an edge');
});

test('table selection: globs, excludes, and exact names that match nothing are reported', () => {
  const all = ['orders', 'order_items', 'tmp_x', 'customers'];
  assert.deepEqual(selectTables(all, ['*'], ['tmp_*']).selected, ['orders', 'order_items', 'customers']);
  assert.deepEqual(selectTables(all, ['order?'], []).selected, ['orders']);
  assert.deepEqual(selectTables(all, ['orders', 'custmers'], []).unmatched, ['custmers']);
  assert.deepEqual(selectTables(['a.b', 'axb'], ['a.b'], []).selected, ['a.b'], 'dots are literal');
  assert.deepEqual(
    selectTables(['orders', '_cutover_routing', '_cutover_changelog'], ['*'], []).selected,
    ['orders'],
    "cutover's own tables are never migrated",
  );
});

function side(overrides: Partial<SideState> = {}): SideState {
  return {
    engine: 'mysql',
    serverVersion: 'MariaDB 10.11',
    schema: 's',
    activeConnections: 5,
    maxConnections: 100,
    longTransactions: [],
    replica: null,
    readOnly: false,
    readOnlyFenceScope: 'db1 3306 1 /var/lib/mysql/',
    settings: {},
    privileges: [],
    writesPerSecond: 100,
    roundTripMs: 0.5,
    ...overrides,
  };
}

const sample: SampleMeasurement = {
  tables: [
    { table: 'big', rows: 1000, bytes: 100_000, readMs: 100, loadMs: 400, upsertMs: 1000, typed: true },
  ],
  rows: 1000,
  bytes: 100_000,
  readMs: 100,
  loadMs: 400,
  upsertMs: 1000,
  copyRowsPerSecond: 2000,
  copyBytesPerSecond: 200_000,
  applyRowsPerSecond: 1000,
  scanRowsPerSecond: 10_000,
  notes: [],
};
const volume = (table: string, rows: number): TableVolume => ({
  table,
  rowEstimate: rows,
  exactRows: null,
  dataBytes: rows * 100,
  indexBytes: 0,
  writesPerSecond: null,
});
const plans = [{ table: 'big' }, { table: 'small' }] as TablePlan[];

test('estimates follow from the measured rates, with the arithmetic spelled out', () => {
  const e = estimate(
    plans,
    [volume('big', 100_000), volume('small', 20_000)],
    sample,
    side(),
    side({ engine: 'postgres' }),
  );
  // big at its own rate (1000 rows / 0.5 s = 2000 rows/s) + small at the overall 2000 rows/s.
  assert.equal(e.copySeconds, 60);
  assert.equal(e.validationSeconds, 12);
  // 100 writes/s x 60 s = 6000 changes, applied at 1000 - 100 rows/s.
  assert.equal(e.catchUpSeconds, 6.7);
  assert.ok(e.cutoverDowntimeSeconds! > 0 && e.cutoverDowntimeSeconds! < 1.5);
  assert.equal(e.basis.length, 4);
});

test('no sample means no made-up estimate', () => {
  const e = estimate(plans, [volume('big', 10)], null, side(), side());
  assert.equal(e.copySeconds, null);
  assert.equal(e.cutoverDowntimeSeconds, null);
  assert.match(e.basis[0]!, /no sample copy/);
});

test('capture that cannot keep up yields no catch-up time and a maintenance window', () => {
  const e = estimate(plans, [volume('big', 10)], sample, side({ writesPerSecond: 5000 }), side());
  assert.equal(e.catchUpSeconds, null);
  assert.equal(downtimeVerdict([], [], e).downtime, 'maintenance-window');
});

test('a blocking finding forces a maintenance window unless accepted by name', () => {
  const e = estimate(plans, [volume('big', 10)], sample, side({ writesPerSecond: 0 }), side());
  const blocking = [
    {
      severity: 'blocking' as const,
      code: 'NO_PRIMARY_KEY',
      table: 'log',
      finding: 'no key',
      mitigation: 'add one',
    },
  ];
  const v = downtimeVerdict(blocking, [], e);
  assert.equal(v.downtime, 'maintenance-window');
  assert.equal(v.canStartOnline, false);
  assert.match(v.reasons[0]!, /^NO_PRIMARY_KEY \(log\)/);
  const accepted = downtimeVerdict(blocking, ['NO_PRIMARY_KEY'], e);
  assert.equal(accepted.canStartOnline, true);
  assert.equal(accepted.downtime, 'online');
});

test('a read-only fence that would cover the target too is blocking; the trigger fence, or another server, is not', () => {
  const blocking = (fence: 'trigger' | 'read-only', target: Partial<SideState>) =>
    liveFindings(side(), side(target), 60, { fence, rollbackWindowMinutes: 60 }).filter(
      (f) => f.code === 'READ_ONLY_FENCE_COVERS_TARGET',
    );
  const [finding, ...more] = blocking('read-only', {});
  assert.equal(more.length, 0);
  assert.equal(finding?.severity, 'blocking');
  assert.match(finding!.finding, /whole source server read-only from the cutover until finalize/);
  assert.match(finding!.mitigation, /cutover\.fence: trigger/);
  assert.deepEqual(blocking('trigger', {}), []);
  assert.deepEqual(blocking('read-only', { readOnlyFenceScope: 'db2 3306 2 /var/lib/mysql/' }), []);
});

test('the read-only fence held through a rollback window is a high risk; none without a window or with triggers', () => {
  const other = side({ readOnlyFenceScope: 'db2 3306 2 /var/lib/mysql/' });
  const held = (fence: 'trigger' | 'read-only', rollbackWindowMinutes: number) =>
    liveFindings(side(), other, 60, { fence, rollbackWindowMinutes }).filter(
      (f) => f.code === 'READ_ONLY_FENCE_FOR_THE_WINDOW',
    );
  const [finding] = held('read-only', 90);
  assert.equal(finding?.severity, 'high');
  assert.match(finding!.finding, /whole source server read-only .* \(a rollback window of 90 min\)/);
  assert.deepEqual(held('read-only', 0), []);
  assert.deepEqual(held('trigger', 90), []);
});

test('live-state findings: missing privileges, read-only source, row-based replica, long transactions', () => {
  const f = liveFindings(
    side({
      readOnly: true,
      replica: { lagSeconds: 12, source: 'db1' },
      settings: { binlog_format: 'ROW' },
      longTransactions: [{ id: '7', user: 'batch', seconds: 900, state: 'idle' }],
      privileges: [
        {
          capability: 'create triggers (trigger-based change capture and write fence)',
          granted: false,
          detail: 'no TRIGGER grant',
        },
      ],
    }),
    side({ engine: 'postgres' }),
    60,
  );
  const codes = f.map((x) => x.code);
  for (const c of [
    'SOURCE_PRIVILEGE_MISSING',
    'SOURCE_READ_ONLY',
    'TRIGGERS_SILENT_ON_REPLICA',
    'LONG_TRANSACTIONS',
    'REPLICA_LAG',
  ]) {
    assert.ok(codes.includes(c), c);
  }
  assert.match(f.find((x) => x.code === 'LONG_TRANSACTIONS')!.finding, /900 s, user batch/);
});
