// Key values between the two sides' wire forms, for range bounds and reads by key: the value
// translator's key converters (src/dataplane/values), the same ones the copier uses. A PostgreSQL
// timestamptz key prints "2024-01-01 00:00:00+00", which a MariaDB DATETIME comparison rejects; a
// boolean key is 1/0 on MySQL. Source -> target always; target -> source when the target's
// column models are known (the reverse conversion needs the target column's own type).
import type { ColumnModel, EngineKind, TableModel } from '../../engines/model';
import type { Key } from '../../engines/key-range';
import { keyTranslator } from '../values';

export interface KeyTranslation {
  toTargetKey: (key: Key) => Key;
  toSourceKey?: (key: Key) => Key;
}

function keyColumn(table: TableModel, name: string): ColumnModel {
  const c = table.columns.find((x) => x.name === name);
  if (!c)
    throw new Error(`key column ${JSON.stringify(name)} is not a column of ${JSON.stringify(table.name)}`);
  return c;
}

/**
 * `targetTypes`: the target DDL type of each key column (the mapping's targetType); `target`, when
 * given, also yields the reverse translation.
 */
export function keyTranslation(
  from: EngineKind,
  to: EngineKind,
  source: TableModel,
  key: string[],
  targetTypes: Record<string, string>,
  target?: TableModel,
): KeyTranslation {
  const toTargetKey = keyTranslator(
    from,
    to,
    source.name,
    key.map((k) => {
      const targetType = targetTypes[k];
      if (targetType === undefined) throw new Error(`no target type for key column ${JSON.stringify(k)}`);
      return { source: keyColumn(source, k), targetType };
    }),
  );
  if (!target) return { toTargetKey };
  const toSourceKey = keyTranslator(
    to,
    from,
    target.name,
    key.map((k) => ({ source: keyColumn(target, k), targetType: keyColumn(source, k).nativeType })),
  );
  return { toTargetKey, toSourceKey };
}
