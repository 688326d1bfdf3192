// Row hashes and order-independent chunk digests over canonical encodings (canonical.ts).
//
// A row's hash is MD5 (128 bits) over its canonical key and canonical row. This is not a security
// boundary (both sides are our own reads), only accidental collisions matter, and for those 128 bits
// leave the risk negligible; MD5 through the one-shot crypto.hash into a latin1 string is several
// times cheaper per row than a SHA-256 Hash object and a Buffer. A chunk's digest is the row count
// plus the sum of its row hashes modulo 2^128: the sum does not depend on the order rows arrive in
// (each engine orders text keys its own way), and unlike XOR a row that appears twice does not
// cancel out. Two sides whose digests are equal hold the same rows, up to a 128-bit collision; when
// they differ, the per-key hashes kept alongside say which keys differ.
import { createHash, hash } from 'node:crypto';
import { canonicalRow, type CanonicalColumn, type Side } from './canonical';
import { rowEncoders, type ValueEncoder } from './canonical/encode';

/** A row hash: the 16 bytes of the MD5 digest as a 16-character latin1 string. */
export type RowHash = string;

/** 128-bit hash of one row, keyed by its canonical key so a value cannot move between keys unseen. */
export function rowHash(canonicalKey: string, canonicalRowText: string): RowHash {
  return hash('md5', canonicalKey + '\u0000' + canonicalRowText, 'latin1');
}

const TWO32 = 0x1_0000_0000;

/** Bytes i..i+3 of a row hash as an unsigned 32-bit number (big-endian). */
function limb(h: RowHash, i: number): number {
  return (
    ((h.charCodeAt(i) << 24) |
      (h.charCodeAt(i + 1) << 16) |
      (h.charCodeAt(i + 2) << 8) |
      h.charCodeAt(i + 3)) >>>
    0
  );
}

export class ChunkDigest {
  count = 0;
  // The sum modulo 2^128 as four 32-bit limbs, most significant first.
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  add(h: RowHash): void {
    this.count++;
    let v = this.s3 + limb(h, 12);
    let carry = v >= TWO32 ? 1 : 0;
    this.s3 = v - carry * TWO32;
    v = this.s2 + limb(h, 8) + carry;
    carry = v >= TWO32 ? 1 : 0;
    this.s2 = v - carry * TWO32;
    v = this.s1 + limb(h, 4) + carry;
    carry = v >= TWO32 ? 1 : 0;
    this.s1 = v - carry * TWO32;
    v = this.s0 + limb(h, 0) + carry;
    this.s0 = v >= TWO32 ? v - TWO32 : v;
  }

  equals(other: ChunkDigest): boolean {
    return (
      this.count === other.count &&
      this.s0 === other.s0 &&
      this.s1 === other.s1 &&
      this.s2 === other.s2 &&
      this.s3 === other.s3
    );
  }

  /** The count and the four limbs, to carry a digest between threads (fromState reverses it). */
  state(): [number, number, number, number, number] {
    return [this.count, this.s0, this.s1, this.s2, this.s3];
  }

  static fromState(state: readonly number[]): ChunkDigest {
    const d = new ChunkDigest();
    [d.count, d.s0, d.s1, d.s2, d.s3] = state as [number, number, number, number, number];
    return d;
  }

  /** "<count>:<32 hex digits>", for reports and logs. */
  toString(): string {
    const hex = (n: number): string => n.toString(16).padStart(8, '0');
    return `${this.count}:${hex(this.s0)}${hex(this.s1)}${hex(this.s2)}${hex(this.s3)}`;
  }
}

/** One side's rows of a chunk, by canonical key. */
export interface HashedRows {
  digest: ChunkDigest;
  /** canonical key -> the key in the side's wire form and the row's hash */
  rows: Map<string, { key: unknown[]; hash: RowHash }>;
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

const encoderCache = new WeakMap<readonly CanonicalColumn[], Record<Side, ValueEncoder[] | undefined>>();

/** The columns' precompiled encoders on one side, compiled once per columns array (per table). */
function encodersFor(columns: readonly CanonicalColumn[], side: Side): ValueEncoder[] {
  let entry = encoderCache.get(columns);
  if (!entry) encoderCache.set(columns, (entry = { source: undefined, target: undefined }));
  return (entry[side] ??= rowEncoders(columns, side));
}

/**
 * Hash the rows (values in `columns` order) read on one side. Each value is encoded once; the key
 * text is the JSON array of the key columns' tokens, exactly canonicalKey's; the row hash covers
 * that key text and every token (joinTokens), so equal hashes mean equal canonical rows.
 */
export function hashRows(
  columns: readonly CanonicalColumn[],
  keyAt: readonly number[],
  side: Side,
  rows: readonly (readonly unknown[])[],
): HashedRows {
  const digest = new ChunkDigest();
  const out = new Map<string, { key: unknown[]; hash: RowHash }>();
  const enc = encodersFor(columns, side);
  const n = columns.length;
  const kn = keyAt.length;
  const tokens: string[] = new Array<string>(n);
  const keyTokens: string[] = new Array<string>(kn);
  for (const row of rows) {
    if (row.length !== n) throw new Error(`row has ${row.length} values for ${n} columns`);
    for (let i = 0; i < n; i++) tokens[i] = enc[i]!(row[i]);
    const key: unknown[] = new Array<unknown>(kn);
    for (let j = 0; j < kn; j++) {
      const at = keyAt[j]!;
      key[j] = row[at];
      keyTokens[j] = tokens[at]!;
    }
    const k = JSON.stringify(keyTokens);
    const h = rowHash(k, joinTokens(tokens, n));
    digest.add(h);
    out.set(k, { key, hash: h });
  }
  return { digest, rows: out };
}

/**
 * A row's tokens as one unambiguous text: each token prefixed by its length. Cheaper than the JSON
 * array (no re-escaping of tokens that are JSON themselves); used only where both sides' texts are
 * compared with each other in one run (row hashes, sequence digests), never as a canonical key.
 */
function joinTokens(tokens: readonly string[], n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) {
    const t = tokens[i]!;
    out += t.length + ':' + t;
  }
  return out;
}

/** A side's rows of a chunk hashed as one sequence, in the order read (see sequenceDigest). */
export interface SequenceDigest {
  count: number;
  /** SHA-256 as a 32-character latin1 string. */
  hash: string;
}

/**
 * SHA-256 over the sequence of rows' token texts (joinTokens: every token, the key columns' among them)
 * in the order read; length prefixes make the sequence unambiguous. Equal sequence digests mean the same rows in the same order, up to a 256-bit collision;
 * in range mode both sides read a chunk in the same key order, so a matching chunk costs one hash
 * per side instead of one per row. Unequal ones say nothing more: the caller then falls back to
 * hashRows and diffRows, which find the differing keys whatever the order.
 */
export function sequenceDigest(
  columns: readonly CanonicalColumn[],
  keyAt: readonly number[],
  side: Side,
  rows: readonly (readonly unknown[])[],
): SequenceDigest {
  const enc = encodersFor(columns, side);
  const n = columns.length;
  const tokens: string[] = new Array<string>(n);
  // SHA-256, not MD5: the cheaper of the two here (OpenSSL uses the CPU's SHA extensions where it
  // has them). Fed row by row: joining a chunk's rows into one string first cost more than hashing
  // it. Rows need no separator: every row has n length-prefixed tokens.
  const h = createHash('sha256');
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    if (row.length !== n) throw new Error(`row has ${row.length} values for ${n} columns`);
    for (let i = 0; i < n; i++) tokens[i] = enc[i]!(row[i]);
    h.update(joinTokens(tokens, n));
  }
  return { count: rows.length, hash: h.digest('latin1') };
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
