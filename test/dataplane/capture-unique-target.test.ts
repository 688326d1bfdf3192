// The change applier towards a MySQL target that has a secondary UNIQUE key (reverse replication
// into the old source, or a target whose post-load phase already ran): rows that swap a unique value
// and a row that takes the value of a row deleted in the same batch must all land as they are on the
// source, none merged into another and none dropped. `INSERT ... ON DUPLICATE KEY UPDATE` matched
// the first duplicate of any unique key and lost rows here.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type mysql from 'mysql2/promise';
import type pg from 'pg';
import { applyBatch, type ApplierOptions } from '../../src/dataplane/capture/applier';
import { mysqlRowsEngine, postgresRowsEngine } from '../../src/dataplane/copy/rows-engine';
import { FULL_RANGE } from '../../src/engines/key-range';
import { createPool as createMysqlPool } from '../../src/engines/mysql/engine';
import { triggerCapture } from '../../src/engines/postgres/capture';
import { createPool as createPgPool } from '../../src/engines/postgres/engine';
import {
  createMysqlDatabase,
  createPostgresDatabase,
  execMysql,
  execPostgres,
  type TestDatabase,
} from '../helpers/databases';

let source: TestDatabase;
let target: TestDatabase;
let pgPool: pg.Pool;
let myPool: mysql.Pool;

before(async () => {
  source = await createPostgresDatabase('cutover_uq_src');
  target = await createMysqlDatabase('cutover_uq_dst');
  await execPostgres(source.url, [
    'CREATE TABLE public.users (id int PRIMARY KEY, email text NOT NULL UNIQUE, name text)',
    `INSERT INTO public.users VALUES (1, 'a@x', 'one'), (2, 'b@x', 'two'), (3, 'c@x', 'three'), (4, 'd@x', 'four')`,
  ]);
  await execMysql(target.url, [
    'CREATE TABLE users (id int PRIMARY KEY, email varchar(100) NOT NULL, name text, UNIQUE KEY email (email))',
    `INSERT INTO users VALUES (1, 'a@x', 'one'), (2, 'b@x', 'two'), (3, 'c@x', 'three'), (4, 'd@x', 'four')`,
  ]);
  pgPool = createPgPool(source.url);
  myPool = createMysqlPool(target.url);
});

after(async () => {
  await pgPool?.end().catch(() => undefined);
  await myPool?.end().catch(() => undefined);
  await source?.drop().catch(() => undefined);
  await target?.drop().catch(() => undefined);
});

test('a MySQL target with a secondary UNIQUE key ends with exactly the source rows', async () => {
  const capture = triggerCapture(pgPool, 'public');
  await capture.install([{ table: 'users', key: ['id'] }]);
  // One transaction: 1 and 2 swap emails, 3 is deleted and 4 takes its email, 5 takes 4's old one.
  await execPostgres(source.url, [
    'BEGIN',
    `UPDATE public.users SET email = 'tmp' WHERE id = 1`,
    `UPDATE public.users SET email = 'a@x' WHERE id = 2`,
    `UPDATE public.users SET email = 'b@x' WHERE id = 1`,
    'DELETE FROM public.users WHERE id = 3',
    `UPDATE public.users SET email = 'c@x', name = 'four!' WHERE id = 4`,
    `INSERT INTO public.users VALUES (5, 'd@x', 'five')`,
    'COMMIT',
  ]);
  const columns = ['id', 'email', 'name'];
  const options: ApplierOptions = {
    capture,
    source: postgresRowsEngine(pgPool),
    target: mysqlRowsEngine(myPool),
    sourceSchema: 'public',
    targetSchema: target.name,
    tables: [{ table: 'users', columns, key: ['id'] }],
  };
  const r = await applyBatch(options, null);
  assert.equal(r.keys, 5);
  const got = await mysqlRowsEngine(myPool).readRange(target.name, 'users', columns, ['id'], FULL_RANGE, 100);
  assert.deepEqual(got, [
    [1, 'b@x', 'one'],
    [2, 'a@x', 'two'],
    [4, 'c@x', 'four!'],
    [5, 'd@x', 'five'],
  ]);
  await capture.remove();
});

test('upsertRows matches rows by primary key only, never by another unique key', async () => {
  const rows = mysqlRowsEngine(myPool);
  const columns = ['id', 'email', 'name'];
  await rows.replaceRange(target.name, 'users', columns, ['id'], FULL_RANGE, [
    [1, 'a@x', 'one'],
    [2, 'b@x', 'two'],
  ]);
  // Swapped emails in one upsert: each row keeps its own id.
  await rows.upsertRows(
    target.name,
    'users',
    columns,
    ['id'],
    [
      [1, 'b@x', 'one'],
      [2, 'a@x', 'two'],
    ],
  );
  assert.deepEqual(await rows.readRange(target.name, 'users', columns, ['id'], FULL_RANGE, 100), [
    [1, 'b@x', 'one'],
    [2, 'a@x', 'two'],
  ]);
  // A new row whose email another row (not in the upsert) still holds is refused, not merged into it.
  await assert.rejects(
    rows.upsertRows(target.name, 'users', columns, ['id'], [[3, 'a@x', 'three']]),
    /Duplicate entry/,
  );
  assert.deepEqual(await rows.readRange(target.name, 'users', columns, ['id'], FULL_RANGE, 100), [
    [1, 'b@x', 'one'],
    [2, 'a@x', 'two'],
  ]);
});

test('a unique value still held on the target by a row changed in a later batch: the applier reads ahead', async () => {
  const columns = ['id', 'email', 'name'];
  await execPostgres(source.url, [
    'CREATE TABLE public.people (id int PRIMARY KEY, email text NOT NULL UNIQUE, name text)',
    `INSERT INTO public.people VALUES (1, 'a@x', 'one'), (2, 'b@x', 'two')`,
  ]);
  await execMysql(target.url, [
    'CREATE TABLE people (id int PRIMARY KEY, email varchar(100) NOT NULL, name text, UNIQUE KEY email (email))',
    `INSERT INTO people VALUES (1, 'a@x', 'one'), (2, 'b@x', 'two')`,
  ]);
  const capture = triggerCapture(pgPool, 'public');
  await capture.install([{ table: 'people', key: ['id'] }]);
  const options: ApplierOptions = {
    capture,
    source: postgresRowsEngine(pgPool),
    target: mysqlRowsEngine(myPool),
    sourceSchema: 'public',
    targetSchema: target.name,
    tables: [{ table: 'people', columns, key: ['id'] }],
    batchSize: 1,
  };
  // Row 1 changes (batch 1); then row 2 gives up its email and row 1 takes it (later batches). When
  // batch 1 is applied, the source row 1 already holds b@x, which the target's row 2 still has.
  await execPostgres(source.url, [
    `UPDATE public.people SET name = 'one!' WHERE id = 1`,
    `UPDATE public.people SET email = 'z@x' WHERE id = 2`,
    `UPDATE public.people SET email = 'b@x' WHERE id = 1`,
  ]);
  const r = await applyBatch(options, null);
  assert.ok(r.changes > 1, 'read ahead past the first batch');
  const rows = mysqlRowsEngine(myPool);
  assert.deepEqual(await rows.readRange(target.name, 'people', columns, ['id'], FULL_RANGE, 100), [
    [1, 'b@x', 'one!'],
    [2, 'z@x', 'two'],
  ]);
  const rest = await applyBatch(options, r.position);
  assert.equal((await capture.lag(rest.position)).rowsBehind, 0);
  assert.deepEqual(await rows.readRange(target.name, 'people', columns, ['id'], FULL_RANGE, 100), [
    [1, 'b@x', 'one!'],
    [2, 'z@x', 'two'],
  ]);
  await capture.remove();
});

test('a conflict no change resolves fails naming the unique key, not the value, and trims nothing', async () => {
  const columns = ['id', 'email', 'name'];
  await execPostgres(source.url, [
    'CREATE TABLE public.accounts (id int PRIMARY KEY, email text NOT NULL, name text)',
  ]);
  await execMysql(target.url, [
    'CREATE TABLE accounts (id int PRIMARY KEY, email varchar(100) NOT NULL, name text, UNIQUE KEY uq_email (email))',
    // Written on the target by something else: no source change will ever move it.
    `INSERT INTO accounts VALUES (99, 'private@example.com', 'stray')`,
  ]);
  const capture = triggerCapture(pgPool, 'public');
  await capture.install([{ table: 'accounts', key: ['id'] }]);
  await execPostgres(source.url, [`INSERT INTO public.accounts VALUES (1, 'private@example.com', 'one')`]);
  const options: ApplierOptions = {
    capture,
    source: postgresRowsEngine(pgPool),
    target: mysqlRowsEngine(myPool),
    sourceSchema: 'public',
    targetSchema: target.name,
    tables: [{ table: 'accounts', columns, key: ['id'] }],
  };
  await assert.rejects(applyBatch(options, null), (err: Error) => {
    assert.match(err.message, /unique key "uq_email"/);
    assert.doesNotMatch(err.message, /private@example\.com/);
    return true;
  });
  assert.equal((await capture.lag(null)).rowsBehind, 1, 'nothing trimmed');
  await capture.remove();
});
