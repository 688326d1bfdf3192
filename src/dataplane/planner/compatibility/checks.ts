// CHECK constraints of a move between engines: which are translated (MySQL -> PostgreSQL, portable
// expressions only), replaced or dropped by the spec's `checks`, and which are not created: the
// target would then accept rows the source refuses (CHECK_NOT_TRANSLATED, naming the reason).
import type { MappedType } from '../../../engines/type-mapping';
import type { EngineKind, TableModel } from '../../../engines/model';
import type { CheckOverride, ColumnOverride } from '../../../spec/migration-spec';
import type { Finding } from '../../../spec/plan-report';
import { checkOverrideHint, decideChecks, engineName } from '../../schema/check-decisions';
import type { CheckColumn } from '../../schema/mysql-check-to-postgres';

export function checkFindings(
  from: EngineKind,
  to: EngineKind,
  table: TableModel,
  where: string,
  mappings: { column: string; mapping: MappedType }[],
  overrides: { columns?: Record<string, ColumnOverride>; checks?: Record<string, CheckOverride> },
): Finding[] {
  const mappingOf = new Map(mappings.map((m) => [m.column, m.mapping]));
  const columns = table.columns.map((source): CheckColumn => {
    const o = overrides.columns?.[`${table.name}.${source.name}`];
    const targetType = o?.exclude ? null : (o?.type ?? mappingOf.get(source.name)?.targetType ?? null);
    return { source, target: targetType === null ? null : source.name, targetType };
  });
  const target = engineName(to);
  return decideChecks(from, to, table, columns, overrides.checks ?? {}).flatMap((d): Finding[] => {
    const what = `CHECK constraint ${d.check.name} of ${where} (${d.check.expression})`;
    const base = { table: table.name };
    switch (d.action) {
      case 'refuse':
        return [
          {
            ...base,
            severity: 'medium',
            code: 'CHECK_NOT_TRANSLATED',
            finding: `${what} is not created on ${target}: ${d.reason}`,
            mitigation: `without it the target accepts rows the source refuses: ${checkOverrideHint(d.key, to)}; the expression is created after the load and validated against every copied row`,
          },
        ];
      case 'translate':
        return [
          {
            ...base,
            severity: 'info',
            code: 'CHECK_TRANSLATED',
            finding: `${what} is created on ${target} as CHECK (${d.sql})`,
            mitigation: `review the translation (checks["${d.key}"] overrides it); it is created after the load and validated against every copied row`,
          },
        ];
      case 'override':
        return [
          {
            ...base,
            severity: 'info',
            code: 'CHECK_OVERRIDDEN',
            finding: `${what} is created on ${target} as checks["${d.key}"] gives it: CHECK (${d.sql})`,
            mitigation: 'it is created after the load and validated against every copied row',
          },
        ];
      case 'drop':
        return [
          {
            ...base,
            severity: 'low',
            code: 'CHECK_DROPPED',
            finding: `${what} is not created on ${target}: dropped by checks["${d.key}"]`,
            mitigation: 'the target accepts rows this constraint refuses on the source',
          },
        ];
      default:
        return [];
    }
  });
}
