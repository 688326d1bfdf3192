// The data plane end to end for a set of tables, engine-neutral and without Temporal: it only composes
// the modules (schema, copy, values, capture, validate). Each step stands alone so that a workflow
// can run it as an activity; everything a step returns is JSON-safe (plans, checkpoints, positions,
// reports), and a step re-run after a crash converges:
//
//   prepareSchema   introspect the source, translate the DDL plan            -> PreparedSchema
//   applySchema     one phase of the plan on the target ('tables', 'post-load', 'finalize': past the
//                   source's counters as they are then)
//   installCapture  changelog + triggers on the source, BEFORE the copy
//   copyTables      every table, slices in parallel; checkpoint in, checkpoint per chunk out
//   catchUpChanges  apply the changelog until the lag is zero (or a batch limit)  -> position
//   validateTables  validateTable per table                                  -> reports
//   validateTableKeys  validateKeys: given source keys of one table (e.g. changed ones) -> report
//   removeCapture   drop the changelog and triggers
//
// Order: with foreign keys on the target (post-load) the applier could upsert a child before its
// parent, so runPipeline catches up to zero lag before 'post-load', then finalizes and validates.
import type { CaptureTable } from '../engines/capture';
import type { Key } from '../engines/key-range';
import type { ColumnModel, EngineKind, SchemaModel, TableModel } from '../engines/model';
import { openEngine } from '../engines/index';
import { applyDdlPhase as applyMysqlPhase } from '../engines/mysql/ddl';
import { createPool as createMysqlPool } from '../engines/mysql/engine';
import { applyDdlPhase as applyPostgresPhase } from '../engines/postgres/ddl';
import { createPool as createPostgresPool } from '../engines/postgres/engine';
import type { DdlPhase, DdlPlan, TranslatedTable } from '../engines/ddl-plan';
import { catchUp, type ApplierTable } from './capture/applier';
import { openTriggerCapture } from './capture/capture-engine';
import { copyTable, type CopyCheckpoint } from './copy/copier';
import type { ChunkTunerOptions } from './copy/chunk-tuner';
import type { SplitOptions } from './copy/range-splitter';
import { openRowsEngine, type RowsEngine } from './copy/rows-engine';
import { withSourceCounters } from './schema/sequences';
import { translateSchema, type TranslateInput } from './schema/translate';
import { canonicalColumns, type CanonicalColumn } from './validate/canonical';
import { keyTranslation } from './validate/keys';
import { validateKeys, type KeysValidationReport } from './validate/keys-validator';
import { rangeReaderFrom } from './validate/readers';
import { keyModeFor, validateTable, type TableValidationReport } from './validate/validator';
import { keyTranslator, rowTranslator, type ColumnConversion, type ZeroDatePolicy } from './values';

/** One side: engine, resolved connection URL (never stored in results), schema (MySQL: database). */
export interface Endpoint {
  kind: EngineKind;
  url: string;
  schema: string;
}

export interface PipelineJob {
  source: Endpoint;
  target: Endpoint;
  /** Source tables to move (each needs a primary key). */
  tables: string[];
  overrides?: TranslateInput['overrides'];
  checks?: TranslateInput['checks'];
  zeroDates?: ZeroDatePolicy;
}

/** The source model of the job's tables and the DDL plan: JSON-safe, input of every later step. */
export interface PreparedSchema {
  source: SchemaModel;
  plan: DdlPlan;
}

/** Copy progress of every table: a table absent has not started; passed back, it resumes. */
export interface PipelineCopyCheckpoint {
  tables: Record<string, CopyCheckpoint>;
}

async function introspectSource(job: PipelineJob): Promise<SchemaModel> {
  const engine = openEngine(job.source.kind, job.source.url);
  try {
    return await engine.introspect({ schema: job.source.schema, countUnanalysed: true });
  } finally {
    await engine.close();
  }
}

export async function prepareSchema(job: PipelineJob): Promise<PreparedSchema> {
  const model = await introspectSource(job);
  const wanted = new Set(job.tables);
  const missing = job.tables.filter((t) => !model.tables.some((m) => m.name === t));
  if (missing.length) throw new Error(`source tables not found: ${missing.join(', ')}`);
  const source: SchemaModel = { ...model, tables: model.tables.filter((t) => wanted.has(t.name)) };
  const plan = translateSchema({
    source,
    targetEngine: job.target.kind,
    targetSchema: job.target.schema,
    tables: job.tables,
    overrides: job.overrides,
    checks: job.checks,
  });
  return { source, plan };
}

/**
 * Applies one phase of the plan on the target. finalize reads the source's counters first: the
 * target's go past them as they are now, not as they were when the plan was made.
 */
export async function applySchema(job: PipelineJob, plan: DdlPlan, phase: DdlPhase): Promise<void> {
  if (phase === 'finalize') plan = withSourceCounters(plan, await introspectSource(job));
  if (job.target.kind === 'postgres') {
    const pool = createPostgresPool(job.target.url);
    try {
      await applyPostgresPhase(pool, plan, phase);
    } finally {
      await pool.end();
    }
  } else {
    const pool = createMysqlPool(job.target.url);
    try {
      const conn = await pool.getConnection();
      try {
        await applyMysqlPhase(conn, plan, phase);
      } finally {
        conn.release();
      }
    } finally {
      await pool.end();
    }
  }
}

/** Everything the copier, the applier and the validator need to know about one table. */
interface TableWork {
  model: TableModel;
  translated: TranslatedTable;
  columns: string[];
  targetColumns: string[];
  key: string[];
  targetTypes: Record<string, string>;
  canonical: CanonicalColumn[];
  translateRow: (row: readonly unknown[]) => unknown[];
  translateKey: (key: Key) => Key;
  deleteBy: 'range' | 'keys';
}

function tableWork(job: PipelineJob, prepared: PreparedSchema, name: string): TableWork {
  const model = prepared.source.tables.find((t) => t.name === name);
  const translated = prepared.plan.tables.find((t) => t.source === name);
  if (!model || !translated) throw new Error(`table ${JSON.stringify(name)} is not in the prepared schema`);
  const key = model.primaryKey;
  if (!key?.length) throw new Error(`table ${JSON.stringify(name)} has no primary key`);
  const copied = translated.columns.filter((c) => !c.generated);
  const column = (n: string): ColumnModel => model.columns.find((c) => c.name === n)!;
  const conversions: ColumnConversion[] = copied.map((c) => ({
    source: column(c.source),
    targetType: c.targetType,
    zeroDates: job.zeroDates,
  }));
  const targetTypes = Object.fromEntries(copied.map((c) => [c.source, c.targetType]));
  const canonical = canonicalColumns(job.source.kind, job.target.kind, model, targetTypes, {
    exclude: model.columns.map((c) => c.name).filter((n) => !(n in targetTypes)),
    zeroDates: job.zeroDates
      ? Object.fromEntries(model.columns.map((c) => [c.name, job.zeroDates!]))
      : undefined,
  });
  return {
    model,
    translated,
    columns: copied.map((c) => c.source),
    targetColumns: copied.map((c) => c.target),
    key,
    targetTypes,
    canonical,
    translateRow: rowTranslator(job.source.kind, job.target.kind, name, conversions, key),
    translateKey: keyTranslator(
      job.source.kind,
      job.target.kind,
      name,
      key.map((k) => conversions.find((c) => c.source.name === k)!),
    ),
    // Text keys may order differently on the target (another engine, or another default collation
    // or collation version on the same engine): a chunk then replaces its rows by key, not by range,
    // or it could delete rows of a neighbouring chunk.
    deleteBy: keyModeFor(canonical, key) === 'key-set' ? 'keys' : 'range',
  };
}

function openCapture(job: PipelineJob) {
  return openTriggerCapture(job.source.kind, job.source.url, job.source.schema);
}

export async function installCapture(job: PipelineJob, prepared: PreparedSchema): Promise<void> {
  const tables: CaptureTable[] = job.tables.map((t) => {
    const w = tableWork(job, prepared, t);
    return { table: t, key: w.key };
  });
  const capture = openCapture(job);
  try {
    await capture.install(tables);
  } finally {
    await capture.close();
  }
}

export async function removeCapture(job: PipelineJob): Promise<void> {
  const capture = openCapture(job);
  try {
    await capture.remove();
  } finally {
    await capture.close();
  }
}

export interface CopyTablesOptions {
  checkpoint?: PipelineCopyCheckpoint | null;
  /** After every committed chunk: the whole job's checkpoint (store it; pass it back to resume). */
  onCheckpoint?: (checkpoint: PipelineCopyCheckpoint) => void | Promise<void>;
  concurrency?: number;
  split?: SplitOptions;
  chunk?: ChunkTunerOptions;
  signal?: AbortSignal;
}

export interface CopyTablesResult {
  /** Rows copied by this call and by the runs its checkpoint records. */
  rows: number;
  /** Chunks committed by this call. */
  chunks: number;
  checkpoint: PipelineCopyCheckpoint;
}

/** Copy every table of the job, one table after another, each table's slices in parallel. */
export async function copyTables(
  job: PipelineJob,
  prepared: PreparedSchema,
  options: CopyTablesOptions = {},
): Promise<CopyTablesResult> {
  const checkpoint: PipelineCopyCheckpoint = structuredClone(options.checkpoint ?? { tables: {} });
  const source = openRowsEngine(job.source.kind, job.source.url);
  const target = openRowsEngine(job.target.kind, job.target.url);
  let chunks = 0;
  try {
    for (const name of job.tables) {
      const previous = checkpoint.tables[name];
      if (previous && previous.slices.every((s) => s.done)) continue;
      const w = tableWork(job, prepared, name);
      const result = await copyTable({
        source,
        target,
        sourceSchema: job.source.schema,
        sourceTable: name,
        targetSchema: job.target.schema,
        targetTable: w.translated.target,
        columns: w.columns,
        targetColumns: w.targetColumns,
        key: w.key,
        translateRow: w.translateRow,
        translateKey: w.translateKey,
        // Identical types on both sides (and no translation) let chunks pass through undecoded.
        columnTypes: {
          source: w.columns.map((c) => w.model.columns.find((m) => m.name === c)!.nativeType),
          target: w.columns.map((c) => w.targetTypes[c]!),
        },
        concurrency: options.concurrency,
        split: options.split,
        chunk: options.chunk,
        deleteBy: w.deleteBy,
        checkpoint: previous ?? null,
        signal: options.signal,
        onProgress: async (p) => {
          checkpoint.tables[name] = p.checkpoint;
          await options.onCheckpoint?.(structuredClone(checkpoint));
        },
      });
      checkpoint.tables[name] = result.checkpoint;
      chunks += result.chunks;
    }
  } finally {
    await Promise.allSettled([source.close(), target.close()]);
  }
  const rows = Object.values(checkpoint.tables).reduce(
    (n, c) => n + c.slices.reduce((m, s) => m + s.rows, 0),
    0,
  );
  return { rows, chunks, checkpoint };
}

function applierTables(job: PipelineJob, prepared: PreparedSchema): ApplierTable[] {
  return job.tables.map((name) => {
    const w = tableWork(job, prepared, name);
    return {
      table: name,
      targetTable: w.translated.target,
      columns: w.columns,
      targetColumns: w.targetColumns,
      key: w.key,
      translateRow: w.translateRow,
      translateKey: w.translateKey,
    };
  });
}

export interface CatchUpChangesResult {
  /** Pass to the next call: everything before it is applied and trimmed. */
  position: string;
  changes: number;
  rowsBehind: number;
}

/**
 * Apply the changelog until it is empty at the end of a pass (lag zero), or `maxPasses` passes.
 * With writers still running the lag may never reach zero; the result then says how far behind.
 */
export async function catchUpChanges(
  job: PipelineJob,
  prepared: PreparedSchema,
  position: string | null,
  options: { maxPasses?: number; batchSize?: number; signal?: AbortSignal } = {},
): Promise<CatchUpChangesResult> {
  const capture = openCapture(job);
  const source = openRowsEngine(job.source.kind, job.source.url);
  const target = openRowsEngine(job.target.kind, job.target.url);
  try {
    const applier = {
      capture,
      source,
      target,
      sourceSchema: job.source.schema,
      targetSchema: job.target.schema,
      tables: applierTables(job, prepared),
      batchSize: options.batchSize,
    };
    let current = position;
    let changes = 0;
    let rowsBehind = 0;
    for (let pass = 0; pass < (options.maxPasses ?? 100); pass++) {
      const r = await catchUp(applier, current, { signal: options.signal });
      current = r.position;
      changes += r.changes;
      rowsBehind = r.lag.rowsBehind;
      if (rowsBehind === 0) break;
    }
    return { position: current ?? '', changes, rowsBehind };
  } finally {
    await Promise.allSettled([capture.close(), source.close(), target.close()]);
  }
}

export interface ValidateTablesOptions {
  chunkRows?: number;
  recheckAttempts?: number;
  recheckDelayMs?: number;
}

export async function validateTables(
  job: PipelineJob,
  prepared: PreparedSchema,
  options: ValidateTablesOptions = {},
): Promise<TableValidationReport[]> {
  const source = openRowsEngine(job.source.kind, job.source.url);
  const target = openRowsEngine(job.target.kind, job.target.url);
  const reports: TableValidationReport[] = [];
  try {
    for (const name of job.tables) {
      const w = tableWork(job, prepared, name);
      const keys = keyTranslation(job.source.kind, job.target.kind, w.model, w.key, w.targetTypes);
      reports.push(
        await validateTable({
          // `worker`: range mode may read and hash each side in a worker thread (validator.ts).
          source: {
            reader: { ...readerOf(source), worker: { kind: job.source.kind, url: job.source.url } },
            table: { schema: job.source.schema, table: name },
          },
          target: {
            reader: { ...readerOf(target), worker: { kind: job.target.kind, url: job.target.url } },
            table: { schema: job.target.schema, table: w.translated.target },
          },
          columns: w.canonical,
          key: w.key,
          toTargetKey: keys.toTargetKey,
          toSourceKey: keys.toSourceKey,
          chunkRows: options.chunkRows,
          recheckAttempts: options.recheckAttempts,
          recheckDelayMs: options.recheckDelayMs,
        }),
      );
    }
  } finally {
    await Promise.allSettled([source.close(), target.close()]);
  }
  return reports;
}

/**
 * validateKeys over source keys of one table (rows changed since a point, or any suspects): both
 * sides read by key, compared canonically, differences re-checked; validateTable's report shape.
 */
export async function validateTableKeys(
  job: PipelineJob,
  prepared: PreparedSchema,
  table: string,
  keys: Iterable<Key> | AsyncIterable<Key>,
  options: ValidateTablesOptions & {
    sampleLimit?: number;
    beforeRecheck?: (attempt: number) => Promise<void>;
  } = {},
): Promise<KeysValidationReport> {
  const source = openRowsEngine(job.source.kind, job.source.url);
  const target = openRowsEngine(job.target.kind, job.target.url);
  try {
    const w = tableWork(job, prepared, table);
    return await validateKeys({
      source: { reader: readerOf(source), table: { schema: job.source.schema, table } },
      target: {
        reader: readerOf(target),
        table: { schema: job.target.schema, table: w.translated.target },
      },
      columns: w.canonical,
      key: w.key,
      keys,
      toTargetKey: keyTranslation(job.source.kind, job.target.kind, w.model, w.key, w.targetTypes)
        .toTargetKey,
      batchRows: options.chunkRows,
      sampleLimit: options.sampleLimit,
      recheckAttempts: options.recheckAttempts,
      recheckDelayMs: options.recheckDelayMs,
      beforeRecheck: options.beforeRecheck,
    });
  } finally {
    await Promise.allSettled([source.close(), target.close()]);
  }
}

/** A reader over a shared RowsEngine: closing is left to the owner. */
function readerOf(rows: RowsEngine) {
  const { readRange, readByKeys, raw } = rangeReaderFrom(rows);
  return { readRange, readByKeys, raw };
}

export interface RunPipelineOptions {
  copy?: CopyTablesOptions;
  validate?: ValidateTablesOptions;
  /** Called between the copy and the final catch-up (e.g. to stop test writers). */
  afterCopy?: () => Promise<void>;
}

export interface PipelineResult {
  prepared: PreparedSchema;
  copy: CopyTablesResult;
  catchUp: CatchUpChangesResult;
  reports: TableValidationReport[];
}

/** Every step in order, in one process (tests, small jobs). The capture stays installed. */
export async function runPipeline(
  job: PipelineJob,
  options: RunPipelineOptions = {},
): Promise<PipelineResult> {
  const prepared = await prepareSchema(job);
  await applySchema(job, prepared.plan, 'tables');
  await installCapture(job, prepared);
  const copy = await copyTables(job, prepared, options.copy);
  await options.afterCopy?.();
  const caught = await catchUpChanges(job, prepared, null);
  await applySchema(job, prepared.plan, 'post-load');
  await applySchema(job, prepared.plan, 'finalize');
  const reports = await validateTables(job, prepared, options.validate);
  return { prepared, copy, catchUp: caught, reports };
}
