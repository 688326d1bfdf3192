// PostgreSQL type names as the mappings see them: built-in and geometric types, and domains.
import type { ColumnModel } from '../model';

export const PG_GEOMETRIC = new Set(['point', 'line', 'lseg', 'box', 'path', 'polygon', 'circle']);

/** PostgreSQL built-in type names as format_type prints them (without modifiers). */
export const PG_BUILTIN_TYPES = new Set([
  'smallint',
  'integer',
  'bigint',
  'numeric',
  'real',
  'double precision',
  'boolean',
  'character varying',
  'character',
  'text',
  'bytea',
  'date',
  'timestamp without time zone',
  'timestamp with time zone',
  'time without time zone',
  'time with time zone',
  'interval',
  'json',
  'jsonb',
  'uuid',
  'bit',
  'bit varying',
  'money',
  'inet',
  'cidr',
  'macaddr',
  'macaddr8',
  'xml',
  'tsvector',
  'tsquery',
  'oid',
  'name',
  '"char"',
  'array',
  ...PG_GEOMETRIC,
]);

/** The domain a PostgreSQL column is declared with, when its native type is not its base type. */
export function pgDomainName(c: ColumnModel): string | null {
  if (c.dataType === 'array' || c.enumValues) return null;
  if (!PG_BUILTIN_TYPES.has(c.dataType)) return null;
  const base = c.nativeType
    .toLowerCase()
    .replace(/\(\s*\d+\s*(,\s*-?\d+\s*)?\)/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (base === c.dataType) return null;
  if (c.dataType === 'interval' && base.startsWith('interval')) return null;
  return c.nativeType;
}
