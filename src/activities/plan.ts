// Planner activities: thin adapters from Temporal to src/dataplane/planner. Each opens the engines
// it needs by connection name, heartbeats its progress and closes them again.
import { analyzeSchema, type Analysis } from '../dataplane/planner/analysis';
import { inspectSide, type Inspection } from '../dataplane/planner/inspect';
import { assemblePlanReport, type PlanParts } from '../dataplane/planner/report';
import { measureSampleCopy } from '../dataplane/planner/sample-copy';
import type { ProbeResult } from '../engines/engine';
import type { SchemaModel } from '../engines/model';
import type { MigrationSpec } from '../spec/migration-spec';
import type { PlanReport, SampleMeasurement } from '../spec/plan-report';
import { adapt, cancellation, checkpoint, heartbeat, withEngine } from './adapter';

export const inspectDatabase = adapt(
  async (input: { spec: MigrationSpec; side: 'source' | 'target' }): Promise<Inspection> =>
    withEngine(input.spec[input.side], (engine) =>
      inspectSide(engine, {
        schema: input.spec[input.side].schema,
        exactCounts: input.side === 'source' && input.spec.plan.exactCounts,
        observeSeconds: input.spec.plan.observeSeconds,
        longTransactionSeconds: input.spec.plan.longTransactionSeconds,
        onProgress: (stage) => heartbeat({ side: input.side, stage }),
        signal: cancellation(),
      }),
    ),
);

/** Progress of the probing scans: a retry after a crash resumes after the last probed table. */
interface ProbeCheckpoint {
  stage: 'probing';
  done: number;
  total: number;
  probed: Record<string, ProbeResult[]>;
}

export const analyzeSourceSchema = adapt(
  async (input: {
    spec: MigrationSpec;
    source: SchemaModel;
    target: SchemaModel;
    tableWritesPerSecond: Record<string, number> | null;
  }): Promise<Analysis> => {
    const probed = { ...(checkpoint<ProbeCheckpoint>()?.probed ?? {}) };
    return withEngine(input.spec.source, (engine) =>
      analyzeSchema(engine, input.source, input.target, {
        include: input.spec.tables.include,
        exclude: input.spec.tables.exclude,
        skipDataProbes: input.spec.plan.skipDataProbes,
        tableWritesPerSecond: input.tableWritesPerSecond,
        overrides: { columns: input.spec.columns, checks: input.spec.checks },
        probed,
        onTable: (table, results, done, total) => {
          if (results.length) probed[table] = results;
          heartbeat({ stage: 'probing', done, total, probed } satisfies ProbeCheckpoint);
        },
      }),
    );
  },
);

export const measureSample = adapt(
  async (input: {
    spec: MigrationSpec;
    sourceSchema: string;
    analysis: Pick<Analysis, 'tables' | 'volume'>;
  }): Promise<SampleMeasurement | null> =>
    withEngine(input.spec.source, (source) =>
      withEngine(input.spec.target, (target) =>
        measureSampleCopy(source, target, input.sourceSchema, input.analysis.tables, input.analysis.volume, {
          sampleRows: input.spec.plan.sampleRows,
          onTable: (table) => heartbeat({ stage: 'sampling', table }),
        }),
      ),
    ),
);

export const assemblePlan = adapt(async (input: PlanParts): Promise<PlanReport> => assemblePlanReport(input));
