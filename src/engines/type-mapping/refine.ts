// Probe-driven refinement: applies probe answers to a mapping and turns offending rows into findings.
import type { Finding } from '../../spec/plan-report';
import type { ProbeKind, ProbeResult } from '../engine';
import type { ColumnModel } from '../model';
import type { MappedType } from './types';

/**
 * Apply probe answers to a mapping. Only the probes the mapping asked for count; a probe without an
 * answer leaves the base mapping (the safe one) in place. With fixedType the target type is kept
 * whatever the answers (used for foreign-key columns, whose type must match the other side).
 */
export function refineMapping(
  mapping: MappedType,
  column: ColumnModel,
  results: ProbeResult[],
  where: { schema?: string; table?: string; fixedType?: boolean } = {},
): { mapping: MappedType; findings: Finding[] } {
  const out: MappedType = {
    ...mapping,
    checks: [...mapping.checks],
    notes: [...mapping.notes],
    lossyReasons: [...mapping.lossyReasons],
    reverseReasons: [...mapping.reverseReasons],
    probes: [...mapping.probes],
    risks: [...mapping.risks],
  };
  const findings: Finding[] = [];
  const name = [where.schema, where.table, column.name].filter((p) => p !== undefined && p !== '').join('.');
  const unprobed: ProbeKind[] = [];
  for (const decision of mapping.decideWithProbes ?? []) {
    const result = results.find((r) => r.column === column.name && r.kind === decision.kind);
    if (!result) {
      unprobed.push(decision.kind);
      continue;
    }
    const change = result.offendingRows > 0 ? decision.whenOffending : decision.whenClean;
    if (change) {
      const typeChange = change.targetType !== undefined || change.checks !== undefined;
      if (typeChange && where.fixedType) {
        out.notes.push(
          `${change.note}; kept ${out.targetType} anyway: it is a foreign-key column and must match the other side`,
        );
      } else {
        if (change.targetType !== undefined) out.targetType = change.targetType;
        if (change.checks !== undefined) out.checks = [...change.checks];
        out.notes.push(change.note);
      }
      if (change.lossy) out.lossyReasons.push(change.lossy);
      if (change.reverse) out.reverseReasons.push(change.reverse);
    }
    if (result.offendingRows > 0) {
      findings.push(probeFinding(decision.kind, result.offendingRows, column, name, out, where.table));
    }
  }
  if (unprobed.length) out.notes.push(`not probed (${unprobed.join(', ')}): the schema-only mapping applies`);
  out.lossy = out.lossyReasons.length > 0;
  out.reverseLossless = out.reverseReasons.length === 0;
  return { mapping: out, findings };
}

// ---------------------------------------------------------------------------------------------
// Findings from probe answers

function probeFinding(
  kind: ProbeKind,
  n: number,
  c: ColumnModel,
  name: string,
  mapping: MappedType,
  table: string | undefined,
): Finding {
  const rows = `${n} row${n === 1 ? '' : 's'} of ${name}`;
  const base = { table, column: c.name };
  switch (kind) {
    case 'non-boolean':
      return {
        ...base,
        severity: 'low',
        code: 'BOOLEAN_OUT_OF_RANGE',
        finding: `${rows} hold values other than 0/1 in a TINYINT(1): it becomes ${mapping.targetType}, not boolean (a blind boolean cast would turn 2 into true)`,
        mitigation:
          'nothing for the copy (the integer type keeps every value); to get boolean, normalise the values on the source (UPDATE ... SET col = (col <> 0)) and plan again',
      };
    case 'zero-date':
      return {
        ...base,
        severity: 'high',
        code: 'ZERO_DATES',
        finding: `${rows} hold zero or partial dates ('0000-00-00', '2024-00-15'), which PostgreSQL rejects: those rows cannot be copied as they are`,
        mitigation: c.nullable
          ? `map them to NULL with a per-column override, or to a sentinel date, or fix the source (UPDATE ... SET ${c.name} = NULL WHERE ${c.name} = '0000-00-00' or the month/day is 0)`
          : `the column is NOT NULL, so NULL is not an option: map them to a sentinel date (e.g. '0001-01-01') with a per-column override, or fix the source first`,
      };
    case 'empty-enum':
      return {
        ...base,
        severity: 'high',
        code: 'EMPTY_ENUM_VALUES',
        finding: `${rows} hold '' (the error value MySQL stores for invalid ENUM input in non-strict mode), which is not a label of ${mapping.targetType}`,
        mitigation: c.nullable
          ? "map '' to NULL with a per-column override, or fix the source (UPDATE ... SET col = NULL WHERE col = ''), and enable strict mode"
          : "fix the source (UPDATE ... SET col = <a real label> WHERE col = ''), or add '' as an extra label by override; enable strict mode",
      };
    case 'nul-byte':
      return {
        ...base,
        severity: 'high',
        code: 'NUL_BYTES',
        finding: `${rows} contain NUL bytes (0x00), which PostgreSQL text rejects: those rows cannot be copied as they are`,
        mitigation:
          "strip them with a per-column override, or fix the source (UPDATE ... SET col = REPLACE(col, CHAR(0), '')); if the bytes matter, override the column to bytea",
      };
    case 'json-nul':
      return {
        ...base,
        severity: 'high',
        code: 'JSON_NUL',
        finding: `${rows} hold JSON containing \\u0000, which jsonb rejects: those rows cannot be copied as they are`,
        mitigation:
          "remove the escapes on the source (REPLACE(col, '\\\\u0000', '')), or override the column to json, which keeps them",
      };
    case 'trailing-space':
      return {
        ...base,
        severity: 'low',
        code: 'PAD_SPACE_TRAILING',
        finding: `${rows} end in spaces: MySQL's PAD SPACE comparison treats 'a ' as equal to 'a', PostgreSQL does not, so equality and uniqueness involving them differ between the two sides`,
        mitigation:
          "trim them on the source if the spaces are accidental (UPDATE ... SET col = TRIM(TRAILING ' ' FROM col)); otherwise check the queries that compare this column",
      };
    case 'time-out-of-day':
      return {
        ...base,
        severity: 'low',
        code: 'TIME_OUT_OF_DAY',
        finding: `${rows} hold TIME values outside 00:00:00..23:59:59 (durations or negative times): the column is a duration and becomes interval`,
        mitigation: 'nothing for the copy; do not override it to time, which holds a time of day only',
      };
    case 'timestamp-out-of-range':
      return {
        ...base,
        severity: 'medium',
        code: 'TIMESTAMP_OUT_OF_RANGE',
        finding: `${rows} lie outside 1970-01-01..2038-01-19: fine for DATETIME (1000..9999) and DATE, but 'infinity', BC dates and years after 9999 among them cannot be stored in MySQL`,
        mitigation:
          "count them on the source (WHERE col IN ('infinity', '-infinity') OR col < '0001-01-01' OR col >= '10000-01-01') and replace them (e.g. '9999-12-31' for infinity) before the copy; MySQL TIMESTAMP is not an option for this column",
      };
    case 'negative':
      return {
        ...base,
        severity: 'high',
        code: 'NEGATIVE_VALUES',
        finding: `${rows} hold negative numbers, which the unsigned target type rejects`,
        mitigation: 'use a signed type on the target, or fix the values on the source',
      };
  }
}
