// The copier's throttle, in the spirit of gh-ost's throttler and pt-osc's --max-load/--critical-load:
// - a token bucket caps rows per second (with a burst of at most `burstRows`);
// - pause()/resume() hold every copier at its next chunk;
// - a load metric (threads running, replica lag, ...) above `maxLoad` makes the copier wait with
//   exponential back-off until it falls again; at or above `criticalLoad` the copy aborts.
// Pure logic over an injectable clock: tests drive it with a fake clock, never the real one.

export interface Clock {
  now(): number;
  /** Resolve after `ms`, or reject with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** The load metric went at or above the critical threshold: the copy stops (pt-osc --critical-load). */
export class CriticalLoadError extends Error {
  override name = 'CriticalLoadError';
}

export interface ThrottleOptions {
  /** Rows per second; unlimited when absent. */
  maxRowsPerSecond?: number;
  /** Largest burst the bucket holds, in rows (default one second's worth). */
  burstRows?: number;
  /** Current load (e.g. Threads_running, replica lag in seconds). */
  loadMetric?: () => number | Promise<number>;
  /** Above this the copier backs off until the load falls. */
  maxLoad?: number;
  /** At or above this the copy aborts with CriticalLoadError. */
  criticalLoad?: number;
  /** First and largest back-off wait in milliseconds (default 250 and 10 000). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** How often the load is asked, at most (default every 1000 ms). */
  loadCheckIntervalMs?: number;
  clock?: Clock;
}

export interface ThrottleState {
  paused: boolean;
  /** Why the last wait happened: 'rate', 'paused' or 'load'; null when never throttled. */
  lastReason: 'rate' | 'paused' | 'load' | null;
  /** Milliseconds spent waiting, in total. */
  throttledMs: number;
  lastLoad: number | null;
}

/** Longest single wait for the rate: a rate change is seen within it. */
const RATE_STEP_MS = 1000;

export class Throttle {
  private readonly clock: Clock;
  private rate: number | null;
  private burst: number;
  private tokens: number;
  private refilledAt: number;
  private pausedFlag = false;
  private resumeWaiters: (() => void)[] = [];
  private loadCheckedAt = -Infinity;
  private loadHigh = false;
  private readonly stats: ThrottleState = { paused: false, lastReason: null, throttledMs: 0, lastLoad: null };

  constructor(private readonly options: ThrottleOptions = {}) {
    this.clock = options.clock ?? realClock;
    const rate = options.maxRowsPerSecond;
    if (rate !== undefined && !(rate > 0)) throw new RangeError('maxRowsPerSecond must be positive');
    this.rate = rate ?? null;
    this.burst = Math.max(1, options.burstRows ?? rate ?? 1);
    this.tokens = this.burst;
    this.refilledAt = this.clock.now();
  }

  get state(): ThrottleState {
    return { ...this.stats, paused: this.pausedFlag };
  }

  get paused(): boolean {
    return this.pausedFlag;
  }

  pause(): void {
    this.pausedFlag = true;
  }

  /** A new rate from now on (null: unlimited), for the next acquire: an operator's throttle. */
  setMaxRowsPerSecond(rate: number | null): void {
    if (rate === this.rate) return;
    if (rate !== null && !(rate > 0)) throw new RangeError('maxRowsPerSecond must be positive');
    if (this.rate !== null) this.refill();
    const wasUnlimited = this.rate === null;
    this.rate = rate;
    this.burst = Math.max(1, this.options.burstRows ?? rate ?? 1);
    // From unlimited, a full burst as a new throttle has; otherwise what was saved, within the burst.
    this.tokens = wasUnlimited ? this.burst : Math.min(this.tokens, this.burst);
    this.refilledAt = this.clock.now();
  }

  resume(): void {
    this.pausedFlag = false;
    const waiters = this.resumeWaiters;
    this.resumeWaiters = [];
    for (const w of waiters) w();
  }

  /**
   * Wait until `rows` rows may be copied: not paused, load below maxLoad, and the rate allows them.
   * Rejects with the signal's reason on abort and with CriticalLoadError on critical load.
   */
  async acquire(rows: number, signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (signal?.aborted) throw signal.reason;
      if (this.pausedFlag) {
        await this.waitForResume(signal);
        continue;
      }
      if (await this.loadTooHigh(signal)) continue;
      break;
    }
    if (this.rate === null || rows <= 0) return;
    this.refill();
    // In steps of at most a second, so that a new rate (setMaxRowsPerSecond) applies to a long wait
    // too; tokens saved while waiting may exceed the burst: this chunk is taking them.
    while (this.rate !== null && this.tokens < rows) {
      const waitMs = ((rows - this.tokens) * 1000) / this.rate;
      await this.wait(Math.min(waitMs, RATE_STEP_MS), 'rate', signal);
      if (this.rate !== null) this.refill(false);
    }
    if (this.rate !== null) this.tokens -= rows;
  }

  private refill(cap = true): void {
    const now = this.clock.now();
    const added = ((now - this.refilledAt) * this.rate!) / 1000;
    this.tokens = cap ? Math.min(this.burst, this.tokens + added) : this.tokens + added;
    this.refilledAt = now;
  }

  private async wait(ms: number, reason: ThrottleState['lastReason'], signal?: AbortSignal): Promise<void> {
    this.stats.lastReason = reason;
    const started = this.clock.now();
    try {
      await this.clock.sleep(ms, signal);
    } finally {
      this.stats.throttledMs += this.clock.now() - started;
    }
  }

  private waitForResume(signal?: AbortSignal): Promise<void> {
    this.stats.lastReason = 'paused';
    const started = this.clock.now();
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        this.resumeWaiters = this.resumeWaiters.filter((w) => w !== done);
        reject(signal!.reason);
      };
      const done = () => {
        signal?.removeEventListener('abort', onAbort);
        this.stats.throttledMs += this.clock.now() - started;
        resolve();
      };
      this.resumeWaiters.push(done);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Ask the load (at most once per interval while it is fine); back off while it is high. */
  private async loadTooHigh(signal?: AbortSignal): Promise<boolean> {
    const metric = this.options.loadMetric;
    if (!metric) return false;
    const interval = this.options.loadCheckIntervalMs ?? 1000;
    if (!this.loadHigh && this.clock.now() - this.loadCheckedAt < interval) return false;
    let backoff = this.options.backoffMs ?? 250;
    const maxBackoff = this.options.maxBackoffMs ?? 10_000;
    for (;;) {
      const load = await metric();
      this.loadCheckedAt = this.clock.now();
      this.stats.lastLoad = load;
      const critical = this.options.criticalLoad;
      if (critical !== undefined && load >= critical) {
        throw new CriticalLoadError(
          `the source's load (${load} running queries) reached the critical threshold ${critical}: the copy stops`,
        );
      }
      const max = this.options.maxLoad;
      if (max === undefined || load <= max) {
        this.loadHigh = false;
        return false;
      }
      this.loadHigh = true;
      await this.wait(backoff, 'load', signal);
      backoff = Math.min(maxBackoff, backoff * 2);
      // Let pause() and abort take effect between back-offs.
      if (this.pausedFlag || signal?.aborted) return true;
    }
  }
}
