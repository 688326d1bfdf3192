// Sequences of auto-increment columns: created (PostgreSQL columns that are not identities) before
// their table and owned by it, and set past the copied maximum when the migration finalizes.
import type { SchemaModel, TableModel } from '../../engines/model';
import type { ColumnPlan } from './columns';
import type { TranslationContext } from './context';
import { uniqueName } from './names';
import type { SequenceReset } from './plan';

export function createSequences(ctx: TranslationContext, table: TableModel, columns: ColumnPlan[]): void {
  const { source, from, to, d, relations, created, sequenceStatements, afterTableStatements, push, qt } = ctx;
  const where = table.name;
  // Sequences behind auto-increment columns that are not identity columns (PostgreSQL).
  for (const c of columns) {
    if (to !== 'postgres' || (c.autoIncrement !== 'sequence' && c.autoIncrement !== 'serial')) continue;
    const sourceSeq =
      from === 'postgres'
        ? source.sequences.find((s) => s.ownedBy === `${table.name}.${c.name}`)?.name
        : undefined;
    const name =
      sourceSeq && !relations.has(sourceSeq)
        ? sourceSeq
        : uniqueName(d, `${table.name}_${c.name}_seq`, relations);
    relations.add(name);
    c.sequence = name;
    created.sequences.push(name);
    const asType = /^(smallint|integer|bigint)$/.test(c.type) ? ` AS ${c.type}` : '';
    push(
      sequenceStatements,
      'tables',
      `sequence ${name} for ${where}.${c.name}`,
      `CREATE SEQUENCE IF NOT EXISTS ${qt(name)}${asType}`,
      {
        kind: 'sequence',
        name,
        table: null,
      },
    );
    c.defaultSql = `nextval(${d.lit(qt(name))}::regclass)`;
    push(
      afterTableStatements,
      'tables',
      `sequence ${name} owned by ${where}.${c.name} (dropped with the table)`,
      `ALTER SEQUENCE ${qt(name)} OWNED BY ${qt(table.name)}.${d.q(c.name)}`,
      { kind: 'sequence-owner', name, table: table.name },
    );
  }
}

export function resetSequences(ctx: TranslationContext, table: TableModel, columns: ColumnPlan[]): void {
  const { source, to, d, finalize, push, qt } = ctx;
  // finalize: sequences past the maximum
  for (const c of columns) {
    if (!c.autoIncrement) continue;
    const floor = sourceFloor(source, table, c.name);
    const reset: SequenceReset = { table: table.name, column: c.name, sequence: c.sequence, floor };
    if (to === 'postgres') {
      const seq = c.sequence
        ? d.lit(qt(c.sequence))
        : `pg_get_serial_sequence(${d.lit(qt(table.name))}, ${d.lit(c.name)})`;
      // The next value is max + 1 (or the source's next value), in numeric so a bigint at its maximum
      // does not overflow. Past the sequence's maximum (the column already holds its type's maximum)
      // the sequence is left at the maximum, used up: the next nextval() fails as it would have on
      // the source, instead of the finalize failing.
      const next = `GREATEST(COALESCE(max(${d.q(c.name)}), 0)::numeric + 1, ${floor})`;
      push(
        finalize,
        'finalize',
        `${c.sequence ? `sequence ${c.sequence}` : `identity of ${table.name}.${c.name}`} set past max(${c.name})`,
        `SELECT CASE WHEN v.next > s.seqmax THEN setval(v.seq, s.seqmax, true)` +
          ` ELSE setval(v.seq, GREATEST(v.next, s.seqmin)::bigint, false) END` +
          ` FROM (SELECT ${seq}::regclass AS seq, ${next} AS next FROM ${qt(table.name)}) v` +
          ` JOIN pg_catalog.pg_sequence s ON s.seqrelid = v.seq`,
        { kind: 'sequence-value', name: c.sequence ?? c.name, table: table.name },
        reset,
      );
    } else {
      push(
        finalize,
        'finalize',
        `AUTO_INCREMENT of ${table.name} set past max(${c.name})`,
        `ALTER TABLE ${qt(table.name)} AUTO_INCREMENT = /* GREATEST(MAX(${d.q(c.name)}) + 1, ${floor}), computed when applied */ ${floor}`,
        { kind: 'sequence-value', name: c.name, table: table.name },
        reset,
      );
    }
  }
}

function sourceFloor(source: SchemaModel, table: TableModel, column: string): string {
  if (source.engine === 'mysql') return String(Math.max(1, table.autoIncrement ?? 1));
  const seq = source.sequences.find((s) => s.ownedBy === `${table.name}.${column}`);
  return String(seq?.lastValue !== null && seq?.lastValue !== undefined ? seq.lastValue + 1 : 1);
}
