// Split a table into slices the copier can work on in parallel: contiguous key ranges from the
// source's split points (the source's key order, docs/DATAPLANE.md), covering every possible key.
import type { Key, KeyRange } from '../../engines/key-range';
import type { RowsEngine } from './rows-engine';

/**
 * n points -> n + 1 ranges: (-inf, p1], (p1, p2], ..., (pn, +inf). Unbounded at both ends, so rows
 * inserted below the minimum or above the maximum during the copy are still covered.
 */
export function rangesFromPoints(points: readonly Key[]): KeyRange[] {
  const ranges: KeyRange[] = [];
  let lower: Key | null = null;
  for (const p of points) {
    ranges.push({ lower, upper: p });
    lower = p;
  }
  ranges.push({ lower, upper: null });
  return ranges;
}

/** How many slices a table of `rows` rows deserves: about `rowsPerSlice` each, between 1 and `max`. */
export function sliceCount(rows: number, rowsPerSlice: number, max: number): number {
  if (!(rows > 0) || !(rowsPerSlice > 0)) return 1;
  return Math.max(1, Math.min(max, Math.ceil(rows / rowsPerSlice)));
}

export interface SplitOptions {
  /** Aim for this many rows per slice (default 250 000). */
  rowsPerSlice?: number;
  /** Never more slices than this (default 64): workflow history grows with tables x slices. */
  maxSlices?: number;
}

/** The slices of one table, from the source's row estimate and split points. */
export async function splitTable(
  source: RowsEngine,
  schema: string,
  table: string,
  key: string[],
  options: SplitOptions = {},
): Promise<KeyRange[]> {
  const { rowsEstimate } = await source.keyBounds(schema, table, key);
  const n = sliceCount(rowsEstimate, options.rowsPerSlice ?? 250_000, options.maxSlices ?? 64);
  if (n === 1) return rangesFromPoints([]);
  return rangesFromPoints(await source.splitPoints(schema, table, key, n));
}
