// planMigration end to end on real Temporal, real MariaDB and real PostgreSQL: the generated sample
// shop (awkward data included) planned for a move to an empty PostgreSQL database.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { renderPlanMarkdown } from '../../src/cli/plan-markdown';
import type { PlanReport } from '../../src/spec/plan-report';
import { createSampleShop } from '../../scripts/sample-shop';
import {
  createMysqlDatabase,
  createPostgresDatabase,
  MYSQL_ADMIN_URL,
  type TestDatabase,
} from '../helpers/databases';
import { withWorker } from '../helpers/temporal';

let source: TestDatabase;
let target: TestDatabase;
let report: PlanReport;

before(async () => {
  source = await createMysqlDatabase('cutover_shop');
  target = await createPostgresDatabase('cutover_shop_pg');
  await createSampleShop(MYSQL_ADMIN_URL, source.name, { customers: 1000 });
  process.env.CUTOVER_DB_PLAN_SRC = source.url;
  process.env.CUTOVER_DB_PLAN_DST = target.url;
  report = await withWorker(({ client, taskQueue }) =>
    client.workflow.execute('planMigration', {
      taskQueue,
      workflowId: `test-plan-${source.name}`,
      args: [
        {
          name: 'sample-shop',
          source: { engine: 'mysql', connection: 'PLAN_SRC' },
          target: { engine: 'postgres', connection: 'PLAN_DST' },
          plan: { sampleRows: 3000, observeSeconds: 1 },
        },
      ],
    }),
  );
});

after(async () => {
  await source?.drop();
  await target?.drop();
});

const risk = (code: string, table?: string, column?: string) =>
  report.risks.find(
    (r) =>
      r.code === code &&
      (table === undefined || r.table === table) &&
      (column === undefined || r.column === column),
  );

test('volume covers every table with its size', () => {
  const customers = report.volume.find((v) => v.table === 'customers');
  assert.ok(customers);
  assert.ok(customers.rowEstimate > 500, `row estimate ${customers.rowEstimate}`);
  assert.ok(customers.dataBytes > 0);
  assert.equal(report.volume.length, 10);
  assert.equal(report.planVersion, 1);
});

test('the FK graph orders parents first and calls out the warehouses <-> employees cycle', () => {
  const order = report.dependencies.copyOrder;
  assert.ok(order.indexOf('customers') < order.indexOf('orders'));
  assert.ok(order.indexOf('orders') < order.indexOf('order_items'));
  assert.ok(order.indexOf('products') < order.indexOf('order_items'));
  assert.ok(report.dependencies.cycles.some((c) => c.includes('warehouses') && c.includes('employees')));
  assert.ok(risk('FK_CYCLE'));
  assert.deepEqual(report.dependencies.selfReferences, ['employees']);
  assert.ok(risk('SELF_REFERENCE', 'employees'));
});

test('data-dependent conversions are decided by probing the data', () => {
  const customers = report.tables.find((t) => t.table === 'customers')!;
  const isActive = customers.columns.find((c) => c.column === 'is_active')!;
  assert.notEqual(isActive.targetType, 'boolean', 'TINYINT(1) holding 2 must not become boolean');
  assert.ok(risk('BOOLEAN_OUT_OF_RANGE', 'customers', 'is_active'));
  const optedIn = report.tables
    .find((t) => t.table.startsWith('customer_marketing'))!
    .columns.find((c) => c.column === 'opted_in')!;
  assert.equal(optedIn.targetType, 'boolean', 'TINYINT(1) holding only 0/1 becomes boolean');
  assert.ok(risk('ZERO_DATES', 'customers', 'created_at'));
  assert.ok(risk('ZERO_DATES', 'customers', 'birthday'));
  assert.ok(risk('EMPTY_ENUM_VALUES', 'customers', 'status'));
  assert.ok(risk('NUL_BYTES', 'customers', 'notes'));
  assert.ok(risk('JSON_NUL', 'customers', 'prefs'));
});

test('schema-level pitfalls are in the risk register', () => {
  assert.equal(risk('NO_PRIMARY_KEY', 'audit_log')?.severity, 'blocking');
  assert.equal(risk('FK_TO_NON_UNIQUE', 'shipments')?.severity, 'blocking');
  assert.equal(risk('CASCADE_NOT_CAPTURED', 'order_items')?.severity, 'blocking');
  assert.ok(risk('CI_COLLATION_UNIQUENESS', 'customers', 'email'));
  assert.ok(risk('SPATIAL_TYPE', 'warehouses', 'location'));
  assert.ok(risk('GENERATED_COLUMN', 'products', 'price_with_tax'));
  assert.ok(risk('FULLTEXT_INDEX', 'products'));
  assert.ok(risk('PREFIX_INDEX', 'products'));
  assert.ok(risk('IDENTIFIER_TOO_LONG'));
  assert.ok(risk('INDEX_NAME_COLLISION'));
  assert.ok(risk('MYISAM_TABLE', 'legacy_sessions'));
  const bigUnsigned = report.tables
    .find((t) => t.table === 'products')!
    .columns.find((c) => c.column === 'id')!;
  assert.equal(bigUnsigned.targetType, 'numeric(20,0)');
});

test('objects that do not translate are listed to port by hand', () => {
  const kinds = new Map(report.manualItems.map((m) => [m.name, m.kind]));
  assert.equal(kinds.get('orders.trg_orders_total'), 'trigger');
  assert.equal(kinds.get('active_customers'), 'view');
  assert.equal(kinds.get('order_total'), 'routine');
  assert.equal(kinds.get('close_stale_orders'), 'routine');
  assert.equal(kinds.get('ev_purge_sessions'), 'event');
});

test('time estimates come from a measured sample copy on this pair', () => {
  assert.ok(report.sample, 'a sample was measured');
  assert.ok(report.sample.rows > 0 && report.sample.rows <= 3000, `sample rows ${report.sample.rows}`);
  assert.ok(report.sample.copyRowsPerSecond > 0);
  assert.ok(report.sample.applyRowsPerSecond > 0);
  assert.ok(report.estimates.copySeconds !== null && report.estimates.copySeconds > 0);
  assert.ok(report.estimates.validationSeconds !== null);
  assert.ok(report.estimates.cutoverDowntimeSeconds !== null);
  assert.ok(report.estimates.basis.length >= 3);
});

test('the verdict reflects the blocking findings, and both paths are spelled out', () => {
  assert.equal(report.verdict.downtime, 'maintenance-window');
  assert.equal(report.verdict.canStartOnline, false);
  assert.ok(report.verdict.reasons.some((r) => r.startsWith('NO_PRIMARY_KEY')));
  assert.ok(report.forwardPath.length >= 8);
  assert.ok(report.backwardPath.length >= 3);
});

test('live state of both sides is measured', () => {
  assert.match(report.live.source.serverVersion, /MariaDB|MySQL/);
  assert.match(report.live.target.serverVersion, /PostgreSQL/);
  assert.ok(report.live.source.privileges.length > 0);
  assert.ok('binlog_format' in report.live.source.settings);
  assert.ok('wal_level' in report.live.target.settings);
  assert.ok(report.live.source.roundTripMs > 0);
});

test('the Markdown report shows the verdict, the risks and the mapping', () => {
  const md = renderPlanMarkdown(report);
  assert.match(md, /^# Migration plan: sample-shop/);
  assert.match(md, /## Verdict: maintenance window/);
  assert.match(md, /\| blocking \| NO_PRIMARY_KEY \| audit_log \|/);
  assert.match(md, /### customers \(key: id\)/);
  assert.match(md, /\| is_active \| tinyint\(1\) \| smallint \|/);
  assert.match(md, /## Backward path \(rollback\)/);
});
