// Schema translation: the target DDL plan from the source model, the selected tables and their
// column mappings (the planner's analyzeTable, or mappings given by the caller), with per-column
// overrides from the spec. Engine-neutral: dialect differences are confined to the small Dialect
// (names.ts) and every identifier goes through the target engine's quoting.
//
// What it refuses (all problems at once, each naming table.column): a column the mapping refuses
// (unless overridden with a type or excluded), a generated column moving between engines without
// a translated expression, names the target cannot hold, overrides naming no column or CHECK.
//
// One file per role: columns.ts, defaults.ts, sequences.ts, tables.ts (CREATE TABLE), indexes.ts,
// foreign-keys.ts, checks.ts; names.ts for the target's identifiers and context.ts for the state
// they share. This file selects the tables, runs the roles per table and orders the statements.
import type { ProbeResult } from '../../engines/engine';
import { EngineInputError } from '../../engines/errors';
import type { EngineKind, SchemaModel, TableModel } from '../../engines/model';
import {
  MYSQL_MAX_IDENTIFIER_CHARS,
  PG_MAX_IDENTIFIER_BYTES,
  type MappedType,
} from '../../engines/type-mapping';
import type { CheckOverride, ColumnOverride } from '../../spec/migration-spec';
import { createChecks } from './checks';
import { planColumns } from './columns';
import type { TranslationContext } from './context';
import { createForeignKeys } from './foreign-keys';
import { createIndexes } from './indexes';
import { MY, PG } from './names';
import type { DdlPhase, DdlPlan, DdlStatement, SequenceReset, TranslatedTable } from './plan';
import { createSequences, resetSequences } from './sequences';
import { createTable } from './tables';

export interface TranslateInput {
  source: SchemaModel;
  targetEngine: EngineKind;
  targetSchema: string;
  /** Names of the source tables to create; default: every table of the source model. */
  tables?: string[];
  /** Per-column overrides keyed "<table>.<column>" (the spec's `columns`). */
  overrides?: Record<string, ColumnOverride>;
  /** Per-CHECK overrides keyed "<table>.<constraint>" (the spec's `checks`). */
  checks?: Record<string, CheckOverride>;
  /** Probe answers per table (refine TINYINT(1) to boolean, ...); none: the schema-only mapping. */
  probeResults?: Record<string, ProbeResult[]>;
  /** Mappings already decided (the planner's plan.mappings) per table; computed when absent. */
  mappings?: Record<string, { column: string; mapping: MappedType }[]>;
}

/** A request the translator cannot turn into DDL: every problem, each naming its table.column. */
export class SchemaTranslationError extends EngineInputError {
  override name = 'SchemaTranslationError';
  constructor(readonly problems: string[]) {
    super(
      `the schema cannot be translated (${problems.length} problem${problems.length === 1 ? '' : 's'}): ${problems.join('; ')}`,
    );
  }
}

export function translateSchema(input: TranslateInput): DdlPlan {
  const { source, targetEngine: to, targetSchema } = input;
  const from = source.engine;
  const d = to === 'postgres' ? PG : MY;
  const problems: string[] = [];
  const notes: string[] = [];
  const statements: DdlStatement[] = [];
  const overrides = input.overrides ?? {};
  const used = new Set<string>();
  const checkOverrides = input.checks ?? {};
  const usedChecks = new Set<string>();

  const wanted = [...new Set(input.tables ?? source.tables.map((t) => t.name))];
  const tables: TableModel[] = [];
  for (const name of wanted) {
    const t = source.tables.find((x) => x.name === name);
    if (!t) problems.push(`table ${name} is not a table of ${from} schema ${source.schema}`);
    else tables.push(t);
  }
  const qt = (table: string) => `${d.q(targetSchema)}.${d.q(table)}`;
  const checkName = (what: string, name: string) => {
    if (!d.fits(name))
      problems.push(
        `${what} ${name} is too long for ${to === 'postgres' ? `PostgreSQL (${PG_MAX_IDENTIFIER_BYTES} bytes)` : `MySQL (${MYSQL_MAX_IDENTIFIER_CHARS} characters)`}: ${what === 'schema' ? 'choose another target schema' : 'rename it on the source'}${what === 'table' ? ' or exclude the table' : what === 'schema' ? '' : ' or exclude it with an override'}`,
      );
    else {
      try {
        d.q(name);
      } catch (err) {
        problems.push(`${what} ${name}: ${(err as Error).message}`);
      }
    }
  };

  checkName('schema', targetSchema);
  if (problems.length) throw new SchemaTranslationError(problems);

  // Namespaces of the target: PostgreSQL relations (tables, indexes, sequences) and types per
  // schema; MySQL foreign-key and CHECK names per schema.
  const relations = new Set<string>();
  const typeNames = new Set<string>();
  const constraintNames = new Set<string>();
  for (const t of [...tables]) {
    const before = problems.length;
    checkName('table', t.name);
    if (problems.length > before) tables.splice(tables.indexOf(t), 1);
    relations.add(d.kind === 'mysql' ? t.name.toLowerCase() : t.name);
    typeNames.add(t.name);
  }
  const selected = new Set(tables.map((t) => t.name));

  const created = { tables: [] as string[], types: [] as string[], sequences: [] as string[] };
  const translated: TranslatedTable[] = [];
  const typeStatements: DdlStatement[] = [];
  const sequenceStatements: DdlStatement[] = [];
  const tableStatements: DdlStatement[] = [];
  const afterTableStatements: DdlStatement[] = [];
  const postLoad: DdlStatement[] = [];
  const postLoadFks: DdlStatement[] = [];
  const postLoadValidate: DdlStatement[] = [];
  const finalize: DdlStatement[] = [];
  const push = (
    list: DdlStatement[],
    phase: DdlPhase,
    description: string,
    sql: string,
    object: DdlStatement['object'],
    reset?: SequenceReset,
  ) => list.push({ phase, description, sql, object, ...(reset ? { reset } : {}) });
  const enumTypes = new Map<string, string>(); // source type key -> target type name

  const ctx: TranslationContext = {
    input,
    source,
    from,
    to,
    d,
    problems,
    notes,
    overrides,
    used,
    checkOverrides,
    usedChecks,
    tables,
    selected,
    relations,
    typeNames,
    constraintNames,
    created,
    enumTypes,
    typeStatements,
    sequenceStatements,
    tableStatements,
    afterTableStatements,
    postLoad,
    postLoadFks,
    postLoadValidate,
    finalize,
    push,
    qt,
    checkName,
  };

  for (const table of tables) {
    const columns = planColumns(ctx, table);
    createSequences(ctx, table, columns);
    const { pk, checkNamesOfTable } = createTable(ctx, table, columns);
    createIndexes(ctx, table, columns);
    createForeignKeys(ctx, table, columns);
    createChecks(ctx, table, columns, checkNamesOfTable);
    resetSequences(ctx, table, columns);

    translated.push({
      source: table.name,
      target: table.name,
      columns: columns.map((c) => ({
        source: c.name,
        target: c.name,
        targetType: c.type,
        generated: c.generated !== null,
      })),
      primaryKey: pk?.length ? pk : null,
    });
  }

  for (const key of Object.keys(overrides)) {
    if (!used.has(key)) {
      const table = key.slice(0, key.indexOf('.'));
      problems.push(
        `columns["${key}"] names no column of ${selected.has(table) ? `table ${table}` : `a migrated table (${table} is not one)`}`,
      );
    }
  }
  for (const key of Object.keys(checkOverrides)) {
    if (!usedChecks.has(key)) {
      const table = key.slice(0, key.indexOf('.'));
      problems.push(
        `checks["${key}"] names no CHECK constraint of ${selected.has(table) ? `table ${table}` : `a migrated table (${table} is not one)`}`,
      );
    }
  }
  if (problems.length) throw new SchemaTranslationError(problems);

  statements.push(
    ...typeStatements,
    ...sequenceStatements,
    ...tableStatements,
    ...afterTableStatements,
    ...postLoad,
    ...postLoadFks,
    ...postLoadValidate,
    ...finalize,
  );
  return {
    from,
    to,
    sourceSchema: source.schema,
    targetSchema,
    tables: translated,
    statements,
    notes,
    created,
  };
}
