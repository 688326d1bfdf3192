// A write fence stops applications, not cutover's own change applier: a rollback after the cutover
// drains the target's changes into a source that is still fenced. On both engines a plain write is
// rejected with the fence's message while the applier's upsert and delete go through.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { openCutoverControl } from '../../src/dataplane/cutover/control';
import { fenceWrites, liftFence } from '../../src/dataplane/cutover/fence';
import { createPool as createMysqlPool, rowsOnPool as mysqlRows } from '../../src/engines/mysql/engine';
import {
  createPool as createPostgresPool,
  rowsOnPool as postgresRows,
} from '../../src/engines/postgres/engine';
import {
  createMysqlDatabase,
  createPostgresDatabase,
  execMysql,
  execPostgres,
  type TestDatabase,
} from '../helpers/databases';

const dbs: TestDatabase[] = [];
after(async () => {
  for (const d of dbs) await d.drop().catch(() => undefined);
});

test('PostgreSQL: the fence rejects an application write and lets the applier through', async () => {
  const db = await createPostgresDatabase('cutover_afence_pg');
  dbs.push(db);
  await execPostgres(db.url, [
    'CREATE TABLE t (id int PRIMARY KEY, v text)',
    "INSERT INTO t VALUES (1, 'a')",
  ]);
  const control = openCutoverControl('postgres', db.url);
  const pool = createPostgresPool(db.url);
  try {
    await fenceWrites(control, 'public', { migration: 'm1', mode: 'trigger', tables: ['t'] });
    const app = new pg.Client({ connectionString: db.url });
    await app.connect();
    await assert.rejects(app.query(`UPDATE t SET v = 'app'`), /fenced while migration "m1"/);
    await app.end();
    const rows = postgresRows(pool);
    await rows.upsertRows(
      'public',
      't',
      ['id', 'v'],
      ['id'],
      [
        [1, 'applied'],
        [2, 'new'],
      ],
    );
    await rows.deleteRows('public', 't', ['id'], [[2]]);
    await liftFence(control, 'public', 'm1');
  } finally {
    await pool.end();
    await control.close();
  }
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  assert.deepEqual((await c.query('SELECT id, v FROM t ORDER BY id')).rows, [{ id: 1, v: 'applied' }]);
  await c.end();
});

test('MySQL: the fence rejects an application write and lets the applier through', async () => {
  const db = await createMysqlDatabase('cutover_afence_my');
  dbs.push(db);
  await execMysql(db.url, [
    'CREATE TABLE t (id int PRIMARY KEY, v varchar(20))',
    "INSERT INTO t VALUES (1, 'a')",
  ]);
  const control = openCutoverControl('mysql', db.url);
  const pool = createMysqlPool(db.url);
  try {
    await fenceWrites(control, db.name, { migration: 'm1', mode: 'trigger', tables: ['t'] });
    const app = await mysql.createConnection(db.url);
    await assert.rejects(app.query(`UPDATE t SET v = 'app'`), /fenced while migration "m1"/);
    await app.end();
    const rows = mysqlRows(pool);
    await rows.upsertRows(
      db.name,
      't',
      ['id', 'v'],
      ['id'],
      [
        [1, 'applied'],
        [2, 'new'],
      ],
    );
    await rows.deleteRows(db.name, 't', ['id'], [[2]]);
    await liftFence(control, db.name, 'm1');
  } finally {
    await pool.end();
    await control.close();
  }
  const c = await mysql.createConnection(db.url);
  const [r] = await c.query('SELECT id, v FROM t ORDER BY id');
  assert.deepEqual(r, [{ id: 1, v: 'applied' }]);
  await c.end();
});
