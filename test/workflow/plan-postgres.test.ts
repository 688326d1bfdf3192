// planMigration for PostgreSQL -> PostgreSQL on real servers: same types both ways, the sample copy
// runs COPY into a temporary table on the target, and an existing target table is flagged.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import type { PlanReport } from '../../src/spec/plan-report';
import { createPostgresDatabase, execPostgres, type TestDatabase } from '../helpers/databases';
import { withWorker } from '../helpers/temporal';

let source: TestDatabase;
let target: TestDatabase;
let report: PlanReport;

before(async () => {
  source = await createPostgresDatabase('cutover_pgsrc');
  target = await createPostgresDatabase('cutover_pgdst');
  await execPostgres(source.url, [
    'CREATE SCHEMA app',
    "CREATE TYPE app.mood AS ENUM ('ok', 'meh')",
    'CREATE TABLE app.accounts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL UNIQUE, mood app.mood, tags text[], data jsonb, created timestamptz NOT NULL DEFAULT now())',
    'CREATE TABLE app.events (account_id bigint NOT NULL REFERENCES app.accounts(id), seq int NOT NULL, body bytea, PRIMARY KEY (account_id, seq))',
    "INSERT INTO app.accounts (email, mood, tags, data) SELECT 'u' || g || '@x.io', 'ok', ARRAY['a', 'b\tc'], jsonb_build_object('n', g) FROM generate_series(1, 2000) g",
    "INSERT INTO app.events SELECT 1 + g % 2000, g, decode('00ff', 'hex') FROM generate_series(1, 4000) g",
    'ANALYZE',
  ]);
  await execPostgres(target.url, ['CREATE SCHEMA app', 'CREATE TABLE app.events (x int)']);
  process.env.CUTOVER_DB_PGPLAN_SRC = source.url;
  process.env.CUTOVER_DB_PGPLAN_DST = target.url;
  // A steady writer on app.events while the planner watches, so its write rate is measured.
  const writer = new pg.Client({ connectionString: source.url });
  await writer.connect();
  let writing = true;
  const writes = (async () => {
    for (let seq = 10_000; writing; seq++) {
      await writer.query('INSERT INTO app.events (account_id, seq) VALUES (1, $1)', [seq]);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  report = await withWorker(({ client, taskQueue }) =>
    client.workflow.execute('planMigration', {
      taskQueue,
      workflowId: `test-plan-pg-${source.name}`,
      args: [
        {
          name: 'pg-to-pg',
          source: { engine: 'postgres', connection: 'PGPLAN_SRC', schema: 'app' },
          target: { engine: 'postgres', connection: 'PGPLAN_DST', schema: 'app' },
          plan: { sampleRows: 1000, observeSeconds: 3, exactCounts: true },
        },
      ],
    }),
  ).finally(async () => {
    writing = false;
    await writes;
    await writer.end();
  });
});

after(async () => {
  await source?.drop();
  await target?.drop();
});

test('PostgreSQL -> PostgreSQL keeps every type, losslessly both ways', () => {
  assert.deepEqual(
    report.tables.map((t) => t.table),
    ['accounts', 'events'],
  );
  for (const t of report.tables) {
    for (const c of t.columns) {
      assert.equal(c.lossy, false, `${t.table}.${c.column} lossy`);
      assert.equal(c.reverseLossless, true, `${t.table}.${c.column} reverse`);
    }
  }
  assert.ok(report.volume.find((v) => v.table === 'events')!.exactRows! >= 4000);
  assert.deepEqual(report.manualItems, []);
});

test('a table that already exists on the target is flagged', () => {
  const f = report.risks.find((r) => r.code === 'TARGET_TABLE_EXISTS');
  assert.ok(f);
  assert.equal(f.table, 'events');
});

test('the sample copy was measured with the mapped types', () => {
  assert.ok(report.sample);
  assert.ok(
    report.sample.tables.every((t) => t.typed),
    JSON.stringify(report.sample.notes),
  );
  assert.ok(report.sample.rows > 0);
  assert.ok(report.estimates.copySeconds !== null);
});

test('the write rate is measured per table while the planner watches', () => {
  const rate = (t: string) => report.volume.find((v) => v.table === t)!.writesPerSecond;
  assert.ok(rate('events')! > 10, `events: ${rate('events')} writes/s`);
  assert.equal(rate('accounts'), 0);
  assert.ok(report.live.source.writesPerSecond > 10);
  assert.ok(report.estimates.basis.some((b) => b.includes('writes/s on the selected tables')));
});
