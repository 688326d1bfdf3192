// Key values between the two sides' wire forms, for range bounds and reads by key: the value
// translator's key converters (src/dataplane/values), the same ones the copier uses. A PostgreSQL
// timestamptz key prints "2024-01-01 00:00:00+00", which a MariaDB DATETIME comparison rejects; a
// boolean key is 1/0 on MySQL; a MySQL BIT key is bytes where PostgreSQL bit prints '0101', and a
// BINARY(16) is bytes where a uuid prints its text. Source -> target for the source's chunks;
// target -> source for the keys read on the target (key-set validation looks them up on the
// source), converted by the reverse converter of each key column's target type.
import type { ColumnModel, EngineKind, TableModel } from '../../engines/model';
import type { Key } from '../../engines/key-range';
import { keyTranslator } from '../values';
import { pgBaseType } from '../values/mysql-to-postgres';

export interface KeyTranslation {
  toTargetKey: (key: Key) => Key;
  toSourceKey: (key: Key) => Key;
}

function keyColumn(table: TableModel, name: string): ColumnModel {
  const c = table.columns.find((x) => x.name === name);
  if (!c)
    throw new Error(`key column ${JSON.stringify(name)} is not a column of ${JSON.stringify(table.name)}`);
  return c;
}

/** PostgreSQL type names as format_type spells them (what introspection puts in dataType). */
const PG_ALIASES: Record<string, string> = {
  timestamptz: 'timestamp with time zone',
  timestamp: 'timestamp without time zone',
  timetz: 'time with time zone',
  time: 'time without time zone',
  bool: 'boolean',
  int2: 'smallint',
  int: 'integer',
  int4: 'integer',
  int8: 'bigint',
  float4: 'real',
  float8: 'double precision',
  decimal: 'numeric',
  varchar: 'character varying',
  char: 'character',
  bpchar: 'character',
  varbit: 'bit varying',
};

/**
 * The model of a target column as far as the value converters read it (dataType, nativeType,
 * unsigned, precision of BIT, isJson), from the DDL type the plan gave it: the target column is
 * created with exactly that type, so no introspection of the target is needed.
 */
export function targetColumnModel(engine: EngineKind, name: string, type: string): ColumnModel {
  const t = type.trim().replace(/\s+/g, ' ');
  const lower = t.toLowerCase();
  let dataType: string;
  let precision: number | null = null;
  let isJson: boolean;
  if (engine === 'postgres') {
    const base = pgBaseType(lower);
    dataType = /\[\]$/.test(base) ? 'array' : (PG_ALIASES[base] ?? base);
    isJson = dataType === 'json' || dataType === 'jsonb';
  } else {
    dataType = /^[a-z0-9_]+/.exec(lower)?.[0] ?? lower;
    isJson = dataType === 'json';
    if (dataType === 'bit') precision = Number(/^bit\s*\(\s*(\d+)\s*\)/.exec(lower)?.[1] ?? 1);
  }
  return {
    name,
    ordinal: 0,
    nativeType: t,
    dataType,
    nullable: false,
    default: null,
    generated: null,
    autoIncrement: false,
    identity: null,
    unsigned: engine === 'mysql' && /\bunsigned\b/.test(lower),
    length: null,
    precision,
    scale: null,
    charset: null,
    collation: null,
    enumValues: null,
    arrayOf: null,
    isJson,
    comment: null,
  };
}

/**
 * `targetTypes`: the target DDL type of each key column (the mapping's targetType), keyed by the
 * source column name. `target`, when given, is the target table's model (columns under the source
 * names); otherwise the target key columns are modelled from `targetTypes`.
 */
export function keyTranslation(
  from: EngineKind,
  to: EngineKind,
  source: TableModel,
  key: string[],
  targetTypes: Record<string, string>,
  target?: TableModel,
): KeyTranslation {
  const typeOf = (k: string): string => {
    const targetType = targetTypes[k];
    if (targetType === undefined) throw new Error(`no target type for key column ${JSON.stringify(k)}`);
    return targetType;
  };
  const toTargetKey = keyTranslator(
    from,
    to,
    source.name,
    key.map((k) => ({ source: keyColumn(source, k), targetType: typeOf(k) })),
  );
  const toSourceKey = keyTranslator(
    to,
    from,
    target?.name ?? source.name,
    key.map((k) => ({
      source: target ? keyColumn(target, k) : targetColumnModel(to, k, typeOf(k)),
      targetType: keyColumn(source, k).nativeType,
    })),
  );
  return { toTargetKey, toSourceKey };
}
