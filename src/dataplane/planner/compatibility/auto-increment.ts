// PostgreSQL -> MySQL: identity and serial columns against MySQL's AUTO_INCREMENT rules.
import type { TableModel } from '../../../engines/model';
import type { Finding } from '../../../spec/plan-report';

export function autoIncrementFindings(table: TableModel, where: string): Finding[] {
  const out: Finding[] = [];
  const auto = table.columns.filter((c) => c.autoIncrement && !c.generated);
  if (auto.length > 1) {
    out.push({
      severity: 'high',
      code: 'MULTIPLE_AUTO_INCREMENT',
      table: table.name,
      finding: `${where} has ${auto.length} identity/serial columns (${auto.map((c) => c.name).join(', ')}): a MySQL table can have only one AUTO_INCREMENT column`,
      mitigation: `keep AUTO_INCREMENT on one of them (the primary key) and fill the others from the application or a trigger`,
    });
  }
  const leading = new Set(table.indexes.map((i) => i.columns[0]?.column).filter((c): c is string => !!c));
  if (table.primaryKey?.[0]) leading.add(table.primaryKey[0]);
  for (const c of auto) {
    if (leading.has(c.name)) continue;
    out.push({
      severity: 'high',
      code: 'AUTO_INCREMENT_NOT_KEYED',
      table: table.name,
      column: c.name,
      finding: `${where}.${c.name} is an identity/serial column that leads no index: MySQL requires an AUTO_INCREMENT column to be the first column of an index`,
      mitigation: `add an index on (${c.name}) on the target (or on the source first)`,
    });
  }
  return out;
}
