// Durability of a MySQL -> PostgreSQL blue-green migration, the product's main path: worker
// processes are SIGKILLed mid-copy, in the catch-up (applying a batch job's backlog), the
// validation, the approval wait, under MySQL's fence and in the rollback window, each kill proven to
// have landed there (helpers/migration.ts KILL), while the demo's application
// (scripts/demo-load.ts) writes on whichever side the routing names. In the end every write the
// application saw acknowledged, on MySQL or on PostgreSQL, is on PostgreSQL; the old MySQL source
// equals PostgreSQL row for row (reverse replication); both are compared here independently of the
// validator; both are clean; the history replays. Rolled back after the cutover instead, with the
// application writing through the request and the compensations (SIGKILLed in the window and
// among the compensations), MySQL ends with exactly the writes acknowledged on either side, and
// the rows the application never wrote as they were.
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
} from '../../scripts/compare-sides';
import { ShopLoad, type AckedOrder } from '../../scripts/demo-load';
import { dataConverter } from '../../src/temporal/data-converter';
import type { MigrationResult } from '../../src/workflows/blue-green';
import { finalizeSignal, rollbackSignal } from '../../src/workflows/messages';
import {
  createMysqlDatabase,
  createPostgresDatabase,
  execMysql,
  type TestDatabase,
} from '../helpers/databases';
import {
  cutoverObjects,
  fenceObjects,
  KILL,
  replayHistory,
  statusRouting,
  waitForStatus,
  WorkerProcesses,
} from '../helpers/migration';
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

/**
 * The MySQL rows as positional text, by key: the seed and the acknowledged-write ledger's checks
 * read them by column position. (MySQL against PostgreSQL goes through scripts/compare-sides.ts.)
 */
const DUMPS: Record<string, { mysql: string }> = {
  customers: {
    mysql: `SELECT id, email, name, loyalty_points, profile, DATE_FORMAT(created, '%Y-%m-%d %H:%i:%s.%f') AS created FROM customers ORDER BY id`,
  },
  products: {
    mysql: `SELECT id, sku, price, LOWER(HEX(photo)) AS photo FROM products ORDER BY id`,
  },
  orders: {
    mysql: `SELECT id, customer_id, external_ref, DATE_FORMAT(placed_at, '%Y-%m-%d %H:%i:%s.%f') AS placed_at, total, CAST(status AS CHAR) AS status FROM orders ORDER BY id`,
  },
  order_items: {
    mysql: `SELECT order_id, line_no, product_id, qty, unit_price FROM order_items ORDER BY order_id, line_no`,
  },
};

/** Values compared as text; JSON compared as parsed values (key order and spacing differ by engine). */
function normalize(rows: Record<string, unknown>[]): unknown[] {
  return rows.map((r) =>
    Object.entries(r).map(([k, v]) => {
      if (v === null) return null;
      if (k === 'profile') return typeof v === 'string' ? JSON.parse(v) : v;
      return String(v);
    }),
  );
}

async function dumpMysql(url: string): Promise<Record<string, unknown[]>> {
  const c = await mysql.createConnection({ uri: url, supportBigNumbers: true, bigNumberStrings: true });
  try {
    const out: Record<string, unknown[]> = {};
    for (const [t, q] of Object.entries(DUMPS)) {
      const [rows] = await c.query<mysql.RowDataPacket[]>(q.mysql);
      out[t] = normalize(rows);
    }
    return out;
  } finally {
    await c.end();
  }
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
    /** MySQL before the migration and the app's load. */
    seed: Record<string, unknown[]>;
  }) => Promise<void>,
): Promise<void> {
  const source = await createMysqlDatabase('cutover_durm_src');
  const target = await createPostgresDatabase('cutover_durm_dst');
  dbs.push(source, target);
  const { loyalty } = await createMysqlShop(source.url);
  const seed = await dumpMysql(source.url);
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
      statusRouting(client, handle),
      { first: 1, last: CUSTOMERS },
      { first: 1, last: PRODUCTS },
      10,
    );
    await body({ source, target, loyalty, handle, workers, load, seed });
  } finally {
    await load?.stop();
    await workers.stop();
    await connection.close();
  }
}

test('MySQL -> PostgreSQL: SIGKILLed mid-copy, in the catch-up, the validation, the approval wait, under the source fence and in the rollback window under the application load, no acknowledged write is lost and both sides end identical', async (t) => {
  await underLoad('durm-complete', {}, async ({ source, target, loyalty, handle, workers, load }) => {
    await workers.killThroughCutover(handle, 'alice', {
      // 10 x 1,500 changes, seconds old when the catch-up starts: it lasts long enough to be killed in.
      backlog: () => renameCustomers(source.url, 10),
      sourceFence: () => fenceObjects('mysql', source.url),
    });
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

    // The old source got every change made on PostgreSQL back: identical, every column by key,
    // by an independent reading (scripts/compare-sides.ts).
    const tables = Object.keys(DUMPS);
    const [mine, theirs] = await Promise.all([
      snapshotMysql(source.url, tables),
      snapshotPostgres(target.url, tables),
    ]);
    for (const t of compareSnapshots(mine, theirs)) {
      assert.equal(t.mysqlRows, t.postgresRows, `${t.table}: row count ${where}`);
      assert.deepEqual(
        t.differences.map(describeDifference),
        [],
        `${t.table}: MySQL equals PostgreSQL ${where}`,
      );
    }
    assert.deepEqual(await cutoverObjects(target.url), []);
    await assertMysqlClean(source.url);
    await replayHistory(handle);
  });
});

test('MySQL -> PostgreSQL rolled back after the cutover while the app keeps writing, SIGKILLed in the window and during the compensations: MySQL ends with every write acknowledged on either side', async (t) => {
  await underLoad(
    'durm-rollback',
    { approval: { auto: true }, copy: {} },
    async ({ source, target, loyalty, handle, workers, load, seed }) => {
      await workers.killAt(handle, KILL.rollbackWindow());
      // Made before the cutover (since, the app writes on PostgreSQL): the rollback must keep them too.
      const onMysqlBeforeCutover = load.writes.source;
      await waitForStatus(handle, () => load.writes.target > 100, 'writes on PostgreSQL');
      // The app keeps writing through the request and the compensations.
      const fencedBefore = load.fenced;
      await handle.signal(rollbackSignal, { reason: 'rehearsal' });
      await workers.killAt(
        handle,
        KILL.rollbackCompensations(() => fenceObjects('postgres', target.url)),
      );
      const result = (await handle.result()) as MigrationResult;
      const where = workers.landed;
      t.diagnostic(where);
      assert.equal(result.outcome, 'rolled-back', where);
      const onMysql = load.writes.source;
      await waitForStatus(
        handle,
        () => load.side === 'source' && load.writes.source > onMysql + 30,
        'writes on MySQL after the rollback',
      );
      await load.stop();
      t.diagnostic(
        `app: ${load.writes.source} writes on MySQL, ${load.writes.target} on PostgreSQL, ${load.fenced} fenced, ${load.retried.length} re-issued`,
      );
      // A write whose outcome the app does not know would make the checks below guesswork.
      assert.deepEqual(load.failures, [], where);
      assert.ok(load.fenced > fencedBefore, `the app never met PostgreSQL's fence in the rollback ${where}`);
      assert.ok(onMysqlBeforeCutover > 0, 'no write on MySQL before the cutover');

      const actual = await dumpMysql(source.url);
      // Every acknowledged order, with its lines, made on MySQL or on PostgreSQL; no other app order.
      assert.deepEqual(
        orderProblems(actual, load.orders),
        [],
        `acknowledged orders missing or different on MySQL ${where}`,
      );
      // Every acknowledged increment, on either side, and no other one.
      const points = (actual.customers as string[][]).reduce((sum, r) => sum + Number(r[3]), 0);
      assert.equal(points, loyalty + load.increments.source + load.increments.target, where);
      // Everything the app did not write is as it was before the migration.
      const loyaltyApart = (rows: unknown[]) =>
        (rows as unknown[][]).map((r) => [...r.slice(0, 3), ...r.slice(4)]);
      assert.deepEqual(loyaltyApart(actual.customers!), loyaltyApart(seed.customers!), `customers ${where}`);
      assert.deepEqual(actual.products, seed.products, `products ${where}`);
      const seedOrders = new Set((seed.orders as string[][]).map((r) => r[0]));
      assert.deepEqual(
        (actual.orders as string[][]).filter((r) => seedOrders.has(r[0]!)),
        seed.orders,
        `seed orders ${where}`,
      );
      assert.deepEqual(
        (actual.order_items as string[][]).filter((r) => seedOrders.has(r[0]!)),
        seed.order_items,
        `seed order items ${where}`,
      );
      await assertMysqlClean(source.url);
      await replayHistory(handle);
    },
  );
});

/**
 * The app's orders on MySQL (a dumpMysql) against its acknowledged ones: each present once with its
 * customer, total and lines, and no app order that was not acknowledged.
 */
function orderProblems(dump: Record<string, unknown[]>, acked: AckedOrder[]): string[] {
  const orders = dump.orders as string[][];
  const lines = new Map<string, string[]>();
  for (const [orderId, , productId, qty, unitPrice] of dump.order_items as string[][])
    lines.set(orderId!, [...(lines.get(orderId!) ?? []), `${productId}x${qty}@${unitPrice}`]);
  const found = new Map(
    orders
      .filter((r) => r[2]!.startsWith('demo-'))
      .map((r) => [r[2]!, `${r[1]} ${r[4]} ${(lines.get(r[0]!) ?? []).join(' ')}`]),
  );
  const problems: string[] = [];
  for (const o of acked) {
    const want = `${o.customerId} ${o.total} ${o.lines.map((l) => `${l.productId}x${l.qty}@${l.unitPrice}`).join(' ')}`;
    const got = found.get(o.ref);
    if (got !== want) problems.push(`${o.ref} (${o.side}): want ${want}, found ${got ?? 'nothing'}`);
    found.delete(o.ref);
  }
  for (const ref of found.keys()) problems.push(`${ref}: on MySQL but never acknowledged`);
  return problems;
}

/**
 * A batch job on MySQL: every customer's name rewritten `rounds` times, a few seconds of changes for
 * the catch-up to apply (the app never reads names; deadlocks with it are retried).
 */
async function renameCustomers(url: string, rounds: number): Promise<void> {
  const c = await mysql.createConnection({ uri: url });
  try {
    for (let i = 0; i < rounds; i++) {
      for (let attempt = 1; ; attempt++) {
        try {
          await c.query(`UPDATE customers SET name = CONCAT(name, '.')`);
          break;
        } catch (err) {
          if ((err as { errno?: number }).errno !== 1213 || attempt >= 5) throw err;
        }
      }
    }
  } finally {
    await c.end();
  }
}
