// The value translator: a source row in the source engine's wire form becomes the same row in the
// target engine's wire form (docs/DATAPLANE.md), column by column, as the plan's column mapping says.
// One converter per column is built once per table; converting a row is then a plain loop.
import { keyToJson, type Key } from '../../engines/key-range';
import type { ColumnModel, EngineKind } from '../../engines/model';
import { mysqlToPostgresConverter } from './mysql-to-postgres';
import { postgresToMysqlConverter } from './postgres-to-mysql';
import { ValueProblem, ValueTranslationError } from './problems';

export { ValueProblem, ValueTranslationError } from './problems';

/**
 * What to do with a MySQL zero or partial date ('0000-00-00', '2024-00-15') that PostgreSQL cannot
 * store: fail the copy naming the row (the default), write NULL, or write a sentinel value.
 */
export type ZeroDatePolicy = 'error' | 'null' | { sentinel: string };

export interface ColumnConversion {
  /** The source column as introspected (native type, unsigned, enum members, isJson, ...). */
  source: ColumnModel;
  /** The target column's DDL type: the plan's mapping (MappedType.targetType) or an override. */
  targetType: string;
  /** MySQL -> PostgreSQL date, datetime and timestamp columns only. */
  zeroDates?: ZeroDatePolicy;
}

export type Converter = (value: unknown) => unknown;

const identity: Converter = (v) => v;

export function columnConverter(from: EngineKind, to: EngineKind, column: ColumnConversion): Converter {
  if (from === 'mysql' && to === 'postgres') return mysqlToPostgresConverter(column);
  if (from === 'postgres' && to === 'mysql') return postgresToMysqlConverter(column);
  return identity;
}

export interface RowTranslator {
  /** Convert one row (values in `columns` order); throws ValueTranslationError. */
  (row: readonly unknown[]): unknown[];
  /** True when every converter is the identity (same engine): rows can pass through untouched. */
  readonly identity: boolean;
}

/**
 * A translator for the rows of one table. `columns` are in row order; `key` names the key columns
 * (they must be among the columns) so that an error can say which row failed.
 */
export function rowTranslator(
  from: EngineKind,
  to: EngineKind,
  table: string,
  columns: ColumnConversion[],
  key: string[],
): RowTranslator {
  const converters = columns.map((c) => columnConverter(from, to, c));
  const keyAt = key.map((k) => columns.findIndex((c) => c.source.name === k));
  const same = converters.every((c) => c === identity);
  const translate = (row: readonly unknown[]): unknown[] => {
    if (row.length !== converters.length)
      throw new ValueTranslationError(
        `table ${JSON.stringify(table)}: a row has ${row.length} values for ${converters.length} columns`,
      );
    if (same) return row as unknown[];
    const out = new Array<unknown>(row.length);
    for (let i = 0; i < row.length; i++) {
      try {
        out[i] = converters[i]!(row[i]);
      } catch (err) {
        if (!(err instanceof ValueProblem)) throw err;
        const keyValue = keyAt.every((p) => p >= 0) ? keyToJson(keyAt.map((p) => row[p]) as Key) : null;
        throw new ValueTranslationError(
          `table ${JSON.stringify(table)}, column ${JSON.stringify(columns[i]!.source.name)}, key ${
            keyValue ? JSON.stringify(keyValue) : '(unknown)'
          }: ${err.message}`,
        );
      }
    }
    return out;
  };
  return Object.assign(translate, { identity: same });
}

/** Source key -> target key (range bounds, checkpoints), with the key columns' converters. */
export function keyTranslator(
  from: EngineKind,
  to: EngineKind,
  table: string,
  keyColumns: ColumnConversion[],
): (key: Key) => Key {
  const translate = rowTranslator(
    from,
    to,
    table,
    keyColumns,
    keyColumns.map((c) => c.source.name),
  );
  return (key) => translate(key) as Key;
}
