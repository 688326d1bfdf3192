// MySQL type names as the mappings see them: aliases folded to one name, spatial types, and the
// byte limits of the TEXT and BLOB families.
import type { ColumnModel } from '../model';

const MYSQL_ALIASES: Record<string, string> = {
  integer: 'int',
  int1: 'tinyint',
  int2: 'smallint',
  int3: 'mediumint',
  int4: 'int',
  int8: 'bigint',
  middleint: 'mediumint',
  bool: 'tinyint',
  boolean: 'tinyint',
  dec: 'decimal',
  numeric: 'decimal',
  fixed: 'decimal',
  real: 'double',
  'double precision': 'double',
  float4: 'float',
  float8: 'double',
  geomcollection: 'geometrycollection',
  'character varying': 'varchar',
  character: 'char',
};

export const SPATIAL = new Set([
  'geometry',
  'point',
  'linestring',
  'polygon',
  'multipoint',
  'multilinestring',
  'multipolygon',
  'geometrycollection',
]);

export const TEXT_LIMITS: Record<string, number | null> = {
  tinytext: 255,
  text: 65535,
  mediumtext: 16777215,
  longtext: null,
};
export const BLOB_LIMITS: Record<string, number | null> = {
  tinyblob: 255,
  blob: 65535,
  mediumblob: 16777215,
  longblob: null,
};

export function mysqlType(column: ColumnModel): string {
  const raw = (column.dataType || column.nativeType.split(/[\s(]/)[0] || '').toLowerCase().trim();
  return MYSQL_ALIASES[raw] ?? raw;
}
