// Schema analysis for the plan: which tables move, how each column maps, what the data says about
// risky conversions (one probing scan per table that needs it), the FK order, and what must be
// ported by hand. Reads the source only.
import type { Engine, ProbeResult } from '../../engines/engine';
import type { SchemaModel, TableModel } from '../../engines/model';
import type { CheckOverride, ColumnOverride } from '../../spec/migration-spec';
import type { Finding, PlanReport, TablePlan, TableVolume } from '../../spec/plan-report';
import { analyzeTable, identifierFindings, probesFor } from './compatibility';
import { analyzeDependencies, type DependencyReport } from './dependencies';
import { selectTables } from './table-filter';

export class PlanInputError extends Error {
  override name = 'PlanInputError';
}

export interface Analysis {
  tables: TablePlan[];
  volume: TableVolume[];
  dependencies: DependencyReport;
  manualItems: PlanReport['manualItems'];
  findings: Finding[];
  /** The data probes' answers per table (only tables that were probed): the DDL translation uses them. */
  probes: Record<string, ProbeResult[]>;
}

export interface AnalyzeOptions {
  include: string[];
  exclude: string[];
  skipDataProbes: boolean;
  tableWritesPerSecond: Record<string, number> | null;
  /** The spec's `columns` and `checks` overrides: the CHECK findings say what the target gets. */
  overrides?: { columns?: Record<string, ColumnOverride>; checks?: Record<string, CheckOverride> };
  /** Probe answers of tables already probed (by an earlier attempt): they are not scanned again. */
  probed?: Record<string, ProbeResult[]>;
  /** Called after each table with its probe answers, so that a caller can checkpoint them. */
  onTable?: (table: string, results: ProbeResult[], done: number, total: number) => void;
}

export function selectedTables(source: SchemaModel, include: string[], exclude: string[]): TableModel[] {
  const { selected, unmatched } = selectTables(
    source.tables.map((t) => t.name),
    include,
    exclude,
  );
  if (unmatched.length) {
    throw new PlanInputError(
      `tables.include names ${unmatched.map((t) => JSON.stringify(t)).join(', ')}, which ${unmatched.length === 1 ? 'is' : 'are'} not a table of ${source.engine} schema ${JSON.stringify(source.schema)}`,
    );
  }
  if (!selected.length) {
    throw new PlanInputError(
      `no table of ${source.engine} schema ${JSON.stringify(source.schema)} matches tables.include minus tables.exclude`,
    );
  }
  const set = new Set(selected);
  return source.tables.filter((t) => set.has(t.name));
}

export async function analyzeSchema(
  engine: Engine,
  source: SchemaModel,
  target: SchemaModel,
  options: AnalyzeOptions,
): Promise<Analysis> {
  const from = source.engine;
  const to = target.engine;
  const tables = selectedTables(source, options.include, options.exclude);
  const findings: Finding[] = [];
  const plans: TablePlan[] = [];
  const probed: Record<string, ProbeResult[]> = {};

  let done = 0;
  for (const table of tables) {
    const probes = options.skipDataProbes ? [] : probesFor(from, to, table);
    const results =
      options.probed?.[table.name] ??
      (probes.length ? await engine.probe(source.schema, table.name, probes) : []);
    if (results.length) probed[table.name] = results;
    const { plan, findings: tableFindings } = analyzeTable(
      from,
      to,
      table,
      results,
      source,
      options.overrides,
    );
    findings.push(...tableFindings);
    plans.push({
      table: table.name,
      targetTable: table.name,
      primaryKey: table.primaryKey,
      columns: plan.columns,
      copyOrder: 0,
    });
    options.onTable?.(table.name, results, ++done, tables.length);
  }
  if (options.skipDataProbes) {
    findings.push({
      severity: 'medium',
      code: 'DATA_PROBES_SKIPPED',
      finding:
        'plan.skipDataProbes is set: risky conversions were judged from the schema alone, not from the data',
      mitigation: 'run the plan once without skipDataProbes before the migration',
    });
  }
  findings.push(...identifierFindings(to, { ...source, tables }));
  findings.push(...targetConflicts(tables, target));

  const dependencies = analyzeDependencies(tables, source.schema);
  const position = new Map(dependencies.copyOrder.map((t, i) => [t, i]));
  for (const p of plans) p.copyOrder = position.get(p.table) ?? 0;
  plans.sort((a, b) => a.copyOrder - b.copyOrder);
  for (const cycle of dependencies.cycles) {
    findings.push({
      severity: 'medium',
      code: 'FK_CYCLE',
      table: cycle[0],
      finding: `foreign keys form a cycle through ${cycle.join(' -> ')}: no table order satisfies them while the constraints are enforced`,
      mitigation:
        'nothing to do: cutover creates every foreign key after the bulk load; on large tables they are added NOT VALID and validated afterwards',
    });
  }
  for (const table of dependencies.selfReferences) {
    findings.push({
      severity: 'low',
      code: 'SELF_REFERENCE',
      table,
      finding: `${table} has a foreign key to itself: a row may reference a row that is copied after it`,
      mitigation: 'nothing to do: the constraint is created after the bulk load',
    });
  }
  return {
    tables: plans,
    volume: tables.map((t) => ({
      table: t.name,
      rowEstimate: t.rowEstimate,
      exactRows: t.exactRows,
      dataBytes: t.dataBytes,
      indexBytes: t.indexBytes,
      writesPerSecond: options.tableWritesPerSecond ? (options.tableWritesPerSecond[t.name] ?? 0) : null,
    })),
    dependencies,
    manualItems: from === to ? [] : manualItems(source, new Set(tables.map((t) => t.name))),
    findings,
    probes: probed,
  };
}

function targetConflicts(tables: TableModel[], target: SchemaModel): Finding[] {
  const existing = new Map(target.tables.map((t) => [t.name, t]));
  return tables.flatMap((t): Finding[] => {
    const there = existing.get(t.name);
    if (!there) return [];
    const rows = there.exactRows ?? there.rowEstimate;
    return [
      {
        severity: rows > 0 ? 'blocking' : 'high',
        code: 'TARGET_TABLE_EXISTS',
        table: t.name,
        finding: `${target.engine} schema ${JSON.stringify(target.schema)} already has a table ${JSON.stringify(t.name)}${rows > 0 ? ` holding about ${rows} rows` : ''}`,
        mitigation:
          'migrate into an empty schema, drop the table after checking it is not needed, or exclude the table',
      },
    ];
  });
}

/** Objects that do not translate between engines and must be ported and reviewed by hand. */
function manualItems(source: SchemaModel, selected: Set<string>): PlanReport['manualItems'] {
  const items: PlanReport['manualItems'] = [];
  for (const t of source.triggers.filter((t) => selected.has(t.table))) {
    items.push({
      kind: 'trigger',
      name: `${t.table}.${t.name}`,
      note: `${t.timing}: rewrite as a trigger function on the target`,
    });
  }
  for (const v of source.views) {
    items.push({
      kind: 'view',
      name: v.name,
      note: `${v.materialized ? 'materialized view' : 'view'}: translate the SQL and create it after the copy`,
    });
  }
  for (const r of source.routines) {
    items.push({
      kind: 'routine',
      name: r.name,
      note: `${r.kind} in ${r.language}: rewrite in the target's procedural language`,
    });
  }
  for (const e of source.events) {
    items.push({
      kind: 'event',
      name: e.name,
      note: `scheduled ${e.schedule} (${e.status}): move to pg_cron or an external scheduler`,
    });
  }
  return items;
}
