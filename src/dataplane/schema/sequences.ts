// Sequences of auto-increment columns: created (PostgreSQL columns that are not identities) before
// their table and owned by it, and set past the copied maximum and the source's counter when the
// migration finalizes (the counter re-read then: withSourceCounters).
import type { SchemaModel, TableModel } from '../../engines/model';
import type { ColumnPlan } from './columns';
import type { TranslationContext } from './context';
import { MY, PG, uniqueName, type Dialect } from './names';
import type { DdlPlan, DdlStatement, SequenceReset } from './plan';

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
  const { source, d, finalize, input } = ctx;
  // finalize: sequences past the maximum
  for (const c of columns) {
    if (!c.autoIncrement) continue;
    // The source's counter as planned; the cutover raises it to the counter read under the fence
    // (withSourceCounters).
    const floor = nextCounterValue(source, table, c.name).toString();
    const reset: SequenceReset = { table: table.name, column: c.name, sequence: c.sequence, floor };
    finalize.push(sequenceResetStatement(d, input.targetSchema, reset));
  }
}

/** The finalize statement that sets one column's sequence / AUTO_INCREMENT past max(column) and the floor. */
function sequenceResetStatement(d: Dialect, targetSchema: string, reset: SequenceReset): DdlStatement {
  const qt = (t: string) => `${d.q(targetSchema)}.${d.q(t)}`;
  const { table, column, sequence, floor } = reset;
  if (d.kind === 'postgres') {
    const seq = sequence
      ? d.lit(qt(sequence))
      : `pg_get_serial_sequence(${d.lit(qt(table))}, ${d.lit(column)})`;
    // The next value is max + 1 (or the source's next value), in numeric so a bigint at its maximum
    // does not overflow. Past the sequence's maximum (the column already holds its type's maximum)
    // the sequence is left at the maximum, used up: the next nextval() fails as it would have on
    // the source, instead of the finalize failing.
    const next = `GREATEST(COALESCE(max(${d.q(column)}), 0)::numeric + 1, ${floor})`;
    return {
      phase: 'finalize',
      description: `${sequence ? `sequence ${sequence}` : `identity of ${table}.${column}`} set past max(${column})`,
      sql:
        `SELECT CASE WHEN v.next > s.seqmax THEN setval(v.seq, s.seqmax, true)` +
        ` ELSE setval(v.seq, GREATEST(v.next, s.seqmin)::bigint, false) END` +
        ` FROM (SELECT ${seq}::regclass AS seq, ${next} AS next FROM ${qt(table)}) v` +
        ` JOIN pg_catalog.pg_sequence s ON s.seqrelid = v.seq`,
      object: { kind: 'sequence-value', name: sequence ?? column, table },
      reset,
    };
  }
  return {
    phase: 'finalize',
    description: `AUTO_INCREMENT of ${table} set past max(${column})`,
    sql: `ALTER TABLE ${qt(table)} AUTO_INCREMENT = /* GREATEST(MAX(${d.q(column)}) + 1, ${floor}), computed when applied */ ${floor}`,
    object: { kind: 'sequence-value', name: column, table },
    reset,
  };
}

/**
 * The plan with the floor of every finalize statement raised to the source's counter in `source`,
 * a model introspected just before the finalize (the blue-green workflow: under the source's write
 * fence). The plan's floors are the counters when it was made; since then the source may have
 * handed out ids and deleted them again, or burned them in rolled-back inserts: the target must not
 * hand them out a second time (a consumer that dedupes by id would drop the new row). A floor never
 * goes down, and a column the model does not show keeps the planned one.
 */
export function withSourceCounters(plan: DdlPlan, source: SchemaModel): DdlPlan {
  if (source.engine !== plan.from)
    throw new Error(`the source model is ${source.engine}, but the DDL plan is from ${plan.from}`);
  const d = plan.to === 'postgres' ? PG : MY;
  return {
    ...plan,
    statements: plan.statements.map((s) => {
      const reset = s.reset;
      if (!reset) return s;
      const moved = plan.tables.find((t) => t.target === reset.table);
      const table = source.tables.find((t) => t.name === (moved?.source ?? reset.table));
      if (!table) return s;
      const column = moved?.columns.find((c) => c.target === reset.column)?.source ?? reset.column;
      const live = nextCounterValue(source, table, column);
      const planned = /^\d+$/.test(reset.floor) ? BigInt(reset.floor) : 1n;
      if (live <= planned) return s;
      return sequenceResetStatement(d, plan.targetSchema, { ...reset, floor: live.toString() });
    }),
  };
}

/**
 * The next value an auto-increment column would get, from an introspected model (1 when unknown):
 * MySQL's AUTO_INCREMENT, or the last value + 1 of the PostgreSQL sequence the column owns or
 * whose nextval() is its default.
 */
export function nextCounterValue(model: SchemaModel, table: TableModel, column: string): bigint {
  if (model.engine === 'mysql') return BigInt(Math.max(1, table.autoIncrement ?? 1));
  const c = table.columns.find((x) => x.name === column);
  const named = /^nextval\('((?:[^']|'')+)'/.exec(c?.default ?? '')?.[1]?.replaceAll("''", "'");
  const seq =
    model.sequences.find((s) => s.ownedBy === `${table.name}.${column}`) ??
    (named ? model.sequences.find((s) => s.name === named || named.endsWith(`.${s.name}`)) : undefined);
  return seq?.lastValue !== null && seq?.lastValue !== undefined ? BigInt(seq.lastValue) + 1n : 1n;
}
