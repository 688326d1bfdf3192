// Foreign keys, created after the load between migrated tables (NOT VALID then VALIDATE on
// PostgreSQL); the ones the target cannot hold are left out with a note.
import type { TableModel } from '../../engines/model';
import { isUniqueOn } from '../planner/compatibility/keys';
import type { ColumnPlan } from './columns';
import type { TranslationContext } from './context';
import { uniqueName } from './names';

const FK_ACTIONS = new Set(['NO ACTION', 'RESTRICT', 'CASCADE', 'SET NULL', 'SET DEFAULT']);

export function createForeignKeys(ctx: TranslationContext, table: TableModel, columns: ColumnPlan[]): void {
  const { source, to, d, notes, overrides, tables, selected, constraintNames } = ctx;
  const { postLoadFks, postLoadValidate, push, qt } = ctx;
  const where = table.name;
  const present = new Set(columns.map((c) => c.name));
  // post-load: foreign keys
  const fkNames = d.kind === 'postgres' ? new Set<string>() : constraintNames;
  for (const fk of table.foreignKeys) {
    const label = `${where}: foreign key ${fk.name}`;
    if (fk.referencedSchema !== '' && fk.referencedSchema !== source.schema) {
      notes.push(
        `${label} references ${fk.referencedSchema}.${fk.referencedTable}, outside the schema: not created`,
      );
      continue;
    }
    if (!selected.has(fk.referencedTable)) {
      notes.push(`${label} references ${fk.referencedTable}, which is not migrated: not created`);
      continue;
    }
    const parent = tables.find((t) => t.name === fk.referencedTable)!;
    const missing = fk.columns
      .filter((c) => !present.has(c))
      .concat(
        fk.referencedColumns.filter((c) =>
          overrides[`${parent.name}.${c}`]?.exclude ? true : !parent.columns.some((p) => p.name === c),
        ),
      );
    if (missing.length) {
      notes.push(`${label}: column ${missing.join(', ')} is excluded: not created`);
      continue;
    }
    if (to === 'postgres' && !fk.referencesUniqueKey && !isUniqueOn(parent, fk.referencedColumns)) {
      notes.push(
        `${label} references ${fk.referencedTable} (${fk.referencedColumns.join(', ')}), which is not a primary or unique key: PostgreSQL cannot enforce it, not created (enforce it in the application or make the columns unique)`,
      );
      continue;
    }
    const onUpdate = FK_ACTIONS.has(fk.onUpdate.toUpperCase()) ? fk.onUpdate.toUpperCase() : 'NO ACTION';
    const onDelete = FK_ACTIONS.has(fk.onDelete.toUpperCase()) ? fk.onDelete.toUpperCase() : 'NO ACTION';
    const name = uniqueName(d, fk.name, fkNames);
    if (name !== fk.name)
      notes.push(
        `${label} is named ${name} on the target (names must be unique${d.kind === 'mysql' ? ' per schema' : ''})`,
      );
    const base = `ALTER TABLE ${qt(table.name)} ADD CONSTRAINT ${d.q(name)} FOREIGN KEY (${fk.columns.map(d.q).join(', ')}) REFERENCES ${qt(fk.referencedTable)} (${fk.referencedColumns.map(d.q).join(', ')}) ON UPDATE ${onUpdate} ON DELETE ${onDelete}`;
    if (fk.notValidated)
      notes.push(
        to === 'postgres'
          ? `${label} is NOT VALID on the source: created NOT VALID on the target too, and not validated (the source never checked its existing rows)`
          : `${label} is NOT VALID on the source, and MySQL checks every existing row when it adds a foreign key: rows that violate it stop the migration`,
      );
    if (to === 'postgres') {
      push(
        postLoadFks,
        'post-load',
        `foreign key ${name} on ${table.name} -> ${fk.referencedTable} (NOT VALID)`,
        `${base} NOT VALID`,
        {
          kind: 'foreign-key',
          name,
          table: table.name,
        },
      );
      if (!fk.notValidated)
        push(
          postLoadValidate,
          'post-load',
          `validate foreign key ${name} on ${table.name}`,
          `ALTER TABLE ${qt(table.name)} VALIDATE CONSTRAINT ${d.q(name)}`,
          { kind: 'validate', name, table: table.name },
        );
    } else {
      push(postLoadFks, 'post-load', `foreign key ${name} on ${table.name} -> ${fk.referencedTable}`, base, {
        kind: 'foreign-key',
        name,
        table: table.name,
      });
    }
  }
}
