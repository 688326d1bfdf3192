// MySQL/MariaDB wire values -> PostgreSQL wire values. The source values are what the MySQL engine
// reads (mysql2 text protocol in UTC sessions): numbers for small integers, strings for BIGINT,
// DECIMAL and temporal types, Buffers for binary types and BIT, exact JSON text.
import { ValueProblem } from './problems';
import type { ColumnConversion, Converter, ZeroDatePolicy } from './translate';

const ALIASES: Record<string, string> = {
  integer: 'int',
  bool: 'tinyint',
  boolean: 'tinyint',
  dec: 'decimal',
  numeric: 'decimal',
  fixed: 'decimal',
  real: 'double',
  'double precision': 'double',
};

/** The MySQL type name without modifiers, aliases folded. */
export function mysqlBaseType(c: ColumnConversion['source']): string {
  const raw = (c.dataType || c.nativeType.split(/[\s(]/)[0] || '').toLowerCase().trim();
  return ALIASES[raw] ?? raw;
}

/** The PostgreSQL target type without modifiers: "timestamp(3) with time zone" -> "timestamp with time zone". */
export function pgBaseType(targetType: string): string {
  return targetType
    .toLowerCase()
    .replace(/\(\s*\d+\s*(,\s*-?\d+\s*)?\)/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

const ZERO_OR_PARTIAL = /^(\d{4})-(\d{2})-(\d{2})/;

function isZeroOrPartial(text: string): boolean {
  const m = ZERO_OR_PARTIAL.exec(text);
  return !!m && (m[1] === '0000' || m[2] === '00' || m[3] === '00');
}

function zeroDate(policy: ZeroDatePolicy | undefined, text: string): unknown {
  if (policy === 'null') return null;
  if (policy && typeof policy === 'object') return policy.sentinel;
  throw new ValueProblem(
    `zero or partial date ${JSON.stringify(text)} has no PostgreSQL equivalent; set the column's zero-date policy to null or a sentinel, or fix the row on the source`,
  );
}

/** Buffer or bit text -> the bit string of exactly `bits` bits, padded on the left with zeros. */
export function bitString(value: Buffer, bits: number): string {
  let s = '';
  for (const byte of value) s += byte.toString(2).padStart(8, '0');
  if (s.length > bits) {
    const extra = s.slice(0, s.length - bits);
    if (extra.includes('1')) throw new ValueProblem(`BIT value needs more than ${bits} bits`);
    return s.slice(s.length - bits);
  }
  return s.padStart(bits, '0');
}

/** A PostgreSQL array literal of text elements: {"a","b \"c\""}. */
export function textArrayLiteral(items: readonly string[]): string {
  return `{${items.map((i) => `"${i.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}

export function uuidFromBytes(b: Buffer): string {
  if (b.length !== 16) throw new ValueProblem(`a uuid needs 16 bytes, this value has ${b.length}`);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const JSON_NUL = /(^|[^\\])(\\\\)*\\u0000/;

function nonNull(convert: (v: unknown) => unknown): Converter {
  return (v) => (v === null || v === undefined ? null : convert(v));
}

function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return String(v);
}

function noNul(s: string): string {
  if (s.includes('\0'))
    throw new ValueProblem('text contains a NUL character, which PostgreSQL text cannot store');
  return s;
}

export function mysqlToPostgresConverter(column: ColumnConversion): Converter {
  const c = column.source;
  const t = mysqlBaseType(c);
  const target = pgBaseType(column.targetType);

  if (c.isJson || t === 'json') {
    return nonNull((v) => {
      const s = text(v);
      if (target === 'jsonb' && s.includes('\\u0000') && JSON_NUL.test(s))
        throw new ValueProblem('JSON contains \\u0000, which jsonb rejects');
      return s;
    });
  }
  switch (t) {
    case 'tinyint':
    case 'smallint':
    case 'mediumint':
    case 'int':
    case 'bigint':
    case 'year':
      if (target === 'boolean')
        return nonNull((v) => {
          const s = String(v);
          if (s === '0') return false;
          if (s === '1') return true;
          throw new ValueProblem(`${s} is not 0 or 1, so it cannot become a boolean`);
        });
      return nonNull((v) => v);
    case 'decimal':
    case 'float':
    case 'double':
      return nonNull((v) => v);
    case 'bit': {
      if (target === 'boolean')
        return nonNull((v) => {
          const b = Buffer.isBuffer(v) ? v : Buffer.from([Number(v)]);
          const bits = bitString(b, 1);
          return bits === '1';
        });
      const n = c.precision ?? (Number(/\((\d+)\)/.exec(c.nativeType)?.[1]) || 1);
      if (/^(smallint|integer|bigint|numeric)$/.test(target))
        return nonNull((v) => (Buffer.isBuffer(v) ? BigInt(`0b${bitString(v, n)}`).toString() : v));
      return nonNull((v) => (Buffer.isBuffer(v) ? bitString(v, n) : v));
    }
    case 'date':
    case 'datetime':
    case 'timestamp': {
      const utc = t === 'timestamp' && target === 'timestamp with time zone';
      return nonNull((v) => {
        const s = text(v);
        if (isZeroOrPartial(s)) return zeroDate(column.zeroDates, s);
        // Read in a UTC session: say so, whatever the target session's TimeZone is.
        return utc ? `${s}+00` : s;
      });
    }
    case 'time':
      return nonNull(text);
    case 'enum': {
      const members = c.enumValues;
      return nonNull((v) => {
        const s = text(v);
        if (s === '' && members && !members.includes(''))
          throw new ValueProblem(
            "'' is MySQL's invalid-ENUM value (written in non-strict mode), not a member; fix the row on the source",
          );
        return noNul(s);
      });
    }
    case 'set':
      if (target === 'text[]' || target.endsWith('[]'))
        return nonNull((v) => {
          const s = text(v);
          return textArrayLiteral(s === '' ? [] : s.split(','));
        });
      return nonNull(text);
    case 'binary':
    case 'varbinary':
    case 'tinyblob':
    case 'blob':
    case 'mediumblob':
    case 'longblob':
      if (target === 'uuid')
        return nonNull((v) => uuidFromBytes(Buffer.isBuffer(v) ? v : Buffer.from(text(v))));
      return nonNull((v) => (Buffer.isBuffer(v) ? v : Buffer.from(text(v), 'utf8')));
    case 'char':
    case 'varchar':
    case 'tinytext':
    case 'text':
    case 'mediumtext':
    case 'longtext':
      if (target === 'bytea') return nonNull((v) => (Buffer.isBuffer(v) ? v : Buffer.from(text(v), 'utf8')));
      return nonNull((v) => noNul(text(v)));
    default:
      // MariaDB uuid/inet4/inet6 print in PostgreSQL's input form; spatial values are bytes for bytea.
      return nonNull((v) => (Buffer.isBuffer(v) || typeof v === 'number' ? v : noNul(text(v))));
  }
}
