// The copier's own logic against an in-memory RowsEngine (no database): the concurrency limit,
// JSON-safe checkpoints with binary keys, resuming without re-reading finished slices, a failing
// slice stopping the others, the throttle holding chunks while paused (fake clock), and the read of
// the next chunk overlapping the write of the current one.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { copyTable, type CopyCheckpoint } from '../../src/dataplane/copy/copier';
import type { RowsEngine } from '../../src/dataplane/copy/rows-engine';
import { Throttle, type Clock } from '../../src/dataplane/copy/throttle';
import type { Key, KeyRange } from '../../src/engines/key-range';

type Row = unknown[];

function compareKeys(a: Key, b: Key): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    const c = Buffer.isBuffer(x) ? Buffer.compare(x, y as Buffer) : (x as number) - (y as number);
    if (c) return c;
  }
  return 0;
}

/** A table in memory: rows sorted by their first column (the key). */
function memoryEngine(initial: Row[] = []) {
  let rows = [...initial].sort((a, b) => compareKeys([a[0]] as Key, [b[0]] as Key));
  const inRange = (r: Row, range: KeyRange) =>
    (!range.lower || compareKeys([r[0]] as Key, range.lower) > 0) &&
    (!range.upper || compareKeys([r[0]] as Key, range.upper) <= 0);
  const stats = { reads: [] as KeyRange[], writes: 0, active: 0, maxActive: 0 };
  let failOn: ((range: KeyRange) => boolean) | null = null;
  const engine: RowsEngine = {
    kind: 'postgres',
    keyBounds: async () => ({
      min: rows[0] ? ([rows[0][0]] as Key) : null,
      max: rows.length ? ([rows[rows.length - 1]![0]] as Key) : null,
      rowsEstimate: rows.length,
    }),
    splitPoints: async (_s, _t, _k, n) => {
      const step = Math.ceil(rows.length / n);
      const points: Key[] = [];
      for (let i = step; i < rows.length && points.length < n - 1; i += step)
        points.push([rows[i - 1]![0]] as Key);
      return points;
    },
    readRange: async (_s, _t, _c, _k, range, limit) => {
      stats.reads.push(range);
      return rows
        .filter((r) => inRange(r, range))
        .slice(0, limit)
        .map((r) => [...r]);
    },
    readByKeys: async () => [],
    replaceRange: async (_s, _t, _c, _k, range, chunk) => {
      stats.active++;
      stats.maxActive = Math.max(stats.maxActive, stats.active);
      try {
        await new Promise((resolve) => setImmediate(resolve));
        if (failOn?.(range)) throw new Error('target is gone');
        rows = rows.filter((r) => !inRange(r, range)).concat(chunk.map((r) => [...r]));
        rows.sort((a, b) => compareKeys([a[0]] as Key, [b[0]] as Key));
        stats.writes++;
        return chunk.length;
      } finally {
        stats.active--;
      }
    },
    upsertRows: async () => 0,
    deleteRows: async () => 0,
    close: async () => undefined,
  };
  return {
    engine,
    stats,
    rows: () => rows,
    failWhen: (f: (range: KeyRange) => boolean) => (failOn = f),
  };
}

const binaryRows = (n: number): Row[] =>
  Array.from({ length: n }, (_, i) => [Buffer.from([i >> 8, i & 255, 0]), `v${i}`]);

const base = (source: RowsEngine, target: RowsEngine) => ({
  source,
  target,
  sourceSchema: 's',
  sourceTable: 't',
  targetSchema: 's',
  targetTable: 't',
  columns: ['k', 'v'],
  key: ['k'],
});

describe('copier logic', () => {
  test('respects the concurrency limit and copies every row once', async () => {
    const src = memoryEngine(binaryRows(1000));
    const dst = memoryEngine([[Buffer.from([255, 255, 255]), 'stale']]);
    const result = await copyTable({
      ...base(src.engine, dst.engine),
      split: { rowsPerSlice: 100 },
      concurrency: 3,
      chunk: { initial: 30, min: 10 },
    });
    assert.equal(result.rows, 1000);
    assert.equal(result.checkpoint.slices.length, 10);
    assert.equal(dst.stats.maxActive, 3);
    assert.deepEqual(dst.rows(), src.rows());
  });

  test('checkpoints carry binary keys as $binary and resume after the last committed key', async () => {
    const src = memoryEngine(binaryRows(500));
    const dst = memoryEngine();
    const ac = new AbortController();
    let saved = '';
    await assert.rejects(
      copyTable({
        ...base(src.engine, dst.engine),
        split: { rowsPerSlice: 100 },
        concurrency: 2,
        chunk: { initial: 40, min: 10, max: 40 },
        signal: ac.signal,
        onProgress: (p) => {
          // chunks committed after the abort are left out: the resume applies them again
          if (ac.signal.aborted) return;
          saved = JSON.stringify(p.checkpoint);
          if (p.slicesDone === 1) ac.abort(new Error('stop'));
        },
      }),
      /stop/,
    );
    const checkpoint = JSON.parse(saved) as CopyCheckpoint;
    const done = checkpoint.slices.filter((s) => s.done);
    assert.ok(done.length >= 1);
    const started = checkpoint.slices.find((s) => !s.done && s.lastKey);
    assert.ok(started);
    assert.equal(typeof (started.lastKey![0] as { $binary: string }).$binary, 'string');

    src.stats.reads.length = 0;
    const result = await copyTable({ ...base(src.engine, dst.engine), checkpoint, concurrency: 2 });
    assert.deepEqual(dst.rows(), src.rows());
    assert.equal(result.rows, 500);
    // nothing at or below a finished slice's upper bound, nor below a started slice's last key, is read again
    for (const read of src.stats.reads) {
      for (const s of done) {
        const upper = s.upper && Buffer.from((s.upper[0] as { $binary: string }).$binary, 'base64');
        const lower = s.lower && Buffer.from((s.lower[0] as { $binary: string }).$binary, 'base64');
        if (read.lower && upper && lower)
          assert.ok(
            !(
              Buffer.compare(read.lower[0] as Buffer, lower) >= 0 &&
              Buffer.compare(read.lower[0] as Buffer, upper) < 0
            ),
          );
      }
    }
    const resumedFirst = src.stats.reads.find(
      (r) =>
        r.lower &&
        Buffer.compare(
          r.lower[0] as Buffer,
          Buffer.from((started.lastKey![0] as { $binary: string }).$binary, 'base64'),
        ) === 0,
    );
    assert.ok(resumedFirst, 'the started slice continues after its last committed key');
  });

  test('a failing slice stops the copy with its error', async () => {
    const src = memoryEngine(binaryRows(600));
    const dst = memoryEngine();
    dst.failWhen((range) => !!range.lower && (range.lower[0] as Buffer)[0] === 1);
    await assert.rejects(
      copyTable({ ...base(src.engine, dst.engine), split: { rowsPerSlice: 100 }, concurrency: 2 }),
      /target is gone/,
    );
    assert.ok(dst.rows().length < 600);
  });

  test('a paused throttle holds every chunk until resumed', async () => {
    const clock: Clock = { now: () => 0, sleep: async () => undefined };
    const throttle = new Throttle({ clock });
    throttle.pause();
    const src = memoryEngine(binaryRows(200));
    const dst = memoryEngine();
    let committed = 0;
    const copy = copyTable({
      ...base(src.engine, dst.engine),
      throttle,
      onProgress: () => {
        committed++;
      },
    });
    for (let i = 0; i < 50; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(committed, 0);
    throttle.resume();
    const result = await copy;
    assert.equal(result.rows, 200);
    assert.ok(committed > 0);
  });

  test('reads the next chunk while the current one is written, one chunk ahead at most', async () => {
    const src = memoryEngine(binaryRows(100));
    const dst = memoryEngine();
    let reads = 0;
    let readsDuringWrite = 0;
    let maxAhead = 0;
    const read = src.engine.readRange;
    src.engine.readRange = async (...args) => {
      reads++;
      if (dst.stats.active) readsDuringWrite++;
      // chunks read but not yet committed: the one being written and the one read ahead
      maxAhead = Math.max(maxAhead, reads - dst.stats.writes);
      return read(...args);
    };
    const committed: string[] = [];
    const result = await copyTable({
      ...base(src.engine, dst.engine),
      concurrency: 1,
      chunk: { initial: 10, min: 10, max: 10 },
      onProgress: (p) => {
        const last = Buffer.from((p.lastKey![0] as { $binary: string }).$binary, 'base64');
        // a checkpoint names only rows that are already on the target, in order
        assert.ok(dst.rows().some((r) => (r[0] as Buffer).equals(last)));
        committed.push(last.toString('hex'));
      },
    });
    assert.equal(result.rows, 100);
    assert.deepEqual(dst.rows(), src.rows());
    assert.deepEqual(committed, [...committed].sort());
    assert.ok(readsDuringWrite > 0, 'no read overlapped a write');
    assert.ok(maxAhead <= 2, `read ${maxAhead} chunks ahead of the last commit`);
  });

  test('an empty table copies as one empty slice that clears the target', async () => {
    const src = memoryEngine();
    const dst = memoryEngine([[Buffer.from([1]), 'stale']]);
    const result = await copyTable(base(src.engine, dst.engine));
    assert.equal(result.rows, 0);
    assert.deepEqual(dst.rows(), []);
  });
});
