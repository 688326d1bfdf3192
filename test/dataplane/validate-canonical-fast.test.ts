// The validator's fast paths against their references, on generated input: canonicalJson (one
// pass, no regular expressions, members sorted as pairs) against the straightforward parser it
// replaced, and normalizeDecimal (no BigInt for plain decimals) against its general path. Any
// difference in output would change which rows compare equal, so they must agree exactly.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalJson } from '../../src/dataplane/validate/canonical/json';
import { generalDecimal, normalizeDecimal } from '../../src/dataplane/validate/canonical/numbers';

// ---- the reference: the parser as it was before the fast paths (tree-free, regex-based) ----------

function referenceCanonicalJson(text: string): string {
  try {
    return new ReferenceParser(text).document();
  } catch {
    return '?' + JSON.stringify(text);
  }
}

const NUMBER = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
// eslint-disable-next-line no-control-regex
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;

class ReferenceParser {
  private i = 0;
  constructor(private readonly s: string) {}

  document(): string {
    const v = this.value();
    this.ws();
    if (this.i !== this.s.length) throw new Error('trailing text');
    return v;
  }

  private ws(): void {
    const s = this.s;
    let i = this.i;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else break;
    }
    this.i = i;
  }

  private value(): string {
    this.ws();
    const c = this.s[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return JSON.stringify(this.string());
    if (this.s.startsWith('true', this.i)) return ((this.i += 4), 'true');
    if (this.s.startsWith('false', this.i)) return ((this.i += 5), 'false');
    if (this.s.startsWith('null', this.i)) return ((this.i += 4), 'null');
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(this.s);
    if (!m) throw new Error('bad value');
    this.i += m[0].length;
    return generalDecimal(m[0])!;
  }

  private object(): string {
    const map = new Map<string, string>();
    this.i++;
    this.ws();
    if (this.s[this.i] === '}') return (this.i++, '{}');
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') throw new Error('key expected');
      const k = this.string();
      this.ws();
      if (this.s[this.i++] !== ':') throw new Error(': expected');
      map.set(k, this.value());
      this.ws();
      const c = this.s[this.i++];
      if (c === '}') {
        const keys = [...map.keys()].sort();
        let out = '{';
        for (let j = 0; j < keys.length; j++) {
          if (j) out += ',';
          out += JSON.stringify(keys[j]) + ':' + map.get(keys[j]!)!;
        }
        return out + '}';
      }
      if (c !== ',') throw new Error(', expected');
    }
  }

  private array(): string {
    this.i++;
    this.ws();
    if (this.s[this.i] === ']') return (this.i++, '[]');
    let out = '[';
    for (let first = true; ; first = false) {
      if (!first) out += ',';
      out += this.value();
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') return out + ']';
      if (c !== ',') throw new Error(', expected');
    }
  }

  /** The string starting at this.i (a '"'), unescaped. */
  private string(): string {
    const s = this.s;
    // Fast path: no escape and no control character before the closing quote.
    for (let j = this.i + 1; j < s.length; j++) {
      const c = s.charCodeAt(j);
      if (c === 34) {
        const v = s.slice(this.i + 1, j);
        this.i = j + 1;
        return v;
      }
      if (c === 92 || c < 32) break;
    }
    STRING.lastIndex = this.i;
    const m = STRING.exec(s);
    if (!m) throw new Error('bad string');
    this.i += m[0].length;
    return JSON.parse(m[0]) as string;
  }
}

// ---- generated input -----------------------------------------------------------------------------

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const NUMBERS = [
  '0',
  '-0',
  '1',
  '-1',
  '10',
  '100',
  '0.0',
  '0.50',
  '-0.001',
  '1.5e3',
  '1E-5',
  '2e+2',
  '12345678901234567890.1200',
  '1e400',
  '01',
  '1.',
  '.5',
  '-',
  '1e',
  '1e+',
  '00',
  '-01.10',
  '7.0E0',
  '123456789012345678901234567890',
];
const STRINGS = [
  '',
  'a',
  'é',
  'tab\\t',
  'q\\"',
  'back\\\\slash',
  '\\u00e9',
  '\\ud83d\\ude00',
  '\\ud800',
  '😀',
  'x\\/y',
  '\\n',
  'Z',
  'a b',
  'A',
  'aa',
];

function gen(rand: () => number, depth: number): string {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const ws = () => pick(['', '', ' ', '\n ', '\t']);
  const r = rand();
  if (depth > 3 || r < 0.3) return pick(NUMBERS);
  if (r < 0.45) return '"' + pick(STRINGS) + pick(STRINGS) + '"';
  if (r < 0.5) return pick(['true', 'false', 'null', 'nul', 'True']);
  if (r < 0.55) return '"' + String.fromCharCode(0xd800 + Math.floor(rand() * 0x800)) + '"';
  if (r < 0.75) {
    const n = Math.floor(rand() * 4);
    return '[' + Array.from({ length: n }, () => ws() + gen(rand, depth + 1) + ws()).join(',') + ']';
  }
  const n = Math.floor(rand() * 5);
  return (
    '{' +
    Array.from(
      { length: n },
      () => ws() + '"' + pick(STRINGS) + '"' + ws() + ':' + ws() + gen(rand, depth + 1),
    ).join(',') +
    ws() +
    '}'
  );
}

test('canonicalJson equals the reference parser on generated documents, valid or not', () => {
  const rand = prng(7);
  let invalid = 0;
  for (let i = 0; i < 20000; i++) {
    let doc = gen(rand, 0);
    if (rand() < 0.1 && doc.length > 1) {
      const at = Math.floor(rand() * doc.length);
      doc = rand() < 0.5 ? doc.slice(0, at) : doc.slice(0, at) + '}' + doc.slice(at);
    }
    const expected = referenceCanonicalJson(doc);
    if (expected.startsWith('?')) invalid++;
    assert.equal(canonicalJson(doc), expected, doc);
  }
  assert.ok(invalid > 500 && invalid < 15000, `a mix of valid and invalid documents (${invalid} invalid)`);
});

test('normalizeDecimal equals its general path', () => {
  const rand = prng(11);
  const digits = (n: number) => Array.from({ length: n }, () => String(Math.floor(rand() * 10))).join('');
  const cases = [
    ...NUMBERS,
    '',
    ' 1',
    '1 ',
    '+5',
    '+',
    '.',
    '-.',
    '-.5',
    '5.',
    'NaN',
    'Infinity',
    '1_0',
    '0x10',
  ];
  for (let i = 0; i < 20000; i++) {
    const sign = ['', '-', '+'][Math.floor(rand() * 3)]!;
    const int = rand() < 0.2 ? '' : digits(Math.floor(rand() * 25));
    const frac = rand() < 0.5 ? '' : '.' + digits(Math.floor(rand() * 12));
    const exp =
      rand() < 0.8 ? '' : 'e' + ['', '-', '+'][Math.floor(rand() * 3)]! + digits(1 + Math.floor(rand() * 3));
    cases.push(sign + int + frac + exp);
  }
  for (const c of cases) assert.equal(normalizeDecimal(c), generalDecimal(c), JSON.stringify(c));
});
