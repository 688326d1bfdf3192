// The source's CHECK constraints, created after the load (NOT VALID then VALIDATE on PostgreSQL):
// copied within an engine, translated from MySQL to PostgreSQL where the expression is portable,
// replaced or dropped by the spec's `checks` override; any other is not created, with a note that
// says why (the planner reports it as CHECK_NOT_TRANSLATED). check-decisions.ts decides.
import type { TableModel } from '../../engines/model';
import { checkOverrideHint, decideChecks, engineName } from './check-decisions';
import type { ColumnPlan } from './columns';
import type { TranslationContext } from './context';
import type { CheckColumn } from './mysql-check-to-postgres';
import { uniqueName } from './names';

/** The table's columns as the CHECK translation sees them: target name and type, or not created. */
function checkColumnsOfPlan(table: TableModel, columns: ColumnPlan[]): CheckColumn[] {
  return table.columns.map((source) => {
    const plan = columns.find((c) => c.column.name === source.name);
    return { source, target: plan?.name ?? null, targetType: plan?.type ?? null };
  });
}

export function createChecks(
  ctx: TranslationContext,
  table: TableModel,
  columns: ColumnPlan[],
  checkNamesOfTable: Set<string>,
): void {
  const { from, to, d, notes, postLoadFks, postLoadValidate, push, qt, checkOverrides, usedChecks } = ctx;
  const where = table.name;
  const decisions = decideChecks(from, to, table, checkColumnsOfPlan(table, columns), checkOverrides);
  for (const decision of decisions) {
    const { check: chk, key } = decision;
    if (checkOverrides[key]) usedChecks.add(key);
    if (decision.action === 'refuse') {
      notes.push(
        `${where}: CHECK ${chk.name} (${chk.expression}) is not created: ${decision.reason}; ${checkOverrideHint(key, to)}`,
      );
      continue;
    }
    if (decision.action === 'drop') {
      notes.push(
        `${where}: CHECK ${chk.name} (${chk.expression}) is not created: dropped by checks["${key}"]`,
      );
      continue;
    }
    if (decision.action === 'implied') {
      notes.push(
        `${where}: CHECK ${chk.name} (${chk.expression}) is not created: the ${decision.column} column's JSON type enforces it`,
      );
      continue;
    }
    const how =
      decision.action === 'translate'
        ? `, translated from ${engineName(from)} ${chk.expression}`
        : decision.action === 'override'
          ? `, from checks["${key}"]`
          : '';
    const name = uniqueName(d, chk.name, checkNamesOfTable);
    const base = `ALTER TABLE ${qt(table.name)} ADD CONSTRAINT ${d.q(name)} CHECK (${decision.sql})`;
    if (to === 'postgres') {
      push(
        postLoadFks,
        'post-load',
        `check ${name} on ${table.name} (NOT VALID${how})`,
        `${base} NOT VALID`,
        {
          kind: 'check',
          name,
          table: table.name,
        },
      );
      if (chk.notValidated)
        notes.push(
          `${where}: CHECK ${chk.name} is NOT VALID on the source: created NOT VALID on the target too, and not validated`,
        );
      else
        push(
          postLoadValidate,
          'post-load',
          `validate check ${name} on ${table.name}`,
          `ALTER TABLE ${qt(table.name)} VALIDATE CONSTRAINT ${d.q(name)}`,
          {
            kind: 'validate',
            name,
            table: table.name,
          },
        );
    } else {
      push(
        postLoadFks,
        'post-load',
        `check ${name} on ${table.name}${how ? ` (${how.slice(2)})` : ''}`,
        base,
        {
          kind: 'check',
          name,
          table: table.name,
        },
      );
    }
  }
}
