// Row hashes and order-independent chunk digests over canonical encodings (canonical.ts).
//
// A row's hash is SHA-256 over its canonical key and canonical row, truncated to 128 bits. A chunk's
// digest is the row count plus the sum of its row hashes modulo 2^128: the sum does not depend on
// the order rows arrive in (each engine orders text keys its own way), and unlike XOR a row that
// appears twice does not cancel out. Two sides whose digests are equal hold the same rows, up to a
// 128-bit collision; when they differ, the per-key hashes kept alongside say which keys differ.
import { createHash } from 'node:crypto';
import { canonicalRow, type CanonicalColumn, type Side } from './canonical';

const MOD = 1n << 128n;

/** 128-bit hash of one row, keyed by its canonical key so a value cannot move between keys unseen. */
export function rowHash(canonicalKey: string, canonicalRowText: string): bigint {
  const h = createHash('sha256').update(canonicalKey).update('\u0000').update(canonicalRowText).digest();
  return h.readBigUInt64BE(0) * (1n << 64n) + h.readBigUInt64BE(8);
}

export class ChunkDigest {
  count = 0;
  sum = 0n;

  add(hash: bigint): void {
    this.count++;
    this.sum = (this.sum + hash) % MOD;
  }

  equals(other: ChunkDigest): boolean {
    return this.count === other.count && this.sum === other.sum;
  }

  /** "<count>:<32 hex digits>", for reports and logs. */
  toString(): string {
    return `${this.count}:${this.sum.toString(16).padStart(32, '0')}`;
  }
}

/** One side's rows of a chunk, by canonical key. */
export interface HashedRows {
  digest: ChunkDigest;
  /** canonical key -> the key in the side's wire form and the row's hash */
  rows: Map<string, { key: unknown[]; hash: bigint }>;
}

/** Positions of `key` among the columns (every key column must be one of them). */
export function keyIndexes(columns: readonly CanonicalColumn[], key: readonly string[]): number[] {
  return key.map((k) => {
    const i = columns.findIndex((c) => c.name === k);
    if (i < 0) throw new Error(`key column ${JSON.stringify(k)} is not among the compared columns`);
    return i;
  });
}

/** The canonical text of a key (the key columns' canonical values). */
export function canonicalKey(
  columns: readonly CanonicalColumn[],
  keyAt: readonly number[],
  side: Side,
  key: readonly unknown[],
): string {
  return canonicalRow(
    keyAt.map((i) => columns[i]!),
    side,
    key,
  );
}

/** Hash the rows (values in `columns` order) read on one side. */
export function hashRows(
  columns: readonly CanonicalColumn[],
  keyAt: readonly number[],
  side: Side,
  rows: readonly (readonly unknown[])[],
): HashedRows {
  const digest = new ChunkDigest();
  const out = new Map<string, { key: unknown[]; hash: bigint }>();
  for (const row of rows) {
    const key = keyAt.map((i) => row[i]);
    const k = canonicalKey(columns, keyAt, side, key);
    const hash = rowHash(k, canonicalRow(columns, side, row));
    digest.add(hash);
    out.set(k, { key, hash });
  }
  return { digest, rows: out };
}

export interface RowDifferences {
  matching: number;
  /** Keys present on both sides with different rows (source wire form). */
  mismatched: unknown[][];
  /** Keys on the source only (source wire form). */
  missing: unknown[][];
  /** Keys on the target only (target wire form). */
  extra: unknown[][];
}

/**
 * Compare two sides key by key. With `extras` false, target rows whose key is not on the source side
 * are ignored (the target was read by the source's key set, see validator.ts).
 */
export function diffRows(source: HashedRows, target: HashedRows, extras = true): RowDifferences {
  const d: RowDifferences = { matching: 0, mismatched: [], missing: [], extra: [] };
  for (const [k, s] of source.rows) {
    const t = target.rows.get(k);
    if (!t) d.missing.push(s.key);
    else if (t.hash !== s.hash) d.mismatched.push(s.key);
    else d.matching++;
  }
  if (extras) for (const [k, t] of target.rows) if (!source.rows.has(k)) d.extra.push(t.key);
  return d;
}
