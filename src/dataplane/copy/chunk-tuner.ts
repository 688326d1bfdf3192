// Chunk size tuning (pt-online-schema-change's --chunk-time): pick the number of rows per chunk so a
// chunk takes about the target time, from a smoothed measure of rows per millisecond. Bounded, and
// it never grows more than `maxGrowth` times per chunk, so one fast chunk cannot make the next huge.

export interface ChunkTunerOptions {
  /** Rows in the first chunk (default 1000). */
  initial?: number;
  /** Bounds of the chunk size (default 100 .. 50 000). */
  min?: number;
  max?: number;
  /** The chunk time to aim for, in milliseconds (default 500). */
  targetMs?: number;
  /** Weight of the newest measure in the moving average, 0..1 (default 0.3). */
  smoothing?: number;
  /** Largest growth factor from one chunk to the next (default 2). */
  maxGrowth?: number;
}

export class ChunkTuner {
  private readonly min: number;
  private readonly max: number;
  private readonly targetMs: number;
  private readonly smoothing: number;
  private readonly maxGrowth: number;
  private rate: number | null = null;
  private current: number;

  constructor(options: ChunkTunerOptions = {}) {
    this.min = Math.max(1, Math.floor(options.min ?? 100));
    this.max = Math.max(this.min, Math.floor(options.max ?? 50_000));
    this.targetMs = options.targetMs ?? 500;
    this.smoothing = Math.min(1, Math.max(0.01, options.smoothing ?? 0.3));
    this.maxGrowth = Math.max(1, options.maxGrowth ?? 2);
    if (!(this.targetMs > 0)) throw new RangeError('targetMs must be positive');
    this.current = this.clamp(options.initial ?? 1000);
  }

  /** Rows to ask for in the next chunk. */
  get size(): number {
    return this.current;
  }

  /** Rows per millisecond, smoothed; null before the first measure. */
  get rowsPerMs(): number | null {
    return this.rate;
  }

  /** Record a finished chunk: how many rows it moved and how long it took. */
  record(rows: number, elapsedMs: number): void {
    // A short chunk (end of a slice) says little about the rate; an instant one even less.
    if (rows <= 0 || !(elapsedMs > 0) || rows < this.current / 4) return;
    const measured = rows / elapsedMs;
    this.rate = this.rate === null ? measured : this.smoothing * measured + (1 - this.smoothing) * this.rate;
    const ideal = this.rate * this.targetMs;
    this.current = this.clamp(Math.min(ideal, this.current * this.maxGrowth));
  }

  private clamp(n: number): number {
    return Math.min(this.max, Math.max(this.min, Math.round(n)));
  }
}
