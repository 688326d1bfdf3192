// PostgreSQL wire values -> MySQL/MariaDB wire values. The source values are what the PostgreSQL
// engine reads in UTC sessions: booleans, numbers for int2/int4/float, the server's text for
// everything else, Buffers for bytea.
import { pgBaseType } from './mysql-to-postgres';
import { ValueProblem } from './problems';
import type { ColumnConversion, Converter } from './translate';

function nonNull(convert: (v: unknown) => unknown): Converter {
  return (v) => (v === null || v === undefined ? null : convert(v));
}

const TIMESTAMP = /^(\d{4,})-(\d\d)-(\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)([+-]\d\d(?::?\d\d){0,2})?$/;
const DATE = /^(\d{4,})-(\d\d)-(\d\d)$/;

function dateLike(s: string, kind: string): string {
  if (/infinity|BC$/i.test(s))
    throw new ValueProblem(`${kind} ${JSON.stringify(s)} has no MySQL equivalent (infinity and BC dates)`);
  return s;
}

/** A timestamptz printed in a UTC session ("...+00") -> the UTC wall-clock DATETIME text. */
export function utcDatetime(s: string): string {
  dateLike(s, 'timestamp');
  const m = TIMESTAMP.exec(s);
  if (!m) throw new ValueProblem(`timestamp ${JSON.stringify(s)} is not in the expected form`);
  if (m[1]!.length > 4) throw new ValueProblem(`timestamp ${JSON.stringify(s)} is after year 9999`);
  const offset = m[5];
  if (offset && !/^[+-]00(:?00){0,2}$/.test(offset)) {
    // Not a UTC session: convert through the instant (microseconds kept from the text).
    const frac = /\.(\d+)/.exec(m[4]!)?.[1] ?? '';
    const whole = m[4]!.replace(/\.\d+/, '');
    const ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${whole}${offset.length === 3 ? `${offset}:00` : offset}`);
    if (Number.isNaN(ms)) throw new ValueProblem(`timestamp ${JSON.stringify(s)} cannot be converted to UTC`);
    const iso = new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
    return frac ? `${iso}.${frac}` : iso;
  }
  return `${m[1]}-${m[2]}-${m[3]} ${m[4]}`;
}

/** An interval of hours, minutes and seconds (and days, as 24 hours) -> MySQL TIME text. */
export function intervalToTime(s: string): string {
  const m = /^(?:(-?\d+) days? ?)?(?:(-)?(\d+):(\d\d):(\d\d(?:\.\d+)?))?$/.exec(s.trim());
  if (!m || s.trim() === '')
    throw new ValueProblem(
      `interval ${JSON.stringify(s)} has month or year parts, which MySQL TIME cannot hold`,
    );
  const days = Number(m[1] ?? 0);
  const sign = m[2] ? -1 : 1;
  const seconds = m[5] ?? '00';
  const totalWhole =
    days * 86400 + sign * (Number(m[3] ?? 0) * 3600 + Number(m[4] ?? 0) * 60 + Math.trunc(Number(seconds)));
  const frac = /\.(\d+)/.exec(seconds)?.[1];
  if (frac && Math.sign(totalWhole) !== 0 && Math.sign(totalWhole) !== sign)
    throw new ValueProblem(`interval ${JSON.stringify(s)} mixes signs, which MySQL TIME cannot hold`);
  const negative = totalWhole < 0 || (totalWhole === 0 && sign < 0 && !!frac);
  const abs = Math.abs(totalWhole);
  const h = Math.floor(abs / 3600);
  if (h > 838) throw new ValueProblem(`interval ${JSON.stringify(s)} exceeds MySQL TIME's 838:59:59`);
  const mm = String(Math.floor((abs % 3600) / 60)).padStart(2, '0');
  const ss = String(abs % 60).padStart(2, '0');
  return `${negative ? '-' : ''}${String(h).padStart(2, '0')}:${mm}:${ss}${frac ? `.${frac}` : ''}`;
}

/** A bit string ('0101') -> the bytes MySQL BIT stores (big-endian, as the MySQL engine reads BIT). */
export function bitsToBuffer(bits: string): Buffer {
  if (!/^[01]*$/.test(bits)) throw new ValueProblem(`${JSON.stringify(bits)} is not a bit string`);
  const bytes = Math.max(1, Math.ceil(bits.length / 8));
  const padded = bits.padStart(bytes * 8, '0');
  const out = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) out[i] = parseInt(padded.slice(i * 8, i * 8 + 8), 2);
  return out;
}

/**
 * The elements of a one-dimensional PostgreSQL array in its text form ('{a,"b c","d\\"e"}');
 * NULL elements are refused (a MySQL SET has no NULL member).
 */
export function arrayElements(s: string): string[] {
  const text = s.trim();
  if (!text.startsWith('{') || !text.endsWith('}'))
    throw new ValueProblem(`${JSON.stringify(s)} is not a one-dimensional array`);
  const body = text.slice(1, -1);
  const out: string[] = [];
  if (body === '') return out;
  let i = 0;
  for (;;) {
    let item = '';
    if (body[i] === '"') {
      i++;
      while (i < body.length && body[i] !== '"') {
        if (body[i] === '\\') i++;
        item += body[i] ?? '';
        i++;
      }
      if (body[i] !== '"') throw new ValueProblem(`${JSON.stringify(s)} is not a valid array`);
      i++;
    } else {
      const start = i;
      while (i < body.length && body[i] !== ',') i++;
      item = body.slice(start, i).trim();
      if (item.startsWith('{')) throw new ValueProblem('a multi-dimensional array has no MySQL SET form');
      if (item.toUpperCase() === 'NULL') throw new ValueProblem('a NULL array element has no MySQL SET form');
    }
    out.push(item);
    if (i >= body.length) return out;
    if (body[i] !== ',') throw new ValueProblem(`${JSON.stringify(s)} is not a valid array`);
    i++;
  }
}

/**
 * A text[] -> MySQL SET text: members in the SET's declaration order, without duplicates (what
 * MySQL would store); a member the SET does not declare, or one holding a comma, is refused.
 */
function arrayToSet(members: string[] | null): Converter {
  return nonNull((v) => {
    const items = arrayElements(String(v));
    for (const item of items)
      if (item.includes(',') || (members && !members.includes(item)))
        throw new ValueProblem(`${JSON.stringify(item)} is not a member of the SET`);
    return members ? members.filter((m) => items.includes(m)).join(',') : [...new Set(items)].join(',');
  });
}

/** The SET members of a MySQL type "set('a','b')" (quotes doubled inside). */
function setMembers(type: string): string[] | null {
  const m = /^set\s*\((.*)\)/is.exec(type.trim());
  if (!m) return null;
  return [...m[1]!.matchAll(/'((?:[^'\\]|''|\\.)*)'/g)].map((x) =>
    x[1]!.replaceAll("''", "'").replace(/\\(.)/g, '$1'),
  );
}

export function postgresToMysqlConverter(column: ColumnConversion): Converter {
  const t = column.source.dataType.toLowerCase();
  const target = pgBaseType(column.targetType);
  // Reverse moves (a PostgreSQL target written back to its MySQL source): text[] that came from a
  // SET, bit varying that came from BIT(n), uuid that came from BINARY(16) by override.
  if (/^set\b/.test(target)) {
    if (t === 'array') return arrayToSet(setMembers(column.targetType));
    return nonNull((v) => v);
  }
  if (t === 'bit varying' && target === 'bit') return nonNull((v) => bitsToBuffer(String(v)));
  if (t === 'uuid' && /^(binary|varbinary)$/.test(target))
    return nonNull((v) => Buffer.from(String(v).replaceAll('-', ''), 'hex'));
  switch (t) {
    case 'boolean':
      return nonNull((v) => (v === true || v === 't' ? 1 : 0));
    case 'real':
    case 'double precision':
      return nonNull((v) => {
        if (typeof v === 'number' && !Number.isFinite(v))
          throw new ValueProblem(`${v} has no MySQL equivalent`);
        return v;
      });
    case 'numeric':
      return nonNull((v) => {
        if (v === 'NaN' || v === 'Infinity' || v === '-Infinity')
          throw new ValueProblem(`numeric ${v} has no MySQL equivalent`);
        return v;
      });
    case 'timestamp with time zone':
      return nonNull((v) => utcDatetime(String(v)));
    case 'timestamp without time zone':
      return nonNull((v) => {
        const s = dateLike(String(v), 'timestamp');
        if (!TIMESTAMP.exec(s) || /^\d{5}/.test(s))
          throw new ValueProblem(`timestamp ${JSON.stringify(s)} is out of MySQL's range`);
        return s;
      });
    case 'date':
      return nonNull((v) => {
        const s = dateLike(String(v), 'date');
        if (!DATE.test(s) || /^\d{5}/.test(s))
          throw new ValueProblem(`date ${JSON.stringify(s)} is out of MySQL's range`);
        return s;
      });
    case 'interval':
      return target === 'time' ? nonNull((v) => intervalToTime(String(v))) : nonNull((v) => v);
    case 'bit':
      return target === 'bit' ? nonNull((v) => bitsToBuffer(String(v))) : nonNull((v) => v);
    case 'bytea':
      return nonNull((v) => v);
    default:
      // Text, uuid (canonical 36 characters), json/jsonb text, enum labels, int8 and numbers.
      return nonNull((v) => v);
  }
}
