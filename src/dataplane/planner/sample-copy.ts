// The planner's measured sample: read real rows from the largest tables of this very source, load
// them into a session-local scratch table on this very target (bulk load, then keyed upsert), and
// time each part. Every estimate in the plan is derived from these timings, never from constants.
// Nothing permanent is written anywhere.
import type { Engine } from '../../engines/engine';
import type { EngineKind } from '../../engines/model';
import type { SampleMeasurement, TablePlan, TableVolume } from '../../spec/plan-report';

/** Built-in PostgreSQL types a scratch table can use as mapped; anything else is loaded as text. */
const PG_BUILTIN =
  /^(smallint|integer|bigint|numeric(\(\d+(,\d+)?\))?|real|double precision|boolean|text|bytea|date|uuid|jsonb?|interval|character( varying)?(\(\d+\))?|bit varying(\(\d+\))?|timestamp(\(\d\))?( with(out)? time zone)?|time(\(\d\))?( with(out)? time zone)?)$/;

function scratchType(to: EngineKind, targetType: string, isKey: boolean, typed: boolean): string {
  if (to === 'postgres') return typed && PG_BUILTIN.test(targetType) ? targetType : 'text';
  if (typed) return targetType;
  return isKey ? 'varbinary(3072)' : 'longblob';
}

/**
 * What kind of error a scratch load hit, without the server's message: those quote the offending
 * values (a date, a duplicate key), and customer data has no place in a plan kept in Temporal.
 */
function loadErrorKind(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  const name = err instanceof Error ? err.name : 'error';
  if (typeof code !== 'string') return `a ${name} was raised`;
  const known: Record<string, string> = {
    '22007': 'an invalid date/time value',
    '22008': 'a date/time value out of range',
    '22021': 'a byte sequence invalid in the target encoding (e.g. NUL)',
    '22P02': 'a value invalid for its type',
    '22003': 'a number out of range',
    '23505': 'a duplicate key',
  };
  return `${known[code] ?? 'a rejected value'} (${code})`;
}

export interface SampleOptions {
  sampleRows: number;
  /** How many of the largest tables to draw from. */
  maxTables?: number;
  onTable?: (table: string) => void;
}

export async function measureSampleCopy(
  source: Engine,
  target: Engine,
  sourceSchema: string,
  tables: TablePlan[],
  volume: TableVolume[],
  options: SampleOptions,
): Promise<SampleMeasurement | null> {
  const size = new Map(volume.map((v) => [v.table, v]));
  const rowsOf = (t: string) => Math.max(size.get(t)?.exactRows ?? size.get(t)?.rowEstimate ?? 0, 0);
  // Never-analysed tables report no row estimate, but their bytes show they hold data.
  const weight = (t: string) => size.get(t)?.dataBytes || rowsOf(t);
  const candidates = tables
    .filter((t) => t.primaryKey && rowsOf(t.table) + (size.get(t.table)?.dataBytes ?? 0) > 0)
    .sort((a, b) => weight(b.table) - weight(a.table))
    .slice(0, options.maxTables ?? 5);
  if (!candidates.length || options.sampleRows === 0) return null;

  const totalWeight = candidates.reduce((n, t) => n + weight(t.table), 0);
  const measured: SampleMeasurement['tables'] = [];
  const notes: string[] = [];
  for (const table of candidates) {
    options.onTable?.(table.table);
    const want = Math.max(1, Math.round((options.sampleRows * weight(table.table)) / totalWeight));
    const columns = table.columns.filter((c) => !c.generated);
    const key = table.primaryKey ?? [];
    const started = Date.now();
    const batch = await source.readSample(
      sourceSchema,
      table.table,
      columns.map((c) => c.column),
      want,
    );
    const readMs = Date.now() - started;
    if (!batch.rows.length) continue;
    let result: { loadMs: number; upsertMs: number } | null = null;
    let typed = true;
    for (const attemptTyped of [true, false]) {
      const ddl = columns.map((c) => ({
        name: c.column,
        type: scratchType(target.kind, c.targetType, key.includes(c.column), attemptTyped),
      }));
      try {
        result = await target.scratchLoad(ddl, key, batch);
        typed = attemptTyped;
        break;
      } catch (err) {
        const why = loadErrorKind(err);
        notes.push(
          attemptTyped
            ? `${table.table}: the sample did not load into the mapped types (${why}); timed again as text`
            : `${table.table}: left out of the sample: ${why}`,
        );
      }
    }
    if (!result) continue;
    measured.push({
      table: table.table,
      rows: batch.rows.length,
      bytes: batch.bytes,
      readMs,
      ...result,
      typed,
    });
  }
  if (!measured.length) return null;

  const sum = (f: (t: (typeof measured)[number]) => number) => measured.reduce((n, t) => n + f(t), 0);
  const rows = sum((t) => t.rows);
  const bytes = sum((t) => t.bytes);
  const readMs = sum((t) => t.readMs);
  const loadMs = sum((t) => t.loadMs);
  const upsertMs = sum((t) => t.upsertMs);
  const perSecond = (n: number, ms: number) => (n * 1000) / Math.max(ms, 1);
  return {
    tables: measured,
    rows,
    bytes,
    readMs,
    loadMs,
    upsertMs,
    copyRowsPerSecond: perSecond(rows, readMs + loadMs),
    copyBytesPerSecond: perSecond(bytes, readMs + loadMs),
    applyRowsPerSecond: perSecond(rows, upsertMs),
    scanRowsPerSecond: perSecond(rows, readMs),
    notes,
  };
}
