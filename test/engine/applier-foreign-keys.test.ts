// The change applier's writes (upsertRows / deleteRows) on targets that enforce foreign keys: rows
// arrive in changelog order, not in the source's transaction order, and a row is replaced by key.
// A child before its parent, a parent replaced while it has children, and (MySQL) a parent with an
// ON DELETE CASCADE child replaced: every row must stay as written, none refused or cascaded away.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import mysql from 'mysql2/promise';
import pg from 'pg';
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

test('PostgreSQL target: a child before its parent and a parent replaced under its children are applied', async () => {
  const db = await createPostgresDatabase('cutover_fk_pg');
  dbs.push(db);
  await execPostgres(db.url, [
    'CREATE TABLE parent (id int PRIMARY KEY, name text)',
    'CREATE TABLE child (id int PRIMARY KEY, parent_id int NOT NULL REFERENCES parent (id), note text)',
    "INSERT INTO parent VALUES (1, 'one')",
    "INSERT INTO child VALUES (10, 1, 'ten')",
  ]);
  const pool = createPostgresPool(db.url);
  const rows = postgresRows(pool);
  try {
    await rows.upsertRows('public', 'child', ['id', 'parent_id', 'note'], ['id'], [[11, 2, 'eleven']]);
    await rows.upsertRows(
      'public',
      'parent',
      ['id', 'name'],
      ['id'],
      [
        [2, 'two'],
        [1, 'ONE'],
      ],
    );
    await rows.deleteRows('public', 'parent', ['id'], [[1]]);
    await rows.deleteRows('public', 'child', ['id'], [[10]]);
  } finally {
    await pool.end();
  }
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    assert.deepEqual((await c.query('SELECT id, name FROM parent ORDER BY id')).rows, [
      { id: 2, name: 'two' },
    ]);
    assert.deepEqual((await c.query('SELECT id, parent_id, note FROM child ORDER BY id')).rows, [
      { id: 11, parent_id: 2, note: 'eleven' },
    ]);
  } finally {
    await c.end();
  }
});

test('MySQL target: replacing a parent keeps its ON DELETE CASCADE children, and a child may come first', async () => {
  const db = await createMysqlDatabase('cutover_fk_my');
  dbs.push(db);
  await execMysql(db.url, [
    'CREATE TABLE parent (id int PRIMARY KEY, name varchar(20)) ENGINE=InnoDB',
    `CREATE TABLE child (id int PRIMARY KEY, parent_id int NOT NULL, note varchar(20),
       CONSTRAINT fk_child FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE CASCADE) ENGINE=InnoDB`,
    "INSERT INTO parent VALUES (1, 'one')",
    "INSERT INTO child VALUES (10, 1, 'ten')",
  ]);
  const pool = createMysqlPool(db.url);
  const rows = mysqlRows(pool);
  try {
    await rows.upsertRows(db.name, 'parent', ['id', 'name'], ['id'], [[1, 'ONE']]);
    await rows.upsertRows(db.name, 'child', ['id', 'parent_id', 'note'], ['id'], [[11, 2, 'eleven']]);
    await rows.upsertRows(db.name, 'parent', ['id', 'name'], ['id'], [[2, 'two']]);
  } finally {
    await pool.end();
  }
  const c = await mysql.createConnection(db.url);
  try {
    const [parents] = await c.query('SELECT id, name FROM parent ORDER BY id');
    assert.deepEqual(parents, [
      { id: 1, name: 'ONE' },
      { id: 2, name: 'two' },
    ]);
    const [children] = await c.query('SELECT id, parent_id, note FROM child ORDER BY id');
    assert.deepEqual(children, [
      { id: 10, parent_id: 1, note: 'ten' },
      { id: 11, parent_id: 2, note: 'eleven' },
    ]);
    const [[check]] = (await c.query('SELECT @@foreign_key_checks AS v')) as unknown as [{ v: number }[]];
    assert.equal(Number(check!.v), 1, 'a new session checks foreign keys as usual');
  } finally {
    await c.end();
  }
});
