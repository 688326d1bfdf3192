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

/**
 * Members sorted by key (code units), stable: equal keys keep their order, so the last duplicate
 * stays last of its run. Insertion sort: documents have few keys, and for those it is several
 * times cheaper than Array.prototype.sort with a comparator.
 */
function sortMembers(members: [string, string, string][]): void {
  if (members.length > 16) {
    members.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
    return;
  }
  for (let i = 1; i < members.length; i++) {
    const m = members[i]!;
    let j = i - 1;
    while (j >= 0 && members[j]![0] > m[0]) {
      members[j + 1] = members[j]!;
      j--;
    }
    members[j + 1] = m;
  }
}

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
    const s = this.s;
    const c = s.charCodeAt(this.i);
    if (c === 123) return this.object();
    if (c === 91) return this.array();
    if (c === 34) return this.quoted().text;
    if (c === 116 && s.startsWith('true', this.i)) return ((this.i += 4), 'true');
    if (c === 102 && s.startsWith('false', this.i)) return ((this.i += 5), 'false');
    if (c === 110 && s.startsWith('null', this.i)) return ((this.i += 4), 'null');
    return this.number();
  }

  /** A number as the grammar -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)? reads it (the longest match). */
  private number(): string {
    const s = this.s;
    const start = this.i;
    let i = start;
    if (s.charCodeAt(i) === 45) i++;
    let c = s.charCodeAt(i);
    const digitsStart = i;
    if (c === 48) i++;
    else if (c >= 49 && c <= 57) {
      i++;
      while ((c = s.charCodeAt(i)) >= 48 && c <= 57) i++;
    } else throw new Error('bad value');
    c = s.charCodeAt(i);
    if (c !== 46 && c !== 101 && c !== 69) {
      // An integer (the commonest case): normalizeDecimal's result without its general machinery.
      // The grammar allows no leading zero but "0" itself, which is "0" whatever its sign.
      this.i = i;
      if (s.charCodeAt(digitsStart) === 48) return '0';
      let b = i;
      while (s.charCodeAt(b - 1) === 48) b--;
      return (digitsStart > start ? '-' : '') + s.slice(digitsStart, b) + 'e' + (i - b);
    }
    if (s.charCodeAt(i) === 46 && (c = s.charCodeAt(i + 1)) >= 48 && c <= 57) {
      i += 2;
      while ((c = s.charCodeAt(i)) >= 48 && c <= 57) i++;
    }
    c = s.charCodeAt(i);
    if (c === 101 || c === 69) {
      let j = i + 1;
      c = s.charCodeAt(j);
      if (c === 43 || c === 45) j++;
      c = s.charCodeAt(j);
      if (c >= 48 && c <= 57) {
        j++;
        while ((c = s.charCodeAt(j)) >= 48 && c <= 57) j++;
        i = j;
      }
    }
    this.i = i;
    return normalizeDecimal(s.slice(start, i))!;
  }

  private object(): string {
    // Members as [key, key's canonical text, value's canonical text], sorted by key at the end;
    // the sort is stable, so of equal keys the last one is the last of its run.
    const members: [string, string, string][] = [];
    this.i++;
    this.ws();
    if (this.s[this.i] === '}') return (this.i++, '{}');
    for (;;) {
      this.ws();
      if (this.s.charCodeAt(this.i) !== 34) throw new Error('key expected');
      const k = this.quoted();
      this.ws();
      if (this.s.charCodeAt(this.i++) !== 58) throw new Error(': expected');
      members.push([k.value, k.text, this.value()]);
      this.ws();
      const c = this.s.charCodeAt(this.i++);
      if (c === 125) {
        if (members.length > 1) sortMembers(members);
        let out = '{';
        for (let j = 0; j < members.length; j++) {
          const m = members[j]!;
          if (j + 1 < members.length && members[j + 1]![0] === m[0]) continue;
          if (out.length > 1) out += ',';
          out += m[1] + ':' + m[2];
        }
        return out + '}';
      }
      if (c !== 44) throw new Error(', expected');
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

  /**
   * The string starting at this.i (a '"'): its value and its canonical text (JSON.stringify of the
   * value). Fast path: no escape, no control character and no surrogate before the closing quote,
   * where the text is the quoted slice itself.
   */
  private quoted(): { value: string; text: string } {
    const s = this.s;
    for (let j = this.i + 1; j < s.length; j++) {
      const c = s.charCodeAt(j);
      if (c === 34) {
        const text = s.slice(this.i, j + 1);
        this.i = j + 1;
        return { value: text.slice(1, -1), text };
      }
      if (c === 92 || c < 32 || (c >= 0xd800 && c <= 0xdfff)) break;
    }
    const value = this.string();
    return { value, text: JSON.stringify(value) };
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
