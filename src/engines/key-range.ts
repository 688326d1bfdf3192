// Keys and key ranges as docs/DATAPLANE.md defines them, shared by the engines' row access
// (src/engines/<kind>/rows.ts) and the data plane (copier, validator, change applier).
import { EngineInputError } from './errors';

/** One value in wire form (docs/DATAPLANE.md): exact, never a JS Date or a float for a decimal. */
export type WireValue = null | boolean | number | string | Buffer;

/** A primary-key value: wire values in key-column order. */
export type Key = WireValue[];

/** `lower` exclusive, `upper` inclusive, null unbounded; compared as a row value. */
export interface KeyRange {
  lower: Key | null;
  upper: Key | null;
}

/** The whole table. */
export const FULL_RANGE: KeyRange = { lower: null, upper: null };

/** A key as JSON can carry it (checkpoints, heartbeats): Buffers become {"$binary": base64}. */
export type JsonKeyValue = null | boolean | number | string | { $binary: string };
export type JsonKey = JsonKeyValue[];

export function keyToJson(key: Key): JsonKey {
  return key.map((v) => (Buffer.isBuffer(v) ? { $binary: v.toString('base64') } : v));
}

export function keyFromJson(key: JsonKey): Key {
  if (!Array.isArray(key)) throw new EngineInputError('a checkpoint key must be an array');
  return key.map((v) => {
    if (v !== null && typeof v === 'object') {
      if (typeof v.$binary !== 'string')
        throw new EngineInputError('a checkpoint key value is an object without a $binary string');
      return Buffer.from(v.$binary, 'base64');
    }
    return v;
  });
}

export function rangeToJson(range: KeyRange): { lower: JsonKey | null; upper: JsonKey | null } {
  return {
    lower: range.lower && keyToJson(range.lower),
    upper: range.upper && keyToJson(range.upper),
  };
}

export function rangeFromJson(range: { lower: JsonKey | null; upper: JsonKey | null }): KeyRange {
  return {
    lower: range.lower && keyFromJson(range.lower),
    upper: range.upper && keyFromJson(range.upper),
  };
}

/** Refuse a key whose arity does not match the key columns, or that holds a NULL (keys are NOT NULL). */
export function checkKey(key: Key, columns: readonly string[], what = 'key'): void {
  if (!Array.isArray(key) || key.length !== columns.length) {
    throw new EngineInputError(
      `${what} has ${Array.isArray(key) ? key.length : 'no'} values for ${columns.length} key column(s) (${columns.map((c) => JSON.stringify(c)).join(', ')})`,
    );
  }
  if (key.some((v) => v === null || v === undefined))
    throw new EngineInputError(`${what} holds a NULL: key columns are NOT NULL`);
}

export function checkRange(range: KeyRange, columns: readonly string[]): void {
  if (!columns.length) throw new EngineInputError('a key needs at least one column');
  if (range.lower) checkKey(range.lower, columns, 'the range lower bound');
  if (range.upper) checkKey(range.upper, columns, 'the range upper bound');
}

/** The positions of the key columns among the selected columns; every key column must be selected. */
export function keyPositions(columns: readonly string[], key: readonly string[]): number[] {
  return key.map((k) => {
    const i = columns.indexOf(k);
    if (i < 0)
      throw new EngineInputError(
        `key column ${JSON.stringify(k)} must be one of the columns read or written`,
      );
    return i;
  });
}

/** Approximate bytes of a row in wire form, for progress and chunk sizing. */
export function rowBytes(row: readonly unknown[]): number {
  let n = 0;
  for (const v of row) {
    if (v === null || v === undefined) n += 1;
    else if (Buffer.isBuffer(v)) n += v.length;
    else if (typeof v === 'string') n += Buffer.byteLength(v, 'utf8');
    else n += 8;
  }
  return n;
}
