// The validator across engines, MariaDB -> PostgreSQL on real servers: identical data matches; a
// changed, a missing and an extra row are reported exactly with their keys; a difference that is
// gone by the re-check is not reported; a resumed run validates only the rest. Integer keys use
// range mode; a _ci text key uses key-set mode.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { canonicalColumn, type CanonicalColumn } from '../../src/dataplane/validate/canonical';
import {
  validateTable,
  type ValidateTableOptions,
  type ValidationCheckpoint,
} from '../../src/dataplane/validate/validator';
import { createMysqlEngine } from '../../src/engines/mysql/engine';
import type { TableModel } from '../../src/engines/model';
import { mapColumn, refineMapping } from '../../src/engines/type-mapping';
import {
  createMysqlDatabase,
  createPostgresDatabase,
  execMysql,
  execPostgres,
  type TestDatabase,
} from '../helpers/databases';
import { insertRows, recordingReader, type RecordingReader } from '../helpers/validate-tables';

let my: TestDatabase;
let pgdb: TestDatabase;
let src: RecordingReader;
let dst: RecordingReader;
const canon: Record<string, CanonicalColumn[]> = {};

const N = 250;
const ITEM_COLUMNS = ['id', 'name', 'amount', 'flag', 'ts', 'doc', 'tm'];
const item = (i: number): unknown[] => [
  i,
  i % 7 === 0 ? 'Ünïcode 😀' : `name ${i}`,
  (i * 1.25).toFixed(2),
  i % 2,
  `2024-01-${String((i % 28) + 1).padStart(2, '0')} 10:00:00.${String(i % 1000).padStart(3, '0')}`,
  i % 5 === 0 ? null : JSON.stringify({ i, tags: ['a', 'b'], price: i / 4 }),
  `${i % 839}:00:00`,
];
/** What the same row looks like when written on PostgreSQL (boolean, JSON keys in another order). */
const pgItem = (i: number): unknown[] => {
  const r = item(i);
  r[3] = i % 2 === 1;
  r[5] = i % 5 === 0 ? null : JSON.stringify({ price: i / 4, tags: ['a', 'b'], i });
  return r;
};
const WORDS = ['apple', 'Banana', 'cherry', 'Date', 'eLDER', 'fig', 'Grape', 'honeydew', 'Iris', 'jackfruit'];

before(async () => {
  [my, pgdb] = await Promise.all([createMysqlDatabase('cutover_vmp'), createPostgresDatabase('cutover_vmp')]);
  await execMysql(my.url, [
    `CREATE TABLE items (id int PRIMARY KEY, name varchar(40), amount decimal(10,2), flag tinyint(1),
      ts timestamp(3) NULL DEFAULT NULL, doc json, tm time)`,
    `CREATE TABLE words (word varchar(20) COLLATE utf8mb4_general_ci PRIMARY KEY, n int)`,
  ]);
  await insertRows(
    'mysql',
    my.url,
    'items',
    ITEM_COLUMNS,
    Array.from({ length: N }, (_, i) => item(i + 1)),
  );
  await insertRows(
    'mysql',
    my.url,
    'words',
    ['word', 'n'],
    WORDS.map((w, i) => [w, i]),
  );
  // Target tables with the mapped types, the data written as PostgreSQL would hold it.
  const engine = createMysqlEngine(my.url);
  const model = await engine.introspect();
  await engine.close();
  const ddl: string[] = [];
  for (const name of ['items', 'words']) {
    const table = model.tables.find((t) => t.name === name) as TableModel;
    const mapped = table.columns.map((c) => {
      const m = mapColumn('mysql', 'postgres', c);
      if (m.refused) throw new Error(m.reason);
      const answers = (m.decideWithProbes ?? []).map((d) => ({
        column: c.name,
        kind: d.kind,
        offendingRows: 0,
      }));
      return { c, type: refineMapping(m, c, answers).mapping.targetType };
    });
    ddl.push(
      `CREATE TABLE ${name} (${mapped.map(({ c, type }) => `"${c.name}" ${type}`).join(', ')}, PRIMARY KEY (${table.primaryKey!.map((k) => `"${k}"`).join(', ')}))`,
    );
    canon[name] = mapped.map(({ c, type }) => canonicalColumn('mysql', 'postgres', c, type));
  }
  await execPostgres(pgdb.url, ddl);
  await insertRows(
    'postgres',
    pgdb.url,
    'items',
    ITEM_COLUMNS,
    Array.from({ length: N }, (_, i) => pgItem(i + 1)),
  );
  await insertRows(
    'postgres',
    pgdb.url,
    'words',
    ['word', 'n'],
    WORDS.map((w, i) => [w, i]),
  );
  src = recordingReader('mysql', my.url);
  dst = recordingReader('postgres', pgdb.url);
});

after(async () => {
  await Promise.allSettled([src?.close(), dst?.close()]);
  await Promise.allSettled([my?.drop(), pgdb?.drop()]);
});

function options(table: 'items' | 'words', extra: Partial<ValidateTableOptions> = {}): ValidateTableOptions {
  return {
    source: { reader: src, table: { schema: my.name, table } },
    target: { reader: dst, table: { schema: 'public', table } },
    columns: canon[table]!,
    key: [table === 'items' ? 'id' : 'word'],
    chunkRows: table === 'items' ? 40 : 3,
    recheckAttempts: 1,
    beforeRecheck: async () => undefined,
    ...extra,
  };
}

test('identical data across MariaDB and PostgreSQL: every row matches', async () => {
  const r = await validateTable(options('items'));
  assert.equal(r.keyMode, 'range');
  assert.equal(r.status, 'match', JSON.stringify(r));
  assert.deepEqual(
    [r.sourceRows, r.targetRows, r.matching, r.mismatched, r.missing, r.extra],
    [N, N, N, 0, 0, 0],
  );
  assert.equal(r.chunks, Math.ceil(N / 40) + (N % 40 === 0 ? 1 : 0));
  const w = await validateTable(options('words'));
  assert.equal(w.keyMode, 'key-set');
  assert.equal(w.status, 'match', JSON.stringify(w));
  assert.equal(w.matching, WORDS.length);
});

test('one changed, one missing and one extra row are reported with their keys', async () => {
  await execPostgres(pgdb.url, [
    `UPDATE items SET amount = amount + 0.01 WHERE id = 17`,
    `DELETE FROM items WHERE id = 100`,
    `INSERT INTO items (id, name) VALUES (${N + 50}, 'extra')`,
  ]);
  try {
    const r = await validateTable(options('items'));
    assert.equal(r.status, 'mismatch');
    assert.deepEqual(r.samples, { mismatched: [[17]], missing: [[100]], extra: [[N + 50]] });
    assert.deepEqual(
      [r.sourceRows, r.targetRows, r.matching, r.mismatched, r.missing, r.extra],
      [N, N, N - 2, 1, 1, 1],
    );
    assert.equal(r.recheckedKeys, 3);
    assert.equal(r.resolvedOnRecheck, 0);
    assert.deepEqual(JSON.parse(JSON.stringify(r)), r, 'the report is plain JSON');
  } finally {
    await execPostgres(pgdb.url, [
      `UPDATE items SET amount = amount - 0.01 WHERE id = 17`,
      `DELETE FROM items WHERE id = ${N + 50}`,
    ]);
    await insertRows('postgres', pgdb.url, 'items', ITEM_COLUMNS, [pgItem(100)]);
  }
});

test('text keys under a _ci collation: compared by key set, case counts', async () => {
  // 'BANANA' cannot sit next to 'Banana' on the MariaDB side (_ci), but it can on PostgreSQL.
  await execPostgres(pgdb.url, [
    `INSERT INTO words VALUES ('BANANA', 99)`,
    `UPDATE words SET n = 42 WHERE word = 'Date'`,
    `DELETE FROM words WHERE word = 'Iris'`,
  ]);
  try {
    const r = await validateTable(options('words'));
    assert.equal(r.keyMode, 'key-set');
    assert.deepEqual(r.samples, { mismatched: [['Date']], missing: [['Iris']], extra: [['BANANA']] });
    assert.deepEqual([r.matching, r.mismatched, r.missing, r.extra], [WORDS.length - 2, 1, 1, 1]);
  } finally {
    await execPostgres(pgdb.url, [
      `DELETE FROM words WHERE word = 'BANANA'`,
      `UPDATE words SET n = 3 WHERE word = 'Date'`,
      `INSERT INTO words VALUES ('Iris', 8)`,
    ]);
  }
});

test('a difference that is gone by the re-check is not reported', async () => {
  await execPostgres(pgdb.url, [
    `UPDATE items SET name = 'in flight' WHERE id = 5`,
    `DELETE FROM items WHERE id = 6`,
  ]);
  let calls = 0;
  const r = await validateTable(
    options('items', {
      // The change applier catching up: the target gets the source's rows back.
      beforeRecheck: async () => {
        calls++;
        await execPostgres(pgdb.url, [`UPDATE items SET name = 'name 5' WHERE id = 5`]);
        await insertRows('postgres', pgdb.url, 'items', ITEM_COLUMNS, [pgItem(6)]);
      },
    }),
  );
  assert.equal(calls, 1);
  assert.equal(r.status, 'match', JSON.stringify(r));
  assert.deepEqual([r.matching, r.mismatched, r.missing, r.extra], [N, 0, 0, 0]);
  assert.deepEqual([r.recheckedKeys, r.resolvedOnRecheck, r.chunksDiffering], [2, 2, 1]);
});

test('resuming from a checkpoint validates only the rest', async () => {
  const checkpoints: ValidationCheckpoint[] = [];
  await validateTable(options('items', { onProgress: (c) => void checkpoints.push(c) }));
  assert.equal(checkpoints.length, 7);
  const third = checkpoints[2]!;
  assert.deepEqual(third.after, [120]);
  assert.equal(third.totals.matching, 120);
  // Differences on both sides of the checkpoint: only the one after it can be seen by the rest.
  await execPostgres(pgdb.url, [
    `UPDATE items SET name = 'early' WHERE id = 10`,
    `UPDATE items SET name = 'late' WHERE id = 240`,
  ]);
  try {
    src.ranges.length = 0;
    const resumed = await validateTable(options('items', { checkpoint: JSON.parse(JSON.stringify(third)) }));
    assert.deepEqual(resumed.resumedAfter, [120]);
    assert.deepEqual(resumed.samples.mismatched, [[240]]);
    assert.deepEqual([resumed.sourceRows, resumed.matching, resumed.mismatched], [N, N - 1, 1]);
    assert.ok(
      src.ranges.every((g) => g.lower !== null && Number(g.lower[0]) >= 120),
      JSON.stringify(src.ranges),
    );
    assert.equal(
      src.ranges.reduce((n, g) => n + g.rows, 0),
      N - 120,
    );
  } finally {
    await execPostgres(pgdb.url, [
      `UPDATE items SET name = 'name 10' WHERE id = 10`,
      `UPDATE items SET name = 'name 240' WHERE id = 240`,
    ]);
  }
});
