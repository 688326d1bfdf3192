// Reverse replication for the blue-green rollback window: after the cutover the applications write
// to the TARGET, and its changes are applied back to the SOURCE, so that a rollback loses no write.
// This module is pure: it turns a forward move (source table -> target table) into the move
// target -> source that the existing capture and change applier run with their roles swapped, and
// plans the step that moves the source's AUTO_INCREMENT counters / sequences past the rows that came
// back. It refuses, naming every table.column at once, a column whose values cannot all go back
// unchanged (the type mapping's reverseLossless flag), unless the operator accepted that risk.
import type {
  DdlPlan,
  DdlStatement,
  SequenceReset,
  TranslatedColumn,
  TranslatedTable,
} from '../engines/ddl-plan';
import { EngineInputError } from '../engines/errors';
import type { ColumnModel, EngineKind, SchemaModel, TableModel } from '../engines/model';
import { mapColumn } from '../engines/type-mapping';
import { MY, PG } from './schema/names';
import { nextCounterValue } from './schema/sequences';

/** A forward move as the activities pass it (structurally src/activities/tables.ts TableMove). */
export interface MoveShape {
  table: TableModel;
  mapping: TranslatedTable;
  key?: string[];
}

export interface ReverseOptions {
  /** The forward move's source engine (the engine the reverse move writes to). */
  from: EngineKind;
  /** The forward move's target engine (the engine the reverse move reads from). */
  to: EngineKind;
  /**
   * "<source table>.<source column>" whose reverse risk the operator accepted (the plan reported
   * the column as not reverse-lossless): it goes back anyway, a value that does not fit fails the
   * reverse catch-up naming the row.
   */
  acceptLossy?: readonly string[];
}

/** One refused column or table, named; all of them are reported together. */
export class ReverseReplicationError extends EngineInputError {
  override name = 'ReverseReplicationError';
  constructor(readonly problems: string[]) {
    super(
      `reverse replication cannot be set up (${problems.length} problem${problems.length === 1 ? '' : 's'}): ${problems.join('; ')}`,
    );
  }
}

const norm = (t: string): string =>
  t
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/\s*,\s*/g, ',')
    .trim();

/**
 * The move target -> source of one forward move: `table` is the target table as introspected now,
 * the mapping names target columns as sources and source columns as targets, each column's
 * targetType is the SOURCE column's type (so values are converted back exactly), generated columns
 * are left out, and the key (mapping.primaryKey) is the target's primary key, which must be the
 * forward key under the target's column names.
 * Throws ReverseReplicationError naming every table.column that cannot go back.
 */
export function reverseTableMove(
  forward: MoveShape,
  targetModel: TableModel,
  options: ReverseOptions,
): MoveShape {
  const r = reverseMove(forward, targetModel, options);
  if (r.problems.length) throw new ReverseReplicationError(r.problems);
  return r.move;
}

/**
 * Every forward move reversed; refuses with the problems of all tables at once. The moves come back
 * parents first by the SOURCE's foreign keys (the reverse applier writes into a source whose foreign
 * keys are enforced: upserts must go parents first, deletes children first); tables in a cycle keep
 * their given order.
 */
export function reverseTableMoves(
  forwards: readonly MoveShape[],
  targetTables: readonly TableModel[],
  options: ReverseOptions,
): { tables: MoveShape[]; notes: string[] } {
  const problems: string[] = [];
  const notes: string[] = [];
  const tables: MoveShape[] = [];
  for (const f of forwards) {
    const t = targetTables.find((x) => x.name === f.mapping.target);
    if (!t) {
      problems.push(
        `table ${f.mapping.target}: not found on the target (the reverse move reads the target table)`,
      );
      continue;
    }
    const r = reverseMove(f, t, options);
    problems.push(...r.problems);
    notes.push(...r.notes);
    tables.push(r.move);
  }
  if (problems.length) throw new ReverseReplicationError(problems);
  return { tables: parentsFirst(forwards, tables), notes };
}

/**
 * The reversed moves ordered by the depth of their table in the moved tables' foreign-key graph:
 * the target's foreign keys (introspected now; post-load recreated the source's) and the source's
 * (when the forward model still lists them), by target table name.
 */
function parentsFirst(forwards: readonly MoveShape[], reversed: MoveShape[]): MoveShape[] {
  const toTarget = new Map(forwards.map((f) => [f.table.name, f.mapping.target]));
  const at = new Map(reversed.map((r, i) => [r.table.name, i]));
  const parents = reversed.map((r, i) => {
    const names = [
      ...(r.table.foreignKeys ?? []).map((fk) => fk.referencedTable),
      ...(forwards[i]!.table.foreignKeys ?? []).map((fk) => toTarget.get(fk.referencedTable) ?? ''),
    ];
    return [...new Set(names)].filter((n) => n !== r.table.name && at.has(n));
  });
  const depth = new Map<number, number>();
  const visit = (i: number, path: Set<number>): number => {
    const known = depth.get(i);
    if (known !== undefined) return known;
    if (path.has(i)) return 0; // a cycle: no order helps, keep it
    path.add(i);
    let d = 0;
    for (const p of parents[i]!) d = Math.max(d, visit(at.get(p)!, path) + 1);
    path.delete(i);
    depth.set(i, d);
    return d;
  };
  const order = reversed.map((_, i) => ({ i, d: visit(i, new Set()) }));
  order.sort((x, y) => x.d - y.d || x.i - y.i);
  return order.map((o) => reversed[o.i]!);
}

function reverseMove(
  forward: MoveShape,
  targetModel: TableModel,
  options: ReverseOptions,
): { move: MoveShape; problems: string[]; notes: string[] } {
  const { table: source, mapping } = forward;
  const problems: string[] = [];
  const notes: string[] = [];
  const where = source.name;
  if (mapping.source !== source.name)
    problems.push(`table ${where}: the mapping is for table ${mapping.source}`);
  if (targetModel.name !== mapping.target)
    problems.push(`table ${where}: the target model is of table ${targetModel.name}, not ${mapping.target}`);
  const accepted = new Set(options.acceptLossy ?? []);

  const columns: TranslatedColumn[] = [];
  for (const c of mapping.columns) {
    const key = `${where}.${c.source}`;
    const sourceColumn = source.columns.find((m) => m.name === c.source);
    if (!sourceColumn) {
      problems.push(`${key}: the mapping names a column the source table does not have`);
      continue;
    }
    // Generated on both sides: recomputed by the source, never written.
    if (c.generated || sourceColumn.generated) continue;
    const targetColumn = targetModel.columns.find((m) => m.name === c.target);
    if (!targetColumn) {
      problems.push(
        `${key}: the target table ${mapping.target} has no column ${c.target} (dropped or renamed since the copy?)`,
      );
      continue;
    }
    if (targetColumn.generated) {
      problems.push(`${key}: ${mapping.target}.${c.target} is a generated column on the target`);
      continue;
    }
    // A GENERATED ALWAYS identity on a PostgreSQL source takes the values written back: the
    // applier's upsert overrides it (OVERRIDING SYSTEM VALUE, src/engines/postgres/rows.ts).
    const why = reverseRisk(options.from, options.to, source.name, sourceColumn, c.targetType, targetColumn);
    if (why) {
      if (accepted.has(key)) notes.push(`${key}: reverse risk accepted: ${why}`);
      else {
        problems.push(
          `${key}: its values cannot all go back from ${mapping.target}.${c.target} (${targetColumn.nativeType}) to ${sourceColumn.nativeType}: ${why}; accept the risk for this column (acceptLossy) or change the column`,
        );
        continue;
      }
    }
    columns.push({
      source: c.target,
      target: c.source,
      targetType: reverseTargetType(options.from, sourceColumn),
      generated: false,
    });
  }

  // Source columns the move leaves out: rows inserted on the target arrive without them.
  for (const m of source.columns) {
    if (m.generated || mapping.columns.some((c) => c.source === m.name)) continue;
    if (!m.nullable && m.default === null && !m.autoIncrement)
      problems.push(
        `${where}.${m.name}: is not migrated and is NOT NULL without a default, so rows inserted on the target cannot be written back; give it a default on the source or migrate it`,
      );
    else notes.push(`${where}.${m.name}: is not migrated: rows inserted on the target get its default`);
  }

  // The key: the target's primary key, which must be the forward key under the target's names.
  const toTarget = new Map(mapping.columns.map((c) => [c.source, c.target]));
  const forwardKey = forward.key ?? mapping.primaryKey ?? source.primaryKey ?? [];
  const mappedKey = forwardKey.map((k) => toTarget.get(k) ?? k);
  const reverseKey = targetModel.primaryKey ?? mappedKey;
  if (!reverseKey.length) problems.push(`table ${where}: neither the source nor the target has a key`);
  else if (reverseKey.length !== mappedKey.length || reverseKey.some((k, i) => k !== mappedKey[i]))
    problems.push(
      `table ${where}: the target's primary key (${reverseKey.join(', ')}) is not the forward key (${forwardKey.join(', ')}, on the target ${mappedKey.join(', ')}): changes cannot be matched to source rows`,
    );
  // (A refused key column is reported already.)
  const clean = problems.length === 0;
  for (const k of reverseKey)
    if (clean && !columns.some((c) => c.source === k))
      problems.push(`table ${where}: key column ${k} is not among the columns written back`);

  // The key travels in the mapping (primaryKey), so a move slimmed to {table, mapping} keeps it.
  // Forward-only options (zero-date policies are MySQL -> PostgreSQL) do not apply backwards.
  const move: MoveShape = {
    table: targetModel,
    mapping: {
      source: mapping.target,
      target: mapping.source,
      columns,
      primaryKey: reverseKey.length ? reverseKey : null,
    },
  };
  return { move, problems, notes };
}

/**
 * The DDL type the value goes back to: the source column's own type. MariaDB's JSON alias reports
 * LONGTEXT with a json_valid CHECK; JSON says so to the converters and the validator.
 */
function reverseTargetType(from: EngineKind, c: ColumnModel): string {
  if (from === 'mysql' && c.isJson && !/^json\b/i.test(c.nativeType)) return 'json';
  return c.nativeType;
}

/**
 * Why some value the target column holds may not go back to the source column unchanged; null when
 * every value does. Same engine and same type: lossless. Otherwise the forward mapping decides: the
 * type the plan chose (or one its probes chose) carries the mapping's reverse reasons; a type the
 * operator overrode is lossless only in the known cases.
 */
export function reverseRisk(
  from: EngineKind,
  to: EngineKind,
  table: string,
  sourceColumn: ColumnModel,
  forwardType: string,
  targetColumn: ColumnModel,
): string | null {
  if (from === to && norm(sourceColumn.nativeType) === norm(targetColumn.nativeType)) return null;
  const m = mapColumn(from, to, sourceColumn, { table });
  if (!m.refused) {
    const candidates = [
      m.targetType,
      ...(m.decideWithProbes ?? []).map((d) => d.whenClean?.targetType ?? d.whenOffending?.targetType),
    ]
      .filter((t): t is string => !!t)
      .map(norm);
    const chosen =
      candidates.includes(norm(forwardType)) ||
      (to === 'postgres' && m.enumType !== null && !!targetColumn.enumValues) ||
      (from === to && (!!sourceColumn.enumValues || sourceColumn.isJson));
    if (chosen) return m.reverseReasons.length ? m.reverseReasons.join('; ') : null;
  }
  if (knownLossless(from, sourceColumn, targetColumn)) return null;
  return `its type was overridden to ${forwardType}, and cutover cannot tell that every ${targetColumn.nativeType} value fits ${sourceColumn.nativeType}`;
}

/** Overrides whose reverse is exact. */
function knownLossless(from: EngineKind, s: ColumnModel, t: ColumnModel): boolean {
  // MySQL BINARY(16) holding a UUID, overridden to PostgreSQL uuid: 16 bytes each way.
  if (from === 'mysql' && /^binary\s*\(\s*16\s*\)$/i.test(s.nativeType) && t.dataType === 'uuid') return true;
  return false;
}

// ---------------------------------------------------------------------------------------------
// Identity after a rollback: the source's counters past the rows that came back

/** One auto-increment column of the source, and the least next value it must get. */
export interface SourceSequence {
  table: string;
  column: string;
  /** The next value at least: max(source's own next value, the target's next value). */
  floor: string;
}

/**
 * The statements that move the source's AUTO_INCREMENT counters (MySQL) or identity / serial
 * sequences (PostgreSQL) past max(column) of the rows now on the source, and never below the
 * source's own next value nor the target's (an id the target handed out and deleted is not
 * reused). A DdlPlan for the SOURCE engine, applied with its engine's setSequencesPastMax.
 */
export function sourceSequencePlan(
  forwards: readonly MoveShape[],
  sourceModel: SchemaModel,
  targetModel: SchemaModel,
): { plan: DdlPlan; sequences: SourceSequence[] } {
  const statements: DdlStatement[] = [];
  const sequences: SourceSequence[] = [];
  const from = sourceModel.engine;
  const schema = sourceModel.schema;
  const qt = (t: string) => `${PG.q(schema)}.${PG.q(t)}`;
  for (const f of forwards) {
    const table = sourceModel.tables.find((t) => t.name === f.table.name) ?? f.table;
    const target = targetModel.tables.find((t) => t.name === f.mapping.target);
    for (const c of table.columns) {
      if (!c.autoIncrement || c.generated) continue;
      const mapped = f.mapping.columns.find((m) => m.source === c.name);
      if (!mapped) continue;
      const own = nextCounterValue(sourceModel, table, c.name);
      const theirs = target ? nextCounterValue(targetModel, target, mapped.target) : 1n;
      const floor = (own > theirs ? own : theirs).toString();
      const reset: SequenceReset = { table: table.name, column: c.name, sequence: null, floor };
      sequences.push({ table: table.name, column: c.name, floor });
      if (from === 'postgres') {
        const named = /^nextval\('((?:[^']|'')+)'(?:::regclass)?\)$/.exec(c.default ?? '')?.[1];
        const owned = sourceModel.sequences.some((s) => s.ownedBy === `${table.name}.${c.name}`);
        const seq =
          c.identity || owned || !named
            ? `pg_get_serial_sequence(${PG.lit(qt(table.name))}, ${PG.lit(c.name)})`
            : `'${named}'::regclass`;
        if (named && !c.identity && !owned) reset.sequence = named.replaceAll("''", "'");
        statements.push({
          phase: 'finalize',
          description: `sequence of ${table.name}.${c.name} set past max(${c.name}) after the reverse replication`,
          sql: `SELECT setval(${seq}, GREATEST(COALESCE(max(${PG.q(c.name)}), 0) + 1, ${floor})::bigint, false) FROM ${qt(table.name)}`,
          object: { kind: 'sequence-value', name: reset.sequence ?? c.name, table: table.name },
          reset,
        });
      } else {
        statements.push({
          phase: 'finalize',
          description: `AUTO_INCREMENT of ${table.name} set past max(${c.name}) after the reverse replication`,
          sql: `ALTER TABLE ${MY.q(schema)}.${MY.q(table.name)} AUTO_INCREMENT = /* GREATEST(MAX(${MY.q(c.name)}) + 1, ${floor}), computed when applied */ ${floor}`,
          object: { kind: 'sequence-value', name: c.name, table: table.name },
          reset,
        });
      }
    }
  }
  return {
    plan: {
      from: targetModel.engine,
      to: from,
      sourceSchema: targetModel.schema,
      targetSchema: schema,
      tables: [],
      statements,
      notes: [],
      created: { tables: [], types: [], sequences: [] },
    },
    sequences,
  };
}
