// planMigration for PostgreSQL -> PostgreSQL on real servers: same types both ways, the sample copy
// runs COPY into a temporary table on the target, and an existing target table is flagged.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
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
  report = await withWorker(({ client, taskQueue }) =>
    client.workflow.execute('planMigration', {
      taskQueue,
      workflowId: `test-plan-pg-${source.name}`,
      args: [
        {
          name: 'pg-to-pg',
          source: { engine: 'postgres', connection: 'PGPLAN_SRC', schema: 'app' },
          target: { engine: 'postgres', connection: 'PGPLAN_DST', schema: 'app' },
          plan: { sampleRows: 1000, observeSeconds: 1, exactCounts: true },
        },
      ],
    }),
  );
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
  assert.equal(report.volume.find((v) => v.table === 'events')!.exactRows, 4000);
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
  assert.ok(report.live.source.writesPerSecond >= 0);
  assert.ok(
    report.volume.every((v) => v.writesPerSecond !== null),
    'per-table write rates on a PostgreSQL source',
  );
});
