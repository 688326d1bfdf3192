// The finalize sets the target's counters past the source's counter as it is WHEN the finalize runs
// (the blue-green workflow runs it under the source's write fence), not as it was when the plan
// was made: ids the source handed out after planning and deleted again, or burned by a rolled-back
// insert, are never handed out a second time by the target. On a nearly empty queue or outbox
// table that is the difference between a new event and one a consumer drops as a duplicate.
// The schema is planned and the rows copied by the data plane; the finalize runs through the
// prepareTargetSchema activity with the source (as the workflow calls it at the cutover) and
// through the pipeline's applySchema.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { prepareTargetSchema } from '../../src/activities/schema';
import type { EndpointRef } from '../../src/activities/tables';
import {
  applySchema,
  copyTables,
  prepareSchema,
  type PipelineJob,
  type PreparedSchema,
} from '../../src/dataplane/pipeline';
import {
  createMysqlDatabase,
  createPostgresDatabase,
  execMysql,
  execPostgres,
  type TestDatabase,
} from '../helpers/databases';

const run = async (fn: (input: never) => Promise<unknown>, input: unknown): Promise<unknown> =>
  new MockActivityEnvironment().run(fn as (input: unknown) => Promise<unknown>, input);

/** Plans the schema, creates the target's tables and copies the rows (the counters planned now). */
async function planAndCopy(job: PipelineJob): Promise<PreparedSchema> {
  const prepared = await prepareSchema(job);
  await applySchema(job, prepared.plan, 'tables');
  await copyTables(job, prepared);
  await applySchema(job, prepared.plan, 'post-load');
  return prepared;
}

/** The finalize as the workflow runs it at the cutover, twice (a retried activity converges). */
async function finalizeAtCutover(source: EndpointRef, target: EndpointRef, prepared: PreparedSchema) {
  for (let i = 0; i < 2; i++)
    await run(prepareTargetSchema, { target, source, phase: 'finalize', plan: prepared.plan });
}

async function pgInsert(url: string, sql: string): Promise<string> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return String((await c.query<{ id: unknown }>(sql)).rows[0]!.id);
  } finally {
    await c.end();
  }
}

async function myInsert(url: string, sql: string): Promise<string> {
  const c = await mysql.createConnection({ uri: url, supportBigNumbers: true, bigNumberStrings: true });
  try {
    const [r] = await c.query<mysql.ResultSetHeader>(sql);
    return String(r.insertId);
  } finally {
    await c.end();
  }
}

describe('MariaDB -> PostgreSQL: the AUTO_INCREMENT counter read at the cutover', () => {
  let my: TestDatabase;
  let dst: TestDatabase;
  const source = { engine: 'mysql' as const, connection: 'SEQLIVE_MY_SRC' };
  const target = { engine: 'postgres' as const, connection: 'SEQLIVE_MY_DST', schema: 'public' };

  before(async () => {
    [my, dst] = await Promise.all([
      createMysqlDatabase('cutover_seqlive'),
      createPostgresDatabase('cutover_seqlive'),
    ]);
    process.env.CUTOVER_DB_SEQLIVE_MY_SRC = my.url;
    process.env.CUTOVER_DB_SEQLIVE_MY_DST = dst.url;
    await execMysql(my.url, [
      `CREATE TABLE outbox (id bigint AUTO_INCREMENT PRIMARY KEY, payload varchar(20))`,
      `INSERT INTO outbox (payload) VALUES ('a'), ('b'), ('c')`,
    ]);
  });

  after(async () => {
    delete process.env.CUTOVER_DB_SEQLIVE_MY_SRC;
    delete process.env.CUTOVER_DB_SEQLIVE_MY_DST;
    await Promise.allSettled([my?.drop(), dst?.drop()]);
  });

  test('the target hands out ids past every id the source handed out after planning', async () => {
    const prepared = await planAndCopy({
      source: { kind: 'mysql', url: my.url, schema: my.name },
      target: { kind: 'postgres', url: dst.url, schema: 'public' },
      tables: ['outbox'],
    });
    // After the plan: the queue is consumed (ids 4..10 handed out, then deleted with the copied
    // ones) and an insert rolled back burns id 11. The source's next id is 12; the table is empty.
    await execMysql(my.url, [
      `INSERT INTO outbox (payload) VALUES ('d'), ('e'), ('f'), ('g'), ('h'), ('i'), ('j')`,
      `DELETE FROM outbox`,
      `BEGIN`,
      `INSERT INTO outbox (payload) VALUES ('rolled back')`,
      `ROLLBACK`,
    ]);
    await execPostgres(dst.url, [`DELETE FROM outbox`]);
    await finalizeAtCutover(source, target, prepared);
    assert.equal(await pgInsert(dst.url, `INSERT INTO outbox (payload) VALUES ('new') RETURNING id`), '12');
  });
});

describe('PostgreSQL -> PostgreSQL: identity and serial sequences read at the cutover', () => {
  let src: TestDatabase;
  let dst: TestDatabase;
  const source = { engine: 'postgres' as const, connection: 'SEQLIVE_PG_SRC', schema: 'public' };
  const target = { engine: 'postgres' as const, connection: 'SEQLIVE_PG_DST', schema: 'public' };
  let job: PipelineJob;

  before(async () => {
    [src, dst] = await Promise.all([
      createPostgresDatabase('cutover_seqlive'),
      createPostgresDatabase('cutover_seqlive'),
    ]);
    process.env.CUTOVER_DB_SEQLIVE_PG_SRC = src.url;
    process.env.CUTOVER_DB_SEQLIVE_PG_DST = dst.url;
    job = {
      source: { kind: 'postgres', url: src.url, schema: 'public' },
      target: { kind: 'postgres', url: dst.url, schema: 'public' },
      tables: ['events', 'jobs'],
    };
    await execPostgres(src.url, [
      `CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payload text)`,
      `INSERT INTO events (payload) VALUES ('a'), ('b'), ('c')`,
      `CREATE TABLE jobs (id serial PRIMARY KEY, payload text)`,
      `INSERT INTO jobs (payload) VALUES ('a'), ('b')`,
    ]);
  });

  after(async () => {
    delete process.env.CUTOVER_DB_SEQLIVE_PG_SRC;
    delete process.env.CUTOVER_DB_SEQLIVE_PG_DST;
    await Promise.allSettled([src?.drop(), dst?.drop()]);
  });

  /** After the plan: events hands out 4..9 and a rolled-back insert burns 10; jobs jumps to 100. */
  const advanceSource = () =>
    execPostgres(src.url, [
      `INSERT INTO events (payload) SELECT 'later' FROM generate_series(1, 6)`,
      `DELETE FROM events WHERE payload = 'later'`,
      `BEGIN`,
      `INSERT INTO events (payload) VALUES ('rolled back')`,
      `ROLLBACK`,
      `SELECT setval(pg_get_serial_sequence('jobs', 'id'), 100)`,
    ]);

  test('the prepareTargetSchema finalize with the source: ids past the source counters', async () => {
    const prepared = await planAndCopy(job);
    await advanceSource();
    await finalizeAtCutover(source, target, prepared);
    assert.equal(await pgInsert(dst.url, `INSERT INTO events (payload) VALUES ('new') RETURNING id`), '11');
    assert.equal(await pgInsert(dst.url, `INSERT INTO jobs (payload) VALUES ('new') RETURNING id`), '101');
  });

  test("the pipeline's finalize (applySchema) reads the source's counters too", async () => {
    await execPostgres(dst.url, [`DROP TABLE events, jobs`]);
    await execPostgres(src.url, [`TRUNCATE events, jobs RESTART IDENTITY`]);
    await execPostgres(src.url, [
      `INSERT INTO events (payload) VALUES ('a'), ('b'), ('c')`,
      `INSERT INTO jobs (payload) VALUES ('a'), ('b')`,
    ]);
    const prepared = await planAndCopy(job);
    await advanceSource();
    await applySchema(job, prepared.plan, 'finalize');
    assert.equal(await pgInsert(dst.url, `INSERT INTO events (payload) VALUES ('new') RETURNING id`), '11');
    assert.equal(await pgInsert(dst.url, `INSERT INTO jobs (payload) VALUES ('new') RETURNING id`), '101');
  });
});

describe('PostgreSQL -> MariaDB: the target AUTO_INCREMENT past the identity read at the cutover', () => {
  let src: TestDatabase;
  let my: TestDatabase;
  const source = { engine: 'postgres' as const, connection: 'SEQLIVE_PGMY_SRC', schema: 'public' };
  const target = { engine: 'mysql' as const, connection: 'SEQLIVE_PGMY_DST' };

  before(async () => {
    [src, my] = await Promise.all([
      createPostgresDatabase('cutover_seqlive'),
      createMysqlDatabase('cutover_seqlive'),
    ]);
    process.env.CUTOVER_DB_SEQLIVE_PGMY_SRC = src.url;
    process.env.CUTOVER_DB_SEQLIVE_PGMY_DST = my.url;
    await execPostgres(src.url, [
      `CREATE TABLE outbox (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, payload text)`,
      `INSERT INTO outbox (payload) VALUES ('a'), ('b'), ('c')`,
    ]);
  });

  after(async () => {
    delete process.env.CUTOVER_DB_SEQLIVE_PGMY_SRC;
    delete process.env.CUTOVER_DB_SEQLIVE_PGMY_DST;
    await Promise.allSettled([src?.drop(), my?.drop()]);
  });

  test('the target hands out ids past every id the source handed out after planning', async () => {
    const prepared = await planAndCopy({
      source: { kind: 'postgres', url: src.url, schema: 'public' },
      target: { kind: 'mysql', url: my.url, schema: my.name },
      tables: ['outbox'],
    });
    await execPostgres(src.url, [
      `INSERT INTO outbox (payload) SELECT 'later' FROM generate_series(1, 17)`,
      `DELETE FROM outbox`,
    ]);
    await execMysql(my.url, [`DELETE FROM outbox`]);
    await finalizeAtCutover(source, { ...target, schema: my.name }, prepared);
    assert.equal(await myInsert(my.url, `INSERT INTO outbox (payload) VALUES ('new')`), '21');
  });
});
