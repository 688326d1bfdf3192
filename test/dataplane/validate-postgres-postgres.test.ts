// The validator between two PostgreSQL databases on a real server: identical data matches (range
// mode for bigint and composite int+bytea keys, key-set mode for a text key whose collation orders
// differently on the target); changed, missing and extra rows are reported exactly; a difference
// gone by the re-check is not reported; a key-set run resumed from a checkpoint validates the rest.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { canonicalColumns, type CanonicalColumn } from '../../src/dataplane/validate/canonical';
import {
  validateTable,
  type ValidateTableOptions,
  type ValidationCheckpoint,
} from '../../src/dataplane/validate/validator';
import type { SchemaModel } from '../../src/engines/model';
import { createPostgresEngine } from '../../src/engines/postgres/engine';
import { createPostgresDatabase, execPostgres, type TestDatabase } from '../helpers/databases';
import { insertRows, recordingReader, type RecordingReader } from '../helpers/validate-tables';

let a: TestDatabase;
let b: TestDatabase;
let src: RecordingReader;
let dst: RecordingReader;
const canon: Record<string, CanonicalColumn[]> = {};
const KEYS: Record<string, string[]> = { orders: ['id'], labels: ['code'], pairs: ['a', 'b'] };

const N = 300;
const ORDER_COLUMNS = ['id', 'region', 'total', 'tags', 'at', 'data', 'uid', 'raw'];
const order = (i: number): unknown[] => [
  String(1_000_000_000_000 + i),
  ['north', 'south', 'Øst', ''][i % 4],
  (i * 3.5).toFixed(2),
  i % 3 ? `{a,"b c",${i}}` : null,
  `2024-03-${String((i % 28) + 1).padStart(2, '0')} 12:34:56.${String(i).padStart(6, '0')}+00`,
  JSON.stringify({ i, nested: { z: [1, 2, { y: null }] }, s: 'é' }),
  `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  Buffer.from([i % 256, 0, 255]),
];
const LABELS = [
  'a',
  'B',
  'c',
  'D',
  'e',
  'F',
  'g',
  'H',
  'i',
  'J',
  'ä',
  'Z',
  'z',
  '_x',
  '1',
  'a b',
  'a-b',
  'ab',
];

const DDL = (collation: string): string[] => [
  `CREATE TABLE orders (id bigint PRIMARY KEY, region text, total numeric(12,2), tags text[],
     at timestamptz(6), data jsonb, uid uuid, raw bytea)`,
  `CREATE TABLE labels (code text COLLATE "${collation}" PRIMARY KEY, v int)`,
  `CREATE TABLE pairs (a int, b bytea, v text, PRIMARY KEY (a, b))`,
];

before(async () => {
  [a, b] = await Promise.all([createPostgresDatabase('cutover_vpp'), createPostgresDatabase('cutover_vpp')]);
  await execPostgres(a.url, DDL('C'));
  await execPostgres(b.url, DDL('und-x-icu'));
  for (const db of [a, b]) {
    await insertRows(
      'postgres',
      db.url,
      'orders',
      ORDER_COLUMNS,
      Array.from({ length: N }, (_, i) => order(i + 1)),
    );
    await insertRows(
      'postgres',
      db.url,
      'labels',
      ['code', 'v'],
      LABELS.map((l, i) => [l, i]),
    );
    await insertRows(
      'postgres',
      db.url,
      'pairs',
      ['a', 'b', 'v'],
      Array.from({ length: 60 }, (_, i) => [i % 6, Buffer.from([i, 255 - i]), `v${i}`]),
    );
  }
  const models: SchemaModel[] = [];
  for (const db of [a, b]) {
    const e = createPostgresEngine(db.url);
    models.push(await e.introspect({ schema: 'public' }));
    await e.close();
  }
  for (const name of Object.keys(KEYS)) {
    const s = models[0]!.tables.find((t) => t.name === name)!;
    const t = models[1]!.tables.find((x) => x.name === name)!;
    canon[name] = canonicalColumns('postgres', 'postgres', s, t);
  }
  src = recordingReader('postgres', a.url);
  dst = recordingReader('postgres', b.url);
});

after(async () => {
  await Promise.allSettled([src?.close(), dst?.close()]);
  await Promise.allSettled([a?.drop(), b?.drop()]);
});

function options(table: string, extra: Partial<ValidateTableOptions> = {}): ValidateTableOptions {
  return {
    source: { reader: src, table: { schema: 'public', table } },
    target: { reader: dst, table: { schema: 'public', table } },
    columns: canon[table]!,
    key: KEYS[table]!,
    chunkRows: table === 'labels' ? 4 : 50,
    beforeRecheck: async () => undefined,
    ...extra,
  };
}

test('the text key orders differently on the two sides (so ranges would not line up)', async () => {
  const first = async (r: RecordingReader): Promise<unknown[][]> =>
    r.readRange({ schema: 'public', table: 'labels' }, ['code'], ['code'], { lower: null, upper: null }, 4);
  assert.notDeepEqual(await first(src), await first(dst));
});

test('identical data: every row of every table matches', async () => {
  for (const [table, mode, rows] of [
    ['orders', 'range', N],
    ['labels', 'key-set', LABELS.length],
    ['pairs', 'range', 60],
  ] as const) {
    const r = await validateTable(options(table));
    assert.equal(r.keyMode, mode, table);
    assert.equal(r.status, 'match', `${table}: ${JSON.stringify(r)}`);
    assert.deepEqual([r.sourceRows, r.targetRows, r.matching], [rows, rows, rows], table);
  }
});

test('changed, missing and extra rows are reported exactly, in each key mode', async () => {
  await execPostgres(b.url, [
    `UPDATE orders SET data = data || '{"i": 0}' WHERE id = 1000000000042`,
    `DELETE FROM orders WHERE id = 1000000000001`,
    `INSERT INTO orders (id) VALUES (999)`,
    `UPDATE labels SET v = -1 WHERE code = 'ä'`,
    `DELETE FROM labels WHERE code = 'B'`,
    `INSERT INTO labels VALUES ('b', 100)`,
    `UPDATE pairs SET v = 'changed' WHERE a = 3 AND b = '\\x03fc'`,
    `DELETE FROM pairs WHERE a = 5 AND b = '\\x3bc4'`,
    `INSERT INTO pairs VALUES (2, '\\x00', 'extra')`,
  ]);
  const o = await validateTable(options('orders'));
  assert.deepEqual(o.samples, {
    mismatched: [['1000000000042']],
    missing: [['1000000000001']],
    extra: [['999']],
  });
  assert.deepEqual([o.matching, o.mismatched, o.missing, o.extra], [N - 2, 1, 1, 1]);
  const l = await validateTable(options('labels'));
  assert.deepEqual(l.samples, { mismatched: [['ä']], missing: [['B']], extra: [['b']] });
  assert.deepEqual([l.matching, l.mismatched, l.missing, l.extra], [LABELS.length - 2, 1, 1, 1]);
  const p = await validateTable(options('pairs'));
  assert.deepEqual(p.samples, {
    mismatched: [[3, { $binary: Buffer.from([3, 252]).toString('base64') }]],
    missing: [[5, { $binary: Buffer.from([59, 196]).toString('base64') }]],
    extra: [[2, { $binary: Buffer.from([0]).toString('base64') }]],
  });
  // Put the target back as it was.
  await execPostgres(b.url, [
    `UPDATE orders SET data = data || '{"i": 42}' WHERE id = 1000000000042`,
    `DELETE FROM orders WHERE id = 999`,
    `UPDATE labels SET v = 10 WHERE code = 'ä'`,
    `INSERT INTO labels VALUES ('B', 1)`,
    `DELETE FROM labels WHERE code = 'b'`,
    `UPDATE pairs SET v = 'v3' WHERE a = 3 AND b = '\\x03fc'`,
    `INSERT INTO pairs VALUES (5, '\\x3bc4', 'v59')`,
    `DELETE FROM pairs WHERE a = 2 AND b = '\\x00'`,
  ]);
  await insertRows('postgres', b.url, 'orders', ORDER_COLUMNS, [order(1)]);
  for (const t of Object.keys(KEYS)) assert.equal((await validateTable(options(t))).status, 'match', t);
});

test('a difference gone by the re-check is not reported; one that stays is, after every attempt', async () => {
  await execPostgres(b.url, [
    `INSERT INTO labels VALUES ('late', 1)`,
    `UPDATE orders SET region = 'x' WHERE id = 1000000000007`,
  ]);
  const attempts: number[] = [];
  const r = await validateTable(
    options('labels', {
      recheckAttempts: 2,
      beforeRecheck: async (n) => {
        attempts.push(n);
        await execPostgres(b.url, [`DELETE FROM labels WHERE code = 'late'`]);
      },
    }),
  );
  assert.equal(r.status, 'match', JSON.stringify(r));
  assert.deepEqual(attempts, [1]);
  assert.deepEqual([r.recheckedKeys, r.resolvedOnRecheck], [1, 1]);
  attempts.length = 0;
  const o = await validateTable(
    options('orders', { recheckAttempts: 3, beforeRecheck: async (n) => void attempts.push(n) }),
  );
  assert.deepEqual(attempts, [1, 2, 3]);
  assert.deepEqual(o.samples.mismatched, [['1000000000007']]);
  await execPostgres(b.url, [`UPDATE orders SET region = 'south' WHERE id = 1000000000007`]);
});

test('key-set mode resumed from a checkpoint validates only the rest', async () => {
  const checkpoints: ValidationCheckpoint[] = [];
  await validateTable(options('labels', { onProgress: (c) => void checkpoints.push(c) }));
  const phases = checkpoints.map((c) => c.phase);
  assert.ok(phases.includes('extras') && phases.at(-1) === 'done', phases.join());
  const mid = checkpoints[1]!; // after 8 source keys in the source's (C) order: 1 B D F H J Z _x
  assert.equal(mid.phase, 'rows');
  assert.deepEqual(mid.after, ['_x']);
  // 'B' comes before the checkpoint in C order, 'z' after it.
  await execPostgres(b.url, [`UPDATE labels SET v = -1 WHERE code IN ('B', 'z')`]);
  try {
    src.ranges.length = 0;
    const r = await validateTable(options('labels', { checkpoint: mid }));
    assert.deepEqual(r.samples.mismatched, [['z']]);
    assert.equal(r.sourceRows, LABELS.length);
    assert.ok(
      src.ranges.every((g) => g.lower !== null && String(g.lower[0]) >= '_x'),
      JSON.stringify(src.ranges),
    );
    // The extras phase starts over on the target (it had not begun at the checkpoint).
    assert.equal(r.targetRows, LABELS.length);
  } finally {
    await execPostgres(b.url, [
      `UPDATE labels SET v = 1 WHERE code = 'B'`,
      `UPDATE labels SET v = 12 WHERE code = 'z'`,
    ]);
  }
});
