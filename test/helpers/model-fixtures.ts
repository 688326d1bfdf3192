// Hand-built model fixtures for the type-mapping and compatibility unit tests: a column is given by
// its native DDL type, everything else is derived the way introspection reports it, and can be
// overridden field by field.
import type { ColumnModel, EngineKind, IndexModel, SchemaModel, TableModel } from '../../src/engines/model';

let ordinal = 0;

/** A MySQL column as information_schema describes it: col('id', 'int(10) unsigned'). */
export function col(name: string, nativeType: string, extra: Partial<ColumnModel> = {}): ColumnModel {
  const native = nativeType.toLowerCase();
  const dataType = native.split(/[\s(]/)[0] ?? native;
  const members = /^(enum|set)\((.*)\)$/.exec(nativeType.trim());
  const args = /\((\d+)(?:,(\d+))?\)/.exec(native);
  const isChar = /^(char|varchar)$/.test(dataType);
  const isTemporal = /^(datetime|timestamp|time)$/.test(dataType);
  return {
    name,
    ordinal: ++ordinal,
    nativeType,
    dataType,
    nullable: true,
    default: null,
    generated: null,
    autoIncrement: false,
    identity: null,
    unsigned: /\bunsigned\b/.test(native),
    length: isChar && args ? Number(args[1]) : null,
    precision: dataType === 'decimal' && args ? Number(args[1]) : null,
    scale: dataType === 'decimal' && args ? Number(args[2] ?? 0) : isTemporal ? Number(args?.[1] ?? 0) : null,
    charset: /char|text|enum|set/.test(dataType) ? 'utf8mb4' : null,
    collation: /char|text|enum|set/.test(dataType) ? 'utf8mb4_general_ci' : null,
    enumValues: members
      ? [...members[2]!.matchAll(/'((?:[^']|'')*)'/g)].map((m) => m[1]!.replaceAll("''", "'"))
      : null,
    arrayOf: null,
    isJson: dataType === 'json',
    comment: null,
    ...extra,
  };
}

/** A PostgreSQL column: the data type as format_type prints it without modifiers, plus overrides. */
export function pgCol(
  name: string,
  nativeType: string,
  dataType: string,
  extra: Partial<ColumnModel> = {},
): ColumnModel {
  return {
    name,
    ordinal: ++ordinal,
    nativeType,
    dataType,
    nullable: true,
    default: null,
    generated: null,
    autoIncrement: false,
    identity: null,
    unsigned: false,
    length: null,
    precision: null,
    scale: null,
    charset: null,
    collation: null,
    enumValues: null,
    arrayOf: null,
    isJson: dataType === 'json' || dataType === 'jsonb',
    comment: null,
    ...extra,
  };
}

export function index(
  name: string,
  columns: (string | [string, number])[],
  extra: Partial<IndexModel> = {},
): IndexModel {
  return {
    name,
    columns: columns.map((c) => ({
      column: typeof c === 'string' ? c : c[0],
      expression: null,
      prefixLength: typeof c === 'string' ? null : c[1],
      descending: false,
    })),
    unique: false,
    primary: false,
    method: 'btree',
    predicate: null,
    ...extra,
  };
}

export function table(name: string, columns: ColumnModel[], extra: Partial<TableModel> = {}): TableModel {
  const t: TableModel = {
    name,
    columns,
    primaryKey: null,
    uniqueKeys: [],
    indexes: [],
    foreignKeys: [],
    checks: [],
    triggers: [],
    rowEstimate: 1000,
    exactRows: null,
    dataBytes: 1 << 20,
    indexBytes: 0,
    autoIncrement: null,
    comment: null,
    storageEngine: 'InnoDB',
    partitioned: false,
    ...extra,
  };
  if (t.primaryKey && !t.indexes.some((i) => i.primary)) {
    t.indexes = [index('PRIMARY', t.primaryKey, { unique: true, primary: true }), ...t.indexes];
  }
  return t;
}

export function schema(
  engine: EngineKind,
  tables: TableModel[],
  extra: Partial<SchemaModel> = {},
): SchemaModel {
  return {
    engine,
    serverVersion: engine === 'mysql' ? 'MariaDB 10.11.19' : 'PostgreSQL 15.19',
    schema: 'shop',
    database: 'shop',
    charset: engine === 'mysql' ? 'utf8mb4' : 'UTF8',
    collation: null,
    tables,
    views: [],
    routines: [],
    triggers: [],
    events: [],
    sequences: [],
    ...extra,
  };
}
