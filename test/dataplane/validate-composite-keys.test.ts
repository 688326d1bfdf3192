// Key-set validation of composite keys whose columns change form between engines (MySQL TINYINT(1)
// <-> boolean, TIMESTAMP <-> timestamptz, DECIMAL, binary) with a text column under a
// case-insensitive collation, through the pipeline's validateTables on real servers, both ways.
// Target keys read back in the extras phase must be translated to the source's form before they
// are looked up there, or every target row is a false "extra". Equal data matches; one changed row
// is reported mismatched with its key; one extra target row is reported extra with its key.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  applySchema,
  copyTables,
  prepareSchema,
  validateTables,
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
import { insertRows } from '../helpers/validate-tables';

const N = 30;
const WORDS = ['alpha', 'Bravo', 'charlie', 'DELTA', 'echo', 'Foxtrot'];
const row = (i: number): unknown[] => [
  i % 2,
  `2024-03-${String((i % 9) + 1).padStart(2, '0')} 10:00:00.${String(i % 1000).padStart(3, '0')}`,
  ((i % 4) * 1.25).toFixed(2),
  WORDS[i % WORDS.length],
  Buffer.from([i % 3, 0xff]),
  Buffer.from(`0123456789abcdef${(i % 2).toString(16).padStart(16, '0')}`, 'hex'),
  i,
];
const COLUMNS = ['flag', 'ts', 'amt', 'name', 'bin', 'u', 'v'];
const uuid = (i: number): string => `00000000-0000-4000-8000-${String(i % 4).padStart(12, '0')}`;
const quiet = { recheckAttempts: 1, recheckDelayMs: 0, chunkRows: 7 };

describe('MySQL -> PostgreSQL, composite key with converted columns and a _ci text column', () => {
  let my: TestDatabase;
  let pgdb: TestDatabase;
  let job: PipelineJob;
  let prepared: PreparedSchema;

  before(async () => {
    [my, pgdb] = await Promise.all([
      createMysqlDatabase('cutover_vck'),
      createPostgresDatabase('cutover_vck'),
    ]);
    await execMysql(my.url, [
      `CREATE TABLE t (flag tinyint(1) NOT NULL, ts timestamp(3) NOT NULL DEFAULT '2000-01-01 00:00:00',
        amt decimal(10,2) NOT NULL, name varchar(20) COLLATE utf8mb4_general_ci NOT NULL,
        bin varbinary(4) NOT NULL, u binary(16) NOT NULL, v int,
        PRIMARY KEY (flag, ts, amt, name, bin, u))`,
    ]);
    await insertRows(
      'mysql',
      my.url,
      't',
      COLUMNS,
      Array.from({ length: N }, (_, i) => row(i)),
    );
    job = {
      source: { kind: 'mysql', url: my.url, schema: my.name },
      target: { kind: 'postgres', url: pgdb.url, schema: 'public' },
      tables: ['t'],
      overrides: { 't.flag': { type: 'boolean' }, 't.u': { type: 'uuid' } },
    };
    prepared = await prepareSchema(job);
    await applySchema(job, prepared.plan, 'tables');
    await copyTables(job, prepared);
  });

  after(async () => {
    await Promise.allSettled([my?.drop(), pgdb?.drop()]);
  });

  test('equal data matches in key-set mode', async () => {
    const [r] = await validateTables(job, prepared, quiet);
    assert.equal(r!.keyMode, 'key-set');
    assert.equal(r!.status, 'match', JSON.stringify(r));
    assert.deepEqual([r!.matching, r!.mismatched, r!.missing, r!.extra], [N, 0, 0, 0]);
    assert.equal(r!.targetRows, N);
  });

  test('one changed row is reported mismatched with its key, nothing else', async () => {
    await execPostgres(pgdb.url, [`UPDATE t SET v = -1 WHERE v = 7`]);
    try {
      const [r] = await validateTables(job, prepared, quiet);
      assert.equal(r!.status, 'mismatch');
      assert.deepEqual([r!.matching, r!.mismatched, r!.missing, r!.extra], [N - 1, 1, 0, 0]);
      assert.deepEqual(r!.samples.mismatched, [
        [
          1,
          '2024-03-08 10:00:00.007',
          '3.75',
          'Bravo',
          { $binary: Buffer.from([1, 0xff]).toString('base64') },
          { $binary: Buffer.from('0123456789abcdef0000000000000001', 'hex').toString('base64') },
        ],
      ]);
    } finally {
      await execPostgres(pgdb.url, [`UPDATE t SET v = 7 WHERE v = -1`]);
    }
  });

  test('one extra target row (a key only case apart from a source key) is reported extra', async () => {
    // 'ALPHA' equals 'alpha' under the source's _ci collation, but it is another key.
    await execPostgres(pgdb.url, [
      `INSERT INTO t (flag, ts, amt, name, bin, u, v)
        SELECT flag, ts, amt, 'ALPHA', bin, u, 999 FROM t WHERE v = 0`,
    ]);
    try {
      const [r] = await validateTables(job, prepared, quiet);
      assert.equal(r!.status, 'mismatch');
      assert.deepEqual([r!.matching, r!.mismatched, r!.missing, r!.extra], [N, 0, 0, 1]);
      assert.deepEqual(r!.samples.extra, [
        [
          false,
          '2024-03-01 10:00:00+00',
          '0.00',
          'ALPHA',
          { $binary: Buffer.from([0, 0xff]).toString('base64') },
          '01234567-89ab-cdef-0000-000000000000',
        ],
      ]);
    } finally {
      await execPostgres(pgdb.url, [`DELETE FROM t WHERE v = 999`]);
    }
  });
});

describe('PostgreSQL -> MySQL, composite key with converted columns and a _ci text column', () => {
  let my: TestDatabase;
  let pgdb: TestDatabase;
  let job: PipelineJob;
  let prepared: PreparedSchema;
  const PG_COLUMNS = ['flag', 'ts', 'amt', 'name', 'u', 'v'];
  const pgRow = (i: number): unknown[] => {
    const r = row(i);
    return [r[0] === 1, `${r[1] as string}+00`, r[2], r[3], uuid(i), i];
  };

  before(async () => {
    [pgdb, my] = await Promise.all([
      createPostgresDatabase('cutover_vck'),
      createMysqlDatabase('cutover_vck'),
    ]);
    await execPostgres(pgdb.url, [
      `CREATE TABLE t (flag boolean, ts timestamptz(3), amt numeric(10,2), name varchar(20), u uuid,
        v int, PRIMARY KEY (flag, ts, amt, name, u))`,
    ]);
    await insertRows(
      'postgres',
      pgdb.url,
      't',
      PG_COLUMNS,
      Array.from({ length: N }, (_, i) => pgRow(i)),
    );
    job = {
      source: { kind: 'postgres', url: pgdb.url, schema: 'public' },
      target: { kind: 'mysql', url: my.url, schema: my.name },
      tables: ['t'],
      overrides: {
        't.name': { type: 'varchar(20) character set utf8mb4 collate utf8mb4_general_ci' },
        't.u': { type: 'binary(16)' },
      },
    };
    prepared = await prepareSchema(job);
    await applySchema(job, prepared.plan, 'tables');
    await copyTables(job, prepared);
  });

  after(async () => {
    await Promise.allSettled([my?.drop(), pgdb?.drop()]);
  });

  test('equal data matches in key-set mode', async () => {
    const [r] = await validateTables(job, prepared, quiet);
    assert.equal(r!.keyMode, 'key-set');
    assert.equal(r!.status, 'match', JSON.stringify(r));
    assert.deepEqual([r!.matching, r!.mismatched, r!.missing, r!.extra], [N, 0, 0, 0]);
    assert.equal(r!.targetRows, N);
  });

  test('one changed row is reported mismatched with its key, nothing else', async () => {
    await execMysql(my.url, [`UPDATE t SET v = -1 WHERE v = 7`]);
    try {
      const [r] = await validateTables(job, prepared, quiet);
      assert.equal(r!.status, 'mismatch');
      assert.deepEqual([r!.matching, r!.mismatched, r!.missing, r!.extra], [N - 1, 1, 0, 0]);
      assert.deepEqual(r!.samples.mismatched, [
        [true, '2024-03-08 10:00:00.007+00', '3.75', 'Bravo', uuid(7)],
      ]);
    } finally {
      await execMysql(my.url, [`UPDATE t SET v = 7 WHERE v = -1`]);
    }
  });

  test('one extra target row is reported extra with its target key', async () => {
    await execMysql(my.url, [
      `INSERT INTO t (flag, ts, amt, name, u, v) SELECT flag, ts, amt, 'zulu', u, 999 FROM t WHERE v = 0`,
    ]);
    try {
      const [r] = await validateTables(job, prepared, quiet);
      assert.equal(r!.status, 'mismatch');
      assert.deepEqual([r!.matching, r!.mismatched, r!.missing, r!.extra], [N, 0, 0, 1]);
      assert.deepEqual(r!.samples.extra, [
        [
          0,
          '2024-03-01 10:00:00.000',
          '0.00',
          'zulu',
          { $binary: Buffer.from(uuid(0).replace(/-/g, ''), 'hex').toString('base64') },
        ],
      ]);
    } finally {
      await execMysql(my.url, [`DELETE FROM t WHERE v = 999`]);
    }
  });
});
