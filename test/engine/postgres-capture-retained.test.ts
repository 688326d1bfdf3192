// PostgreSQL capture over a large retained changelog (trim's retainAfter keeps applied changes while
// a migration waits for approval, possibly for days): lag, changedKeys and trim count and delete
// exactly what they did without the retained rows, a transaction that commits late is still counted,
// and their plans reach the changelog through its xid index instead of reading every retained row.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import type { ChangeCapture } from '../../src/engines/capture';
import { changedKeys, lag, trim, triggerCapture } from '../../src/engines/postgres/capture';
import { createPool } from '../../src/engines/postgres/engine';
import { createPostgresDatabase, execPostgres, type TestDatabase } from '../helpers/databases';

const RETAINED = 100_000;

let db: TestDatabase;
let pool: pg.Pool;
let capture: ChangeCapture;

before(async () => {
  db = await createPostgresDatabase('cutover_capr');
  await execPostgres(db.url, [`CREATE SCHEMA app`, `CREATE TABLE app.items (id int PRIMARY KEY, v text)`]);
  pool = createPool(db.url);
  capture = triggerCapture(pool, 'app');
  await capture.install([{ table: 'items', key: ['id'] }]);
});

after(async () => {
  await pool?.end();
  await db?.drop();
});

/** Everything after `position`, in batches as the applier reads it. */
async function readRest(position: string | null): Promise<{ keys: unknown[]; position: string }> {
  const keys: unknown[] = [];
  let pos = position;
  for (;;) {
    const batch = await capture.readBatch(pos, 50_000);
    keys.push(...batch.changes.map((c) => c.key));
    pos = batch.position;
    if (batch.changes.length < 50_000) return { keys, position: pos };
  }
}

async function allChangedKeys(since: string | null): Promise<unknown[]> {
  const keys: unknown[] = [];
  let next: string | null = null;
  do {
    const page = await capture.changedKeys(since, { limit: 50_000, after: next });
    keys.push(...page.keys.map((k) => k.key));
    next = page.next;
  } while (next);
  return keys;
}

/** The plan of each statement `run` sends (EXPLAIN, nothing executed), as JSON text. */
async function plansOf(run: (explaining: pg.Pool) => Promise<unknown>): Promise<string[]> {
  const plans: string[] = [];
  const explaining = {
    async query(text: string, values?: unknown[]) {
      const { rows } = await pool.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${text}`, values);
      const plan = rows[0]!['QUERY PLAN'];
      plans.push(typeof plan === 'string' ? plan : JSON.stringify(plan));
      return { rows: [], rowCount: 0 };
    },
  } as unknown as pg.Pool;
  await run(explaining);
  return plans;
}

const usesXidIndex = (plan: string) => /"Index Name":\s*"_cutover_changelog_xid"/.test(plan);
/** "Seq Scan on _cutover_changelog", "Index Scan on _cutover_changelog_xid", ... */
const scans = (plan: string) =>
  [...plan.matchAll(/"Node Type":\s*"([^"]*Scan)"(?:[^{}]*?"Index Name":\s*"([^"]+)")?/g)]
    .map((m) => m[1] + (m[2] ? ` on ${m[2]}` : ''))
    .join(', ');

test('lag, changedKeys and trim on a large retained changelog: exact counts, through the xid index', async () => {
  // The last validation: the position the retained changes start after.
  const validated = (await readRest(null)).position;
  await execPostgres(db.url, [`INSERT INTO app.items SELECT g, 'v' FROM generate_series(1, ${RETAINED}) g`]);
  const applied = await readRest(validated);
  assert.equal(applied.keys.length, RETAINED);
  assert.equal(await capture.trim(applied.position, { retainAfter: validated }), 0, 'all retained');
  assert.deepEqual(await capture.lag(applied.position), { rowsBehind: 0, secondsBehind: 0 });

  // A transaction that takes its xid first and commits last, around a quick one.
  const slow = new pg.Client({ connectionString: db.url });
  await slow.connect();
  try {
    await slow.query('BEGIN');
    await slow.query(`INSERT INTO app.items VALUES (0, 'slow')`);
    await execPostgres(db.url, [`UPDATE app.items SET v = 'quick' WHERE id IN (1, 2)`]);
    const quick = await readRest(applied.position);
    assert.deepEqual(quick.keys, [[1], [2]]);
    assert.equal(await capture.trim(quick.position, { retainAfter: validated }), 0);
    assert.equal((await capture.lag(quick.position)).rowsBehind, 0);
    await slow.query('COMMIT');

    // Only the late commit is behind; the retained rows count for changedKeys since the validation.
    assert.equal((await capture.lag(quick.position)).rowsBehind, 1);
    assert.deepEqual(await allChangedKeys(quick.position), [[0]]);
    assert.equal((await allChangedKeys(validated)).length, RETAINED + 1);
    assert.equal((await capture.lag(validated)).rowsBehind, RETAINED + 3);

    // What autovacuum would have done by now on a changelog this size.
    await pool.query(`ANALYZE _cutover._cutover_changelog`);
    const plans = [
      ...(await plansOf((p) => lag(p, 'app', quick.position))),
      ...(await plansOf((p) => changedKeys(p, 'app', quick.position, { limit: 100 }))),
      ...(await plansOf((p) => trim(p, 'app', quick.position, { retainAfter: validated }))),
      ...(await plansOf((p) => trim(p, 'app', validated))),
    ];
    assert.equal(plans.length, 4);
    assert.deepEqual(
      plans.map((plan, i) => `${i + 1}: ${usesXidIndex(plan) ? 'xid index' : scans(plan)}`),
      plans.map((_, i) => `${i + 1}: xid index`),
    );

    // Trimmed without retaining: everything consumed goes, the late commit stays.
    assert.equal(await capture.trim(quick.position), RETAINED + 2);
    const late = await readRest(quick.position);
    assert.deepEqual(late.keys, [[0]]);
    assert.equal(await capture.trim(late.position), 1);
    assert.deepEqual(await capture.lag(late.position), { rowsBehind: 0, secondsBehind: 0 });
  } finally {
    await slow.end();
  }
});
