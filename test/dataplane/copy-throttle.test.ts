// Throttle and chunk tuner as pure logic: a fake clock whose sleep advances time, no real timing.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChunkTuner } from '../../src/dataplane/copy/chunk-tuner';
import { rangesFromPoints, sliceCount } from '../../src/dataplane/copy/range-splitter';
import { CriticalLoadError, Throttle, type Clock } from '../../src/dataplane/copy/throttle';

function fakeClock(): Clock & { t: number; sleeps: number[] } {
  const clock = {
    t: 0,
    sleeps: [] as number[],
    now: () => clock.t,
    sleep: async (ms: number, signal?: AbortSignal) => {
      if (signal?.aborted) throw signal.reason;
      clock.sleeps.push(ms);
      clock.t += ms;
    },
  };
  return clock;
}

/** Settle pending microtasks (promise chains) without touching timers. */
const settle = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

describe('throttle', () => {
  test('without limits it never waits', async () => {
    const clock = fakeClock();
    const t = new Throttle({ clock });
    await t.acquire(1_000_000);
    assert.equal(clock.now(), 0);
    assert.equal(t.state.lastReason, null);
  });

  test('the token bucket caps rows per second, with a bounded burst', async () => {
    const clock = fakeClock();
    const t = new Throttle({ maxRowsPerSecond: 1000, clock });
    await t.acquire(1000); // the initial burst
    assert.equal(clock.now(), 0);
    await t.acquire(500);
    assert.equal(clock.now(), 500);
    await t.acquire(2000); // more than the burst: waits for all of it
    assert.equal(clock.now(), 2500);
    clock.t += 60_000; // idle for a minute: the bucket holds one burst only
    await t.acquire(1000);
    assert.equal(clock.now(), 62_500);
    await t.acquire(1000);
    assert.equal(clock.now(), 63_500);
    assert.equal(t.state.lastReason, 'rate');
    assert.equal(t.state.throttledMs, 500 + 2000 + 1000);
  });

  test('a new rate takes effect at the next acquire; null lifts it', async () => {
    const clock = fakeClock();
    const t = new Throttle({ maxRowsPerSecond: 1000, clock });
    await t.acquire(1000);
    t.setMaxRowsPerSecond(100); // slower: the burst shrinks to 100 rows
    await t.acquire(100);
    assert.equal(clock.now(), 1000, '100 rows at 100 rows/s');
    t.setMaxRowsPerSecond(null);
    await t.acquire(1_000_000);
    assert.equal(clock.now(), 1000, 'unlimited: no wait');
    t.setMaxRowsPerSecond(500);
    await t.acquire(1000);
    assert.equal(clock.now(), 2000, 'a full burst of 500 rows, then 500 more at 500 rows/s');
    assert.throws(() => t.setMaxRowsPerSecond(0), /positive/);
  });

  test('a rate change reaches a chunk already waiting, within a second', async () => {
    const clock = fakeClock();
    const t = new Throttle({ maxRowsPerSecond: 20, clock });
    const sleep = clock.sleep;
    clock.sleep = async (ms, signal) => {
      await sleep(ms, signal);
      if (clock.now() >= 3000) t.setMaxRowsPerSecond(null); // the operator lifts the throttle
    };
    await t.acquire(1000); // 49 s at 20 rows/s
    assert.equal(clock.now(), 3000);
    assert.ok(clock.sleeps.every((ms) => ms <= 1000));
  });

  test('pause holds acquire until resume; abort rejects a paused wait', async () => {
    const clock = fakeClock();
    const t = new Throttle({ clock });
    t.pause();
    assert.equal(t.paused, true);
    let passed = false;
    const p = t.acquire(10).then(() => (passed = true));
    await settle();
    assert.equal(passed, false);
    t.resume();
    await p;
    assert.equal(passed, true);
    t.pause();
    const ac = new AbortController();
    const q = t.acquire(1, ac.signal);
    ac.abort(new Error('cancelled'));
    await assert.rejects(q, /cancelled/);
    await assert.rejects(t.acquire(1, ac.signal), /cancelled/);
  });

  test('high load backs off exponentially until it falls; the metric is asked at most once per interval', async () => {
    const clock = fakeClock();
    const loads = [5, 12, 15, 11, 3, 3];
    let asked = 0;
    const t = new Throttle({
      clock,
      loadMetric: () => loads[asked++]!,
      maxLoad: 10,
      backoffMs: 100,
      maxBackoffMs: 250,
      loadCheckIntervalMs: 1000,
    });
    await t.acquire(1);
    assert.equal(asked, 1);
    await t.acquire(1); // within the interval: not asked
    assert.equal(asked, 1);
    clock.t += 1000;
    await t.acquire(1); // 12, 15, 11 -> waits 100, 200, 250 (capped), then 3
    assert.equal(asked, 5);
    assert.deepEqual(clock.sleeps, [100, 200, 250]);
    assert.equal(t.state.lastReason, 'load');
    assert.equal(t.state.lastLoad, 3);
  });

  test('critical load aborts the copy', async () => {
    const clock = fakeClock();
    const t = new Throttle({ clock, loadMetric: async () => 50, maxLoad: 10, criticalLoad: 40 });
    await assert.rejects(t.acquire(1), CriticalLoadError);
  });

  test('pause takes effect during a load back-off', async () => {
    const clock = fakeClock();
    let load = 20;
    const t = new Throttle({ clock, loadMetric: () => load, maxLoad: 10, backoffMs: 100 });
    clock.sleep = async (ms) => {
      clock.t += ms;
      t.pause();
      load = 0;
    };
    let passed = false;
    const p = t.acquire(1).then(() => (passed = true));
    await settle();
    assert.equal(passed, false);
    assert.equal(t.state.paused, true);
    t.resume();
    await p;
  });
});

describe('chunk tuner', () => {
  test('aims for the target chunk time from the measured rate', () => {
    const tuner = new ChunkTuner({ initial: 1000, targetMs: 500, smoothing: 1 });
    tuner.record(1000, 1000); // 1 row/ms -> 500 rows for 500 ms
    assert.equal(tuner.size, 500);
    tuner.record(500, 100); // 5 rows/ms -> 2500, but grows at most 2x
    assert.equal(tuner.size, 1000);
    tuner.record(1000, 200);
    assert.equal(tuner.size, 2000);
    tuner.record(2000, 400);
    assert.equal(tuner.size, 2500);
  });

  test('smooths the rate and stays within bounds', () => {
    const tuner = new ChunkTuner({ initial: 1000, targetMs: 500, smoothing: 0.5, min: 200, max: 1500 });
    tuner.record(1000, 500); // 2 rows/ms
    assert.equal(tuner.size, 1000);
    tuner.record(1000, 100); // 10 rows/ms -> smoothed 6 -> 3000, capped by growth 2000 and max 1500
    assert.equal(tuner.size, 1500);
    tuner.record(1500, 150_000); // 0.01 -> smoothed ~3 -> ...
    assert.ok(tuner.size <= 1500 && tuner.size >= 200);
    for (let i = 0; i < 20; i++) tuner.record(tuner.size, 1_000_000);
    assert.equal(tuner.size, 200);
  });

  test('ignores short tail chunks and instant ones', () => {
    const tuner = new ChunkTuner({ initial: 1000 });
    tuner.record(10, 1000);
    tuner.record(1000, 0);
    assert.equal(tuner.size, 1000);
    assert.equal(tuner.rowsPerMs, null);
  });
});

describe('range splitter', () => {
  test('points become contiguous ranges unbounded at both ends', () => {
    assert.deepEqual(rangesFromPoints([]), [{ lower: null, upper: null }]);
    assert.deepEqual(rangesFromPoints([[10], [20]]), [
      { lower: null, upper: [10] },
      { lower: [10], upper: [20] },
      { lower: [20], upper: null },
    ]);
    assert.equal(sliceCount(0, 1000, 8), 1);
    assert.equal(sliceCount(-1, 1000, 8), 1);
    assert.equal(sliceCount(2500, 1000, 8), 3);
    assert.equal(sliceCount(1e9, 1000, 8), 8);
  });
});
