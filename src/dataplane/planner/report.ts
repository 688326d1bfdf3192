// Assemble the plan report from the measured parts. Pure: the same inputs give the same report.
import {
  PLAN_REPORT_VERSION,
  type Finding,
  type PlanReport,
  type SampleMeasurement,
  type SideState,
} from '../../spec/plan-report';
import type { MigrationSpec } from '../../spec/migration-spec';
import type { Analysis } from './analysis';
import { estimate } from './estimates';
import { backwardPath, downtimeVerdict, forwardPath, liveFindings } from './verdict';

const SEVERITY_ORDER: Finding['severity'][] = ['blocking', 'high', 'medium', 'low', 'info'];

export interface PlanParts {
  spec: MigrationSpec;
  generatedAt: string;
  analysis: Analysis;
  source: SideState;
  target: SideState;
  sample: SampleMeasurement | null;
}

export function assemblePlanReport({
  spec,
  generatedAt,
  analysis,
  source,
  target,
  sample,
}: PlanParts): PlanReport {
  const estimates = estimate(analysis.tables, analysis.volume, sample, source, target);
  const risks = [
    ...analysis.findings,
    ...liveFindings(source, target, spec.plan.longTransactionSeconds, spec.cutover),
  ];
  if (estimates.catchUpSeconds === null && sample) {
    risks.push({
      severity: 'high',
      code: 'CAPTURE_CANNOT_KEEP_UP',
      finding: `the source writes ${Math.round(source.writesPerSecond)} rows/s, more than the ${Math.round(sample.applyRowsPerSecond)} rows/s the target upserted in the sample`,
      mitigation: 'migrate in a quieter period, throttle the writers, or raise the apply parallelism',
    });
  }
  risks.sort(
    (a, b) =>
      SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) ||
      a.code.localeCompare(b.code) ||
      (a.table ?? '').localeCompare(b.table ?? '') ||
      (a.column ?? '').localeCompare(b.column ?? ''),
  );
  return {
    planVersion: PLAN_REPORT_VERSION,
    migration: spec.name,
    generatedAt,
    source: { engine: spec.source.engine, connection: spec.source.connection, schema: source.schema },
    target: { engine: spec.target.engine, connection: spec.target.connection, schema: target.schema },
    volume: analysis.volume,
    dependencies: analysis.dependencies,
    manualItems: analysis.manualItems,
    tables: analysis.tables,
    live: { source, target },
    sample,
    estimates,
    verdict: downtimeVerdict(risks, spec.acceptRisks, estimates),
    risks,
    forwardPath: forwardPath(analysis.tables, spec.source.engine, spec.target.engine),
    backwardPath: backwardPath(analysis.tables),
  };
}
