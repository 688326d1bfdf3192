// A MySQL/MariaDB CHECK expression, as information_schema.CHECK_CONSTRAINTS prints it, read into a
// syntax tree: a real tokenizer (backquoted identifiers, MySQL string escapes, introducers) and a
// recursive-descent parser with MySQL's operator precedence (MariaDB prints its clauses without
// redundant parentheses, so precedence decides what they mean). Only the portable subset is read;
// anything else is refused with the reason (CheckRefusal), never guessed.
//
// Precedence, loosest first (MySQL manual, "Operator Precedence"): OR; XOR; AND, &&; NOT;
// comparisons and IS [NOT] NULL (left-associative); [NOT] IN / BETWEEN / LIKE; + -; * / DIV % MOD;
// unary - + !; literals, columns, function calls, parentheses.

export class CheckRefusal extends Error {
  override name = 'CheckRefusal';
}

export type CheckNode =
  | { t: 'col'; name: string }
  | { t: 'num'; text: string }
  | { t: 'str'; value: string }
  | { t: 'null' }
  | { t: 'bool'; value: boolean }
  | { t: 'neg'; arg: CheckNode }
  | { t: 'not'; arg: CheckNode }
  | { t: 'arith'; op: '+' | '-' | '*'; l: CheckNode; r: CheckNode }
  | { t: 'cmp'; op: '=' | '<>' | '<' | '<=' | '>' | '>=' | '<=>'; l: CheckNode; r: CheckNode }
  | { t: 'logic'; op: 'AND' | 'OR'; l: CheckNode; r: CheckNode }
  | { t: 'is'; arg: CheckNode; not: boolean; what: 'NULL' | 'TRUE' | 'FALSE' | 'UNKNOWN' }
  | { t: 'in'; arg: CheckNode; not: boolean; list: CheckNode[] }
  | { t: 'between'; arg: CheckNode; not: boolean; lo: CheckNode; hi: CheckNode }
  | { t: 'like'; arg: CheckNode; not: boolean; pattern: CheckNode }
  | { t: 'call'; name: string; args: CheckNode[] };

type Token =
  | { k: 'word'; v: string; pos: number }
  | { k: 'ident'; v: string; pos: number }
  | { k: 'num'; v: string; pos: number }
  | { k: 'str'; v: string; pos: number }
  | { k: 'op'; v: string; pos: number }
  | { k: 'end'; pos: number };

/** Introducers whose strings mean the same text in PostgreSQL's UTF-8 (_binary is not one). */
const TEXT_CHARSETS = new Set(['utf8mb4', 'utf8mb3', 'utf8', 'latin1', 'ascii']);

/** MySQL string escapes; \% and \_ keep their backslash (they are LIKE escapes), any other \x is x. */
const ESCAPES: Record<string, string> = {
  '0': '\0',
  "'": "'",
  '"': '"',
  b: '\b',
  n: '\n',
  r: '\r',
  t: '\t',
  Z: '\x1a',
  '\\': '\\',
  '%': '\\%',
  _: '\\_',
};

const WORD_START = /[A-Za-z_$\u0080-\uffff]/;
const WORD_PART = /[A-Za-z0-9_$\u0080-\uffff]/;

const UNSUPPORTED_OPERATORS: Record<string, string> = {
  '||': '|| is OR or string concatenation depending on sql_mode (PIPES_AS_CONCAT)',
  '/': '/ divides integers into decimals on MySQL (and gives NULL for a zero divisor) but truncates (and fails) on PostgreSQL',
  '%': '% (MOD) gives NULL for a zero divisor on MySQL but fails on PostgreSQL',
  '|': 'bit operators are not translated',
  '&': 'bit operators are not translated',
  '^': 'bit operators are not translated',
  '~': 'bit operators are not translated',
  '<<': 'bit operators are not translated',
  '>>': 'bit operators are not translated',
  ':=': 'assignments are not translated',
};

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const refuse = (what: string, at = i): never => {
    throw new CheckRefusal(`${what} (at character ${at + 1})`);
  };
  const readString = (start: number): string => {
    // src[start] is the opening quote
    let value = '';
    let j = start + 1;
    for (;;) {
      if (j >= src.length) refuse('unterminated string', start);
      const ch = src[j]!;
      if (ch === '\\') {
        if (j + 1 >= src.length) refuse('unterminated string', start);
        const next = src[j + 1]!;
        value += ESCAPES[next] ?? next;
        j += 2;
      } else if (ch === "'") {
        if (src[j + 1] === "'") {
          value += "'";
          j += 2;
        } else {
          i = j + 1;
          return value;
        }
      } else {
        value += ch;
        j++;
      }
    }
  };
  while (i < src.length) {
    const ch = src[i]!;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '#' || src.startsWith('/*', i) || /^--(\s|$)/.test(src.slice(i, i + 3))) {
      refuse('a comment');
    } else if (ch === '`') {
      const start = i;
      let name = '';
      let j = i + 1;
      for (;;) {
        if (j >= src.length) refuse('unterminated `identifier`', start);
        if (src[j] === '`') {
          if (src[j + 1] === '`') {
            name += '`';
            j += 2;
            continue;
          }
          break;
        }
        name += src[j]!;
        j++;
      }
      if (!name) refuse('an empty identifier', start);
      out.push({ k: 'ident', v: name, pos: start });
      i = j + 1;
    } else if (ch === "'") {
      const start = i;
      out.push({ k: 'str', v: readString(i), pos: start });
    } else if (ch === '"') {
      refuse('a double-quoted name or string (its meaning depends on sql_mode ANSI_QUOTES)');
    } else if (/[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const start = i;
      if (/^0[xXbB]/.test(src.slice(i, i + 2)) && WORD_PART.test(src[i + 2] ?? ''))
        refuse('a hexadecimal or bit literal');
      const m = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(src.slice(i))!;
      i += m[0].length;
      if (WORD_PART.test(src[i] ?? '')) refuse('an unreadable number or name', start);
      out.push({ k: 'num', v: m[0], pos: start });
    } else if (WORD_START.test(ch)) {
      const start = i;
      let j = i + 1;
      while (j < src.length && WORD_PART.test(src[j]!)) j++;
      const word = src.slice(i, j);
      i = j;
      if (src[i] === "'") {
        // An introducer (_utf8mb4'x'), a national string (N'x'), or a hex/bit literal (x'41', b'01').
        const lower = word.toLowerCase();
        if (lower === 'x' || lower === 'b') refuse('a hexadecimal or bit literal', start);
        if (lower !== 'n' && !(lower.startsWith('_') && TEXT_CHARSETS.has(lower.slice(1))))
          refuse(`the string introducer ${word}`, start);
        out.push({ k: 'str', v: readString(i), pos: start });
      } else {
        out.push({ k: 'word', v: word, pos: start });
      }
    } else {
      const start = i;
      const op = ['<=>', '<=', '>=', '<>', '!=', '<<', '>>', '&&', '||', ':='].find((o) =>
        src.startsWith(o, i),
      );
      const v = op ?? ch;
      if (!op && !'(),=<>+-*/%!~^&|'.includes(ch)) refuse(`unexpected ${JSON.stringify(ch)}`);
      if (UNSUPPORTED_OPERATORS[v]) refuse(UNSUPPORTED_OPERATORS[v]);
      out.push({ k: 'op', v, pos: start });
      i += v.length;
    }
  }
  out.push({ k: 'end', pos: src.length });
  return out;
}

/** Words that are keywords wherever an operand or operator is expected, never bare column names. */
const RESERVED = new Set([
  'and',
  'or',
  'xor',
  'not',
  'is',
  'in',
  'between',
  'like',
  'escape',
  'regexp',
  'rlike',
  'sounds',
  'member',
  'div',
  'mod',
  'null',
  'true',
  'false',
  'unknown',
  'case',
  'when',
  'then',
  'else',
  'end',
  'interval',
  'binary',
  'collate',
  'select',
  'exists',
  'any',
  'all',
  'some',
  'default',
  'row',
  'match',
  'using',
]);

export function parseMysqlCheck(expression: string): CheckNode {
  const tokens = tokenize(expression);
  let p = 0;
  const peek = (offset = 0) => tokens[Math.min(p + offset, tokens.length - 1)]!;
  const isWord = (t: Token, w: string) => t.k === 'word' && t.v.toLowerCase() === w;
  const isOp = (t: Token, o: string) => t.k === 'op' && t.v === o;
  const describe = (t: Token) =>
    t.k === 'end' ? 'the end' : t.k === 'ident' ? `\`${t.v}\`` : t.k === 'str' ? 'a string' : t.v;
  const fail = (t: Token = peek()): never => {
    const word = t.k === 'word' ? t.v.toLowerCase() : '';
    const why: Record<string, string> = {
      xor: 'XOR is not translated',
      regexp: 'REGEXP uses another regular-expression dialect than PostgreSQL',
      rlike: 'RLIKE uses another regular-expression dialect than PostgreSQL',
      sounds: 'SOUNDS LIKE has no PostgreSQL equivalent',
      member: 'MEMBER OF is not translated',
      div: 'DIV (integer division) gives NULL for a zero divisor on MySQL but fails on PostgreSQL',
      mod: 'MOD gives NULL for a zero divisor on MySQL but fails on PostgreSQL',
      collate: 'COLLATE changes how text compares: not translated',
      binary: 'BINARY changes how text compares: not translated',
      case: 'CASE is not translated',
      interval: 'INTERVAL arithmetic is not translated',
      escape: 'LIKE ... ESCAPE is not translated',
      select: 'subqueries are not allowed',
    };
    throw new CheckRefusal(why[word] ?? `unexpected ${describe(t)} (at character ${t.pos + 1})`);
  };
  const expectOp = (o: string) => {
    if (!isOp(peek(), o)) fail();
    p++;
  };

  const parseOr = (): CheckNode => {
    let l = parseAnd();
    while (isWord(peek(), 'or')) {
      p++;
      l = { t: 'logic', op: 'OR', l, r: parseAnd() };
    }
    return l;
  };
  const parseAnd = (): CheckNode => {
    let l = parseNot();
    while (isWord(peek(), 'and') || isOp(peek(), '&&')) {
      p++;
      l = { t: 'logic', op: 'AND', l, r: parseNot() };
    }
    return l;
  };
  const parseNot = (): CheckNode => {
    if (isWord(peek(), 'not')) {
      p++;
      return { t: 'not', arg: parseNot() };
    }
    return parseBooleanPrimary();
  };
  const COMPARISONS = new Map<string, Extract<CheckNode, { t: 'cmp' }>['op']>([
    ['=', '='],
    ['<>', '<>'],
    ['!=', '<>'],
    ['<', '<'],
    ['<=', '<='],
    ['>', '>'],
    ['>=', '>='],
    ['<=>', '<=>'],
  ]);
  const parseBooleanPrimary = (): CheckNode => {
    let l = parsePredicate();
    for (;;) {
      const t = peek();
      if (isWord(t, 'is')) {
        p++;
        const not = isWord(peek(), 'not');
        if (not) p++;
        const w = peek();
        const what = w.k === 'word' ? w.v.toUpperCase() : '';
        if (what !== 'NULL' && what !== 'TRUE' && what !== 'FALSE' && what !== 'UNKNOWN') fail(w);
        p++;
        l = { t: 'is', arg: l, not, what: what as 'NULL' };
      } else if (t.k === 'op' && COMPARISONS.has(t.v)) {
        p++;
        if (['any', 'all', 'some'].some((w) => isWord(peek(), w)))
          throw new CheckRefusal('subqueries are not allowed');
        l = { t: 'cmp', op: COMPARISONS.get(t.v)!, l, r: parsePredicate() };
      } else {
        return l;
      }
    }
  };
  const parsePredicate = (): CheckNode => {
    const arg = parseAdditive();
    let not = false;
    if (
      isWord(peek(), 'not') &&
      ['in', 'between', 'like', 'regexp', 'rlike'].some((w) => isWord(peek(1), w))
    ) {
      not = true;
      p++;
    }
    const t = peek();
    if (isWord(t, 'in')) {
      p++;
      expectOp('(');
      if (isWord(peek(), 'select')) fail();
      const list = [parseOr()];
      while (isOp(peek(), ',')) {
        p++;
        list.push(parseOr());
      }
      expectOp(')');
      return { t: 'in', arg, not, list };
    }
    if (isWord(t, 'between')) {
      p++;
      const lo = parseAdditive();
      if (!isWord(peek(), 'and')) fail();
      p++;
      return { t: 'between', arg, not, lo, hi: parsePredicate() };
    }
    if (isWord(t, 'like')) {
      p++;
      const pattern = parseUnary();
      if (isWord(peek(), 'escape')) fail();
      return { t: 'like', arg, not, pattern };
    }
    if (not || isWord(t, 'regexp') || isWord(t, 'rlike') || isWord(t, 'sounds') || isWord(t, 'member'))
      fail(t);
    return arg;
  };
  const parseAdditive = (): CheckNode => {
    let l = parseMultiplicative();
    while (isOp(peek(), '+') || isOp(peek(), '-')) {
      const op = isOp(peek(), '+') ? '+' : '-';
      p++;
      l = { t: 'arith', op, l, r: parseMultiplicative() };
    }
    return l;
  };
  const parseMultiplicative = (): CheckNode => {
    let l = parseUnary();
    for (;;) {
      if (isOp(peek(), '*')) {
        p++;
        l = { t: 'arith', op: '*', l, r: parseUnary() };
      } else if (isWord(peek(), 'div') || isWord(peek(), 'mod')) {
        fail();
      } else {
        return l;
      }
    }
  };
  const parseUnary = (): CheckNode => {
    const t = peek();
    if (isOp(t, '-')) {
      p++;
      return { t: 'neg', arg: parseUnary() };
    }
    if (isOp(t, '+')) {
      p++;
      return parseUnary();
    }
    if (isOp(t, '!')) {
      p++;
      return { t: 'not', arg: parseUnary() };
    }
    const node = parsePrimary();
    if (isWord(peek(), 'collate')) fail();
    return node;
  };
  const parsePrimary = (): CheckNode => {
    const t = peek();
    if (t.k === 'num') {
      p++;
      return { t: 'num', text: t.v };
    }
    if (t.k === 'str') {
      p++;
      if (peek().k === 'str')
        throw new CheckRefusal('adjacent strings (MySQL concatenates them) are not translated');
      return { t: 'str', value: t.v };
    }
    if (t.k === 'ident') {
      p++;
      if (isOp(peek(), '(')) throw new CheckRefusal(`\`${t.v}\`() is a stored function: not translated`);
      return { t: 'col', name: t.v };
    }
    if (isOp(t, '(')) {
      p++;
      if (isWord(peek(), 'select')) fail();
      const inner = parseOr();
      if (isOp(peek(), ',')) throw new CheckRefusal('row constructors are not translated');
      expectOp(')');
      return inner;
    }
    if (t.k === 'word') {
      const lower = t.v.toLowerCase();
      if (lower === 'null') {
        p++;
        return { t: 'null' };
      }
      if (lower === 'true' || lower === 'false') {
        p++;
        return { t: 'bool', value: lower === 'true' };
      }
      if (RESERVED.has(lower)) fail();
      p++;
      if (isOp(peek(), '(')) {
        p++;
        const args: CheckNode[] = [];
        if (!isOp(peek(), ')')) {
          args.push(parseOr());
          while (isOp(peek(), ',')) {
            p++;
            args.push(parseOr());
          }
        }
        expectOp(')');
        return { t: 'call', name: lower, args };
      }
      return { t: 'col', name: t.v };
    }
    return fail();
  };

  const root = parseOr();
  if (peek().k !== 'end') fail();
  return root;
}
