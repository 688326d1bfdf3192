// Raw chunks, PostgreSQL -> PostgreSQL on real servers: with identical column types and session
// formats the validator compares each range's COPY text bytes (no row decoded in Node) and
// reports the same as the row path: identical data matches; a changed, a missing and an extra row
// are found with their keys; bytes that differ while the values are canonically equal (json key
// order) still match; different column types use the row path.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { canonicalColumns, type CanonicalColumn } from '../../src/dataplane/validate/canonical';
import { openRangeReader, type ClosableRangeReader } from '../../src/dataplane/validate/readers';
import { validateTable, type ValidateTableOptions } from '../../src/dataplane/validate/validator';
import type { TableModel } from '../../src/engines/model';
import { createPostgresEngine } from '../../src/engines/postgres/engine';
import { createPostgresDatabase, execPostgres, type TestDatabase } from '../helpers/databases';

let a: TestDatabase;
let b: TestDatabase;
let src: CountingReader;
let dst: CountingReader;
const N = 1000;

interface CountingReader extends ClosableRangeReader {
  counts: { rawRanges: number; rowRanges: number };
}

function counting(url: string): CountingReader {
  const inner = openRangeReader('postgres', url);
  const counts = { rawRanges: 0, rowRanges: 0 };
  return {
    counts,
    readRange: (...args) => {
      counts.rowRanges++;
      return inner.readRange(...args);
    },
    readByKeys: (...args) => inner.readByKeys(...args),
    raw: inner.raw && {
      format: () => inner.raw!.format(),
      nthKey: (...args) => inner.raw!.nthKey(...args),
      readRange: (...args) => {
        counts.rawRanges++;
        return inner.raw!.readRange(...args);
      },
    },
    close: () => inner.close(),
  };
}

const TABLE = `CREATE TABLE t (id bigint PRIMARY KEY, name text, price numeric(12,2), ratio float8,
  at timestamptz(6), doc jsonb, raw json, blob bytea, tags text[], flag boolean)`;
const fill = (where = 'TRUE') =>
  `INSERT INTO t SELECT g, 'name ' || g || ' é', g * 1.25, g / 7.0, '2024-01-01'::timestamptz + g * interval '1 minute',
  jsonb_build_object('g', g, 'a', 'x'), json_build_object('g', g, 'a', 'x'), decode(md5(g::text), 'hex'),
  ARRAY['a', g::text], g % 2 = 0 FROM generate_series(1, ${N}) g WHERE ${where}`;

async function columnsOf(): Promise<CanonicalColumn[]> {
  const [sm, tm] = await Promise.all(
    [a, b].map(async (d) => {
      const e = createPostgresEngine(d.url);
      try {
        return (await e.introspect({ schema: 'public' })).tables.find((t) => t.name === 't') as TableModel;
      } finally {
        await e.close();
      }
    }),
  );
  return canonicalColumns('postgres', 'postgres', sm!, tm!);
}

async function run(extra: Partial<ValidateTableOptions> = {}) {
  src.counts.rawRanges = src.counts.rowRanges = dst.counts.rawRanges = dst.counts.rowRanges = 0;
  return validateTable({
    source: { reader: src, table: { schema: 'public', table: 't' } },
    target: { reader: dst, table: { schema: 'public', table: 't' } },
    columns: await columnsOf(),
    key: ['id'],
    chunkRows: 150,
    recheckAttempts: 1,
    beforeRecheck: async () => undefined,
    ...extra,
  });
}

before(async () => {
  [a, b] = await Promise.all([
    createPostgresDatabase('cutover_vraw'),
    createPostgresDatabase('cutover_vraw'),
  ]);
  await execPostgres(a.url, [TABLE, fill()]);
  await execPostgres(b.url, [TABLE, fill()]);
  src = counting(a.url);
  dst = counting(b.url);
});

after(async () => {
  await Promise.allSettled([src?.close(), dst?.close()]);
  await Promise.allSettled([a?.drop(), b?.drop()]);
});

test('identical tables match through raw chunks, no row read', async () => {
  const r = await run();
  assert.equal(r.status, 'match', JSON.stringify(r));
  assert.deepEqual([r.sourceRows, r.targetRows, r.matching, r.chunks], [N, N, N, Math.ceil(N / 150)]);
  assert.equal(src.counts.rawRanges, Math.ceil(N / 150));
  assert.equal(dst.counts.rawRanges, Math.ceil(N / 150));
  assert.deepEqual([src.counts.rowRanges, dst.counts.rowRanges], [0, 0]);
});

test('a changed, a missing and an extra row are reported with their keys', async () => {
  await execPostgres(b.url, [
    `UPDATE t SET ratio = ratio + 1e-12 WHERE id = 17`,
    `DELETE FROM t WHERE id = 400`,
    `INSERT INTO t (id, name) VALUES (${N + 5}, 'extra')`,
  ]);
  try {
    const r = await run();
    assert.equal(r.status, 'mismatch');
    assert.deepEqual(r.samples, { mismatched: [['17']], missing: [['400']], extra: [[String(N + 5)]] });
    assert.deepEqual(
      [r.sourceRows, r.targetRows, r.matching, r.mismatched, r.missing, r.extra],
      [N, N, N - 2, 1, 1, 1],
    );
    assert.equal(r.chunksDiffering, 3);
    // Only the three differing ranges were read as rows.
    assert.equal(src.counts.rowRanges, 3);
  } finally {
    await execPostgres(b.url, [`DELETE FROM t WHERE id IN (17, ${N + 5})`, fill('g IN (17, 400)')]);
  }
});

test('bytes that differ while the values are canonically equal still match (json key order)', async () => {
  await execPostgres(b.url, [`UPDATE t SET raw = json_build_object('a', 'x', 'g', id) WHERE id IN (3, 900)`]);
  try {
    const r = await run();
    assert.equal(r.status, 'match', JSON.stringify(r));
    assert.equal(r.matching, N);
    assert.equal(src.counts.rowRanges, 2, 'the two ranges were compared row by row');
  } finally {
    await execPostgres(b.url, [
      `UPDATE t SET raw = json_build_object('g', id, 'a', 'x') WHERE id IN (3, 900)`,
    ]);
  }
});

test('different column types, or raw turned off: the row path', async () => {
  const off = await run({ raw: false });
  assert.equal(off.status, 'match');
  assert.equal(src.counts.rawRanges, 0);
  await execPostgres(b.url, [`ALTER TABLE t ALTER COLUMN price TYPE numeric(14,2)`]);
  try {
    const r = await run();
    assert.equal(r.status, 'match', JSON.stringify(r));
    assert.equal(src.counts.rawRanges, 0);
    assert.ok(src.counts.rowRanges > 0);
  } finally {
    await execPostgres(b.url, [`ALTER TABLE t ALTER COLUMN price TYPE numeric(12,2)`]);
  }
});
