// The README's first command: generate the sample MySQL shop (awkward data included), an empty
// PostgreSQL target, and plan the move through a Temporal workflow while a light write load runs
// on the source. Uses the embedded dev server unless TEMPORAL_ADDRESS is set; the worker runs in
// this process either way, because it holds the demo's connection URLs.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { runPlan } from '../src/cli/commands/plan';
import { renderPlanMarkdown } from '../src/cli/plan-markdown';
import { readSpecFile } from '../src/cli/spec-file';
import { writeFileSync, mkdirSync } from 'node:fs';
import { parseMigrationSpec } from '../src/spec/migration-spec';
import { createSampleShop } from './sample-shop';

const ROOT = join(__dirname, '..');
const MYSQL_ADMIN = process.env.CUTOVER_DEMO_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/';
const PG_ADMIN = process.env.CUTOVER_DEMO_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SOURCE_DB = 'cutover_sample';
const TARGET_DB = 'cutover_sample_target';

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

/** A steady trickle of writes on the source, so the plan measures a real write rate. */
function startWriteLoad(url: string): () => Promise<void> {
  let running = true;
  const done = (async () => {
    const conn = await mysql.createConnection({ uri: url });
    let i = 0;
    while (running) {
      await conn.query('INSERT INTO audit_log (logged_at, actor, message) VALUES (NOW(), ?, ?)', [
        'demo',
        `write ${i}`,
      ]);
      await conn.query('UPDATE customers SET loyalty_points = loyalty_points + 1 WHERE id = ?', [
        1 + (i % 1000) + 1,
      ]);
      i++;
      await new Promise((r) => setTimeout(r, 20));
    }
    await conn.end();
  })();
  return async () => {
    running = false;
    await done;
  };
}

async function main(): Promise<number> {
  if (spawnSync('bash', [join(ROOT, 'scripts', 'ensure-databases.sh')], { stdio: 'inherit' }).status !== 0)
    return 1;
  process.stderr.write(`demo: generating the sample MySQL database ${SOURCE_DB}\n`);
  await createSampleShop(MYSQL_ADMIN, SOURCE_DB);
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${TARGET_DB} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${TARGET_DB}`);
  await admin.end();

  process.env.CUTOVER_DB_SAMPLE_SRC ??= withDatabase(MYSQL_ADMIN, SOURCE_DB);
  process.env.CUTOVER_DB_SAMPLE_DST ??= withDatabase(PG_ADMIN, TARGET_DB);
  const parsed = parseMigrationSpec(readSpecFile(join(ROOT, 'examples', 'sample-mysql-to-postgres.json')));
  if (!parsed.ok) throw new Error('examples/sample-mysql-to-postgres.json is invalid');

  const stopLoad = startWriteLoad(process.env.CUTOVER_DB_SAMPLE_SRC);
  let result;
  try {
    result = await runPlan(parsed.spec, { inProcessWorker: 'always' });
  } finally {
    await stopLoad();
  }
  if (!result.ok) return 1;
  process.stdout.write(renderPlanMarkdown(result.report));
  mkdirSync(join(ROOT, '.cutover'), { recursive: true });
  const jsonPath = join(ROOT, '.cutover', 'sample-plan.json');
  writeFileSync(jsonPath, `${JSON.stringify(result.report, null, 2)}\n`);
  process.stderr.write(
    `demo: plan JSON in ${jsonPath}; workflow ${result.workflowId} is in the Temporal Web UI\n`,
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`demo: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
