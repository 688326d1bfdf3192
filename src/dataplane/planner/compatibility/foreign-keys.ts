// Foreign keys: constraints that leave the schema, reference non-unique columns, or join columns
// whose mapped types differ.
import type { EngineKind, SchemaModel, TableModel } from '../../../engines/model';
import { mapColumn } from '../../../engines/type-mapping';
import type { Finding } from '../../../spec/plan-report';
import { isUniqueOn } from './keys';

/** Columns of the table that take part in a foreign key as child, or are referenced by one in the schema. */
export function foreignKeyColumns(table: TableModel, sourceSchema: SchemaModel): Set<string> {
  const out = new Set(table.foreignKeys.flatMap((fk) => fk.columns));
  for (const t of sourceSchema.tables) {
    for (const fk of t.foreignKeys) {
      if (fk.referencedTable === table.name && sameSchema(fk.referencedSchema, sourceSchema.schema)) {
        for (const c of fk.referencedColumns) out.add(c);
      }
    }
  }
  return out;
}

function sameSchema(referenced: string, schema: string): boolean {
  return referenced === '' || referenced === schema;
}

function typeFamily(t: string): string {
  if (/^(smallint|integer|bigint)$/.test(t)) return 'int';
  if (/^(tinyint|smallint|mediumint|int|bigint)\b/.test(t)) return 'int';
  if (/^(character varying|character|text|varchar|char|mediumtext|longtext)\b/.test(t)) return 'text';
  return t.replace(/\(.*?\)/g, '').trim();
}

export function foreignKeyFindings(
  from: EngineKind,
  to: EngineKind,
  table: TableModel,
  where: string,
  sourceSchema: SchemaModel,
): Finding[] {
  const out: Finding[] = [];
  for (const fk of table.foreignKeys) {
    const ref = `${fk.referencedTable}(${fk.referencedColumns.join(', ')})`;
    if (!sameSchema(fk.referencedSchema, sourceSchema.schema)) {
      out.push({
        severity: 'medium',
        code: 'FK_OUTSIDE_SCHEMA',
        table: table.name,
        finding: `foreign key ${fk.name} of ${where} references ${fk.referencedSchema}.${ref}, outside the schema being moved: it cannot be created on the target as it is`,
        mitigation: `move ${fk.referencedSchema}.${fk.referencedTable} as well, or recreate the constraint by hand after the cutover`,
      });
      continue;
    }
    const parent = sourceSchema.tables.find((t) => t.name === fk.referencedTable);
    const cascades = [
      ['ON DELETE', fk.onDelete],
      ['ON UPDATE', fk.onUpdate],
    ].filter(([, action]) => /^(CASCADE|SET NULL|SET DEFAULT)$/i.test(action ?? ''));
    if (from === 'mysql' && cascades.length) {
      // InnoDB applies referential actions below the SQL layer: triggers never see those rows.
      out.push({
        severity: 'blocking',
        code: 'CASCADE_NOT_CAPTURED',
        table: table.name,
        finding: `foreign key ${fk.name} of ${where} has ${cascades.map(([when, action]) => `${when} ${action}`).join(' and ')}: MySQL fires no trigger for rows changed by a referential action, so trigger-based capture would miss those changes to ${table.name} and the target would keep orphaned or stale rows`,
        mitigation: `have the application change child rows explicitly (drop the ${cascades.map(([, a]) => a).join('/')} action during the migration), or move this table in a maintenance window with writes stopped`,
      });
    }
    if (
      from === 'mysql' &&
      to === 'postgres' &&
      !fk.referencesUniqueKey &&
      !(parent && isUniqueOn(parent, fk.referencedColumns))
    ) {
      out.push({
        severity: 'blocking',
        code: 'FK_TO_NON_UNIQUE',
        table: table.name,
        finding: `foreign key ${fk.name} of ${where} (${fk.columns.join(', ')}) references ${ref}, which is not a primary or unique key: MySQL (InnoDB) allows that, PostgreSQL requires the referenced columns to be unique`,
        mitigation: `make ${ref} unique on the source if its values are (ALTER TABLE ${fk.referencedTable} ADD UNIQUE (${fk.referencedColumns.join(', ')})), or drop the constraint and enforce the relation in the application or a trigger`,
      });
    }
    if (from === to || !parent) continue;
    fk.columns.forEach((childName, i) => {
      const parentName = fk.referencedColumns[i];
      const child = table.columns.find((c) => c.name === childName);
      const pcol = parent.columns.find((c) => c.name === parentName);
      if (!child || !pcol) return;
      const cm = mapColumn(from, to, child, { table: table.name });
      const pm = mapColumn(from, to, pcol, { table: parent.name });
      if (cm.refused || pm.refused || cm.targetType === pm.targetType) return;
      const sameFamily = typeFamily(cm.targetType) === typeFamily(pm.targetType);
      if (sameFamily && typeFamily(cm.targetType) !== 'int') return; // lengths/precisions may differ
      const blocks = !sameFamily || to === 'mysql';
      out.push({
        severity: blocks ? 'high' : 'medium',
        code: 'FK_TYPE_MISMATCH',
        table: table.name,
        column: childName,
        finding: `foreign key ${fk.name}: ${where}.${childName} (${child.nativeType}) becomes ${cm.targetType} but the referenced ${fk.referencedTable}.${parentName} (${pcol.nativeType}) becomes ${pm.targetType}${
          blocks
            ? `: ${to === 'mysql' ? 'MySQL' : 'PostgreSQL'} refuses a foreign key between these types`
            : ': PostgreSQL accepts the constraint, but parent values beyond the child type cannot be referenced and joins compare across types'
        }`,
        mitigation: `override ${where}.${childName} to ${pm.targetType} (with the same CHECK constraints) so that both sides of the key have one type`,
      });
    });
  }
  return out;
}
