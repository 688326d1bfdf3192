// The source's CHECK constraints, created after the load (NOT VALID then VALIDATE on PostgreSQL):
// same engine only, as their expressions are SQL of the source.
import type { TableModel } from '../../engines/model';
import type { TranslationContext } from './context';
import { uniqueName } from './names';

export function createChecks(
  ctx: TranslationContext,
  table: TableModel,
  checkNamesOfTable: Set<string>,
): void {
  const { from, to, d, notes, postLoadFks, postLoadValidate, push, qt } = ctx;
  const where = table.name;
  // post-load: the source's CHECK constraints, same engine only
  for (const chk of table.checks) {
    if (from !== to) {
      notes.push(
        `${where}: CHECK ${chk.name} (${chk.expression}) is ${from === 'mysql' ? 'MySQL' : 'PostgreSQL'} SQL: not created; translate it by hand`,
      );
      continue;
    }
    const name = uniqueName(d, chk.name, checkNamesOfTable);
    const base = `ALTER TABLE ${qt(table.name)} ADD CONSTRAINT ${d.q(name)} CHECK (${chk.expression})`;
    if (to === 'postgres') {
      push(postLoadFks, 'post-load', `check ${name} on ${table.name} (NOT VALID)`, `${base} NOT VALID`, {
        kind: 'check',
        name,
        table: table.name,
      });
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
      push(postLoadFks, 'post-load', `check ${name} on ${table.name}`, base, {
        kind: 'check',
        name,
        table: table.name,
      });
    }
  }
}
