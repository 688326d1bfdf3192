// planMigration: validate the spec (before anything is touched), inspect both sides, analyse the
// schema and probe the data, measure a sample copy, and assemble the plan report.
import {
  ApplicationFailure,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type * as activities from '../activities';
import { formatSpecProblems, INVALID_SPEC, parseMigrationSpec } from '../spec/migration-spec';
import type { PlanReport } from '../spec/plan-report';
import { planStatusQuery, type PlanPhase, type PlanStatus } from './messages';
import {
  MigrationName,
  MigrationPhase,
  MigrationStrategy,
  SourceEngine,
  TargetEngine,
} from './search-attributes';

const NON_RETRYABLE = [
  'InvalidSpec',
  'ConnectionNotConfigured',
  'PlanInputError',
  'DatabaseRejected',
  'RefusedError',
];

const retry = {
  initialInterval: '1 second',
  maximumInterval: '1 minute',
  maximumAttempts: 10,
  nonRetryableErrorTypes: NON_RETRYABLE,
};

const quick = proxyActivities<typeof activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry,
});

/** Probing scans whole tables: long, but alive as long as it heartbeats. */
const long = proxyActivities<typeof activities>({
  startToCloseTimeout: '24 hours',
  heartbeatTimeout: '1 minute',
  retry,
});

export async function planMigration(input: unknown): Promise<PlanReport> {
  let status: PlanStatus = { phase: 'validating', detail: 'checking the spec' };
  setHandler(planStatusQuery, () => status);
  const enter = (phase: PlanPhase, detail: string) => {
    status = { phase, detail };
    upsertSearchAttributes([{ key: MigrationPhase, value: `plan:${phase}` }]);
    setCurrentDetails(`**Planning** — ${phase}: ${detail}`);
  };

  const parsed = parseMigrationSpec(input);
  if (!parsed.ok) {
    // Nothing has been touched yet; every bad field is named in the message and the details.
    throw ApplicationFailure.create({
      type: INVALID_SPEC,
      message: formatSpecProblems(parsed.problems),
      nonRetryable: true,
      details: [parsed.problems],
    });
  }
  const spec = parsed.spec;
  upsertSearchAttributes([
    { key: MigrationName, value: spec.name },
    { key: SourceEngine, value: spec.source.engine },
    { key: TargetEngine, value: spec.target.engine },
    { key: MigrationStrategy, value: spec.strategy },
  ]);

  enter('inspecting', 'schemas, live state and write rates of both sides');
  const [source, target] = await Promise.all([
    quick.inspectDatabase({ spec, side: 'source' }),
    quick.inspectDatabase({ spec, side: 'target' }),
  ]);

  enter('analyzing', `mapping ${source.schema.tables.length} table(s) and probing their data`);
  const analysis = await long.analyzeSourceSchema({
    spec,
    source: source.schema,
    target: target.schema,
    tableWritesPerSecond: source.tableWritesPerSecond,
  });

  enter('sampling', `timing a sample copy of up to ${spec.plan.sampleRows} rows`);
  const sample = await quick.measureSample({
    spec,
    sourceSchema: source.schema.schema,
    analysis: { tables: analysis.tables, volume: analysis.volume },
  });

  enter('assembling', 'estimates, risks and paths');
  const report = await quick.assemblePlan({
    spec,
    generatedAt: new Date(workflowInfo().startTime).toISOString(),
    analysis,
    source: source.live,
    target: target.live,
    sample,
  });
  status = { phase: 'done', detail: report.verdict.downtime };
  upsertSearchAttributes([{ key: MigrationPhase, value: 'plan:done' }]);
  setCurrentDetails(
    `**Plan ready** — verdict: ${report.verdict.downtime}; ${report.risks.filter((r) => r.severity === 'blocking').length} blocking finding(s); ${report.tables.length} table(s)`,
  );
  return report;
}
