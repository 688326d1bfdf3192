// What becomes of each CHECK constraint of a table on the target, decided once for the planner (its
// findings) and the translator (its DDL): copied as it is within an engine, translated from MySQL
// to PostgreSQL where the expression is portable (mysql-check-to-postgres.ts), replaced or dropped
// by the spec's `checks` override, or not created, with the reason.
import type { CheckModel, EngineKind, TableModel } from '../../engines/model';
import type { CheckOverride } from '../../spec/migration-spec';
import { checkColumnMap, translateMysqlCheck, type CheckColumn } from './mysql-check-to-postgres';

export type CheckDecision = { check: CheckModel; key: string } & (
  | { action: 'copy'; sql: string }
  | { action: 'translate'; sql: string }
  | { action: 'override'; sql: string }
  | { action: 'drop' }
  /** MariaDB's json_valid(col) on a column that becomes json/jsonb: the type enforces it. */
  | { action: 'implied'; column: string }
  | { action: 'refuse'; reason: string }
);

export const engineName = (kind: EngineKind) => (kind === 'mysql' ? 'MySQL' : 'PostgreSQL');

/** The override key of a CHECK: "<table>.<constraint>". */
const checkKey = (table: string, check: string) => `${table}.${check}`;

export function decideChecks(
  from: EngineKind,
  to: EngineKind,
  table: TableModel,
  columns: CheckColumn[],
  overrides: Record<string, CheckOverride>,
): CheckDecision[] {
  const byName = checkColumnMap(columns);
  return table.checks.map((check): CheckDecision => {
    const key = checkKey(table.name, check.name);
    const o = overrides[key];
    if (o?.drop) return { check, key, action: 'drop' };
    if (o?.expression !== undefined) return { check, key, action: 'override', sql: o.expression };
    if (from === to) return { check, key, action: 'copy', sql: check.expression };
    if (from === 'postgres')
      return {
        check,
        key,
        action: 'refuse',
        reason: 'PostgreSQL CHECK expressions are not translated to MySQL',
      };
    const alias = /^json_valid\(\s*`((?:[^`]|``)+)`\s*\)$/i.exec(check.expression.trim());
    const column = alias ? byName.get(alias[1]!.replaceAll('``', '`').toLowerCase()) : undefined;
    if (column?.source.isJson && column.targetType && /^jsonb?$/i.test(column.targetType.trim()))
      return { check, key, action: 'implied', column: column.source.name };
    const t = translateMysqlCheck(check.expression, byName);
    return t.ok
      ? { check, key, action: 'translate', sql: t.sql }
      : { check, key, action: 'refuse', reason: t.reason };
  });
}

/** What the operator can do about a CHECK that is not created. */
export function checkOverrideHint(key: string, to: EngineKind): string {
  return `give its ${engineName(to)} form in checks["${key}"].expression, or go without it knowingly with checks["${key}"].drop: true`;
}
