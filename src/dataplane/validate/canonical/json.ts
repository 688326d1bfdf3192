// JSON documents: parsed, keys sorted, last duplicate key wins, numbers as exact decimals.
import { normalizeDecimal } from './numbers';

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
