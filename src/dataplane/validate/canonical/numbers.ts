// Numbers, floats and booleans: exact decimals, shortest round-trip floats, 0/1 as false/true.
import { bytesOf, isBinaryJson, stringOf } from './values';

// --- numbers ---------------------------------------------------------------------------------

/**
 * An exact decimal as sign, significant digits and exponent: "-1.2500" -> "-125e-2", "0.00" -> "0".
 * Returns null for text that is not a plain decimal (NaN, Infinity).
 */
export function normalizeDecimal(text: string): string | null {
  return plainDecimal(text) ?? generalDecimal(text);
}

/**
 * normalizeDecimal of the common text (an optional sign, digits, optionally a point and digits, no
 * exponent, no white space) without a regular expression or BigInt: the exponent is then minus the
 * number of fractional digits plus the trailing zeros, well within a double's exact integers.
 * Returns undefined for any other text, which takes the general path (same output by design).
 */
function plainDecimal(s: string): string | undefined {
  const n = s.length;
  let i = 0;
  let sign = '';
  let c = s.charCodeAt(0);
  if (c === 45) {
    sign = '-';
    i = 1;
  } else if (c === 43) i = 1;
  const intStart = i;
  while (i < n && (c = s.charCodeAt(i)) >= 48 && c <= 57) i++;
  const intEnd = i;
  let fracStart = i;
  let fracEnd = i;
  if (i < n && s.charCodeAt(i) === 46) {
    fracStart = ++i;
    while (i < n && (c = s.charCodeAt(i)) >= 48 && c <= 57) i++;
    fracEnd = i;
  }
  if (i !== n || (intEnd === intStart && fracEnd === fracStart)) return undefined;
  const digits =
    fracEnd > fracStart ? s.slice(intStart, intEnd) + s.slice(fracStart, fracEnd) : s.slice(intStart, intEnd);
  let a = 0;
  while (a < digits.length && digits.charCodeAt(a) === 48) a++;
  if (a === digits.length) return '0';
  let b = digits.length;
  while (digits.charCodeAt(b - 1) === 48) b--;
  return `${sign}${digits.slice(a, b)}e${digits.length - b - (fracEnd - fracStart)}`;
}

/** The general path of normalizeDecimal (exported for the equivalence test). */
export function generalDecimal(text: string): string | null {
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

export function numberToken(value: unknown): string {
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

export function floatToken(value: unknown, single: boolean): string {
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

export function booleanToken(value: unknown): string {
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
