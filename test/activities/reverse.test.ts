// Reverse replication for the rollback window, end to end on real databases with the activities in a
// MockActivityEnvironment: a forward move (schema, capture, copy, catch-up, post-load, finalize), the
// forward capture removed (no echo), prepareReverse, then the EXISTING installCapture and catchUp
// with their roles swapped; writes on the target (awkward values, NULLs, a key change, deletes,
// inserts that take the target's identity) come back to the source exactly; advanceSourceSequences
// then lets the source hand out ids again without a collision.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import mysql from 'mysql2/promise';
import pg from 'pg';
import {
  catchUp,
  installCapture,
  removeCapture,
  type CatchUpActivityResult,
} from '../../src/activities/capture';
import { copyTable, type CopyTableResult } from '../../src/activities/copy';
import {
  advanceSourceSequences,
  prepareReverse,
  type AdvanceSourceSequencesResult,
  type PrepareReverseResult,
} from '../../src/activities/reverse';
import { prepareTargetSchema, type PrepareTargetSchemaResult } from '../../src/activities/schema';
import type { EndpointRef, TableMove } from '../../src/activities/tables';
import { validateTables, type ValidateTablesResult } from '../../src/activities/validate';
import type { DdlPlan } from '../../src/engines/ddl-plan';
import type { SchemaModel } from '../../src/engines/model';
import { createMysqlEngine } from '../../src/engines/mysql/engine';
import { createPostgresEngine } from '../../src/engines/postgres/engine';
import {
  createMysqlDatabase,
  createPostgresDatabase,
  execMysql,
  execPostgres,
  type TestDatabase,
} from '../helpers/databases';

const run = async <R>(fn: (input: never) => Promise<R>, input: unknown): Promise<R> =>
  (await new MockActivityEnvironment().run(fn as (input: unknown) => Promise<R>, input)) as R;

async function pgQuery(url: string, sql: string): Promise<unknown[][]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query({ text: sql, rowMode: 'array' })).rows as unknown[][];
  } finally {
    await c.end();
  }
}

async function myQuery(url: string, sql: string): Promise<unknown[][]> {
  const c = await mysql.createConnection({
    uri: url,
    rowsAsArray: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
  });
  try {
    await c.query(`SET time_zone = '+00:00'`);
    const [rows] = await c.query(sql);
    return rows as unknown[][];
  } finally {
    await c.end();
  }
}

/** The forward move: tables phase, capture, copy, catch-up, post-load and finalize. */
async function forwardMove(
  source: EndpointRef,
  target: EndpointRef,
  model: SchemaModel,
  translate: Omit<NonNullable<Parameters<typeof prepareTargetSchema>[0]['translate']>, 'source'>,
): Promise<{ plan: DdlPlan; moves: TableMove[] }> {
  const r = await run<PrepareTargetSchemaResult>(prepareTargetSchema, {
    target,
    phase: 'tables',
    translate: { source: model, ...translate },
  });
  const plan = r.plan;
  const moves = plan.tables.map((t) => ({
    table: model.tables.find((m) => m.name === t.source)!,
    mapping: t,
  }));
  await run(installCapture, {
    source,
    tables: moves.map((m) => ({ table: m.table.name, key: m.table.primaryKey! })),
  });
  for (const m of moves) {
    const copied = await run<CopyTableResult>(copyTable, { source, target, ...m });
    assert.ok(copied.rows > 0);
  }
  const caught = await run<CatchUpActivityResult>(catchUp, {
    source,
    target,
    tables: moves,
    position: null,
    maxSeconds: 30,
  });
  assert.equal(caught.caughtUp, true);
  for (const phase of ['post-load', 'finalize'] as const)
    await run(prepareTargetSchema, { target, phase, plan, allowExisting: true });
  const v = await run<ValidateTablesResult>(validateTables, { source, target, tables: moves });
  assert.equal(v.status, 'match', JSON.stringify(v));
  return { plan, moves };
}

/** The switch: forward capture removed, reverse prepared and its capture installed on the target. */
async function startReverse(
  source: EndpointRef,
  target: EndpointRef,
  moves: TableMove[],
): Promise<PrepareReverseResult> {
  await run(removeCapture, { source });
  const reverse = await run<PrepareReverseResult>(prepareReverse, { source, target, tables: moves });
  await run(installCapture, { source: target, tables: reverse.capture });
  return reverse;
}

async function reverseCatchUp(source: EndpointRef, target: EndpointRef, reverse: PrepareReverseResult) {
  const r = await run<CatchUpActivityResult>(catchUp, {
    source: target,
    target: source,
    tables: reverse.tables,
    position: null,
    maxSeconds: 30,
  });
  assert.equal(r.caughtUp, true);
  return r;
}

/** validateTables on the reversed moves: the source (written back) equals the target. */
async function assertReverseMatch(source: EndpointRef, target: EndpointRef, reverse: PrepareReverseResult) {
  const v = await run<ValidateTablesResult>(validateTables, {
    source: target,
    target: source,
    tables: reverse.tables,
  });
  assert.equal(v.status, 'match', JSON.stringify(v.tables));
}

describe('reverse replication, MySQL -> PostgreSQL, written back to MySQL', () => {
  let my: TestDatabase;
  let pgdb: TestDatabase;
  let model: SchemaModel;
  let moves: TableMove[];
  let reverse: PrepareReverseResult;
  const source = { engine: 'mysql' as const, connection: 'REV_MY_SRC' };
  const target = { engine: 'postgres' as const, connection: 'REV_MY_DST', schema: 'public' };

  before(async () => {
    [my, pgdb] = await Promise.all([
      createMysqlDatabase('cutover_rev'),
      createPostgresDatabase('cutover_rev'),
    ]);
    process.env.CUTOVER_DB_REV_MY_SRC = my.url;
    process.env.CUTOVER_DB_REV_MY_DST = pgdb.url;
    await execMysql(my.url, [
      `CREATE TABLE things (
         id INT AUTO_INCREMENT PRIMARY KEY,
         flag TINYINT(1) NOT NULL,
         mood ENUM('happy','sad','so-so') NULL,
         tags SET('a','b','c') NULL,
         at DATETIME(6) NULL,
         amount DECIMAL(12,4) NULL,
         name VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
         data VARBINARY(32) NULL,
         doc JSON NULL,
         twice DECIMAL(14,4) AS (amount * 2) STORED
       )`,
      `INSERT INTO things (id, flag, mood, tags, at, amount, name, data, doc) VALUES
         (1, 1, 'happy', 'a,c', '2024-01-31 12:00:00.123456', 12.5, 'plain', X'00FF10', '{"b": [1, 2], "a": "x"}'),
         (2, 0, 'sad', '', '1999-12-31 23:59:59.999999', -0.0001, 'é🚀 four bytes', X'', '[]'),
         (3, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
         (4, 0, 'so-so', 'b', '2038-01-19 03:14:08.000001', 99999999.9999, 'to be deleted', X'DEADBEEF', '{"n": null}'),
         (5, 1, 'happy', 'a,b,c', '2000-02-29 00:00:00', 0, 'to be re-keyed', X'01', '"text"')`,
    ]);
    const engine = createMysqlEngine(my.url);
    try {
      model = await engine.introspect();
    } finally {
      await engine.close();
    }
    ({ moves } = await forwardMove(source, target, model, {
      overrides: { 'things.twice': { generatedExpression: 'amount * 2' } },
      probeResults: { things: [{ column: 'flag', kind: 'non-boolean', offendingRows: 0 }] },
    }));
  });

  after(async () => {
    delete process.env.CUTOVER_DB_REV_MY_SRC;
    delete process.env.CUTOVER_DB_REV_MY_DST;
    await Promise.all([my?.drop(), pgdb?.drop()]);
  });

  test('the forward move made flag a boolean and the generated column generated on PostgreSQL', async () => {
    const types = await pgQuery(
      pgdb.url,
      `SELECT column_name::text, data_type::text, is_generated::text FROM information_schema.columns
        WHERE table_name = 'things' AND column_name IN ('flag', 'twice') ORDER BY 1`,
    );
    assert.deepEqual(types, [
      ['flag', 'boolean', 'NEVER'],
      ['twice', 'numeric', 'ALWAYS'],
    ]);
  });

  test('prepareReverse maps every column back to its MySQL type; the generated column is left out', async () => {
    reverse = await startReverse(source, target, moves);
    const m = reverse.tables[0]!;
    assert.equal(m.table.name, 'things');
    assert.equal(m.mapping.source, 'things');
    assert.equal(m.mapping.target, 'things');
    assert.deepEqual(m.mapping.primaryKey, ['id']);
    assert.deepEqual(
      m.mapping.columns.map((c) => [c.source, c.target, c.targetType]),
      [
        ['id', 'id', 'int(11)'],
        ['flag', 'flag', 'tinyint(1)'],
        ['mood', 'mood', "enum('happy','sad','so-so')"],
        ['tags', 'tags', "set('a','b','c')"],
        ['at', 'at', 'datetime(6)'],
        ['amount', 'amount', 'decimal(12,4)'],
        ['name', 'name', 'varchar(100)'],
        ['data', 'data', 'varbinary(32)'],
        ['doc', 'doc', 'json'],
      ],
    );
    assert.deepEqual(reverse.capture, [{ table: 'things', key: ['id'] }]);
    assert.deepEqual(JSON.parse(JSON.stringify(reverse)), reverse, 'the result is JSON-safe');
  });

  test('the forward capture is gone from the source before the reverse applier writes to it', async () => {
    const objects = await myQuery(
      my.url,
      `SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE '\\_cutover\\_%'
       UNION ALL SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()`,
    );
    assert.deepEqual(objects, []);
  });

  test('writes on PostgreSQL come back to MySQL exactly: inserts, updates, a key change, deletes, NULLs', async () => {
    await execPostgres(pgdb.url, [
      `INSERT INTO things (flag, mood, tags, at, amount, name, data, doc) VALUES
         (true, 'sad', '{a,c}', '2030-06-01 01:02:03.000007', 1234.5678, '𝄞 clef', '\\x000102', '{"z": 1, "a": [true, null]}'),
         (false, NULL, '{}', '0001-01-01 00:00:00', NULL, '', NULL, NULL)`,
      `UPDATE things SET flag = false, mood = 'so-so', tags = '{b}', at = '2024-02-29 23:59:59.5', amount = -12.0001,
              name = 'edited 😀', data = '\\xffff', doc = '{"k": "v"}' WHERE id = 1`,
      `UPDATE things SET mood = NULL, tags = NULL, at = NULL, amount = NULL, name = NULL, data = NULL, doc = NULL WHERE id = 2`,
      `UPDATE things SET flag = true, mood = 'happy', tags = '{a,b}', at = '2024-05-05 05:05:05', amount = 3, name = 'was null',
              data = '\\x', doc = '[1, "two"]' WHERE id = 3`,
      `UPDATE things SET id = 500, name = 're-keyed' WHERE id = 5`,
      `DELETE FROM things WHERE id = 4`,
    ]);
    const r = await reverseCatchUp(source, target, reverse);
    assert.ok(r.changes >= 7, `changes ${r.changes}`);

    // An independent comparison: each side printed by its own server.
    const pgSide = await pgQuery(
      pgdb.url,
      `SELECT id, flag::int, mood::text, array_to_string(tags, ','), to_char(at, 'YYYY-MM-DD HH24:MI:SS.US'),
              amount::text, name, upper(encode(data, 'hex')), doc::text, twice::text FROM things ORDER BY id`,
    );
    const mySide = await myQuery(
      my.url,
      `SELECT id, flag, mood, tags, DATE_FORMAT(at, '%Y-%m-%d %H:%i:%s.%f'), amount, name, HEX(data), CONCAT(doc), twice
         FROM things ORDER BY id`,
    );
    // JSON compared parsed (MariaDB keeps the text that came back, jsonb printed it normalised).
    const norm = (rows: unknown[][]) =>
      rows.map((r) =>
        r.map((v, i) =>
          v === null
            ? null
            : i === 8
              ? JSON.parse(String(v))
              : i === 3
                ? String(v).split(',').sort().join(',')
                : String(v),
        ),
      );
    assert.equal(pgSide.length, 6);
    assert.deepEqual(norm(mySide), norm(pgSide));
    await assertReverseMatch(source, target, reverse);
    assert.deepEqual(
      mySide.map((r) => String(r[0])),
      ['1', '2', '3', '6', '7', '500'],
    );
    // The source's own generated column recomputed the value from the amount that came back.
    assert.deepEqual((await myQuery(my.url, `SELECT twice FROM things WHERE id = 1`)).flat().map(String), [
      '-24.0002',
    ]);
  });

  test('advanceSourceSequences: the next MySQL insert gets an id past every row the target handed out', async () => {
    // The target handed out ids up to 1001 during the window (the last ones deleted again): the
    // source must not reuse them. MySQL moved its own counter past the 500 that came back (501).
    await execPostgres(pgdb.url, [
      `SELECT setval(pg_get_serial_sequence('things', 'id'), 1000)`,
      `INSERT INTO things (flag, name) VALUES (true, 'short-lived')`,
      `DELETE FROM things WHERE name = 'short-lived'`,
    ]);
    await reverseCatchUp(source, target, reverse);
    await assertReverseMatch(source, target, reverse);
    const autoIncrement = async () =>
      (
        await myQuery(
          my.url,
          `SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'things'`,
        )
      )
        .flat()
        .map(String);
    assert.deepEqual(await autoIncrement(), ['501']);
    const r = await run<AdvanceSourceSequencesResult>(advanceSourceSequences, {
      source,
      target,
      tables: moves,
    });
    assert.deepEqual(r.sequences, [{ table: 'things', column: 'id', floor: '1002' }]);
    assert.deepEqual(await autoIncrement(), ['1002']);
    await run(removeCapture, { source: target });
    await execMysql(my.url, [`INSERT INTO things (flag, name) VALUES (0, 'after rollback')`]);
    assert.deepEqual(
      (await myQuery(my.url, `SELECT id FROM things WHERE name = 'after rollback'`)).flat().map(String),
      ['1002'],
    );
  });
});

describe('reverse replication, PostgreSQL -> PostgreSQL, written back', () => {
  let src: TestDatabase;
  let dst: TestDatabase;
  let model: SchemaModel;
  let moves: TableMove[];
  let reverse: PrepareReverseResult;
  const source = { engine: 'postgres' as const, connection: 'REV_PG_SRC', schema: 'public' };
  const target = { engine: 'postgres' as const, connection: 'REV_PG_DST', schema: 'public' };

  before(async () => {
    [src, dst] = await Promise.all([
      createPostgresDatabase('cutover_revs'),
      createPostgresDatabase('cutover_revd'),
    ]);
    process.env.CUTOVER_DB_REV_PG_SRC = src.url;
    process.env.CUTOVER_DB_REV_PG_DST = dst.url;
    await execPostgres(src.url, [
      `CREATE TYPE mood AS ENUM ('happy', 'sad')`,
      `CREATE TABLE accounts (
         id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
         email text NOT NULL,
         active boolean,
         mood mood,
         joined timestamptz,
         balance numeric(14,2),
         tags text[],
         payload jsonb,
         raw bytea,
         code varchar(10),
         upper_email text GENERATED ALWAYS AS (upper(email)) STORED
       )`,
      `INSERT INTO accounts (email, active, mood, joined, balance, tags, payload, raw, code)
         SELECT 'u' || g || '@example.com', g % 2 = 0, CASE WHEN g % 3 = 0 THEN 'sad' ELSE 'happy' END::mood,
                timestamptz '2024-01-01 00:00:00+00' + g * interval '1 hour 1.5 second', g * 1.25,
                ARRAY['t' || g, 'x y'], jsonb_build_object('g', g, 'nested', jsonb_build_array(g, 'é')),
                decode(lpad(to_hex(g), 8, '0'), 'hex'), 'c' || g
           FROM generate_series(1, 200) g`,
    ]);
    const engine = createPostgresEngine(src.url);
    try {
      model = await engine.introspect({ schema: 'public' });
    } finally {
      await engine.close();
    }
    ({ moves } = await forwardMove(source, target, model, {}));
  });

  after(async () => {
    delete process.env.CUTOVER_DB_REV_PG_SRC;
    delete process.env.CUTOVER_DB_REV_PG_DST;
    await Promise.all([src?.drop(), dst?.drop()]);
  });

  test('with the forward capture removed, the source has no changelog objects; writes come back exactly', async () => {
    reverse = await startReverse(source, target, moves);
    assert.deepEqual(
      await pgQuery(
        src.url,
        `SELECT nspname::text FROM pg_namespace WHERE nspname LIKE '\\_cutover%'
         UNION ALL SELECT tgname::text FROM pg_trigger WHERE NOT tgisinternal`,
      ),
      [],
    );
    assert.deepEqual(
      reverse.tables[0]!.mapping.columns.map((c) => c.source),
      ['id', 'email', 'active', 'mood', 'joined', 'balance', 'tags', 'payload', 'raw', 'code'],
    );
    await execPostgres(dst.url, [
      `INSERT INTO accounts (email, active, mood, joined, balance, tags, payload, raw, code) VALUES
         ('new@example.com', NULL, 'sad', '2031-03-03 03:03:03.030303+05', 0.01, '{"a,b","\\"q\\""}', '{"deep": {"x": [1.50, 2e3]}}', '\\x00', '🚀🚀'),
         ('second@example.com', true, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
      `UPDATE accounts SET email = 'changed@example.com', active = NULL, tags = '{}', payload = 'null', raw = '\\x' WHERE id = 7`,
      `UPDATE accounts SET id = 9000 WHERE id = 8`,
      `DELETE FROM accounts WHERE id IN (9, 10, 11)`,
    ]);
    await reverseCatchUp(source, target, reverse);
    const all = `SELECT id, email, active, mood::text, joined::text, balance::text, tags::text, payload::text,
                        encode(raw, 'hex'), code, upper_email FROM accounts ORDER BY id`;
    const [a, b] = await Promise.all([pgQuery(src.url, all), pgQuery(dst.url, all)]);
    assert.equal(b.length, 199);
    assert.deepEqual(a, b);
    await assertReverseMatch(source, target, reverse);
    assert.deepEqual((await pgQuery(src.url, `SELECT upper_email FROM accounts WHERE id = 7`)).flat(), [
      'CHANGED@EXAMPLE.COM',
    ]);
  });

  test('without advanceSourceSequences the next source insert collides; with it, it succeeds', async () => {
    const insert = `INSERT INTO accounts (email) VALUES ('after-rollback@example.com') RETURNING id`;
    // The source's sequence never saw the ids that came back: 201 came from the target.
    await assert.rejects(execPostgres(src.url, [insert]), /duplicate key/);
    const r = await run<AdvanceSourceSequencesResult>(advanceSourceSequences, {
      source,
      target,
      tables: moves,
    });
    assert.equal(r.sequences.length, 1);
    assert.equal(r.applied, 1);
    // Idempotent.
    await run(advanceSourceSequences, { source, target, tables: moves });
    const [[id]] = (await pgQuery(src.url, insert)) as [[string]];
    assert.equal(String(id), '9001');
  });

  test('prepareReverse refuses a target whose key differs, naming the table, non-retryably', async () => {
    await execPostgres(dst.url, [`CREATE TABLE other (id int PRIMARY KEY, code text)`]);
    const forged: TableMove = {
      ...moves[0]!,
      mapping: {
        ...moves[0]!.mapping,
        target: 'other',
        columns: [{ source: 'id', target: 'code', targetType: 'text', generated: false }],
      },
    };
    await assert.rejects(run(prepareReverse, { source, target, tables: [forged] }), (err: unknown) => {
      assert.ok(err instanceof ApplicationFailure, String(err));
      assert.equal(err.type, 'ReverseReplicationError');
      assert.equal(err.nonRetryable, true);
      assert.match(err.message, /accounts/);
      return true;
    });
  });
});

describe('reverse replication, PostgreSQL -> PostgreSQL, into a GENERATED ALWAYS identity', () => {
  let src: TestDatabase;
  let dst: TestDatabase;
  let moves: TableMove[];
  const source = { engine: 'postgres' as const, connection: 'REV_PGA_SRC', schema: 'public' };
  const target = { engine: 'postgres' as const, connection: 'REV_PGA_DST', schema: 'public' };

  before(async () => {
    [src, dst] = await Promise.all([
      createPostgresDatabase('cutover_reva'),
      createPostgresDatabase('cutover_reva'),
    ]);
    process.env.CUTOVER_DB_REV_PGA_SRC = src.url;
    process.env.CUTOVER_DB_REV_PGA_DST = dst.url;
    await execPostgres(src.url, [
      `CREATE TABLE tickets (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, title text)`,
      `INSERT INTO tickets (title) SELECT 'ticket ' || g FROM generate_series(1, 50) g`,
    ]);
    const engine = createPostgresEngine(src.url);
    try {
      ({ moves } = await forwardMove(source, target, await engine.introspect({ schema: 'public' }), {}));
    } finally {
      await engine.close();
    }
  });

  after(async () => {
    delete process.env.CUTOVER_DB_REV_PGA_SRC;
    delete process.env.CUTOVER_DB_REV_PGA_DST;
    await Promise.all([src?.drop(), dst?.drop()]);
  });

  test("the target's inserts, updates, new ids and deletes come back; the source hands out ids past them", async () => {
    const reverse = await startReverse(source, target, moves);
    await execPostgres(dst.url, [
      `INSERT INTO tickets (title) VALUES ('made on the target'), ('and another')`,
      `UPDATE tickets SET title = 'changed' WHERE id = 7`,
      `UPDATE tickets SET id = DEFAULT WHERE id = 8`,
      `DELETE FROM tickets WHERE id IN (9, 10)`,
    ]);
    await reverseCatchUp(source, target, reverse);
    const all = `SELECT id::text, title FROM tickets ORDER BY tickets.id`;
    const [a, b] = await Promise.all([pgQuery(src.url, all), pgQuery(dst.url, all)]);
    assert.equal(b.length, 50);
    assert.deepEqual(b.slice(-3), [
      ['51', 'made on the target'],
      ['52', 'and another'],
      ['53', 'ticket 8'],
    ]);
    assert.deepEqual(a, b);
    await assertReverseMatch(source, target, reverse);
    await run(advanceSourceSequences, { source, target, tables: moves });
    await run(removeCapture, { source: target });
    assert.deepEqual(
      await pgQuery(src.url, `INSERT INTO tickets (title) VALUES ('after rollback') RETURNING id::text`),
      [['54']],
    );
  });
});
