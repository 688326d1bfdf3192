// A MySQL/MariaDB CHECK expression translated to PostgreSQL, when it is made only of parts that mean
// the same on both: columns (under their target names), numbers, strings, NULL/TRUE/FALSE,
// comparisons, AND/OR/NOT, IS [NOT] NULL, [NOT] IN, [NOT] BETWEEN, [NOT] LIKE with a plain
// pattern, + - * and abs(), char_length(), coalesce(). Everything is typed on the way (number,
// text, condition) and refused, with the reason, where the engines disagree:
//
// - text comparisons: MySQL compares in the column's collation; _ci (and other linguistic)
//   collations ignore case and accents, so `status IN ('a','b')` accepts 'A' on MySQL and not on
//   PostgreSQL, and `code <> 'x'` refuses 'X' on MySQL only. Refused either way: only binary
//   collations (_bin) translate, PAD SPACE ones (trailing spaces ignored) with rtrim() on both
//   sides. Ordering of text (<, BETWEEN) depends on the target's collation: refused.
// - / DIV % MOD: decimal vs truncating division, NULL vs an error for a zero divisor: refused.
// - integer arithmetic runs in BIGINT on MySQL: translated with casts to bigint (PostgreSQL would
//   overflow smallint/integer earlier); on UNSIGNED columns MySQL fails below 0: refused.
// - FLOAT columns compare as DOUBLE on MySQL and as real on PostgreSQL; floating-point literals
//   (1e3) as DOUBLE vs numeric: refused. lower()/upper() follow the column's character set on
//   MySQL and the target's LC_CTYPE on PostgreSQL (under C only ASCII changes): refused.
// - MariaDB's json_valid(col) on a column that becomes json/jsonb: the type enforces it.
import type { ColumnModel } from '../../engines/model';
import { quoteIdent } from '../../engines/postgres/quote';
import { isCaseInsensitiveCollation, isPadSpaceCollation } from '../../engines/type-mapping/collations';
import { mysqlType } from '../../engines/type-mapping/mysql-types';
import { CheckRefusal, parseMysqlCheck, type CheckNode } from './mysql-check-parser';

export interface CheckColumn {
  source: ColumnModel;
  /** The column's name on the target; null when it is not created there (excluded or refused). */
  target: string | null;
  /** Its type on the target (the mapping's or the override's). */
  targetType: string | null;
}

type CheckTranslation = { ok: true; sql: string } | { ok: false; reason: string };

type Kind = 'num' | 'text' | 'bool' | 'null' | 'json' | 'other';

interface Typed {
  sql: string;
  kind: Kind;
  /** Numbers: an integer MySQL computes in BIGINT (signed) or BIGINT UNSIGNED. */
  int?: 'signed' | 'unsigned';
  /** Number literals: the digits. */
  literal?: string;
  /** Text from a column: its collation (null: the server default); absent for literals. */
  collation?: string | null;
  /** Text literals: the value. */
  str?: string;
  /** 'other' and 'json' columns: why they cannot take part in a comparison. */
  why?: string;
  /** Text whose SQL is already without trailing spaces: no rtrim(). */
  settled?: true;
  /** Numbers whose SQL is a bigint already: no cast. */
  big?: true;
}

const INT_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'bigint']);
const TEXT_TYPES = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext']);
const PG_INT = /^(smallint|integer|int|int2|int4|int8|bigint)$/;
const PG_NUMERIC = /^(numeric|decimal)(\(\s*\d+\s*(,\s*\d+\s*)?\))?$/;
const PG_TEXT = /^(text|character varying|varchar|character|char|bpchar)(\s*\(\s*\d+\s*\))?$/;
const BIGINT_MAX = 9223372036854775807n;

const FUNCTION_REFUSALS: Record<string, string> = {
  lower:
    'lower() follows the column character set on MySQL but the target database LC_CTYPE on PostgreSQL (under C only ASCII letters change)',
  upper:
    'upper() follows the column character set on MySQL but the target database LC_CTYPE on PostgreSQL (under C only ASCII letters change)',
  length: 'length() counts bytes of the column character set on MySQL, characters on PostgreSQL',
  octet_length: 'octet_length() counts bytes of the column character set on MySQL, of UTF-8 on PostgreSQL',
  greatest: 'greatest() is NULL when any argument is NULL on MySQL, not on PostgreSQL',
  least: 'least() is NULL when any argument is NULL on MySQL, not on PostgreSQL',
};
FUNCTION_REFUSALS.lcase = FUNCTION_REFUSALS.lower!;
FUNCTION_REFUSALS.ucase = FUNCTION_REFUSALS.upper!;

/** Columns keyed by lower-case source name (MySQL column names are case-insensitive). */
export function checkColumnMap(columns: CheckColumn[]): Map<string, CheckColumn> {
  return new Map(columns.map((c) => [c.source.name.toLowerCase(), c]));
}

export function translateMysqlCheck(
  expression: string,
  columns: ReadonlyMap<string, CheckColumn>,
): CheckTranslation {
  try {
    const root = parseMysqlCheck(expression);
    return { ok: true, sql: asCondition(emit(root, columns)) };
  } catch (err) {
    if (err instanceof CheckRefusal) return { ok: false, reason: err.message };
    if (err instanceof RangeError) return { ok: false, reason: 'the expression is nested too deeply' };
    throw err;
  }
}

const refuse = (reason: string): never => {
  throw new CheckRefusal(reason);
};

/** A PostgreSQL string literal; E'' when it holds a backslash, so standard_conforming_strings does not matter. */
function pgString(value: string): string {
  if (value.includes('\0')) refuse('a string holds a NUL character, which PostgreSQL text cannot hold');
  const body = value.replaceAll("'", "''");
  return value.includes('\\') ? `E'${body.replaceAll('\\', '\\\\')}'` : `'${body}'`;
}

function columnOf(name: string, columns: ReadonlyMap<string, CheckColumn>): Typed {
  const c = columns.get(name.toLowerCase());
  if (!c) return refuse(`${name} is not a column of the table`);
  if (c.target === null || c.targetType === null)
    return refuse(`column ${c.source.name} is not created on the target (excluded or refused)`);
  const q = quoteIdent(c.target);
  const t = mysqlType(c.source);
  const tt = c.targetType.trim().toLowerCase();
  const other = (why: string): Typed => ({ sql: q, kind: 'other', why });
  const mismatch = () =>
    other(`column ${c.source.name} is ${c.source.nativeType} on MySQL and ${c.targetType} on PostgreSQL`);
  if (c.source.isJson)
    return /^jsonb?$/.test(tt)
      ? { sql: q, kind: 'json', why: `column ${c.source.name} holds JSON` }
      : mismatch();
  if (INT_TYPES.has(t))
    return PG_INT.test(tt) || PG_NUMERIC.test(tt)
      ? {
          sql: q,
          kind: 'num',
          int: c.source.unsigned || /unsigned/i.test(c.source.nativeType) ? 'unsigned' : 'signed',
        }
      : mismatch();
  if (t === 'decimal') return PG_NUMERIC.test(tt) ? { sql: q, kind: 'num' } : mismatch();
  if (t === 'double') return /^(double precision|float8)$/.test(tt) ? { sql: q, kind: 'num' } : mismatch();
  if (t === 'float')
    return other(
      `column ${c.source.name} is FLOAT: MySQL compares it with other numbers as DOUBLE, PostgreSQL as real`,
    );
  if (TEXT_TYPES.has(t)) {
    if (!PG_TEXT.test(tt)) return mismatch();
    // MySQL strips CHAR's trailing spaces on read; PostgreSQL's character(n) keeps them for LIKE.
    return t === 'char'
      ? { sql: `rtrim(${q}, ' ')`, kind: 'text', collation: c.source.collation, settled: true }
      : { sql: q, kind: 'text', collation: c.source.collation };
  }
  return mismatch();
}

function isBinaryCollation(collation: string | null): boolean {
  return collation !== null && (/_bin$/i.test(collation) || collation.toLowerCase() === 'binary');
}

/**
 * The one collation of text operands compared with each other, which must be binary; whether it
 * ignores trailing spaces (PAD SPACE).
 */
function textComparison(operands: Typed[], what: string): { pad: boolean } {
  const collations = [
    ...new Set(
      operands.filter((o) => o.kind === 'text' && o.collation !== undefined).map((o) => o.collation!),
    ),
  ];
  if (!collations.length) return refuse(`${what} compares text constants only`);
  if (collations.length > 1)
    return refuse(`${what} compares text of the collations ${collations.join(' and ')}`);
  const collation = collations[0]!;
  if (isBinaryCollation(collation)) return { pad: isPadSpaceCollation(collation) };
  const name = collation ?? "the server's default collation";
  if (collation === null || isCaseInsensitiveCollation(collation))
    return refuse(
      `${what} compares text in ${name}, which ignores case (and accents) on MySQL but not on PostgreSQL: a value such as 'A' for 'a' passes on one side and fails on the other`,
    );
  return refuse(
    `${what} compares text in ${name}, a linguistic collation PostgreSQL's byte comparison does not follow`,
  );
}

/** Trailing spaces do not count under PAD SPACE: stripped from literals, rtrim() around the rest. */
function padded(o: Typed, pad: boolean): string {
  if (!pad || o.kind !== 'text') return o.sql;
  if (o.str !== undefined) return pgString(o.str.replace(/ +$/, ''));
  return o.settled ? o.sql : `rtrim(${o.sql}, ' ')`;
}

/** A value that can be compared: a number, text or NULL. */
function value(node: CheckNode, columns: ReadonlyMap<string, CheckColumn>, what: string): Typed {
  const v = emit(node, columns);
  if (v.kind === 'other' || v.kind === 'json') return refuse(`${what}: ${v.why}`);
  if (v.kind === 'bool')
    return refuse(`${what} uses a condition as a value (MySQL turns it into 1 or 0, PostgreSQL does not)`);
  return v;
}

function number(node: CheckNode, columns: ReadonlyMap<string, CheckColumn>, what: string): Typed {
  const v = value(node, columns, what);
  if (v.kind === 'text')
    return refuse(`${what} uses text as a number (MySQL converts it, PostgreSQL does not)`);
  return v;
}

/** Operands of one comparison: all numbers (or NULL), or all text (or NULL) in one binary collation. */
function comparable(operands: Typed[], what: string, ordered: boolean): string[] {
  const kinds = new Set(operands.map((o) => o.kind).filter((k) => k !== 'null'));
  if (kinds.size > 1)
    return refuse(`${what} compares text with a number (MySQL converts, PostgreSQL does not)`);
  if (!kinds.has('text')) return operands.map((o) => o.sql);
  if (ordered)
    return refuse(
      `${what} orders text, which depends on the collation (MySQL's and the target database's differ)`,
    );
  const { pad } = textComparison(operands, what);
  return operands.map((o) => padded(o, pad));
}

/** The operand as a bigint: cast unless it is one already (or NULL, or a literal beside a bigint). */
function bigint(o: Typed, besideBigint: boolean): string {
  if (o.big || o.kind === 'null' || (o.literal !== undefined && besideBigint)) return o.sql;
  return `CAST(${o.sql} AS bigint)`;
}

function asCondition(o: Typed): string {
  switch (o.kind) {
    case 'bool':
      return o.sql;
    case 'null':
      return 'NULL';
    case 'num':
      // MySQL: any non-zero number is true (MariaDB prints TRUE as 1).
      if (o.literal !== undefined) return /^-?[0.]*$/.test(o.literal) ? 'FALSE' : 'TRUE';
      return `(${o.sql} <> 0)`;
    default:
      return refuse(`a ${o.kind === 'text' ? 'text value' : 'column'} is used as a condition`);
  }
}

function emit(node: CheckNode, columns: ReadonlyMap<string, CheckColumn>): Typed {
  switch (node.t) {
    case 'col':
      return columnOf(node.name, columns);
    case 'num': {
      if (/[eE]/.test(node.text))
        return refuse(
          `the floating-point literal ${node.text} compares as DOUBLE on MySQL, as numeric on PostgreSQL`,
        );
      const int =
        /^\d+$/.test(node.text) && BigInt(node.text) <= BIGINT_MAX ? ('signed' as const) : undefined;
      return { sql: node.text, kind: 'num', literal: node.text, ...(int ? { int } : {}) };
    }
    case 'bool':
      return { sql: node.value ? '1' : '0', kind: 'num', literal: node.value ? '1' : '0', int: 'signed' };
    case 'str':
      return { sql: pgString(node.value), kind: 'text', str: node.value };
    case 'null':
      return { sql: 'NULL', kind: 'null' };
    case 'neg': {
      const a = number(node.arg, columns, 'unary minus');
      if (a.kind === 'null') return a;
      if (a.int === 'unsigned')
        return refuse('unary minus on an UNSIGNED column fails on MySQL where PostgreSQL negates');
      if (a.literal !== undefined)
        return {
          ...a,
          sql: `(- ${a.sql})`,
          literal: a.literal.startsWith('-') ? a.literal.slice(1) : `-${a.literal}`,
        };
      if (a.int) return { sql: `(- ${bigint(a, false)})`, kind: 'num', int: 'signed', big: true };
      return { sql: `(- ${a.sql})`, kind: 'num' };
    }
    case 'arith': {
      const what = `${node.op}`;
      const l = number(node.l, columns, what);
      const r = number(node.r, columns, what);
      if (l.int && r.int) {
        if (l.int === 'unsigned' || r.int === 'unsigned')
          return refuse(
            `integer ${node.op} on an UNSIGNED column: MySQL computes it as BIGINT UNSIGNED, which fails outside 0..18446744073709551615; PostgreSQL does not`,
          );
        // MySQL computes integers in BIGINT; PostgreSQL would overflow a smallint or integer first.
        const left = bigint(l, r.literal === undefined);
        return { sql: `(${left} ${node.op} ${bigint(r, true)})`, kind: 'num', int: 'signed', big: true };
      }
      return { sql: `(${l.sql} ${node.op} ${r.sql})`, kind: 'num' };
    }
    case 'cmp': {
      const what = node.op;
      const ordered = node.op !== '=' && node.op !== '<>' && node.op !== '<=>';
      const [l, r] = comparable(
        [value(node.l, columns, what), value(node.r, columns, what)],
        `the comparison ${what}`,
        ordered,
      );
      return {
        sql: node.op === '<=>' ? `(${l} IS NOT DISTINCT FROM ${r})` : `(${l} ${node.op} ${r})`,
        kind: 'bool',
      };
    }
    case 'in': {
      const what = node.not ? 'NOT IN' : 'IN';
      const [arg, ...list] = comparable(
        [node.arg, ...node.list].map((n) => value(n, columns, what)),
        what,
        false,
      );
      return { sql: `(${arg} ${what} (${list.join(', ')}))`, kind: 'bool' };
    }
    case 'between': {
      const what = node.not ? 'NOT BETWEEN' : 'BETWEEN';
      const [arg, lo, hi] = comparable(
        [node.arg, node.lo, node.hi].map((n) => value(n, columns, what)),
        what,
        true,
      );
      return { sql: `(${arg} ${what} ${lo} AND ${hi})`, kind: 'bool' };
    }
    case 'like': {
      const what = node.not ? 'NOT LIKE' : 'LIKE';
      const arg = value(node.arg, columns, what);
      if (arg.kind !== 'text') return refuse(`${what} on a ${arg.kind === 'null' ? 'NULL' : 'number'}`);
      if (node.pattern.t !== 'str') return refuse(`${what} with a pattern that is not a string literal`);
      const pattern = node.pattern.value;
      for (let i = 0; i < pattern.length; i++) {
        if (pattern[i] !== '\\') continue;
        if (!'%_\\'.includes(pattern[i + 1] ?? 'end'))
          return refuse(`${what} pattern ${JSON.stringify(pattern)} uses \\ other than before %, _ or \\`);
        i++;
      }
      // LIKE does not pad, but it follows the collation's case rules.
      textComparison([arg], what);
      return { sql: `(${arg.sql} ${what} ${pgString(pattern)})`, kind: 'bool' };
    }
    case 'is': {
      const what = `IS ${node.not ? 'NOT ' : ''}${node.what}`;
      if (node.what === 'NULL') {
        const arg = emit(node.arg, columns);
        return { sql: `(${arg.sql} ${what})`, kind: 'bool' };
      }
      return { sql: `(${asCondition(emit(node.arg, columns))} ${what})`, kind: 'bool' };
    }
    case 'not':
      return { sql: `(NOT ${asCondition(emit(node.arg, columns))})`, kind: 'bool' };
    case 'logic':
      return {
        sql: `(${asCondition(emit(node.l, columns))} ${node.op} ${asCondition(emit(node.r, columns))})`,
        kind: 'bool',
      };
    case 'call':
      return call(node.name, node.args, columns);
  }
}

function call(name: string, args: CheckNode[], columns: ReadonlyMap<string, CheckColumn>): Typed {
  const arity = (n: number) => {
    if (args.length !== n) refuse(`${name}() takes ${n} argument${n === 1 ? '' : 's'}`);
  };
  switch (name) {
    case 'char_length':
    case 'character_length': {
      arity(1);
      const a = value(args[0]!, columns, `${name}()`);
      if (a.kind === 'num') return refuse(`${name}() of a number (MySQL converts it to text)`);
      return { sql: `char_length(${a.sql})`, kind: 'num', int: 'signed' };
    }
    case 'abs': {
      arity(1);
      const a = number(args[0]!, columns, 'abs()');
      if (a.int === 'signed')
        return { sql: `abs(${bigint(a, false)})`, kind: 'num', int: 'signed', big: true };
      return { sql: `abs(${a.sql})`, kind: 'num', ...(a.int ? { int: a.int } : {}) };
    }
    case 'coalesce': {
      if (!args.length) return refuse('coalesce() needs an argument');
      const typed = args.map((a) => value(a, columns, 'coalesce()'));
      const kinds = new Set(typed.map((t) => t.kind).filter((k) => k !== 'null'));
      if (kinds.size > 1)
        return refuse('coalesce() mixes text and numbers (MySQL converts, PostgreSQL does not)');
      const sql = `coalesce(${typed.map((t) => t.sql).join(', ')})`;
      if (kinds.has('text')) {
        const collations = [
          ...new Set(typed.filter((t) => t.collation !== undefined).map((t) => t.collation!)),
        ];
        if (collations.length > 1)
          return refuse(`coalesce() mixes text of the collations ${collations.join(' and ')}`);
        return { sql, kind: 'text', ...(collations.length ? { collation: collations[0]! } : {}) };
      }
      if (!kinds.size) return { sql: 'NULL', kind: 'null' };
      const nums = typed.filter((t) => t.kind === 'num');
      const int = nums.every((t) => t.int)
        ? nums.some((t) => t.int === 'unsigned')
          ? ('unsigned' as const)
          : ('signed' as const)
        : undefined;
      return { sql, kind: 'num', ...(int ? { int } : {}) };
    }
    case 'json_valid': {
      arity(1);
      const a = emit(args[0]!, columns);
      if (a.kind !== 'json' || args[0]!.t !== 'col')
        return refuse('json_valid() of anything but a column that becomes json/jsonb is not translated');
      // The json/jsonb type only holds valid JSON; json_valid(NULL) is NULL.
      return { sql: `(${a.sql} IS NOT NULL OR NULL)`, kind: 'bool' };
    }
    default:
      return refuse(
        FUNCTION_REFUSALS[name] ??
          `${name}() is not translated (only abs, char_length, coalesce mean the same on both engines)`,
      );
  }
}
