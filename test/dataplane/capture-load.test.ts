// Catch-up under load, on both engines: a writer keeps inserting, updating, re-keying and deleting
// while the applier catches up to a lag threshold; the writer stops; a final catch-up to zero; the
// target then equals the source (read by the test's own queries). And an applier that dies between
// writing the target and trimming the changelog resumes from its previous position and converges.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { applyBatch, catchUp, type ApplierOptions } from '../../src/dataplane/capture/applier';
import { openEngine } from '../../src/engines';
import type { Engine } from '../../src/engines/engine';
import type { RowsEngine } from '../../src/engines/row-access';
import {
  createMysqlDatabase,
  createPostgresDatabase,
  execMysql,
  execPostgres,
  type TestDatabase,
} from '../helpers/databases';

const dbs: TestDatabase[] = [];
const engines: Engine[] = [];
after(async () => {
  for (const e of engines) await e.close().catch(() => undefined);
  for (const d of dbs) await d.drop().catch(() => undefined);
});

const COLUMNS = ['id', 'v', 'n'];

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A query runner for one connection of the test's own (placeholders `?`, rewritten for PostgreSQL). */
async function connect(kind: 'postgres' | 'mysql', url: string) {
  if (kind === 'postgres') {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    return {
      query: async (sql: string, params: unknown[] = []) => {
        let i = 0;
        return (
          await c.query(
            sql.replace(/\?/g, () => `$${++i}`),
            params,
          )
        ).rows as Record<string, unknown>[];
      },
      end: () => c.end(),
    };
  }
  const c = await mysql.createConnection({ uri: url });
  return {
    query: async (sql: string, params: unknown[] = []) =>
      (await c.query<mysql.RowDataPacket[]>(sql, params))[0] as Record<string, unknown>[],
    end: () => c.end(),
  };
}

async function dump(kind: 'postgres' | 'mysql', url: string): Promise<string[]> {
  const c = await connect(kind, url);
  try {
    const rows = await c.query('SELECT id, v, n FROM items ORDER BY id');
    return rows.map((r) => JSON.stringify([Number(r.id), r.v, r.n === null ? null : String(r.n)]));
  } finally {
    await c.end();
  }
}

async function setup(kind: 'postgres' | 'mysql') {
  const exec = kind === 'postgres' ? execPostgres : execMysql;
  const create = kind === 'postgres' ? createPostgresDatabase : createMysqlDatabase;
  const src = await create('cutover_load_s');
  dbs.push(src);
  const dst = await create('cutover_load_t');
  dbs.push(dst);
  const ddl = ['CREATE TABLE items (id int PRIMARY KEY, v text, n bigint)'];
  await exec(src.url, ddl);
  await exec(dst.url, ddl);
  const source = openEngine(kind, src.url);
  const target = openEngine(kind, dst.url);
  engines.push(source, target);
  const sourceSchema = kind === 'postgres' ? 'public' : src.name;
  const capture = source.capture(sourceSchema);
  await capture.install([{ table: 'items', key: ['id'] }]);
  const options: ApplierOptions = {
    capture,
    source: source.rows(),
    target: target.rows(),
    sourceSchema,
    targetSchema: kind === 'postgres' ? 'public' : dst.name,
    tables: [{ table: 'items', columns: COLUMNS, key: ['id'] }],
    batchSize: 50,
  };
  return { src, dst, exec, options, capture };
}

/** Random single-statement and multi-statement transactions until stopped. */
async function writer(kind: 'postgres' | 'mysql', url: string, seed: number, stop: { now: boolean }) {
  const rand = prng(seed);
  const c = await connect(kind, url);
  let writes = 0;
  try {
    while (!stop.now) {
      const id = Math.floor(rand() * 200);
      const r = rand();
      try {
        await c.query(kind === 'postgres' ? 'BEGIN' : 'START TRANSACTION');
        for (let i = 0; i < 1 + Math.floor(rand() * 3); i++) {
          if (r < 0.4)
            await c.query('INSERT INTO items (id, v, n) VALUES (?, ?, ?)', [
              id + i,
              `v${Math.floor(rand() * 1000)} ü😀`,
              rand() < 0.2 ? null : String(Math.floor(rand() * 1e15)),
            ]);
          else if (r < 0.7)
            await c.query('UPDATE items SET v = ?, n = NULL WHERE id = ?', [`u${writes}`, id + i]);
          else if (r < 0.85) await c.query('UPDATE items SET id = ? WHERE id = ?', [id + 200 + i, id + i]);
          else await c.query('DELETE FROM items WHERE id BETWEEN ? AND ?', [id, id + 2]);
        }
        await c.query('COMMIT');
        writes++;
      } catch {
        await c.query('ROLLBACK').catch(() => undefined); // duplicate keys: fine
      }
      // An application's pace, not a flood: the test is about exactness under concurrent writes,
      // and unpaced writers on a loaded 2-core machine can outrun any applier.
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    await c.end();
  }
  return writes;
}

for (const kind of ['postgres', 'mysql'] as const) {
  describe(`${kind} catch-up under load`, () => {
    test('catch up to a threshold while writers write, then to zero: target equals source', async () => {
      const { src, dst, options, capture } = await setup(kind);
      const stop = { now: false };
      const writers = [1, 2].map((seed) => writer(kind, src.url, seed, stop));
      let position: string | null = null;
      const started = Date.now();
      let rounds = 0;
      // Catch up while the writers run, for at least 3 s, then until the lag is under 100 changes.
      for (;;) {
        const r = await catchUp(options, position, { maxBatches: 5 });
        position = r.position;
        rounds++;
        if (Date.now() - started > 3000 && r.lag.rowsBehind < 100) break;
        assert.ok(Date.now() - started < 60_000, 'the applier keeps up with the writers');
      }
      stop.now = true;
      const writes = (await Promise.all(writers)).reduce((a, b) => a + b, 0);
      assert.ok(writes > 50 && rounds > 1, `writes ${writes}, rounds ${rounds}`);
      const final = await catchUp(options, position);
      assert.equal(final.lag.rowsBehind, 0);
      assert.deepEqual(await dump(kind, dst.url), await dump(kind, src.url));
      await capture.remove();
    });

    test('an applier killed between writing the target and trimming resumes from its position and converges', async () => {
      const { src, dst, exec, options, capture } = await setup(kind);
      await exec(src.url, ['INSERT INTO items VALUES (1, ?, 1), (2, ?, 2), (3, ?, 3)'.replace(/\?/g, "'a'")]);
      const first = await catchUp(options, null);
      await exec(src.url, [
        `UPDATE items SET v = 'b' WHERE id = 1`,
        'UPDATE items SET id = 30 WHERE id = 3',
        'DELETE FROM items WHERE id = 2',
        `INSERT INTO items VALUES (4, 'd', NULL)`,
      ]);
      // The target write commits, then the process "dies" before the trim.
      const dying: RowsEngine = {
        ...options.target,
        upsertRows: async (...args) => {
          await options.target.upsertRows(...args);
          throw new Error('killed after the upsert');
        },
      };
      await assert.rejects(applyBatch({ ...options, target: dying }, first.position), /killed/);
      assert.equal((await capture.lag(first.position)).rowsBehind, 4, 'nothing was trimmed');
      // More writes before the new worker resumes from the last recorded position.
      await exec(src.url, [`UPDATE items SET v = 'c' WHERE id = 30`, 'DELETE FROM items WHERE id = 1']);
      const resumed = await catchUp(options, first.position);
      assert.equal(resumed.lag.rowsBehind, 0);
      assert.deepEqual(await dump(kind, dst.url), await dump(kind, src.url));
      assert.deepEqual(await dump(kind, dst.url), [
        JSON.stringify([4, 'd', null]),
        JSON.stringify([30, 'c', '3']),
      ]);
      await capture.remove();
    });
  });
}
