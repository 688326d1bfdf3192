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

  // Copy: each table at its own measured rate if it was sampled, else at the overall sample rate;
  // a table without a row count (never analysed) by its bytes at the sampled byte rate.
  const perTable = new Map(
    sample.tables.map((t) => [t.table, (t.rows * 1000) / Math.max(t.readMs + t.loadMs, 1)]),
  );
  const unknown = volume.filter((v) => v.exactRows === null && v.rowEstimate < 0);
  const bytesPerRow = sample.bytes / Math.max(sample.rows, 1);
  const rowsFor = (v: TableVolume) =>
    unknown.includes(v) ? v.dataBytes / Math.max(bytesPerRow, 1) : rowsOf(v);
  const copySeconds = volume.reduce(
    (s, v) =>
      s +
      (unknown.includes(v)
        ? v.dataBytes / sample.copyBytesPerSecond
        : rowsOf(v) / (perTable.get(v.table) ?? sample.copyRowsPerSecond)),
    0,
  );
  basis.push(
    `copy: rows of each table / its sampled read+load rate (overall ${Math.round(sample.copyRowsPerSecond)} rows/s over ${sample.rows} sampled rows), one stream; parallel slices only shorten it; the sample loaded into a temporary table (no WAL, no secondary indexes), so the real load is slower by the cost of those`,
  );
  if (unknown.length) {
    basis.push(
      `${unknown.map((v) => v.table).join(', ')}: no row count (never analysed): estimated from on-disk bytes at the sampled ${Math.round(sample.copyBytesPerSecond)} bytes/s`,
    );
  }
  const scanRows = volume.reduce((n, v) => n + rowsFor(v), 0);

  // Validation scans both sides at once; the source scan rate was measured, the target is assumed no slower.
  const validationSeconds = scanRows / sample.scanRowsPerSecond;
  basis.push(
    `validation: ${Math.round(scanRows)} rows / measured source scan rate ${Math.round(sample.scanRowsPerSecond)} rows/s`,
  );

  // Catch-up: changes written during the copy, applied while writes go on. Per-table rates of the
  // selected tables where the engine counts them; else the server-wide rate, an upper bound.
  const perTableRates = volume.every((v) => v.writesPerSecond !== null);
  const writeRate = perTableRates
    ? volume.reduce((n, v) => n + (v.writesPerSecond ?? 0), 0)
    : source.writesPerSecond;
  const writeScope = perTableRates
    ? 'writes/s on the selected tables'
    : 'writes/s on the whole source server (an upper bound)';
  const apply = sample.applyRowsPerSecond;
  let catchUpSeconds: number | null = null;
  if (writeRate < apply) {
    catchUpSeconds = (writeRate * copySeconds) / (apply - writeRate);
    basis.push(
      `catch-up: ${round(writeRate)} ${writeScope} observed x copy time, applied at the measured upsert rate ${Math.round(apply)} rows/s minus the write rate`,
    );
  } else {
    basis.push(
      `catch-up: never converges: ${round(writeRate)} ${writeScope}, the target upserts only ${Math.round(apply)} rows/s`,
    );
  }

  // Cutover: fence up, drain what arrived meanwhile, re-validate rows changed since the last
  // validation, switch routing (the source's fence stays up until finalize: not in the window).
  // Every term is a measured round trip or rate.
  const fenceStatements = tables.length * fenceStatementsPerTable(source.engine);
  const fenceSeconds = (fenceStatements * source.roundTripMs) / 1000;
  const drainSeconds = (writeRate * fenceSeconds) / apply;
  const deltaRows = writeRate * validationSeconds;
  const deltaValidationSeconds = deltaRows / sample.scanRowsPerSecond;
  const switchSeconds = (target.roundTripMs + source.roundTripMs) / 1000;
  const cutoverDowntimeSeconds = fenceSeconds + drainSeconds + deltaValidationSeconds + switchSeconds;
  basis.push(
    `cutover: ${fenceStatements} fence statements x ${round(source.roundTripMs)} ms source round trip + drain of writes during fencing at the upsert rate + re-validation of ~${Math.round(deltaRows)} rows changed since the last validation + routing switch (a round trip to each side)`,
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
