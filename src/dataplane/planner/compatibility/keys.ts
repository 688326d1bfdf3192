// Keys: the unique keys that can identify a row, and the finding for a table without a primary key.
import type { TableModel } from '../../../engines/model';
import type { Finding } from '../../../spec/plan-report';
import { rowsText } from './storage';

export interface Key {
  name: string;
  columns: string[];
  primary: boolean;
}

/** Primary key, unique keys and unique indexes over plain columns, each once. */
export function uniqueKeys(table: TableModel): Key[] {
  const keys: Key[] = [];
  const seen = new Set<string>();
  if (table.primaryKey?.length) {
    keys.push({ name: 'PRIMARY KEY', columns: table.primaryKey, primary: true });
    seen.add(JSON.stringify(table.primaryKey));
  }
  const candidates = [
    ...table.uniqueKeys.map((k) => ({ name: k.name, columns: k.columns })),
    ...table.indexes
      .filter((i) => i.unique && !i.primary && !i.predicate && i.columns.every((c) => c.column !== null))
      .map((i) => ({ name: i.name, columns: i.columns.map((c) => c.column!) })),
  ];
  for (const k of candidates) {
    const id = JSON.stringify(k.columns);
    if (seen.has(id)) continue;
    seen.add(id);
    keys.push({ ...k, primary: false });
  }
  return keys;
}

export function keyFindings(table: TableModel, where: string): Finding[] {
  if (table.primaryKey?.length) return [];
  const notNull = new Set(table.columns.filter((c) => !c.nullable).map((c) => c.name));
  const usable = uniqueKeys(table).find((k) => k.columns.every((c) => notNull.has(c)));
  if (usable) {
    return [
      {
        severity: 'medium',
        code: 'NO_PRIMARY_KEY',
        table: table.name,
        finding: `${where} (${rowsText(table)}) has no primary key; rows are identified by its NOT NULL unique key ${usable.name} (${usable.columns.join(', ')})`,
        mitigation: `promote ${usable.name} to the primary key on the source (ALTER TABLE ... ADD PRIMARY KEY (${usable.columns.join(', ')})) to make the row identity explicit`,
      },
    ];
  }
  return [
    {
      severity: 'blocking',
      code: 'NO_PRIMARY_KEY',
      table: table.name,
      finding: `${where} (${rowsText(table)}) has no primary key and no NOT NULL unique key: changes captured during the copy cannot be applied by key, and chunks cannot be copied or validated idempotently`,
      mitigation:
        'add a primary key (or a NOT NULL unique key) on the source before an online move, e.g. an auto-increment id column; otherwise move this table in a maintenance window with writes stopped',
    },
  ];
}

export function isUniqueOn(table: TableModel, columns: string[]): boolean {
  const want = [...columns].sort().join('\u0000');
  return uniqueKeys(table).some((k) => [...k.columns].sort().join('\u0000') === want);
}
