// Text-like and binary values: SET members and PostgreSQL arrays, uuids, bit strings.
import { bytesOf, isBinaryJson, stringOf } from './values';

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

export function uuidOf(value: unknown): string {
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

export function bitsOf(value: unknown, length: number | undefined): string {
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
