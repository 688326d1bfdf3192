// The change applier on real databases: trigger capture on the source, concurrent writers (inserts,
// updates, key changes, deletes, NULLs, 4-byte unicode, binary, big numbers, transactions committing
// out of order), the applier running meanwhile; afterwards the target equals the source, checked by
// queries of the test's own, not by the code under test.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { catchUp, type ApplierOptions } from '../../src/dataplane/capture/applier';
import { mysqlRowsEngine, postgresRowsEngine } from '../../src/dataplane/copy/rows-engine';
import { keyTranslator, rowTranslator } from '../../src/dataplane/values';
import type { ChangeCapture } from '../../src/engines/capture';
import { triggerCapture as mysqlCapture } from '../../src/engines/mysql/capture';
import { createMysqlEngine, createPool as createMysqlPool } from '../../src/engines/mysql/engine';
import { triggerCapture as pgCapture } from '../../src/engines/postgres/capture';
import { createPool as createPgPool } from '../../src/engines/postgres/engine';
import {
  createMysqlDatabase,
  createPostgresDatabase,
  execMysql,
  execPostgres,
  type TestDatabase,
} from '../helpers/databases';

const dbs: TestDatabase[] = [];
const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c().catch(() => undefined);
  for (const d of dbs) await d.drop().catch(() => undefined);
});

/** A small deterministic PRNG, so that a failure can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const REGIONS = ['eu', 'EU', 'us', '😀', 'ü'];
const COLUMNS = ['region', 'id', 'qty', 'data', 'note', 'big'];
const KEY = ['region', 'id'];

/** One random write statement and its parameters (placeholders as `?`, rewritten for PostgreSQL). */
function randomWrite(rand: () => number): { sql: string; params: unknown[] } {
  const region = REGIONS[Math.floor(rand() * REGIONS.length)]!;
  const id = Math.floor(rand() * 40);
  const r = rand();
  if (r < 0.4) {
    return {
      sql: 'INSERT INTO items (region, id, qty, data, note, big) VALUES (?, ?, ?, ?, ?, ?)',
      params: [
        region,
        id,
        rand() < 0.2
          ? null
          : `${Math.floor(rand() * 1e12)}.${String(Math.floor(rand() * 1e4)).padStart(4, '0')}`,
        rand() < 0.2 ? null : Buffer.from([Math.floor(rand() * 256), 0, 255]),
        rand() < 0.2 ? null : `n😀${Math.floor(rand() * 1000)}`,
        rand() < 0.5 ? '18446744073709551615' : String(Math.floor(rand() * 1e6)),
      ],
    };
  }
  if (r < 0.65)
    return {
      sql: 'UPDATE items SET note = ?, qty = NULL WHERE region = ? AND id = ?',
      params: [`u${id}`, region, id],
    };
  if (r < 0.8) {
    // A key change (may collide with an existing key: the statement then fails, which is fine).
    return {
      sql: 'UPDATE items SET id = ?, region = ? WHERE region = ? AND id = ?',
      params: [id + 40, REGIONS[Math.floor(rand() * REGIONS.length)]!, region, id],
    };
  }
  return { sql: 'DELETE FROM items WHERE region = ? AND id < ?', params: [region, id] };
}

interface Writer {
  /** Run a transaction of statements; errors (duplicate keys) roll it back and are ignored. */
  transaction(statements: { sql: string; params: unknown[] }[], holdMs: number): Promise<void>;
  close(): Promise<void>;
}

async function pgWriter(url: string): Promise<Writer> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query('SET search_path = app');
  return {
    async transaction(statements, holdMs) {
      await c.query('BEGIN');
      try {
        for (const s of statements) {
          let n = 0;
          await c.query(
            s.sql.replace(/\?/g, () => `$${++n}`),
            s.params,
          );
        }
        await new Promise((r) => setTimeout(r, holdMs));
        await c.query('COMMIT');
      } catch {
        await c.query('ROLLBACK');
      }
    },
    close: () => c.end(),
  };
}

async function mysqlWriter(url: string): Promise<Writer> {
  const c = await mysql.createConnection({ uri: url, charset: 'utf8mb4' });
  return {
    async transaction(statements, holdMs) {
      await c.query('BEGIN');
      try {
        for (const s of statements) await c.query(s.sql, s.params);
        await new Promise((r) => setTimeout(r, holdMs));
        await c.query('COMMIT');
      } catch {
        await c.query('ROLLBACK');
      }
    },
    close: () => c.end(),
  };
}

/**
 * Two writers for `ms`: short transactions and some held open while the other commits, so commits
 * land out of changelog-id order; meanwhile the applier keeps applying.
 */
async function writeWhileApplying(
  writers: Writer[],
  transactionsPerWriter: number,
  apply: () => Promise<void>,
  truncate = false,
): Promise<void> {
  let applying = true;
  const applier = (async () => {
    while (applying) await apply();
  })();
  await Promise.all(
    writers.map(async (w, i) => {
      const rand = prng(42 + i);
      for (let t = 0; t < transactionsPerWriter; t++) {
        // A bounded, deterministic run: the first writer truncates at fixed points, early enough
        // for the table to fill again, so the outcome never depends on how busy the machine is.
        const truncateNow =
          truncate &&
          i === 0 &&
          (t === Math.floor(transactionsPerWriter / 4) || t === Math.floor(transactionsPerWriter / 2));
        const n = 1 + Math.floor(rand() * 4);
        await w.transaction(
          truncateNow
            ? [{ sql: 'TRUNCATE items', params: [] }]
            : Array.from({ length: n }, () => randomWrite(rand)),
          rand() < 0.2 ? 30 : 0,
        );
      }
    }),
  );
  applying = false;
  await applier;
}

function sortRows(rows: unknown[][]): string[] {
  return rows.map((r) => JSON.stringify(r)).sort();
}

test('PostgreSQL -> PostgreSQL: the target converges on the source under concurrent writes and TRUNCATEs', async () => {
  const source = await createPostgresDatabase('cutover_apply_src');
  dbs.push(source);
  const target = await createPostgresDatabase('cutover_apply_dst');
  dbs.push(target);
  const ddl = [
    'CREATE SCHEMA app',
    `CREATE TABLE app.items (region text, id int, qty numeric(20,4), data bytea, note text, big numeric(20),
       PRIMARY KEY (region, id))`,
  ];
  await execPostgres(source.url, ddl);
  await execPostgres(target.url, ddl);
  const srcPool = createPgPool(source.url);
  const dstPool = createPgPool(target.url);
  closers.push(
    () => srcPool.end(),
    () => dstPool.end(),
  );
  const capture: ChangeCapture = pgCapture(srcPool, 'app');
  await capture.install([{ table: 'items', key: KEY }]);

  const options: ApplierOptions = {
    capture,
    source: postgresRowsEngine(srcPool),
    target: postgresRowsEngine(dstPool),
    sourceSchema: 'app',
    targetSchema: 'app',
    tables: [{ table: 'items', columns: COLUMNS, key: KEY }],
    batchSize: 50,
  };
  let position: string | null = null;
  const writers = [await pgWriter(source.url), await pgWriter(source.url)];
  let truncations = 0;
  await writeWhileApplying(
    writers,
    150,
    async () => {
      const r = await catchUp(options, position, { maxBatches: 5 });
      position = r.position;
      truncations += r.truncations;
    },
    true,
  );
  for (const w of writers) await w.close();
  const final = await catchUp(options, position);
  truncations += final.truncations;
  assert.ok(truncations >= 1, 'the TRUNCATEs were captured and applied');
  assert.deepEqual(final.lag, { rowsBehind: 0, secondsBehind: 0 });

  const select = `SELECT region, id, qty::text, encode(data, 'hex'), note, big::text FROM app.items`;
  const read = async (url: string) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      return (await c.query({ text: select, rowMode: 'array' })).rows as unknown[][];
    } finally {
      await c.end();
    }
  };
  const [src, dst] = [await read(source.url), await read(target.url)];
  assert.ok(src.length > 10, `only ${src.length} rows on the source`);
  assert.deepEqual(sortRows(dst), sortRows(src));
  await capture.remove();
});

test('MySQL -> PostgreSQL: translated values, _ci key renames, out-of-order commits; target equals source', async () => {
  const source = await createMysqlDatabase('cutover_apply_src');
  dbs.push(source);
  const target = await createPostgresDatabase('cutover_apply_dst');
  dbs.push(target);
  await execMysql(source.url, [
    `CREATE TABLE items (region VARCHAR(20) NOT NULL, id INT NOT NULL, qty DECIMAL(20,4), data VARBINARY(32),
       note TEXT, big BIGINT UNSIGNED, PRIMARY KEY (region, id)) DEFAULT CHARSET utf8mb4 COLLATE utf8mb4_general_ci`,
  ]);
  const targetTypes: Record<string, string> = {
    region: 'varchar(20)',
    id: 'integer',
    qty: 'numeric(20,4)',
    data: 'bytea',
    note: 'text',
    big: 'numeric(20)',
  };
  await execPostgres(target.url, [
    'CREATE SCHEMA app',
    `CREATE TABLE app.items (${COLUMNS.map((c) => `${c} ${targetTypes[c]}`).join(', ')}, PRIMARY KEY (region, id))`,
  ]);
  const srcPool = createMysqlPool(source.url);
  const dstPool = createPgPool(target.url);
  const engine = createMysqlEngine(source.url);
  closers.push(
    () => srcPool.end(),
    () => dstPool.end(),
    () => engine.close(),
  );
  const model = await engine.introspect();
  const columns = model.tables.find((t) => t.name === 'items')!.columns;
  const conversions = COLUMNS.map((name) => ({
    source: columns.find((c) => c.name === name)!,
    targetType: targetTypes[name]!,
  }));
  const capture = mysqlCapture(srcPool, source.name);
  await capture.install([{ table: 'items', key: KEY }]);

  const options: ApplierOptions = {
    capture,
    source: mysqlRowsEngine(srcPool),
    target: postgresRowsEngine(dstPool),
    sourceSchema: source.name,
    targetSchema: 'app',
    tables: [
      {
        table: 'items',
        columns: COLUMNS,
        key: KEY,
        translateRow: rowTranslator('mysql', 'postgres', 'items', conversions, KEY),
        translateKey: keyTranslator('mysql', 'postgres', 'items', conversions.slice(0, 2)),
      },
    ],
    batchSize: 50,
  };
  let position: string | null = null;
  const writers = [await mysqlWriter(source.url), await mysqlWriter(source.url)];
  await writeWhileApplying(writers, 150, async () => {
    position = (await catchUp(options, position, { maxBatches: 5 })).position;
  });
  for (const w of writers) await w.close();
  // Holes left by rolled-back transactions settle within a few reads once nothing runs. They wait
  // for every transaction that was running on the server (other tests' too): allow for those.
  let final = await catchUp(options, position);
  for (let i = 0; i < 3 || (JSON.parse(final.position).holes.length && i < 100); i++) {
    if (i >= 3) await new Promise((r) => setTimeout(r, 200));
    final = await catchUp(options, final.position);
  }
  assert.deepEqual(JSON.parse(final.position).holes, []);
  assert.deepEqual(final.lag, { rowsBehind: 0, secondsBehind: 0 });

  const m = await mysql.createConnection({ uri: source.url, charset: 'utf8mb4' });
  const [srcRows] = await m.query({
    sql: `SELECT region, id, CAST(qty AS CHAR), LOWER(HEX(data)), note, CAST(big AS CHAR) FROM items`,
    rowsAsArray: true,
  });
  await m.end();
  const c = new pg.Client({ connectionString: target.url });
  await c.connect();
  const dst = (
    await c.query({
      text: `SELECT region, id, qty::text, encode(data, 'hex'), note, big::text FROM app.items`,
      rowMode: 'array',
    })
  ).rows as unknown[][];
  await c.end();
  // MySQL's HEX of an empty or NULL value: '' / NULL, like encode().
  const src = (srcRows as unknown[][]).map((r) => r.map((v, i) => (i === 3 && v === '' ? '' : v)));
  assert.ok(src.length > 10, `only ${src.length} rows on the source`);
  assert.deepEqual(sortRows(dst), sortRows(src));
  await capture.remove();
});
