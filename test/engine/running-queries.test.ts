// The copy's load metric (pt-osc --max-load) on real servers: the queries running right now, the
// asking one included, and at least two while another session runs a long query. Server-wide:
// other test files may add theirs, so only lower bounds are asserted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createMysqlEngine } from '../../src/engines/mysql/engine';
import { createPostgresEngine } from '../../src/engines/postgres/engine';
import {
  createMysqlDatabase,
  createPostgresDatabase,
  execPostgres,
  PG_ADMIN_URL,
  withCredentials,
} from '../helpers/databases';

async function whileRunning(start: () => Promise<unknown>, measure: () => Promise<number>): Promise<number> {
  const running = start();
  await new Promise((r) => setTimeout(r, 300));
  const n = await measure();
  await running;
  return n;
}

test('PostgreSQL: runningQueries counts active client sessions', async () => {
  const db = await createPostgresDatabase('cutover_load');
  const engine = createPostgresEngine(db.url);
  const other = new pg.Client({ connectionString: db.url });
  await other.connect();
  try {
    const idle = await engine.runningQueries();
    assert.ok(idle >= 1, `the asking query counts: ${idle}`);
    const busy = await whileRunning(
      () => other.query('SELECT pg_sleep(1.5)'),
      () => engine.runningQueries(),
    );
    assert.ok(busy >= 2, `the asking query and the long one (other tests may add more): ${busy}`);
  } finally {
    await other.end();
    await engine.close();
    await db.drop();
  }
});

test('PostgreSQL: a role without pg_read_all_stats still sees the other sessions at work', async () => {
  const db = await createPostgresDatabase('cutover_load');
  const role = `cutover_load_${process.pid}`;
  await execPostgres(db.url, [`CREATE ROLE ${role} LOGIN`]);
  const engine = createPostgresEngine(withCredentials(db.url, role, ''));
  const other = new pg.Client({ connectionString: db.url });
  await other.connect();
  try {
    const busy = await whileRunning(
      () => other.query('SELECT pg_sleep(1.5)'),
      () => engine.runningQueries(),
    );
    assert.ok(busy >= 2, `the asking query and the superuser's long one: ${busy}`);
  } finally {
    await other.end();
    await engine.close();
    await db.drop();
    await execPostgres(PG_ADMIN_URL, [`DROP ROLE IF EXISTS ${role}`]);
  }
});

test('MySQL: runningQueries reads Threads_running', async () => {
  const db = await createMysqlDatabase('cutover_load');
  const engine = createMysqlEngine(db.url);
  const other = await mysql.createConnection({ uri: db.url });
  try {
    const idle = await engine.runningQueries();
    assert.ok(idle >= 1, `the asking thread counts: ${idle}`);
    const busy = await whileRunning(
      () => other.query('SELECT SLEEP(1.5)'),
      () => engine.runningQueries(),
    );
    assert.ok(busy >= 2, `the asking query and the long one (other tests may add more): ${busy}`);
  } finally {
    await other.end();
    await engine.close();
    await db.drop();
  }
});
