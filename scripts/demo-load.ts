// The demo's application: a write load on the sample shop that follows the migration's routing
// like a real app would. It asks the workflow which side is active (the status query, every
// 300 ms) and re-asks at once when a write meets the fence. Each write is either an increment of a
// customer's loyalty points, or a new order with two order_items in one transaction (external_ref
// 'demo-<n>'), with the same statements on MySQL before the switch and on PostgreSQL after it.
// Every acknowledged write is recorded, so the demo can check that none was lost.
import { setTimeout as sleep } from 'node:timers/promises';
import mysql from 'mysql2/promise';
import pg from 'pg';

export type Side = 'source' | 'target';

export interface AckedOrder {
  ref: string;
  customerId: number;
  total: string;
  lines: { productId: number; qty: number; unitPrice: string }[];
  side: Side;
}

/** One statement with `?` placeholders, run on whichever side; returns an inserted id if asked. */
interface Db {
  query(sql: string, params: unknown[], returningId?: boolean): Promise<number | null>;
  begin(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  close(): Promise<void>;
}

async function mysqlDb(url: string): Promise<Db> {
  const c = await mysql.createConnection({ uri: url });
  c.on('error', () => undefined);
  await c.query(`SET SESSION time_zone = '+00:00'`);
  return {
    async query(sql, params) {
      const [r] = await c.execute(sql, params as (string | number)[]);
      return (r as mysql.ResultSetHeader).insertId ?? null;
    },
    begin: () => c.beginTransaction(),
    commit: () => c.commit(),
    rollback: () => c.rollback(),
    close: () => c.end(),
  };
}

async function postgresDb(url: string): Promise<Db> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => undefined);
  await c.connect();
  return {
    async query(sql, params, returningId) {
      let n = 0;
      const text = sql.replace(/\?/g, () => `$${++n}`) + (returningId ? ' RETURNING id' : '');
      const r = await c.query<{ id: string }>(text, params);
      return returningId ? Number(r.rows[0]!.id) : null;
    },
    begin: async () => void (await c.query('BEGIN')),
    commit: async () => void (await c.query('COMMIT')),
    rollback: async () => void (await c.query('ROLLBACK')),
    close: () => c.end(),
  };
}

/** A write the fence rejected (MySQL trigger fence: error 1644; read-only: 1290; PostgreSQL: 25006). */
function isFenced(err: unknown): boolean {
  const e = err as { message?: string; errno?: number; code?: string };
  return /fenced/i.test(e.message ?? '') || e.errno === 1290 || e.code === '25006';
}

/**
 * The routing answer, or `fallback` (the side the app had) when there is none within `ms`: a
 * Temporal query can hang while its server restarts, and the app must keep going.
 */
export async function askRouting<T>(ask: () => Promise<T>, fallback: T, ms = 5_000): Promise<T> {
  const answered = new AbortController();
  const unanswered = sleep(ms, fallback, { signal: answered.signal }).catch(() => fallback);
  try {
    return await Promise.race([ask().catch(() => fallback), unanswered]);
  } finally {
    answered.abort();
  }
}

/** Rolled back by the server, safe to re-issue: deadlock, lock wait timeout (MySQL), deadlock (PostgreSQL). */
function isTransient(err: unknown): boolean {
  const e = err as { errno?: number; code?: string };
  return e.errno === 1213 || e.errno === 1205 || e.code === '40P01';
}

export class ShopLoad {
  readonly orders: AckedOrder[] = [];
  /** Acknowledged loyalty-point increments per side. */
  readonly increments: Record<Side, number> = { source: 0, target: 0 };
  readonly writes: Record<Side, number> = { source: 0, target: 0 };
  fenced = 0;
  fenceMessage: string | null = null;
  /** Transactions re-issued after a deadlock or lock wait timeout (rolled back, then retried). */
  readonly retried: string[] = [];
  /** Writes that failed for another reason (reported: their outcome is unknown). */
  readonly failures: string[] = [];
  side: Side = 'source';
  /** Last write acknowledged by the source and first by the target (ms): the app's view of the switch. */
  lastSourceAckMs: number | null = null;
  firstTargetAckMs: number | null = null;
  private stopped = false;
  private n = 0;
  private readonly done: Promise<void>;

  constructor(
    private readonly urls: Record<Side, string>,
    private readonly routing: () => Promise<Side>,
    private readonly customers: { first: number; last: number },
    private readonly products: { first: number; last: number },
    pauseMs = 15,
  ) {
    this.done = this.run(pauseMs);
  }

  private async run(pauseMs: number): Promise<void> {
    const dbs: Partial<Record<Side, Db>> = {};
    const db = async (side: Side) =>
      (dbs[side] ??= await (side === 'source' ? mysqlDb(this.urls.source) : postgresDb(this.urls.target)));
    let lastRoutingCheck = 0;
    try {
      while (!this.stopped) {
        if (Date.now() - lastRoutingCheck > 300) {
          lastRoutingCheck = Date.now();
          this.side = await askRouting(this.routing, this.side);
        }
        const side = this.side;
        const i = this.n++;
        try {
          // Deadlocks and lock wait timeouts roll the transaction back: an app re-issues it.
          for (let attempt = 1; ; attempt++) {
            try {
              await this.writeOnce(await db(side), side, i);
              break;
            } catch (err) {
              if (!isTransient(err) || attempt >= 5) throw err;
              this.retried.push(`${side}: ${(err as Error).message}`);
              await sleep(20 * attempt);
            }
          }
          this.writes[side]++;
          if (side === 'source') this.lastSourceAckMs = Date.now();
          else this.firstTargetAckMs ??= Date.now();
        } catch (err) {
          if (isFenced(err)) {
            this.fenced++;
            this.fenceMessage ??= (err as Error).message;
            lastRoutingCheck = 0; // ask where to write now
            await sleep(50);
          } else {
            this.failures.push(`${side}: ${(err as Error).message}`);
            if (this.failures.length <= 3)
              process.stdout.write(`app: write failed on the ${side}: ${(err as Error).message}\n`);
            await sleep(200);
          }
        }
        await sleep(pauseMs);
      }
    } finally {
      for (const d of Object.values(dbs)) await d?.close().catch(() => undefined);
    }
  }

  private async writeOnce(db: Db, side: Side, i: number): Promise<void> {
    const span = (r: { first: number; last: number }, k: number) => r.first + (k % (r.last - r.first + 1));
    if (i % 5 < 3) {
      await db.query('UPDATE customers SET loyalty_points = loyalty_points + 1 WHERE id = ?', [
        span(this.customers, i * 7919),
      ]);
      this.increments[side]++;
      return;
    }
    const order: AckedOrder = {
      ref: `demo-${i}`,
      customerId: span(this.customers, i * 104729),
      total: (((i * 37) % 50_000) / 100 + 1).toFixed(2),
      lines: [1, 2].map((line) => ({
        productId: span(this.products, i * 31 + line),
        qty: 1 + ((i + line) % 4),
        unitPrice: (((i * 13 + line) % 9_000) / 100 + 0.5).toFixed(2),
      })),
      side,
    };
    const placedAt = new Date().toISOString().replace('T', ' ').replace('Z', '');
    await db.begin();
    try {
      const id = await db.query(
        `INSERT INTO orders (customer_id, external_ref, placed_at, total, status) VALUES (?, ?, ?, ?, 'new')`,
        [order.customerId, order.ref, placedAt, order.total],
        side === 'target',
      );
      for (const [k, line] of order.lines.entries())
        await db.query(
          'INSERT INTO order_items (order_id, line_no, product_id, qty, unit_price) VALUES (?, ?, ?, ?, ?)',
          [id, k + 1, line.productId, line.qty, line.unitPrice],
        );
      await db.commit();
    } catch (err) {
      await db.rollback().catch(() => undefined);
      throw err;
    }
    this.orders.push(order);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }
}
