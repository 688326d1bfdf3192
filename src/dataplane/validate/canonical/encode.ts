// Encoding values and rows: each value as a short tagged string by its column's Domain, a row as
// the JSON array of them.
import { canonicalJson } from './json';
import { booleanToken, floatToken, numberToken } from './numbers';
import { canonicalTimestamp, durationMicros } from './temporal';
import { bitsOf, mysqlSetMembers, parsePgArray, uuidOf } from './text-binary';
import type { CanonicalColumn, Side } from './types';
import { bytesOf, isBinaryJson, stringOf } from './values';

// ---------------------------------------------------------------------------------------------
// Encoding values

export const NULL_TOKEN = 'N';

/** Canonical text of one value read on `side` of the column. */
export function canonicalValue(column: CanonicalColumn, side: Side, value: unknown): string {
  if (side === 'source' && column.sourceZeroDates && isZeroOrPartialDate(value))
    value = column.sourceZeroDates === 'null' ? null : column.sourceZeroDates.sentinel;
  if (value === null || value === undefined) return NULL_TOKEN;
  const type = column[side];
  switch (column.domain) {
    case 'number':
      return numberToken(value);
    case 'float4':
    case 'float8':
      return floatToken(value, column.domain === 'float4');
    case 'boolean':
      return booleanToken(value);
    case 'text':
      return (
        's:' + JSON.stringify(type.cls === 'char' ? stringOf(value).replace(/ +$/, '') : stringOf(value))
      );
    case 'set':
      return (
        'a:' +
        JSON.stringify(
          type.cls === 'array' ? parsePgArray(stringOf(value)) : mysqlSetMembers(stringOf(value)),
        )
      );
    case 'binary':
      return 'x:' + bytesOf(value).toString('hex');
    case 'uuid':
      return 'u:' + uuidOf(value);
    case 'json':
      return 'j:' + canonicalJson(stringOf(value));
    case 'date':
    case 'timestamp':
      return 't:' + canonicalTimestamp(stringOf(value));
    case 'duration':
      return 'd:' + durationMicros(stringOf(value), type.engine, type.cls).toString();
    case 'bits':
      return 'b:' + bitsOf(value, type.bits ?? column.source.bits ?? column.target.bits);
    case 'raw':
      return rawToken(value);
  }
}

/** The canonical encoding of a whole row (values in the order of `columns`). */
export function canonicalRow(
  columns: readonly CanonicalColumn[],
  side: Side,
  row: readonly unknown[],
): string {
  if (row.length !== columns.length)
    throw new Error(`row has ${row.length} values for ${columns.length} columns`);
  return JSON.stringify(columns.map((c, i) => canonicalValue(c, side, row[i])));
}

function rawToken(value: unknown): string {
  if (Buffer.isBuffer(value)) return 'x:' + value.toString('hex');
  if (isBinaryJson(value)) return 'x:' + Buffer.from(value.$binary, 'base64').toString('hex');
  if (typeof value === 'boolean') return value ? 'b:1' : 'b:0';
  if (typeof value === 'number' || typeof value === 'bigint') return 'r:' + String(value);
  if (typeof value === 'string') return 's:' + JSON.stringify(value);
  return 'o:' + JSON.stringify(value);
}

// ---------------------------------------------------------------------------------------------
// Precompiled encoders (the validator's hot path)
//
// The same tokens as canonicalValue, with the column's domain and side decided once per table
// instead of once per value, and fast paths without regular expressions for the commonest wire
// forms (integers, plain decimals, plain text, "YYYY-MM-DD hh:mm:ss.ffffff", 0/1 booleans). Every
// fast path falls back to canonicalValue for any input it does not recognise, so the output is
// canonicalValue's exactly (test/dataplane/validate-canonical.test.ts checks them against each
// other).

export type ValueEncoder = (value: unknown) => string;

/** The token of an integer that is a safe JS number: normalizeDecimal(String(n)) without regex. */
function safeIntegerToken(n: number): string {
  if (n === 0) return 'n:0';
  const s = String(n);
  let end = s.length;
  while (s.charCodeAt(end - 1) === 48) end--;
  return 'n:' + s.slice(0, end) + 'e' + (s.length - end);
}

/** "-123.4500"-style text (optional '-', digits, optionally '.' and digits); null: anything else. */
function plainDecimalToken(s: string): string | null {
  const len = s.length;
  let i = 0;
  let neg = false;
  if (s.charCodeAt(0) === 45) {
    neg = true;
    i = 1;
  }
  const intStart = i;
  while (i < len) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    i++;
  }
  const intEnd = i;
  if (intEnd === intStart) return null;
  let fracStart = i;
  let fracEnd = i;
  if (i < len) {
    if (s.charCodeAt(i) !== 46) return null;
    fracStart = ++i;
    while (i < len) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) return null;
      i++;
    }
    fracEnd = i;
    if (fracEnd === fracStart) return null;
  }
  // digits = int part + fraction, without leading and trailing zeros
  let first = intStart;
  while (first < intEnd && s.charCodeAt(first) === 48) first++;
  if (first === intEnd) {
    first = fracStart;
    while (first < fracEnd && s.charCodeAt(first) === 48) first++;
    if (first === fracEnd) return 'n:0';
  }
  let last: number; // exclusive end of the significant digits
  let exp: number;
  let fl = fracEnd;
  while (fl > fracStart && s.charCodeAt(fl - 1) === 48) fl--;
  if (fl > fracStart) {
    last = fl;
    exp = -(fl - fracStart);
  } else {
    let il = intEnd;
    while (il > first && s.charCodeAt(il - 1) === 48) il--;
    last = il;
    exp = intEnd - il;
  }
  const digits =
    first >= fracStart || last <= intEnd
      ? s.slice(first, last)
      : s.slice(first, intEnd) + s.slice(fracStart, last);
  return 'n:' + (neg ? '-' : '') + digits + 'e' + exp;
}

/** "YYYY-MM-DD hh:mm:ss.ffffff" exactly: canonicalTimestamp returns it unchanged. */
function isPlainTimestamp6(s: string): boolean {
  if (s.length !== 26) return false;
  for (let i = 0; i < 26; i++) {
    const c = s.charCodeAt(i);
    switch (i) {
      case 4:
      case 7:
        if (c !== 45) return false;
        break;
      case 10:
        if (c !== 32) return false;
        break;
      case 13:
      case 16:
        if (c !== 58) return false;
        break;
      case 19:
        if (c !== 46) return false;
        break;
      default:
        if (c < 48 || c > 57) return false;
    }
  }
  return true;
}

/** An encoder for one column on one side: canonicalValue(column, side, value), faster. */
export function valueEncoder(column: CanonicalColumn, side: Side): ValueEncoder {
  const slow: ValueEncoder = (v) => canonicalValue(column, side, v);
  // Zero dates mapped by a policy: the fast paths below would take '0000-00-00 ...' as it is.
  if (side === 'source' && column.sourceZeroDates) return slow;
  const type = column[side];
  switch (column.domain) {
    case 'number':
      return (v) => {
        if (v === null || v === undefined) return NULL_TOKEN;
        if (typeof v === 'number') return Number.isSafeInteger(v) ? safeIntegerToken(v) : slow(v);
        if (typeof v === 'string') return plainDecimalToken(v) ?? slow(v);
        return slow(v);
      };
    case 'boolean':
      return (v) => (v === 1 ? 'b:1' : v === 0 ? 'b:0' : slow(v));
    case 'text':
      if (type.cls === 'char') return slow;
      return (v) => (typeof v === 'string' ? 's:' + JSON.stringify(v) : slow(v));
    case 'date':
    case 'timestamp':
      return (v) => (typeof v === 'string' && isPlainTimestamp6(v) ? 't:' + v : slow(v));
    default:
      return slow;
  }
}

/** Encoders for every column of a row on one side, in the order of `columns`. */
export function rowEncoders(columns: readonly CanonicalColumn[], side: Side): ValueEncoder[] {
  return columns.map((c) => valueEncoder(c, side));
}

/** A MySQL zero or partial date ('0000-00-00', '2024-00-15', with or without a time). */
function isZeroOrPartialDate(value: unknown): boolean {
  const text = typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('latin1') : null;
  const m = text === null ? null : /^(\d{4})-(\d{2})-(\d{2})/.exec(text);
  return !!m && (m[1] === '0000' || m[2] === '00' || m[3] === '00');
}
