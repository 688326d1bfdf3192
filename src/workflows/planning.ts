// The planning steps, shared by planMigration (the plan alone) and blueGreenMigration (its first
// phase): inspect both sides, analyse and probe the source, time a sample copy, assemble the report.
import type * as activities from '../activities';
import type { ProbeResult } from '../engines/engine';
import type { SchemaModel } from '../engines/model';
import type { MigrationSpec } from '../spec/migration-spec';
import type { PlanReport } from '../spec/plan-report';
import type { PlanPhase } from './messages';

type Activities = { [K in keyof typeof activities]: (typeof activities)[K] };

export interface Planned {
  report: PlanReport;
  /** The source schema as introspected (every table, not only the selected ones). */
  source: SchemaModel;
  /** The data probes' answers per table: the DDL translation must use the same ones. */
  probes: Record<string, ProbeResult[]>;
}

export async function runPlanning(
  acts: Pick<Activities, 'inspectDatabase' | 'analyzeSourceSchema' | 'measureSample' | 'assemblePlan'>,
  spec: MigrationSpec,
  generatedAt: string,
  enter: (detail: string, phase: Exclude<PlanPhase, 'validating' | 'done'>) => void,
): Promise<Planned> {
  enter('schemas, live state and write rates of both sides', 'inspecting');
  const [source, target] = await Promise.all([
    acts.inspectDatabase({ spec, side: 'source' }),
    acts.inspectDatabase({ spec, side: 'target' }),
  ]);

  enter(`mapping ${source.schema.tables.length} table(s) and probing their data`, 'analyzing');
  const analysis = await acts.analyzeSourceSchema({
    spec,
    source: source.schema,
    target: target.schema,
    tableWritesPerSecond: source.tableWritesPerSecond,
  });

  enter(`timing a sample copy of up to ${spec.plan.sampleRows} rows`, 'sampling');
  const sample = await acts.measureSample({
    spec,
    sourceSchema: source.schema.schema,
    analysis: { tables: analysis.tables, volume: analysis.volume },
  });

  enter('estimates, risks and paths', 'assembling');
  const report = await acts.assemblePlan({
    spec,
    generatedAt,
    analysis,
    source: source.live,
    target: target.live,
    sample,
  });
  return { report, source: source.schema, probes: analysis.probes };
}
