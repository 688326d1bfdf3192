// Time estimates, each derived from the sample copy and the observed write rates; the `basis`
// lines say which measurement each number comes from, so an operator can check the arithmetic.
import type { Estimates, SampleMeasurement, SideState, TablePlan, TableVolume } from '../../spec/plan-report';

const rowsOf = (v: TableVolume) => Math.max(v.exactRows ?? v.rowEstimate, 0);
const round = (n: number) => Math.round(n * 10) / 10;

/** Statements the trigger fence needs per table on each engine (install, later remove). */
export function fenceStatementsPerTable(engine: 'postgres' | 'mysql'): number {
  // MySQL needs one trigger per event (INSERT, UPDATE, DELETE); PostgreSQL one trigger for all.
  return engine === 'mysql' ? 3 : 1;
}

export function estimate(
  tables: TablePlan[],
  volume: TableVolume[],
  sample: SampleMeasurement | null,
  source: SideState,
  target: SideState,
): Estimates {
  const totalRows = volume.reduce((n, v) => n + rowsOf(v), 0);
  const totalBytes = volume.reduce((n, v) => n + v.dataBytes, 0);
  const basis: string[] = [];
  const none = {
    totalRows,
    totalBytes,
    copySeconds: null,
    validationSeconds: null,
    catchUpSeconds: null,
    cutoverDowntimeSeconds: null,
  };
  if (!sample) {
    basis.push(
      'no sample copy could be measured (no table with a primary key and rows, or plan.sampleRows = 0): no time estimate',
    );
    return { ...none, basis };
  }

  // Copy: each table at its own measured rate if it was sampled, else at the overall sample rate.
  const perTable = new Map(
    sample.tables.map((t) => [t.table, (t.rows * 1000) / Math.max(t.readMs + t.loadMs, 1)]),
  );
  const copySeconds = volume.reduce(
    (s, v) => s + rowsOf(v) / (perTable.get(v.table) ?? sample.copyRowsPerSecond),
    0,
  );
  basis.push(
    `copy: rows of each table / its sampled read+load rate (overall ${Math.round(sample.copyRowsPerSecond)} rows/s over ${sample.rows} sampled rows), one stream; parallel slices only shorten it`,
  );

  // Validation scans both sides at once; the source scan rate was measured, the target is assumed no slower.
  const validationSeconds = totalRows / sample.scanRowsPerSecond;
  basis.push(
    `validation: ${totalRows} rows / measured source scan rate ${Math.round(sample.scanRowsPerSecond)} rows/s`,
  );

  // Catch-up: changes written during the copy, applied while writes go on.
  const writeRate = source.writesPerSecond;
  const apply = sample.applyRowsPerSecond;
  let catchUpSeconds: number | null = null;
  if (writeRate < apply) {
    catchUpSeconds = (writeRate * copySeconds) / (apply - writeRate);
    basis.push(
      `catch-up: ${round(writeRate)} source writes/s observed x copy time, applied at the measured upsert rate ${Math.round(apply)} rows/s minus the write rate`,
    );
  } else {
    basis.push(
      `catch-up: never converges: the source writes ${round(writeRate)} rows/s, the target upserts only ${Math.round(apply)} rows/s`,
    );
  }

  // Cutover: fence up, drain what arrived meanwhile, re-validate rows changed since the last
  // validation, switch routing, fence down. Every term is a measured round trip or rate.
  const fenceStatements = tables.length * fenceStatementsPerTable(source.engine);
  const fenceSeconds = (fenceStatements * source.roundTripMs) / 1000;
  const drainSeconds = (writeRate * fenceSeconds) / apply;
  const deltaRows = writeRate * validationSeconds;
  const deltaValidationSeconds = deltaRows / sample.scanRowsPerSecond;
  const switchSeconds = (target.roundTripMs + fenceStatements * source.roundTripMs) / 1000;
  const cutoverDowntimeSeconds = fenceSeconds + drainSeconds + deltaValidationSeconds + switchSeconds;
  basis.push(
    `cutover: ${fenceStatements} fence statements x ${round(source.roundTripMs)} ms source round trip (up and down) + drain of writes during fencing at the upsert rate + re-validation of ~${Math.round(deltaRows)} rows changed since the last validation + routing switch (${round(target.roundTripMs)} ms target round trip)`,
  );
  return {
    totalRows,
    totalBytes,
    copySeconds: round(copySeconds),
    validationSeconds: round(validationSeconds),
    catchUpSeconds: catchUpSeconds === null ? null : round(catchUpSeconds),
    cutoverDowntimeSeconds: Math.round(cutoverDowntimeSeconds * 1000) / 1000,
    basis,
  };
}
