// CHECK constraints: their expressions are SQL of the source engine and must be translated.
import type { EngineKind, TableModel } from '../../../engines/model';
import type { Finding } from '../../../spec/plan-report';

export function checkFindings(from: EngineKind, to: EngineKind, table: TableModel, where: string): Finding[] {
  const jsonColumns = new Set(table.columns.filter((c) => c.isJson).map((c) => c.name));
  return table.checks
    .filter((chk) => {
      // MariaDB's JSON alias carries CHECK (json_valid(`col`)); jsonb replaces it.
      const m = /^json_valid\(\s*`?([^`)]+)`?\s*\)$/i.exec(chk.expression.trim());
      return !(m && jsonColumns.has(m[1]!));
    })
    .map((chk) => ({
      severity: 'medium' as const,
      code: 'CHECK_CONSTRAINT',
      table: table.name,
      finding: `CHECK constraint ${chk.name} of ${where} (${chk.expression}) is ${from === 'mysql' ? 'MySQL' : 'PostgreSQL'} SQL and must be translated for ${to === 'mysql' ? 'MySQL' : 'PostgreSQL'}`,
      mitigation:
        'translate and review the expression before the copy; it is validated against every copied row',
    }));
}
