// Dates, timestamps and durations: UTC instants or wall-clock times, durations in microseconds.
import type { EngineKind } from '../../../engines/model';
import { CanonicalError, type TypeClass } from './types';

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
