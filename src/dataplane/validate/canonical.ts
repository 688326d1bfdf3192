// Canonical, engine-neutral encoding of rows for validation.
//
// A source row (read in wire form, docs/DATAPLANE.md) and a target row encode to the same string
// exactly when they hold the same data under the column's mapping. Equality is value equality of
// the *pair* of types, decided per column from the source type and the target type:
//
// - numbers (integers, DECIMAL/numeric, YEAR): exact decimal value, no float on the way; "12",
//   12 and "12.00" are equal, "12.001" is not "12.00" (a rounded copy is a difference).
// - float / double: the value (shortest round-trip form of the single or double); -0 equals 0
//   (both engines compare them equal, and MySQL does not keep the sign); NaN equals NaN.
// - boolean against an integer column (TINYINT(1), BIT(1)): 0/1 are false/true; any other integer
//   stays a number and so differs from every boolean.
// - text, CHAR, ENUM: exact code points (a _ci collation does NOT make 'A' equal 'a'); CHAR(n)
//   sides lose their trailing spaces (MySQL strips them on read, PostgreSQL pads).
// - SET vs text[]: the member list in order ('' is the empty list).
// - dates, DATETIME/TIMESTAMP, timestamp(tz): the UTC instant or wall-clock time, fractional
//   seconds padded to 6 digits; an offset (+05:30) is applied, so timestamptz text in any zone
//   compares with a MySQL TIMESTAMP read in a UTC session. Zero dates stay as they are (and so
//   never equal a real date).
// - TIME vs interval / time: the duration in microseconds ("838:59:59" = "34 days 22:59:59"),
//   months counting 30 days as PostgreSQL's interval comparison does.
// - JSON: parsed (duplicate keys: the last wins, as jsonb does), keys sorted, numbers as exact
//   decimal values (1.0 = 1 = 1e0, as jsonb compares them), strings exact.
// - binary: hex; uuid: lower-case hex with dashes (BINARY(16) sides formatted as a uuid).
// - bit strings: the bits, left-padded to the declared length.
// - NULL is its own token, distinct from '' and from the text 'NULL'.
//
// Each value becomes a short tagged string (`n:...`, `s:"..."`); a row is the JSON array of them, so
// no value can run into its neighbour.
import type { ColumnModel, EngineKind, TableModel } from '../../engines/model';

/** What is compared in a column: one per pair of source and target types. */
export type Domain =
  | 'number'
  | 'float4'
  | 'float8'
  | 'boolean'
  | 'text'
  | 'set'
  | 'binary'
  | 'uuid'
  | 'json'
  | 'date'
  | 'timestamp'
  | 'duration'
  | 'bits'
  | 'raw';

/** The class of one side's type, before it is paired with the other side's. */
export type TypeClass =
  | 'int'
  | 'tinyint1'
  | 'decimal'
  | 'float4'
  | 'float8'
  | 'bool'
  | 'bit1'
  | 'bits'
  | 'char'
  | 'text'
  | 'set'
  | 'array'
  | 'binary'
  | 'uuid'
  | 'json'
  | 'date'
  | 'timestamp'
  | 'time'
  | 'interval'
  | 'other';

export interface SideType {
  engine: EngineKind;
  cls: TypeClass;
  /** Declared bit length for bit strings. */
  bits?: number;
}

export interface CanonicalColumn {
  name: string;
  domain: Domain;
  source: SideType;
  target: SideType;
}

export type Side = 'source' | 'target';

// ---------------------------------------------------------------------------------------------
// Classifying types

const MYSQL_INT = /^(tinyint|smallint|mediumint|int|integer|bigint|int[1-8]|middleint|year|bool|boolean)\b/;

/**
 * The class of a type written as DDL or as a model's native type: `mysql` types as MySQL prints
 * them ("tinyint(1) unsigned", "decimal(10,2)", "enum('a','b')"), `postgres` types as format_type
 * prints them ("numeric(20,0)", "timestamp(6) with time zone", "text[]", a quoted enum name).
 */
export function classifyType(
  engine: EngineKind,
  type: string,
  hints: { isJson?: boolean; isEnum?: boolean } = {},
): SideType {
  const t = type.toLowerCase().trim().replace(/\s+/g, ' ');
  const side = (cls: TypeClass, bits?: number): SideType =>
    bits === undefined ? { engine, cls } : { engine, cls, bits };
  if (hints.isJson || /^jsonb?\b/.test(t)) return side('json');
  if (engine === 'mysql') {
    if (/^(bool|boolean)\b/.test(t) || /^(tinyint|int1)\s*\(\s*1\s*\)/.test(t)) return side('tinyint1');
    if (MYSQL_INT.test(t)) return side('int');
    if (/^(decimal|numeric|dec|fixed)\b/.test(t)) return side('decimal');
    if (/^(float|float4)\b/.test(t) && !/^float\s*\(\s*(2[5-9]|[3-5]\d)\s*\)/.test(t)) return side('float4');
    if (/^(float|double|real|float8)\b/.test(t)) return side('float8');
    if (/^bit\b/.test(t)) {
      const n = Number(/^bit\s*\(\s*(\d+)\s*\)/.exec(t)?.[1] ?? 1);
      return n === 1 ? side('bit1') : side('bits', n);
    }
    if (/^(char|character|nchar)\b/.test(t) && !/^character varying/.test(t)) return side('char');
    if (/^(varchar|character varying|nvarchar|tinytext|text|mediumtext|longtext|long)\b/.test(t))
      return side('text');
    if (/^enum\b/.test(t) || hints.isEnum) return side('text');
    if (/^set\b/.test(t)) return side('set');
    if (/^(binary|varbinary|tinyblob|blob|mediumblob|longblob)\b/.test(t)) return side('binary');
    if (/^uuid\b/.test(t)) return side('uuid');
    if (/^date$/.test(t)) return side('date');
    if (/^(datetime|timestamp)\b/.test(t)) return side('timestamp');
    if (/^time\b/.test(t)) return side('time');
    return side('other');
  }
  if (/\[\]$/.test(t) || /^array\b/.test(t)) return side('array');
  if (/^(smallint|integer|bigint|int2|int4|int8|int)$/.test(t)) return side('int');
  if (/^(numeric|decimal)\b/.test(t)) return side('decimal');
  if (/^(real|float4)$/.test(t)) return side('float4');
  if (/^(double precision|float8)$/.test(t)) return side('float8');
  if (/^(boolean|bool)$/.test(t)) return side('bool');
  if (/^(bit varying|varbit|bit)\b/.test(t)) {
    const n = /\(\s*(\d+)\s*\)/.exec(t)?.[1];
    return side('bits', n === undefined ? undefined : Number(n));
  }
  if (/^(character|char|bpchar)\b/.test(t) && !/^(character|char) varying/.test(t)) return side('char');
  if (/^(character varying|varchar|text|citext|name)\b/.test(t)) return side('text');
  if (/^bytea$/.test(t)) return side('binary');
  if (/^uuid$/.test(t)) return side('uuid');
  if (/^date$/.test(t)) return side('date');
  if (/^timestamp\b/.test(t)) return side('timestamp');
  if (/^time\b/.test(t)) return side('time');
  if (/^interval\b/.test(t)) return side('interval');
  if (hints.isEnum || /^"/.test(t)) return side('text');
  return side('other');
}

/** The class of a column as introspection describes it. */
export function classifyColumn(engine: EngineKind, c: ColumnModel): SideType {
  if (engine === 'postgres') {
    if (c.dataType === 'array') return { engine, cls: 'array' };
    if (c.enumValues) return { engine, cls: 'text' };
    const t = c.dataType === 'bit' || c.dataType === 'bit varying' ? c.nativeType : c.dataType;
    return classifyType(engine, t, { isJson: c.isJson });
  }
  return classifyType(engine, c.nativeType, { isJson: c.isJson });
}

const BOOLEAN_PARTNERS = new Set<TypeClass>(['bool', 'bit1', 'tinyint1', 'int']);
const NUMERIC = new Set<TypeClass>(['int', 'tinyint1', 'decimal']);
const TEXTUAL = new Set<TypeClass>(['char', 'text']);
const TEMPORAL = new Set<TypeClass>(['timestamp']);
const DURATION = new Set<TypeClass>(['time', 'interval']);

/** What a pair of column types compares as. */
export function pairDomain(a: SideType, b: SideType): Domain {
  const has = (c: TypeClass): boolean => a.cls === c || b.cls === c;
  const both = (s: Set<TypeClass>): boolean => s.has(a.cls) && s.has(b.cls);
  if (a.cls === 'json' && b.cls === 'json') return 'json';
  const boolish = (c: TypeClass): boolean => c === 'bool' || c === 'bit1';
  if ((boolish(a.cls) || boolish(b.cls)) && BOOLEAN_PARTNERS.has(a.cls) && BOOLEAN_PARTNERS.has(b.cls))
    return 'boolean';
  if (both(NUMERIC)) return 'number';
  if (a.cls === 'float4' && b.cls === 'float4') return 'float4';
  if ((a.cls === 'float4' || a.cls === 'float8') && (b.cls === 'float4' || b.cls === 'float8'))
    return 'float8';
  if (both(TEXTUAL)) return 'text';
  if ((has('set') && (has('array') || a.cls === b.cls)) || (a.cls === 'set' && b.cls === 'set')) return 'set';
  if (a.cls === 'binary' && b.cls === 'binary') return 'binary';
  if (
    has('uuid') &&
    ['uuid', 'binary', 'char', 'text'].includes(a.cls) &&
    ['uuid', 'binary', 'char', 'text'].includes(b.cls)
  )
    return 'uuid';
  if (a.cls === 'date' && b.cls === 'date') return 'date';
  if (both(TEMPORAL) || (has('date') && has('timestamp'))) return 'timestamp';
  if (both(DURATION)) return 'duration';
  if ((a.cls === 'bits' || a.cls === 'bit1') && (b.cls === 'bits' || b.cls === 'bit1')) return 'bits';
  return 'raw';
}

/**
 * The comparison for one column: `source` as introspected on the source, `targetType` the type
 * the target column has (the mapping's targetType, or the target's introspected native type).
 */
export function canonicalColumn(
  from: EngineKind,
  to: EngineKind,
  source: ColumnModel,
  target: string | ColumnModel,
): CanonicalColumn {
  const s = classifyColumn(from, source);
  const t =
    typeof target === 'string' ? classifyType(to, target, { isJson: false }) : classifyColumn(to, target);
  // Same engine, same type: still canonical (CHAR padding, JSON key order of json columns), via the pair.
  return { name: source.name, domain: pairDomain(s, t), source: s, target: t };
}

/**
 * The comparisons for a whole table, in the source's column order: the target given as its
 * introspected model or as the mapped target type of each column (by source column name).
 * `exclude` leaves columns out (e.g. columns an override drops on the target).
 */
export function canonicalColumns(
  from: EngineKind,
  to: EngineKind,
  source: TableModel,
  target: TableModel | Record<string, string>,
  options: { exclude?: string[] } = {},
): CanonicalColumn[] {
  const out: CanonicalColumn[] = [];
  for (const c of source.columns) {
    if (options.exclude?.includes(c.name)) continue;
    const t = isTableModel(target) ? target.columns.find((x) => x.name === c.name) : target[c.name];
    if (t === undefined)
      throw new CanonicalError(
        `column ${JSON.stringify(c.name)} of ${JSON.stringify(source.name)} has no counterpart on the target; exclude it or map it`,
      );
    out.push(canonicalColumn(from, to, c, t));
  }
  return out;
}

function isTableModel(t: TableModel | Record<string, string>): t is TableModel {
  return Array.isArray((t as TableModel).columns) && typeof (t as TableModel).name === 'string';
}

// ---------------------------------------------------------------------------------------------
// Encoding values

export const NULL_TOKEN = 'N';

/** Canonical text of one value read on `side` of the column. */
export function canonicalValue(column: CanonicalColumn, side: Side, value: unknown): string {
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

function isBinaryJson(v: unknown): v is { $binary: string } {
  return typeof v === 'object' && v !== null && typeof (v as { $binary?: unknown }).$binary === 'string';
}

function stringOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  return JSON.stringify(value);
}

function bytesOf(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (isBinaryJson(value)) return Buffer.from(value.$binary, 'base64');
  if (typeof value === 'string') {
    // PostgreSQL bytea text (hex output), should a reader hand it over unparsed.
    if (/^\\x([0-9a-f]{2})*$/i.test(value)) return Buffer.from(value.slice(2), 'hex');
    return Buffer.from(value, 'utf8');
  }
  return Buffer.from(stringOf(value), 'utf8');
}

// --- numbers ---------------------------------------------------------------------------------

/**
 * An exact decimal as sign, significant digits and exponent: "-1.2500" -> "-125e-2", "0.00" -> "0".
 * Returns null for text that is not a plain decimal (NaN, Infinity).
 */
export function normalizeDecimal(text: string): string | null {
  const m = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return null;
  const sign = m[1] === '-' ? '-' : '';
  const intPart = m[2] ?? '';
  const frac = m[3] ?? '';
  let digits = intPart + frac;
  let exp = BigInt(m[4] ?? '0') - BigInt(frac.length);
  digits = digits.replace(/^0+/, '');
  if (digits === '') return '0';
  const trailing = /0*$/.exec(digits)![0].length;
  if (trailing) {
    digits = digits.slice(0, digits.length - trailing);
    exp += BigInt(trailing);
  }
  return `${sign}${digits}e${exp}`;
}

function numberToken(value: unknown): string {
  if (typeof value === 'boolean') return value ? 'n:1e0' : 'n:0';
  if (typeof value === 'number' && !Number.isFinite(value)) return 'n:' + String(value);
  const text = typeof value === 'number' ? numberText(value) : stringOf(value);
  const d = normalizeDecimal(text);
  return d === null ? 'n:' + text.trim() : 'n:' + d;
}

/** A JS number as exact decimal text (toString uses exponents for large and tiny values). */
function numberText(n: number): string {
  return Object.is(n, -0) ? '0' : String(n);
}

function shortestFloat32(x: number): string {
  const f = Math.fround(x);
  for (let p = 1; p <= 9; p++) {
    const s = f.toPrecision(p);
    if (Math.fround(Number(s)) === f) return String(Number(s));
  }
  return String(f);
}

function floatToken(value: unknown, single: boolean): string {
  let n: number;
  if (typeof value === 'number') n = value;
  else {
    const s = stringOf(value).trim();
    n = /^-?inf(inity)?$/i.test(s) ? (s.startsWith('-') ? -Infinity : Infinity) : Number(s);
    if (s === '' || (Number.isNaN(n) && !/^nan$/i.test(s))) return 'f?' + JSON.stringify(s);
  }
  if (Number.isNaN(n)) return 'f:NaN';
  if (!Number.isFinite(n)) return n > 0 ? 'f:Infinity' : 'f:-Infinity';
  if (n === 0) return 'f:0';
  return 'f:' + (single ? shortestFloat32(n) : String(n));
}

function booleanToken(value: unknown): string {
  if (value === true) return 'b:1';
  if (value === false) return 'b:0';
  if (Buffer.isBuffer(value) || isBinaryJson(value)) {
    // BIT(1): one byte holding 0 or 1.
    const b = bytesOf(value);
    const v = b.reduce((acc, byte) => acc * 256 + byte, 0);
    return v === 0 ? 'b:0' : v === 1 ? 'b:1' : 'n:' + normalizeDecimal(String(v));
  }
  const text = typeof value === 'number' ? numberText(value) : stringOf(value).trim();
  if (/^(t|true)$/i.test(text)) return 'b:1';
  if (/^(f|false)$/i.test(text)) return 'b:0';
  const d = normalizeDecimal(text);
  if (d === '0') return 'b:0';
  if (d === '1e0') return 'b:1';
  // Any other integer (TINYINT(1) holding 2) is a number, unequal to every boolean.
  return 'n:' + (d ?? text);
}

// --- text, sets, arrays ------------------------------------------------------------------------

/** MySQL prints a SET as its members joined by commas in declaration order; '' is the empty set. */
export function mysqlSetMembers(text: string): string[] {
  return text === '' ? [] : text.split(',');
}

/** A one-dimensional PostgreSQL array literal ({a,"b c",NULL}) as its elements. */
export function parsePgArray(text: string): (string | null)[] {
  const s = text.replace(/^\[[^\]]*\]=/, '');
  if (!s.startsWith('{') || !s.endsWith('}')) return [text];
  const body = s.slice(1, -1);
  const out: (string | null)[] = [];
  if (body === '') return out;
  let i = 0;
  while (i <= body.length) {
    if (body[i] === '"') {
      let v = '';
      i++;
      while (i < body.length && body[i] !== '"') {
        if (body[i] === '\\') i++;
        v += body[i] ?? '';
        i++;
      }
      i++; // closing quote
      out.push(v);
    } else {
      let j = i;
      while (j < body.length && body[j] !== ',') j++;
      const raw = body.slice(i, j).trim();
      out.push(raw.toUpperCase() === 'NULL' ? null : raw);
      i = j;
    }
    if (i >= body.length) break;
    i++; // comma
  }
  return out;
}

// --- uuid, bits -------------------------------------------------------------------------------

function uuidOf(value: unknown): string {
  if (Buffer.isBuffer(value) || isBinaryJson(value)) {
    const hex = bytesOf(value).toString('hex');
    if (hex.length !== 32) return 'x' + hex;
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  const s = stringOf(value);
  const hex = s.replace(/[{}-]/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) return JSON.stringify(s);
  const h = hex.toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function bitsOf(value: unknown, length: number | undefined): string {
  let bits: string;
  if (Buffer.isBuffer(value) || isBinaryJson(value)) {
    bits = [...bytesOf(value)].map((b) => b.toString(2).padStart(8, '0')).join('');
    if (length !== undefined && bits.length > length) {
      const cut = bits.length - length;
      if (/1/.test(bits.slice(0, cut))) return JSON.stringify(bits);
      bits = bits.slice(cut);
    }
  } else if (typeof value === 'number') {
    bits = value.toString(2);
  } else {
    bits = stringOf(value);
  }
  return length !== undefined && bits.length < length ? bits.padStart(length, '0') : bits;
}

// --- dates and times ----------------------------------------------------------------------------

const TIMESTAMP =
  /^(-?\d{4,})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?)?\s*(?:(Z|[+-]\d{2})(?::?(\d{2}))?(?::?(\d{2}))?)?(\s+BC)?$/i;

/**
 * "YYYY-MM-DD hh:mm:ss.ffffff" in UTC when the text carries an offset, else the wall-clock time as
 * printed; dates become "YYYY-MM-DD". Text that is not a timestamp (infinity) is kept as is.
 */
export function canonicalTimestamp(text: string): string {
  const s = text.trim();
  const m = TIMESTAMP.exec(s);
  if (!m) return JSON.stringify(s);
  const [, y, mo, d, hh, mi, ss, frac, tz, tzm, tzs, bc] = m;
  const era = bc ? ' BC' : '';
  if (hh === undefined) return `${y}-${mo}-${d}${era}`;
  const micros = (frac ?? '').padEnd(6, '0');
  if (micros.length > 6 && /[1-9]/.test(micros.slice(6))) return JSON.stringify(s);
  const fraction = micros.slice(0, 6);
  if (!tz || tz.toUpperCase() === 'Z' || (Number(tz) === 0 && !Number(tzm ?? 0) && !Number(tzs ?? 0)) || bc) {
    return `${y}-${mo}-${d} ${hh}:${mi}:${ss}.${fraction}${era}`;
  }
  const sign = tz.startsWith('-') ? -1 : 1;
  const offset = sign * (Math.abs(Number(tz)) * 3600 + Number(tzm ?? 0) * 60 + Number(tzs ?? 0));
  const date = new Date(0);
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  date.setUTCHours(Number(hh), Number(mi), Number(ss) - offset, 0);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const year = date.getUTCFullYear();
  const yearText = year < 0 ? '-' + p(-year, 4) : p(year, 4);
  return `${yearText}-${p(date.getUTCMonth() + 1)}-${p(date.getUTCDate())} ${p(date.getUTCHours())}:${p(
    date.getUTCMinutes(),
  )}:${p(date.getUTCSeconds())}.${fraction}`;
}

const US_PER_SECOND = 1_000_000n;
const US_PER_DAY = 86_400n * US_PER_SECOND;

function clockMicros(sign: string, h: string, m: string, s: string, frac: string | undefined): bigint {
  const us =
    (BigInt(h) * 3600n + BigInt(m) * 60n + BigInt(s)) * US_PER_SECOND +
    BigInt((frac ?? '').padEnd(6, '0').slice(0, 6) || '0');
  return sign === '-' ? -us : us;
}

/**
 * A duration in microseconds: MySQL TIME ("-838:59:59.5", "1 02:00:00"), PostgreSQL time and
 * interval in the default style ("1 year 2 mons -3 days +04:05:06.5"), months as 30 days.
 */
export function durationMicros(text: string, _engine: EngineKind, _cls: TypeClass): bigint {
  const s = text.trim();
  const mysql = /^([+-])?(?:(\d+) )?(\d+):(\d{1,2})(?::(\d{1,2})(?:\.(\d+))?)?$/.exec(s);
  if (mysql) {
    const [, sign, days, h, m, sec, frac] = mysql;
    const us = clockMicros('+', h!, m!, sec ?? '0', frac) + BigInt(days ?? '0') * US_PER_DAY;
    return sign === '-' ? -us : us;
  }
  let rest = s;
  let total = 0n;
  const units: Record<string, bigint> = {
    year: 360n * US_PER_DAY,
    mon: 30n * US_PER_DAY,
    day: US_PER_DAY,
    hour: 3600n * US_PER_SECOND,
    min: 60n * US_PER_SECOND,
    sec: US_PER_SECOND,
  };
  const unit = /^([+-]?\d+)\s+(years?|mons?|months?|days?|hours?|mins?|minutes?|secs?|seconds?)\s*/i;
  for (;;) {
    const u = unit.exec(rest);
    if (!u) break;
    const name = u[2]!
      .toLowerCase()
      .replace(/s$/, '')
      .replace(/^month$/, 'mon')
      .replace(/^minute$/, 'min')
      .replace(/^second$/, 'sec');
    total += BigInt(u[1]!) * (units[name] ?? 0n);
    rest = rest.slice(u[0].length);
  }
  const clock = /^([+-])?(\d+):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(rest.trim());
  if (clock) {
    total += clockMicros(clock[1] ?? '+', clock[2]!, clock[3]!, clock[4]!, clock[5]);
    rest = '';
  }
  if (rest.trim() !== '') throw new CanonicalError(`not a duration: ${JSON.stringify(s)}`);
  return total;
}

export class CanonicalError extends Error {
  override name = 'CanonicalError';
}

// --- JSON -----------------------------------------------------------------------------------------

type JsonNode =
  | { t: 'null' }
  | { t: 'bool'; v: boolean }
  | { t: 'num'; v: string }
  | { t: 'str'; v: string }
  | { t: 'arr'; v: JsonNode[] }
  | { t: 'obj'; v: Map<string, JsonNode> };

/**
 * JSON text as a canonical string: keys sorted (by code unit), duplicate keys resolved to the last,
 * numbers as exact normalized decimals, no whitespace. Invalid JSON is kept as its exact text.
 */
export function canonicalJson(text: string): string {
  let node: JsonNode;
  try {
    node = new JsonParser(text).document();
  } catch {
    return '?' + JSON.stringify(text);
  }
  return emitJson(node);
}

function emitJson(n: JsonNode): string {
  switch (n.t) {
    case 'null':
      return 'null';
    case 'bool':
      return n.v ? 'true' : 'false';
    case 'num':
      return n.v;
    case 'str':
      return JSON.stringify(n.v);
    case 'arr':
      return '[' + n.v.map(emitJson).join(',') + ']';
    case 'obj': {
      const keys = [...n.v.keys()].sort();
      return '{' + keys.map((k) => JSON.stringify(k) + ':' + emitJson(n.v.get(k)!)).join(',') + '}';
    }
  }
}

const NUMBER = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
// eslint-disable-next-line no-control-regex
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;

class JsonParser {
  private i = 0;
  constructor(private readonly s: string) {}

  document(): JsonNode {
    const v = this.value();
    this.ws();
    if (this.i !== this.s.length) throw new Error('trailing text');
    return v;
  }

  private ws(): void {
    while (this.i < this.s.length && ' \t\n\r'.includes(this.s[this.i]!)) this.i++;
  }

  private value(): JsonNode {
    this.ws();
    const c = this.s[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return { t: 'str', v: this.string() };
    if (this.s.startsWith('true', this.i)) return ((this.i += 4), { t: 'bool', v: true });
    if (this.s.startsWith('false', this.i)) return ((this.i += 5), { t: 'bool', v: false });
    if (this.s.startsWith('null', this.i)) return ((this.i += 4), { t: 'null' });
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(this.s);
    if (!m) throw new Error('bad value');
    this.i += m[0].length;
    return { t: 'num', v: normalizeDecimal(m[0])! };
  }

  private object(): JsonNode {
    const map = new Map<string, JsonNode>();
    this.i++;
    this.ws();
    if (this.s[this.i] === '}') return (this.i++, { t: 'obj', v: map });
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') throw new Error('key expected');
      const k = this.string();
      this.ws();
      if (this.s[this.i++] !== ':') throw new Error(': expected');
      map.set(k, this.value());
      this.ws();
      const c = this.s[this.i++];
      if (c === '}') return { t: 'obj', v: map };
      if (c !== ',') throw new Error(', expected');
    }
  }

  private array(): JsonNode {
    const out: JsonNode[] = [];
    this.i++;
    this.ws();
    if (this.s[this.i] === ']') return (this.i++, { t: 'arr', v: out });
    for (;;) {
      out.push(this.value());
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') return { t: 'arr', v: out };
      if (c !== ',') throw new Error(', expected');
    }
  }

  private string(): string {
    STRING.lastIndex = this.i;
    const m = STRING.exec(this.s);
    if (!m) throw new Error('bad string');
    this.i += m[0].length;
    return JSON.parse(m[0]) as string;
  }
}
