// Chunk digests and the validator's bookkeeping against in-memory readers (no database): order
// independence, exact chunk boundaries, empty tables, the open last chunk, checkpoints.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyType, pairDomain, type CanonicalColumn } from '../../src/dataplane/validate/canonical';
import { ChunkDigest, diffRows, hashRows, keyIndexes, rowHash } from '../../src/dataplane/validate/checksum';
import {
  keyModeFor,
  validateTable,
  type Key,
  type KeyRange,
  type RangeReader,
  type ValidationCheckpoint,
} from '../../src/dataplane/validate/validator';

function column(name: string, mysqlType: string, pgType: string): CanonicalColumn {
  const s = classifyType('mysql', mysqlType);
  const t = classifyType('postgres', pgType);
  return { name, domain: pairDomain(s, t), source: s, target: t };
}

const COLUMNS = [column('id', 'int', 'integer'), column('v', 'varchar(10)', 'text')];

/** A table in memory, ordered by its first column (numbers), with the RangeReader contract. */
function memoryReader(rows: unknown[][]): RangeReader & { reads: KeyRange[] } {
  const sorted = (): unknown[][] => [...rows].sort((a, b) => Number(a[0]) - Number(b[0]));
  const pick = (r: unknown[], columns: string[]): unknown[] => columns.map((c) => r[c === 'id' ? 0 : 1]);
  const reader = {
    reads: [] as KeyRange[],
    count: async () => rows.length,
    async readRange(_t: unknown, columns: string[], _key: string[], range: KeyRange, limit: number) {
      reader.reads.push(range);
      return sorted()
        .filter(
          (r) =>
            (range.lower === null || Number(r[0]) > Number(range.lower[0])) &&
            (range.upper === null || Number(r[0]) <= Number(range.upper[0])),
        )
        .slice(0, limit)
        .map((r) => pick(r, columns));
    },
    async readByKeys(_t: unknown, columns: string[], _key: string[], keys: Key[]) {
      const wanted = new Set(keys.map((k) => Number(k[0])));
      return sorted()
        .filter((r) => wanted.has(Number(r[0])))
        .map((r) => pick(r, columns));
    },
  };
  return reader;
}

const table = { schema: 's', table: 't' };
const rows = (n: number): unknown[][] => Array.from({ length: n }, (_, i) => [i + 1, `v${i + 1}`]);

test('chunk digests ignore row order and see duplicates', () => {
  const at = keyIndexes(COLUMNS, ['id']);
  const a = hashRows(COLUMNS, at, 'source', rows(5));
  const b = hashRows(COLUMNS, at, 'target', rows(5).reverse());
  assert.ok(a.digest.equals(b.digest));
  const d = new ChunkDigest();
  const h = rowHash('k', 'r');
  d.add(h);
  d.add(h);
  assert.ok(!d.equals(a.digest));
  assert.match(d.toString(), /^2:[0-9a-f]{32}$/);
  assert.notEqual(rowHash('["n:1e0"]', '["x"]'), rowHash('["n:2e0"]', '["x"]'));
  const changed = hashRows(COLUMNS, at, 'target', [
    [1, 'v1'],
    [2, 'X'],
    [9, 'v9'],
  ]);
  const diff = diffRows(hashRows(COLUMNS, at, 'source', rows(3)), changed);
  assert.deepEqual(diff, { matching: 1, mismatched: [[2]], missing: [[3]], extra: [[9]] });
});

test('key modes: numbers by range, text by key set', () => {
  assert.equal(keyModeFor(COLUMNS, ['id']), 'range');
  assert.equal(keyModeFor(COLUMNS, ['v']), 'key-set');
  assert.equal(keyModeFor(COLUMNS, ['id', 'v']), 'key-set');
  assert.equal(keyModeFor([column('u', 'uuid', 'uuid')], ['u']), 'key-set');
});

test('empty tables, exact multiples of the chunk size, and rows past the source end', async () => {
  const empty = await validateTable({
    source: { reader: memoryReader([]), table },
    target: { reader: memoryReader([]), table },
    columns: COLUMNS,
    key: ['id'],
  });
  assert.deepEqual([empty.status, empty.sourceRows, empty.chunks, empty.sourceCount], ['match', 0, 0, 0]);

  const target = memoryReader([...rows(20), [1000, 'late']]);
  const r = await validateTable({
    source: { reader: memoryReader(rows(20)), table },
    target: { reader: target, table },
    columns: COLUMNS,
    key: ['id'],
    chunkRows: 10,
    recheckAttempts: 0,
  });
  assert.deepEqual(r.samples.extra, [[1000]]);
  assert.deepEqual([r.matching, r.extra, r.chunks, r.targetRows, r.targetCount], [20, 1, 3, 21, 21]);
  assert.deepEqual(target.reads.at(-1), { lower: [20], upper: null });
});

test('target ranges holding more rows than a chunk are read in pages', async () => {
  const target = memoryReader([...rows(5), ...Array.from({ length: 25 }, (_, i) => [100 + i, 'x'])]);
  const r = await validateTable({
    source: { reader: memoryReader(rows(5)), table },
    target: { reader: target, table },
    columns: COLUMNS,
    key: ['id'],
    chunkRows: 10,
    recheckAttempts: 0,
    sampleLimit: 3,
  });
  assert.equal(r.extra, 25);
  assert.deepEqual(r.samples.extra, [[100], [101], [102]]);
});

test('checkpoints are plain JSON and a finished one resumes to the same report without reading', async () => {
  const seen: ValidationCheckpoint[] = [];
  const source = memoryReader(rows(12));
  const first = await validateTable({
    source: { reader: source, table },
    target: { reader: memoryReader(rows(12)), table },
    columns: COLUMNS,
    key: ['id'],
    chunkRows: 5,
    onProgress: (c) => void seen.push(c),
  });
  assert.deepEqual(
    seen.map((c) => [c.phase, c.after]),
    [
      ['rows', [5]],
      ['rows', [10]],
      ['done', null],
    ],
  );
  for (const c of seen) assert.deepEqual(JSON.parse(JSON.stringify(c)), c);
  const idle = memoryReader([]);
  const again = await validateTable({
    source: { reader: idle, table },
    target: { reader: idle, table },
    columns: COLUMNS,
    key: ['id'],
    checkpoint: seen.at(-1)!,
  });
  assert.equal(idle.reads.length, 0);
  assert.deepEqual({ ...again, resumedAfter: null }, first);
  await assert.rejects(
    validateTable({
      source: { reader: idle, table },
      target: { reader: idle, table },
      columns: COLUMNS,
      key: ['nope'],
    }),
    /key column "nope"/,
  );
});

test('chunk digests are the sum of the 128-bit row hashes modulo 2^128, carries included', () => {
  const d = new ChunkDigest();
  let sum = 0n;
  const hashes = [
    rowHash('a', 'b'),
    '\u00ff'.repeat(16),
    '\u00ff'.repeat(16),
    rowHash('c', 'd'),
    '\u0000'.repeat(15) + '\u0001',
  ];
  for (const h of hashes) {
    assert.equal(h.length, 16);
    d.add(h);
    sum = (sum + BigInt('0x' + Buffer.from(h, 'latin1').toString('hex'))) % (1n << 128n);
  }
  assert.equal(d.toString(), `${hashes.length}:${sum.toString(16).padStart(32, '0')}`);
});

test('range mode: a chunk read in another order still matches, and a changed row is found by key', async () => {
  const reversed = memoryReader(rows(12));
  const readRange = reversed.readRange.bind(reversed);
  reversed.readRange = async (...args) => (await readRange(...args)).reverse();
  const same = await validateTable({
    source: { reader: memoryReader(rows(12)), table },
    target: { reader: reversed, table },
    columns: COLUMNS,
    key: ['id'],
    chunkRows: 5,
    recheckAttempts: 0,
  });
  assert.deepEqual([same.status, same.matching, same.targetRows, same.chunks], ['match', 12, 12, 3]);
  const changed = rows(12);
  changed[6] = [7, 'other'];
  const r = await validateTable({
    source: { reader: memoryReader(rows(12)), table },
    target: { reader: memoryReader(changed), table },
    columns: COLUMNS,
    key: ['id'],
    chunkRows: 5,
    recheckAttempts: 0,
  });
  assert.deepEqual([r.status, r.matching, r.mismatched, r.samples.mismatched], ['mismatch', 11, 1, [[7]]]);
});
