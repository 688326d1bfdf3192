// Deciding how a column compares: each side's type classified, the pair of classes turned into a
// Domain, for one column or a whole table.
import type { ColumnModel, EngineKind, TableModel } from '../../../engines/model';
import { CanonicalError, type CanonicalColumn, type Domain, type SideType, type TypeClass } from './types';

// ---------------------------------------------------------------------------------------------
// Classifying types

const MYSQL_INT = /^(tinyint|smallint|mediumint|int|integer|bigint|int[1-8]|middleint|year|bool|boolean)\b/;

/**
 * The class of a type written as DDL or as a model's native type: `mysql` types as MySQL prints
 * them ("tinyint(1) unsigned", "decimal(10,2)", "enum('a','b')"), `postgres` types as format_type
 * prints them ("numeric(20,0)", "timestamp(6) with time zone", "text[]", a quoted enum name).
 */
export function classifyType(
  engine: EngineKind,
  type: string,
  hints: { isJson?: boolean; isEnum?: boolean } = {},
): SideType {
  const t = type.toLowerCase().trim().replace(/\s+/g, ' ');
  const side = (cls: TypeClass, bits?: number): SideType =>
    bits === undefined ? { engine, cls } : { engine, cls, bits };
  if (hints.isJson || /^jsonb?\b/.test(t)) return side('json');
  if (engine === 'mysql') {
    if (/^(bool|boolean)\b/.test(t) || /^(tinyint|int1)\s*\(\s*1\s*\)/.test(t)) return side('tinyint1');
    if (MYSQL_INT.test(t)) return side('int');
    if (/^(decimal|numeric|dec|fixed)\b/.test(t)) return side('decimal');
    if (/^(float|float4)\b/.test(t) && !/^float\s*\(\s*(2[5-9]|[3-5]\d)\s*\)/.test(t)) return side('float4');
    if (/^(float|double|real|float8)\b/.test(t)) return side('float8');
    if (/^bit\b/.test(t)) {
      const n = Number(/^bit\s*\(\s*(\d+)\s*\)/.exec(t)?.[1] ?? 1);
      return n === 1 ? side('bit1') : side('bits', n);
    }
    if (/^(char|character|nchar)\b/.test(t) && !/^character varying/.test(t)) return side('char');
    if (/^(varchar|character varying|nvarchar|tinytext|text|mediumtext|longtext|long)\b/.test(t))
      return side('text');
    if (/^enum\b/.test(t) || hints.isEnum) return side('text');
    if (/^set\b/.test(t)) return side('set');
    if (/^(binary|varbinary|tinyblob|blob|mediumblob|longblob)\b/.test(t)) return side('binary');
    if (/^uuid\b/.test(t)) return side('uuid');
    if (/^date$/.test(t)) return side('date');
    if (/^(datetime|timestamp)\b/.test(t)) return side('timestamp');
    if (/^time\b/.test(t)) return side('time');
    return side('other');
  }
  if (/\[\]$/.test(t) || /^array\b/.test(t)) return side('array');
  if (/^(smallint|integer|bigint|int2|int4|int8|int)$/.test(t)) return side('int');
  if (/^(numeric|decimal)\b/.test(t)) return side('decimal');
  if (/^(real|float4)$/.test(t)) return side('float4');
  if (/^(double precision|float8)$/.test(t)) return side('float8');
  if (/^(boolean|bool)$/.test(t)) return side('bool');
  if (/^(bit varying|varbit|bit)\b/.test(t)) {
    const n = /\(\s*(\d+)\s*\)/.exec(t)?.[1];
    return side('bits', n === undefined ? undefined : Number(n));
  }
  if (/^(character|char|bpchar)\b/.test(t) && !/^(character|char) varying/.test(t)) return side('char');
  if (/^(character varying|varchar|text|citext|name)\b/.test(t)) return side('text');
  if (/^bytea$/.test(t)) return side('binary');
  if (/^uuid$/.test(t)) return side('uuid');
  if (/^date$/.test(t)) return side('date');
  if (/^timestamp\b/.test(t)) return side('timestamp');
  if (/^time\b/.test(t)) return side('time');
  if (/^interval\b/.test(t)) return side('interval');
  if (hints.isEnum || /^"/.test(t)) return side('text');
  return side('other');
}

/** The class of a column as introspection describes it. */
export function classifyColumn(engine: EngineKind, c: ColumnModel): SideType {
  if (engine === 'postgres') {
    if (c.dataType === 'array') return { engine, cls: 'array' };
    if (c.enumValues) return { engine, cls: 'text' };
    const t = c.dataType === 'bit' || c.dataType === 'bit varying' ? c.nativeType : c.dataType;
    return classifyType(engine, t, { isJson: c.isJson });
  }
  return classifyType(engine, c.nativeType, { isJson: c.isJson });
}

const BOOLEAN_PARTNERS = new Set<TypeClass>(['bool', 'bit1', 'tinyint1', 'int']);
const NUMERIC = new Set<TypeClass>(['int', 'tinyint1', 'decimal']);
const TEXTUAL = new Set<TypeClass>(['char', 'text']);
const TEMPORAL = new Set<TypeClass>(['timestamp']);
const DURATION = new Set<TypeClass>(['time', 'interval']);

/** What a pair of column types compares as. */
export function pairDomain(a: SideType, b: SideType): Domain {
  const has = (c: TypeClass): boolean => a.cls === c || b.cls === c;
  const both = (s: Set<TypeClass>): boolean => s.has(a.cls) && s.has(b.cls);
  if (a.cls === 'json' && b.cls === 'json') return 'json';
  const boolish = (c: TypeClass): boolean => c === 'bool' || c === 'bit1';
  if ((boolish(a.cls) || boolish(b.cls)) && BOOLEAN_PARTNERS.has(a.cls) && BOOLEAN_PARTNERS.has(b.cls))
    return 'boolean';
  if (both(NUMERIC)) return 'number';
  if (a.cls === 'float4' && b.cls === 'float4') return 'float4';
  if ((a.cls === 'float4' || a.cls === 'float8') && (b.cls === 'float4' || b.cls === 'float8'))
    return 'float8';
  if (both(TEXTUAL)) return 'text';
  if ((has('set') && (has('array') || a.cls === b.cls)) || (a.cls === 'set' && b.cls === 'set')) return 'set';
  if (a.cls === 'binary' && b.cls === 'binary') return 'binary';
  if (
    has('uuid') &&
    ['uuid', 'binary', 'char', 'text'].includes(a.cls) &&
    ['uuid', 'binary', 'char', 'text'].includes(b.cls)
  )
    return 'uuid';
  if (a.cls === 'date' && b.cls === 'date') return 'date';
  if (both(TEMPORAL) || (has('date') && has('timestamp'))) return 'timestamp';
  if (both(DURATION)) return 'duration';
  if ((a.cls === 'bits' || a.cls === 'bit1') && (b.cls === 'bits' || b.cls === 'bit1')) return 'bits';
  return 'raw';
}

/**
 * The comparison for one column: `source` as introspected on the source, `targetType` the type
 * the target column has (the mapping's targetType, or the target's introspected native type).
 */
export function canonicalColumn(
  from: EngineKind,
  to: EngineKind,
  source: ColumnModel,
  target: string | ColumnModel,
): CanonicalColumn {
  const s = classifyColumn(from, source);
  const t =
    typeof target === 'string' ? classifyType(to, target, { isJson: false }) : classifyColumn(to, target);
  // Same engine, same type: still canonical (CHAR padding, JSON key order of json columns), via the pair.
  return {
    name: source.name,
    domain: pairDomain(s, t),
    source: s,
    target: t,
    types: { source: source.nativeType, target: typeof target === 'string' ? target : target.nativeType },
  };
}

/**
 * The comparisons for a whole table, in the source's column order: the target given as its
 * introspected model or as the mapped target type of each column (by source column name).
 * `exclude` leaves columns out (e.g. columns an override drops on the target).
 */
export function canonicalColumns(
  from: EngineKind,
  to: EngineKind,
  source: TableModel,
  target: TableModel | Record<string, string>,
  options: {
    exclude?: string[];
    /** The copy's zero-date policies per source column (MySQL sources): compared as the copy wrote them. */
    zeroDates?: Record<string, 'error' | 'null' | { sentinel: string }>;
  } = {},
): CanonicalColumn[] {
  const out: CanonicalColumn[] = [];
  for (const c of source.columns) {
    if (options.exclude?.includes(c.name)) continue;
    const t = isTableModel(target) ? target.columns.find((x) => x.name === c.name) : target[c.name];
    if (t === undefined)
      throw new CanonicalError(
        `column ${JSON.stringify(c.name)} of ${JSON.stringify(source.name)} has no counterpart on the target; exclude it or map it`,
      );
    const column = canonicalColumn(from, to, c, t);
    const policy = options.zeroDates?.[c.name];
    if (
      from === 'mysql' &&
      policy !== undefined &&
      policy !== 'error' &&
      ['date', 'timestamp'].includes(column.domain)
    )
      column.sourceZeroDates = policy;
    out.push(column);
  }
  return out;
}

function isTableModel(t: TableModel | Record<string, string>): t is TableModel {
  return Array.isArray((t as TableModel).columns) && typeof (t as TableModel).name === 'string';
}
