// The validator's worker threads (chunk-sides.ts, hashing-worker.ts), MariaDB -> PostgreSQL on real
// servers: with each side read and hashed in its own thread, the reports are those of the
// single-thread path, differing rows are found and named by key, an error in a thread is the
// validation's error, and no thread outlives a validation (success, error or cancellation).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { canonicalColumn, type CanonicalColumn } from '../../src/dataplane/validate/canonical';
import { openRangeReader, type ClosableRangeReader } from '../../src/dataplane/validate/readers';
import { validateTable, type ValidateTableOptions } from '../../src/dataplane/validate/validator';
import { createMysqlEngine } from '../../src/engines/mysql/engine';
import { mapColumn } from '../../src/engines/type-mapping';
import {
  createMysqlDatabase,
  createPostgresDatabase,
  execMysql,
  execPostgres,
  type TestDatabase,
} from '../helpers/databases';
import { insertRows } from '../helpers/validate-tables';

let my: TestDatabase;
let pgdb: TestDatabase;
let src: ClosableRangeReader;
let dst: ClosableRangeReader;
let columns: CanonicalColumn[];

const N = 230;
const COLUMNS = ['id', 'name', 'amount', 'ts', 'doc'];
const row = (i: number): unknown[] => [
  i,
  i % 9 === 0 ? 'Ünïcode 😀' : `name ${i}`,
  (i * 1.25).toFixed(2),
  `2024-02-${String((i % 28) + 1).padStart(2, '0')} 08:30:00.${String(i % 1000).padStart(6, '0')}`,
  i % 4 === 0 ? null : JSON.stringify({ i, tags: ['x'] }),
];

before(async () => {
  [my, pgdb] = await Promise.all([createMysqlDatabase('cutover_vwk'), createPostgresDatabase('cutover_vwk')]);
  await execMysql(my.url, [
    `CREATE TABLE items (id bigint PRIMARY KEY, name varchar(40), amount decimal(10,2),
      ts datetime(6), doc json)`,
  ]);
  await execPostgres(pgdb.url, [
    `CREATE TABLE items (id bigint PRIMARY KEY, name varchar(40), amount numeric(10,2),
      ts timestamp(6), doc jsonb)`,
  ]);
  const rows = Array.from({ length: N }, (_, i) => row(i + 1));
  await insertRows('mysql', my.url, 'items', COLUMNS, rows);
  await insertRows('postgres', pgdb.url, 'items', COLUMNS, rows);
  const engine = createMysqlEngine(my.url);
  const model = await engine.introspect();
  await engine.close();
  const table = model.tables.find((t) => t.name === 'items')!;
  columns = table.columns.map((c) => {
    const m = mapColumn('mysql', 'postgres', c);
    if (m.refused) throw new Error(m.reason);
    return canonicalColumn('mysql', 'postgres', c, m.targetType);
  });
  // openRangeReader's readers say how a worker thread opens them again (RangeReader.worker).
  src = openRangeReader('mysql', my.url);
  dst = openRangeReader('postgres', pgdb.url);
});

after(async () => {
  await Promise.allSettled([src?.close(), dst?.close()]);
  await Promise.allSettled([my?.drop(), pgdb?.drop()]);
});

function options(extra: Partial<ValidateTableOptions> = {}): ValidateTableOptions {
  return {
    source: { reader: src, table: { schema: my.name, table: 'items' } },
    target: { reader: dst, table: { schema: 'public', table: 'items' } },
    columns,
    key: ['id'],
    chunkRows: 25,
    recheckAttempts: 1,
    beforeRecheck: async () => undefined,
    ...extra,
  };
}

/** Worker threads show as MessagePort handles while they live. */
const threadHandles = (): number =>
  process.getActiveResourcesInfo().filter((r) => r === 'MessagePort').length;

test('in worker threads, identical data matches with the single-thread report', async () => {
  assert.ok(src.worker && dst.worker, 'openRangeReader offers a worker spec');
  const before = threadHandles();
  const threaded = await validateTable(options({ workers: true }));
  const auto = await validateTable(options());
  const single = await validateTable(options({ workers: false }));
  assert.equal(threaded.keyMode, 'range');
  assert.equal(threaded.status, 'match', JSON.stringify(threaded));
  assert.deepEqual(
    [threaded.sourceRows, threaded.targetRows, threaded.matching, threaded.chunks],
    [N, N, N, Math.ceil(N / 25)],
  );
  assert.deepEqual(threaded, single);
  assert.deepEqual(auto, single);
  assert.equal(threadHandles(), before, 'no worker thread outlives the validation');
});

test('in worker threads, a changed, a missing and an extra row are found and named by key', async () => {
  await execPostgres(pgdb.url, [
    `UPDATE items SET doc = '{"i": 17, "tags": ["y"]}' WHERE id = 17`,
    `DELETE FROM items WHERE id = 101`,
    `INSERT INTO items (id, name) VALUES (${N + 7}, 'extra')`,
  ]);
  try {
    const checkpoints: unknown[] = [];
    const r = await validateTable(options({ workers: true, onProgress: (c) => void checkpoints.push(c) }));
    assert.equal(r.status, 'mismatch');
    // MariaDB's bigint comes as text in wire form (as the single-thread path reports it).
    assert.deepEqual(r.samples, { mismatched: [['17']], missing: [['101']], extra: [[String(N + 7)]] });
    assert.deepEqual(
      [r.sourceRows, r.targetRows, r.matching, r.mismatched, r.missing, r.extra, r.chunksDiffering],
      [N, N, N - 2, 1, 1, 1, 3],
    );
    assert.equal(r.recheckedKeys, 3);
    const single = await validateTable(options({ workers: false }));
    assert.deepEqual(r, single);
    assert.equal(checkpoints.length, Math.ceil(N / 25));
  } finally {
    await execPostgres(pgdb.url, [`DELETE FROM items WHERE id IN (17, 101, ${N + 7})`]);
    await insertRows('postgres', pgdb.url, 'items', COLUMNS, [row(17), row(101)]);
  }
});

test("an error in a worker thread is the validation's error, and the threads end", async () => {
  const before = threadHandles();
  await assert.rejects(
    validateTable(
      options({ workers: true, target: { reader: dst, table: { schema: 'public', table: 'no_such' } } }),
    ),
    /no_such/,
  );
  assert.equal(threadHandles(), before);
});

test('a cancelled validation (onProgress throws) ends its worker threads', async () => {
  const before = threadHandles();
  let chunks = 0;
  await assert.rejects(
    validateTable(
      options({
        workers: true,
        onProgress: () => {
          if (++chunks === 3) throw new Error('cancelled');
        },
      }),
    ),
    /cancelled/,
  );
  assert.equal(chunks, 3);
  assert.equal(threadHandles(), before);
});
