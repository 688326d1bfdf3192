// Durability of a MySQL -> PostgreSQL blue-green migration, the product's main path: worker
// processes are SIGKILLed at a random moment of the copy, the catch-up or validation, the approval
// wait, the cutover and the rollback window, while the demo's application (scripts/demo-load.ts)
// writes on whichever side the routing names. In the end every write the application saw
// acknowledged, on MySQL or on PostgreSQL, is on PostgreSQL; the old MySQL source equals PostgreSQL
// row for row (reverse replication); both are compared here independently of the validator; both
// are clean; the history replays. Rolled back after the cutover instead (SIGKILLed in the window
// and in the rollback), MySQL ends with every write made on either side.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import mysql from 'mysql2/promise';
import pg from 'pg';
import {
  compareSnapshots,
  describeDifference,
  snapshotMysql,
  snapshotPostgres,
  type Snapshot,
} from '../../scripts/compare-sides';
import { ShopLoad } from '../../scripts/demo-load';
import { dataConverter } from '../../src/temporal/data-converter';
import type { MigrationResult } from '../../src/workflows/blue-green';
import { finalizeSignal, rollbackSignal, statusQuery } from '../../src/workflows/messages';
import {
  createMysqlDatabase,
  createPostgresDatabase,
  execMysql,
  type TestDatabase,
} from '../helpers/databases';
import { cutoverObjects, replayHistory, waitForStatus, WorkerProcesses } from '../helpers/migration';
import { testAddress } from '../helpers/temporal';

const dbs: TestDatabase[] = [];
after(async () => {
  for (const d of dbs) await d.drop().catch(() => undefined);
});

const CUSTOMERS = 1500;
const PRODUCTS = 100;
const ORDERS = 2500;

/** A MySQL shop with the columns the demo's application writes, and varied types around them. */
async function createMysqlShop(url: string): Promise<{ loyalty: number }> {
  await execMysql(url, [
    `CREATE TABLE customers (id INT AUTO_INCREMENT PRIMARY KEY, email VARCHAR(120) COLLATE utf8mb4_bin NOT NULL,
       name VARCHAR(100) NOT NULL, loyalty_points INT NOT NULL DEFAULT 0, profile JSON NULL,
       created DATETIME(6) NOT NULL, UNIQUE KEY customers_email (email)) CHARACTER SET utf8mb4`,
    `CREATE TABLE products (id INT AUTO_INCREMENT PRIMARY KEY, sku VARCHAR(40) NOT NULL,
       price DECIMAL(10,2) NOT NULL, photo BLOB NULL)`,
    `CREATE TABLE orders (id BIGINT AUTO_INCREMENT PRIMARY KEY, customer_id INT NOT NULL,
       external_ref VARCHAR(40) NOT NULL, placed_at DATETIME(6) NOT NULL, total DECIMAL(12,2) NOT NULL,
       status ENUM('new','paid','shipped') NOT NULL, UNIQUE KEY orders_ref (external_ref),
       CONSTRAINT orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id))`,
    `CREATE TABLE order_items (order_id BIGINT NOT NULL, line_no INT NOT NULL, product_id INT NOT NULL,
       qty INT NOT NULL, unit_price DECIMAL(10,2) NOT NULL, PRIMARY KEY (order_id, line_no),
       CONSTRAINT items_order FOREIGN KEY (order_id) REFERENCES orders (id),
       CONSTRAINT items_product FOREIGN KEY (product_id) REFERENCES products (id))`,
  ]);
  const c = await mysql.createConnection({ uri: url });
  try {
    const insert = async (sql: string, rows: unknown[][]) => {
      for (let i = 0; i < rows.length; i += 500) await c.query(sql, [rows.slice(i, i + 500)]);
    };
    const at = (n: number) => new Date(Date.UTC(2024, 0, 1) + n * 61_123).toISOString().replace('Z', '');
    await insert(
      'INSERT INTO customers (email, name, loyalty_points, profile, created) VALUES ?',
      Array.from({ length: CUSTOMERS }, (_, i) => [
        `c${i}@example.com`,
        i % 3 ? `Zoë ${i} 😀` : `plain ${i}`,
        i % 50,
        i % 4 ? JSON.stringify({ n: i, tags: ['a', 'b'], nested: { ok: i % 2 === 0 } }) : null,
        at(i),
      ]),
    );
    await insert(
      'INSERT INTO products (sku, price, photo) VALUES ?',
      Array.from({ length: PRODUCTS }, (_, i) => [
        `SKU-${i}`,
        ((i * 137) % 10_000) / 100 + 0.01,
        i % 5 ? null : Buffer.from([0, 255, i, 10]),
      ]),
    );
    await insert(
      'INSERT INTO orders (customer_id, external_ref, placed_at, total, status) VALUES ?',
      Array.from({ length: ORDERS }, (_, i) => [
        1 + (i % CUSTOMERS),
        `seed-${i}`,
        at(i * 3),
        ((i * 7919) % 100_000) / 100,
        ['new', 'paid', 'shipped'][i % 3],
      ]),
    );
    await insert(
      'INSERT INTO order_items (order_id, line_no, product_id, qty, unit_price) VALUES ?',
      Array.from({ length: ORDERS * 2 }, (_, i) => [
        1 + Math.floor(i / 2),
        1 + (i % 2),
        1 + (i % PRODUCTS),
        1 + (i % 4),
        ((i * 31) % 9000) / 100 + 0.5,
      ]),
    );
    return { loyalty: Array.from({ length: CUSTOMERS }, (_, i) => i % 50).reduce((a, b) => a + b, 0) };
  } finally {
    await c.end();
  }
}

const TABLES = ['customers', 'products', 'orders', 'order_items'];

/** Every column of every table, by primary key, each value normalised per type (scripts/compare-sides.ts). */
function assertSame(mine: Snapshot, theirs: Snapshot, what: string): void {
  for (const t of compareSnapshots(mine, theirs)) {
    assert.equal(t.mysqlRows, t.postgresRows, `${t.table}: row count ${what}`);
    assert.deepEqual(t.differences.map(describeDifference), [], `${t.table}: ${what}`);
  }
}

/** One column's values, as read for the comparison. */
function columnValues(s: Snapshot, table: string, column: string): (string | null)[] {
  const t = s.get(table)!;
  const i = t.columns.findIndex((c) => c.name === column);
  return t.rows.map((r) => r[i]!);
}

function spec(name: string, extra: Record<string, unknown> = {}) {
  return {
    name,
    source: { engine: 'mysql', connection: 'DURM_SRC' },
    target: { engine: 'postgres', connection: 'DURM_DST', schema: 'public' },
    plan: { sampleRows: 500, observeSeconds: 0 },
    approval: { approvers: ['alice'], required: 1 },
    // A throttled copy lasts a few seconds: long enough to be killed in.
    copy: { maxRowsPerSecond: 2000, slicesPerTable: 2, tablesAtOnce: 2 },
    cutover: { maxLagSeconds: 2, stableSeconds: 2, rollbackWindowMinutes: 30 },
    runtime: { heartbeatTimeoutSeconds: 4 },
    ...extra,
  };
}

/** No trigger, changelog or fence state of cutover's left on MySQL (the routing table may stay). */
async function assertMysqlClean(url: string): Promise<void> {
  const my = await mysql.createConnection({ uri: url });
  try {
    const [left] = await my.query<mysql.RowDataPacket[]>(
      `SELECT TRIGGER_NAME AS name FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()
       UNION ALL SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()
         AND TABLE_NAME LIKE '\\_cutover\\_%' AND TABLE_NAME NOT LIKE '\\_cutover\\_routing%'`,
    );
    assert.deepEqual(left, [], 'no trigger or changelog left on MySQL');
  } finally {
    await my.end();
  }
}

/** One migration under the demo's app load, with worker processes to kill; cleaned up after `body`. */
async function underLoad(
  name: string,
  extra: Record<string, unknown>,
  body: (run: {
    source: TestDatabase;
    target: TestDatabase;
    loyalty: number;
    handle: WorkflowHandle;
    workers: WorkerProcesses;
    load: ShopLoad;
  }) => Promise<void>,
): Promise<void> {
  const source = await createMysqlDatabase('cutover_durm_src');
  const target = await createPostgresDatabase('cutover_durm_dst');
  dbs.push(source, target);
  const { loyalty } = await createMysqlShop(source.url);
  const taskQueue = `durm-${randomBytes(3).toString('hex')}`;
  const connection = await Connection.connect({ address: testAddress() });
  const client = new Client({ connection, dataConverter });
  const workers = new WorkerProcesses(testAddress(), taskQueue, {
    DURM_SRC: source.url,
    DURM_DST: target.url,
  });
  let load: ShopLoad | null = null;
  try {
    const handle = await client.workflow.start('blueGreenMigration', {
      taskQueue,
      workflowId: `durm-${taskQueue}`,
      args: [spec(name, extra)],
    });
    load = new ShopLoad(
      { source: source.url, target: target.url },
      () => handle.query(statusQuery).then((s) => s.routing.active),
      { first: 1, last: CUSTOMERS },
      { first: 1, last: PRODUCTS },
      10,
    );
    await body({ source, target, loyalty, handle, workers, load });
  } finally {
    await load?.stop();
    await workers.stop();
    await connection.close();
  }
}

test('MySQL -> PostgreSQL: SIGKILLed in every phase under the application load, no acknowledged write is lost and both sides end identical', async (t) => {
  await underLoad('durm-complete', {}, async ({ source, target, loyalty, handle, workers, load }) => {
    await workers.killThroughCutover(handle, 'alice');
    await waitForStatus(handle, () => load.writes.target > 100, 'writes on PostgreSQL');
    await load.stop();
    await handle.signal(finalizeSignal);
    const result = (await handle.result()) as MigrationResult;
    const where = workers.landed;
    t.diagnostic(where);
    t.diagnostic(
      `app: ${load.writes.source} writes on MySQL, ${load.writes.target} on PostgreSQL, ${load.fenced} fenced, ${load.retried.length} re-issued`,
    );
    assert.equal(result.outcome, 'completed', where);
    assert.equal(result.validation?.status, 'match', where);
    // A write whose outcome the app does not know would make the checks below guesswork.
    assert.deepEqual(load.failures, [], where);

    // Every acknowledged order, with its lines, and every acknowledged increment is on PostgreSQL.
    const pgc = new pg.Client({ connectionString: target.url });
    await pgc.connect();
    try {
      const { rows } = await pgc.query<{ ref: string; customer_id: number; total: string; lines: string }>(
        `SELECT o.external_ref AS ref, o.customer_id, o.total::text AS total,
                string_agg(i.product_id || 'x' || i.qty || '@' || i.unit_price, ' ' ORDER BY i.line_no) AS lines
           FROM orders o JOIN order_items i ON i.order_id = o.id
          WHERE o.external_ref LIKE 'demo-%' GROUP BY o.id`,
      );
      const found = new Map(rows.map((r) => [r.ref, r]));
      const missing = load.orders.filter((o) => {
        const r = found.get(o.ref);
        return (
          !r ||
          r.customer_id !== o.customerId ||
          r.total !== o.total ||
          r.lines !== o.lines.map((l) => `${l.productId}x${l.qty}@${l.unitPrice}`).join(' ')
        );
      });
      assert.deepEqual(missing, [], `acknowledged orders missing or different on PostgreSQL ${where}`);
      const points = await pgc.query<{ n: string }>(`SELECT sum(loyalty_points)::text AS n FROM customers`);
      assert.equal(
        Number(points.rows[0]!.n),
        loyalty + load.increments.source + load.increments.target,
        `every acknowledged loyalty increment ${where}`,
      );
    } finally {
      await pgc.end();
    }

    // The old source got every change made on PostgreSQL back: identical, by an independent reading.
    const [mine, theirs] = await Promise.all([
      snapshotMysql(source.url, TABLES),
      snapshotPostgres(target.url, TABLES),
    ]);
    assertSame(mine, theirs, `MySQL equals PostgreSQL ${where}`);
    assert.deepEqual(await cutoverObjects(target.url), []);
    await assertMysqlClean(source.url);
    await replayHistory(handle);
  });
});

test('MySQL -> PostgreSQL rolled back after the cutover, SIGKILLed in the window and in the rollback: MySQL ends with every write made on either side', async () => {
  await underLoad(
    'durm-rollback',
    { approval: { auto: true }, copy: {} },
    async ({ source, target, loyalty, handle, workers, load }) => {
      await workers.killIn(handle, ['rollback-window'], 500);
      await waitForStatus(handle, () => load.writes.target > 100, 'writes on PostgreSQL');
      await load.stop();
      // PostgreSQL is dropped by the rollback: what it holds now is what MySQL must hold afterwards.
      const expected = await snapshotPostgres(target.url, TABLES);
      await handle.signal(rollbackSignal, { reason: 'rehearsal' });
      await workers.killIn(handle, ['rolling-back'], 300);
      const result = (await handle.result()) as MigrationResult;
      const where = workers.landed;
      assert.equal(result.outcome, 'rolled-back', where);
      assert.deepEqual(load.failures, [], where);
      const actual = await snapshotMysql(source.url, TABLES);
      assertSame(actual, expected, `MySQL equals PostgreSQL before the rollback ${where}`);
      // ... which held every acknowledged order and increment, made on MySQL or on PostgreSQL.
      const refs = new Set(columnValues(actual, 'orders', 'external_ref'));
      assert.deepEqual(
        load.orders.filter((o) => !refs.has(o.ref)).map((o) => o.ref),
        [],
        `acknowledged orders missing on MySQL ${where}`,
      );
      const points = columnValues(actual, 'customers', 'loyalty_points').reduce(
        (sum, v) => sum + Number(v),
        0,
      );
      assert.equal(points, loyalty + load.increments.source + load.increments.target, where);
      assert.ok(load.writes.target > 100 && load.writes.source > 0, 'writes on both sides');
      await assertMysqlClean(source.url);
      await replayHistory(handle);
    },
  );
});
