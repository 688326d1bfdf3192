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
import { PERMANENT_ERROR_TYPES } from '../spec/error-types';
import type { PlanReport } from '../spec/plan-report';
import { runPlanning } from './planning';
import { planStatusQuery, type PlanPhase, type PlanStatus } from './messages';
import {
  MigrationName,
  MigrationPhase,
  MigrationStrategy,
  SourceEngine,
  TargetEngine,
} from './search-attributes';

/**
 * One policy for every planner step: a step is alive while it heartbeats (a dead worker is noticed
 * within a minute), and may run for hours on a big schema (probing scans whole tables).
 */
const acts = proxyActivities<typeof activities>({
  startToCloseTimeout: '24 hours',
  heartbeatTimeout: '1 minute',
  retry: {
    initialInterval: '1 second',
    maximumInterval: '1 minute',
    maximumAttempts: 10,
    nonRetryableErrorTypes: PERMANENT_ERROR_TYPES,
  },
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

  const { report } = await runPlanning(
    acts,
    spec,
    new Date(workflowInfo().startTime).toISOString(),
    (detail, phase) => enter(phase, detail),
  );
  status = { phase: 'done', detail: report.verdict.downtime };
  upsertSearchAttributes([{ key: MigrationPhase, value: 'plan:done' }]);
  setCurrentDetails(
    `**Plan ready** — verdict: ${report.verdict.downtime}; ${report.risks.filter((r) => r.severity === 'blocking').length} blocking finding(s); ${report.tables.length} table(s)`,
  );
  return report;
}
