// validateKeys on real servers (through the pipeline's validateTableKeys): only the listed source
// keys are compared, by key on both sides. MariaDB -> PostgreSQL with a composite key of converted
// columns (TINYINT(1) -> boolean, TIMESTAMP -> timestamptz, DECIMAL, varbinary, BINARY(16) -> uuid)
// and a text column under a _ci collation; PostgreSQL -> PostgreSQL with an integer key.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  applySchema,
  copyTables,
  prepareSchema,
  validateTableKeys,
  type PipelineJob,
  type PreparedSchema,
} from '../../src/dataplane/pipeline';
import type { Key } from '../../src/engines/key-range';
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
const uuidHex = (i: number): string => `0123456789abcdef${(i % 2).toString(16).padStart(16, '0')}`;
/** A source row; its first six values are the key in MariaDB's wire form. */
const row = (i: number): unknown[] => [
  i % 2,
  `2024-03-${String((i % 9) + 1).padStart(2, '0')} 10:00:00.${String(i % 1000).padStart(3, '0')}`,
  ((i % 4) * 1.25).toFixed(2),
  WORDS[i % WORDS.length],
  Buffer.from([i % 3, 0xff]),
  Buffer.from(uuidHex(i), 'hex'),
  i,
];
const keyOf = (i: number): Key => row(i).slice(0, 6) as Key;
const json = (k: Key): unknown =>
  JSON.parse(JSON.stringify(k.map((v) => (Buffer.isBuffer(v) ? { $binary: v.toString('base64') } : v))));
const quiet = { recheckAttempts: 1, recheckDelayMs: 0, chunkRows: 4 };

describe('validateKeys, MariaDB -> PostgreSQL, composite key with converted and _ci columns', () => {
  let my: TestDatabase;
  let pgdb: TestDatabase;
  let job: PipelineJob;
  let prepared: PreparedSchema;

  before(async () => {
    [my, pgdb] = await Promise.all([createMysqlDatabase('cutover_vk'), createPostgresDatabase('cutover_vk')]);
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
      ['flag', 'ts', 'amt', 'name', 'bin', 'u', 'v'],
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

  test('equal rows: every listed key matches, and only the listed keys are read', async () => {
    const keys = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(keyOf);
    const r = await validateTableKeys(job, prepared, 't', keys, quiet);
    assert.equal(r.status, 'match', JSON.stringify(r));
    assert.deepEqual(
      [r.keysChecked, r.matching, r.mismatched, r.missing, r.extra, r.absent],
      [10, 10, 0, 0, 0, 0],
    );
    assert.deepEqual([r.sourceRows, r.targetRows, r.chunks], [10, 10, 3]);
  });

  test('a changed, a missing, an extra and a deleted-everywhere key are each reported as such', async () => {
    // Differences on keys that are not listed (v = 20, 21) must not show up.
    await execPostgres(pgdb.url, [
      `UPDATE t SET v = -3 WHERE v = 3`,
      `UPDATE t SET v = -20 WHERE v = 20`,
      `DELETE FROM t WHERE v IN (4, 21)`,
    ]);
    await execMysql(my.url, [`DELETE FROM t WHERE v IN (5, 6)`]);
    await execPostgres(pgdb.url, [`DELETE FROM t WHERE v = 6`]);
    try {
      // An async source of keys, as the changed-keys activity streams them.
      async function* keys(): AsyncIterable<Key> {
        for (const i of [0, 1, 2, 3, 4, 5, 6, 7]) yield keyOf(i);
      }
      const r = await validateTableKeys(job, prepared, 't', keys(), quiet);
      assert.equal(r.status, 'mismatch');
      assert.deepEqual(
        [r.keysChecked, r.matching, r.mismatched, r.missing, r.extra, r.absent],
        [8, 4, 1, 1, 1, 1],
      );
      assert.deepEqual(r.samples.mismatched, [json(keyOf(3))]);
      assert.deepEqual(r.samples.missing, [json(keyOf(4))]);
      // The extra row's key in the target's form.
      assert.deepEqual(r.samples.extra, [
        [
          true,
          '2024-03-06 10:00:00.005+00',
          '1.25',
          'Foxtrot',
          { $binary: Buffer.from([2, 0xff]).toString('base64') },
          '01234567-89ab-cdef-0000-000000000001',
        ],
      ]);
      assert.equal(r.recheckedKeys, 3);
      assert.equal(r.resolvedOnRecheck, 0);
      assert.deepEqual(JSON.parse(JSON.stringify(r)), r, 'the report is plain JSON');
    } finally {
      await execPostgres(pgdb.url, [`TRUNCATE t`]);
      await execMysql(my.url, [`DELETE FROM t`]);
      await insertRows(
        'mysql',
        my.url,
        't',
        ['flag', 'ts', 'amt', 'name', 'bin', 'u', 'v'],
        Array.from({ length: N }, (_, i) => row(i)),
      );
      await copyTables(job, prepared);
    }
  });

  test('a key that differs only by case from a source row is not that row', async () => {
    // The source has 'alpha' (v = 0); the target also gets 'ALPHA'. Under _ci a read of 'ALPHA' on the
    // source returns the 'alpha' row: it must not be taken for the listed key.
    await execPostgres(pgdb.url, [
      `INSERT INTO t (flag, ts, amt, name, bin, u, v) SELECT flag, ts, amt, 'ALPHA', bin, u, 99 FROM t WHERE v = 0`,
    ]);
    try {
      const upper = keyOf(0);
      upper[3] = 'ALPHA';
      const r = await validateTableKeys(job, prepared, 't', [keyOf(0), upper], quiet);
      assert.deepEqual([r.keysChecked, r.matching, r.mismatched, r.missing, r.extra], [2, 1, 0, 0, 1]);
      assert.equal((r.samples.extra[0] as unknown[])[3], 'ALPHA');
      const only = await validateTableKeys(job, prepared, 't', [keyOf(0)], quiet);
      assert.equal(only.status, 'match', JSON.stringify(only));
    } finally {
      await execPostgres(pgdb.url, [`DELETE FROM t WHERE v = 99`]);
    }
  });

  test('a difference gone by the re-check is not reported', async () => {
    await execPostgres(pgdb.url, [`UPDATE t SET v = -8 WHERE v = 8`, `DELETE FROM t WHERE v = 9`]);
    let calls = 0;
    const r = await validateTableKeys(job, prepared, 't', [keyOf(8), keyOf(9), keyOf(10)], {
      ...quiet,
      beforeRecheck: async () => {
        calls++;
        await execPostgres(pgdb.url, [`UPDATE t SET v = 8 WHERE v = -8`]);
        await insertRows(
          'postgres',
          pgdb.url,
          't',
          ['flag', 'ts', 'amt', 'name', 'bin', 'u', 'v'],
          [
            [
              true,
              '2024-03-01 10:00:00.009+00',
              '1.25',
              'DELTA',
              Buffer.from([0, 0xff]),
              '01234567-89ab-cdef-0000-000000000001',
              9,
            ],
          ],
        );
      },
    });
    assert.equal(calls, 1);
    assert.equal(r.status, 'match', JSON.stringify(r));
    assert.deepEqual([r.matching, r.recheckedKeys, r.resolvedOnRecheck], [3, 2, 2]);
  });
});

describe('validateKeys, PostgreSQL -> PostgreSQL', () => {
  let a: TestDatabase;
  let b: TestDatabase;
  let job: PipelineJob;
  let prepared: PreparedSchema;

  before(async () => {
    [a, b] = await Promise.all([createPostgresDatabase('cutover_vk'), createPostgresDatabase('cutover_vk')]);
    await execPostgres(a.url, [
      `CREATE TABLE items (id bigint PRIMARY KEY, name text, price numeric(12,2), doc jsonb)`,
      `INSERT INTO items SELECT g, 'item ' || g, g * 1.5, jsonb_build_object('g', g) FROM generate_series(1, 500) g`,
    ]);
    job = {
      source: { kind: 'postgres', url: a.url, schema: 'public' },
      target: { kind: 'postgres', url: b.url, schema: 'public' },
      tables: ['items'],
    };
    prepared = await prepareSchema(job);
    await applySchema(job, prepared.plan, 'tables');
    await copyTables(job, prepared);
  });

  after(async () => {
    await Promise.allSettled([a?.drop(), b?.drop()]);
  });

  test('listed keys only: a change elsewhere is not seen, a listed one is', async () => {
    await execPostgres(b.url, [`UPDATE items SET price = 0 WHERE id IN (7, 300)`]);
    const keys = Array.from({ length: 100 }, (_, i) => [String(i + 1)] as Key);
    const r = await validateTableKeys(job, prepared, 'items', keys, { ...quiet, chunkRows: 1000 });
    assert.deepEqual([r.keysChecked, r.matching, r.mismatched, r.chunks], [100, 99, 1, 1]);
    assert.deepEqual(r.samples.mismatched, [['7']]);
  });
});
