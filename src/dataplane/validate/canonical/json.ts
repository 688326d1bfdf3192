// JSON documents: parsed, keys sorted, last duplicate key wins, numbers as exact decimals.
import { normalizeDecimal } from './numbers';

// --- JSON -----------------------------------------------------------------------------------------

/**
 * JSON text as a canonical string: keys sorted (by code unit), duplicate keys resolved to the last,
 * numbers as exact normalized decimals, no whitespace. Invalid JSON is kept as its exact text.
 *
 * The parser emits each value's canonical text directly (an object keeps its members' texts by key
 * and sorts the keys when it closes), with fast paths for strings without escapes and for numbers
 * without an exponent; the output is that of parsing to a tree and emitting it.
 */
export function canonicalJson(text: string): string {
  try {
    return new JsonParser(text).document();
  } catch {
    return '?' + JSON.stringify(text);
  }
}

const NUMBER = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
// eslint-disable-next-line no-control-regex
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;

class JsonParser {
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
    return normalizeDecimal(m[0])!;
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
