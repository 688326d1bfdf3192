import assert from 'node:assert/strict';
// The exactness harness (DESIGN.md "Exact" and "Durable"): one migration of a fixture through the data
// plane pipeline while a writer changes the source, either with the copy in this process or with the
// copy in a child process (scripts/dataplane-copy.ts) that is SIGKILLed mid-copy and restarted from
// its checkpoint file. The engine-pair tests bring the fixture, the writes and the independent
// comparison; this file only drives the steps in the order a workflow would.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  applySchema,
  catchUpChanges,
  installCapture,
  prepareSchema,
  runPipeline,
  validateTables,
  type PipelineCopyCheckpoint,
  type PipelineJob,
  type PreparedSchema,
} from '../../src/dataplane/pipeline';
import type { TableValidationReport } from '../../src/dataplane/validate/validator';

const ROOT = join(__dirname, '..', '..');

/** Small chunks and several slices per table, so a few thousand rows make many checkpoints. */
export const COPY_SETTINGS = {
  concurrency: 2,
  split: { rowsPerSlice: 800, maxSlices: 4 },
  chunk: { initial: 150, min: 100, max: 300 },
};

const CHUNK_DELAY_MS = 40;

/** One write statement; `?` placeholders (the PostgreSQL writer numbers them). */
export interface Write {
  sql: string;
  params: unknown[];
}

/** Runs writes one after another until stopped, or `maxWrites`, or `maxMs`; failures are counted. */
export class Writer {
  writes = 0;
  failures = 0;
  private stopped = false;
  private pauseRequested = false;
  private running = true;
  private idle: (() => void) | null = null;
  private readonly done: Promise<void>;

  constructor(
    exec: (w: Write) => Promise<void>,
    next: () => Write,
    limits: { maxWrites: number; maxMs: number; pauseMs?: number },
  ) {
    const until = Date.now() + limits.maxMs;
    this.done = (async () => {
      while (!this.stopped && this.writes + this.failures < limits.maxWrites && Date.now() < until) {
        if (this.pauseRequested) {
          this.idle?.();
          while (this.pauseRequested && !this.stopped) await sleep(5);
          continue;
        }
        try {
          await exec(next());
          this.writes++;
        } catch {
          this.failures++; // duplicate keys, FK violations of random writes: fine
        }
        if (limits.pauseMs) await sleep(limits.pauseMs);
      }
      this.running = false;
      this.idle?.();
    })();
  }

  /** Resolves once the write in flight is done; nothing is written until resume(). */
  pause(): Promise<void> {
    this.pauseRequested = true;
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => (this.idle = resolve));
  }

  resume(): void {
    this.pauseRequested = false;
    this.idle = null;
  }

  async stop(): Promise<{ writes: number; failures: number }> {
    this.stopped = true;
    await this.done;
    return { writes: this.writes, failures: this.failures };
  }
}

/** A small deterministic PRNG, so that a failure can be replayed. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export interface ScenarioResult {
  reports: TableValidationReport[];
  copiedRows: number;
  writes: { writes: number; failures: number };
  /** Changes applied by every catch-up: the passes beside the writer and the drain after it. */
  changesApplied: number;
  /** The catch-up passes beside the writer: changes applied by the later ones, writes made meanwhile. */
  live: LiveCatchUp;
  /** Killed mode: chunks committed when the copier was killed, and all chunks at the end. */
  killedAt?: { committedSlices: number; totalSlices: number; rows: number };
  ms: number;
}

/** Which side's URL the child reads from its environment. */
const SOURCE_ENV = 'CUTOVER_EXACTNESS_SOURCE_URL';
const TARGET_ENV = 'CUTOVER_EXACTNESS_TARGET_URL';

function progressOf(checkpoint: PipelineCopyCheckpoint | null, tables: string[]) {
  let rows = 0;
  let done = 0;
  let total = 0;
  let started = 0;
  for (const t of tables) {
    const c = checkpoint?.tables[t];
    if (!c) continue;
    started++;
    for (const s of c.slices) {
      rows += s.rows;
      total++;
      if (s.done) done++;
    }
  }
  return {
    rows,
    committedSlices: done,
    totalSlices: total,
    complete: started === tables.length && done === total,
  };
}

function readCheckpoint(file: string): PipelineCopyCheckpoint | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as PipelineCopyCheckpoint;
  } catch {
    return null; // not written yet (the rename makes a half-written file impossible)
  }
}

function runChild(jobFile: string, job: PipelineJob) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'scripts', 'dataplane-copy.ts'), `@${jobFile}`],
    {
      cwd: ROOT,
      env: { ...process.env, [SOURCE_ENV]: job.source.url, [TARGET_ENV]: job.target.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited, output: () => output };
}

const VALIDATE = { chunkRows: 500, recheckAttempts: 0 }; // nothing writes any more: no re-check

export interface LiveCatchUp {
  passes: number;
  /** Changes applied by all the passes. */
  applied: number;
  /** Changes applied by passes that began after another one ended: written while the applier ran. */
  changes: number;
  /** Writes the writer made while the passes ran. */
  writes: number;
  /** Where the passes stopped (the drain goes on from here). */
  position: string | null;
}

/**
 * After the copy: the writer paused for `beforeCatchUp` (a comparison sees a still target), then
 * catch-up passes while it writes again, until a pass that began after another one ended applied
 * changes (written while the applier ran); then the writer stops. The drain after it is the caller's.
 */
async function catchUpBesideWriter(
  job: PipelineJob,
  writer: Writer,
  beforeCatchUp: (() => Promise<void>) | undefined,
  prepared?: PreparedSchema,
): Promise<{ live: LiveCatchUp; writes: { writes: number; failures: number } }> {
  await writer.pause();
  await beforeCatchUp?.();
  writer.resume();
  // runPipeline keeps its own: the same source gives the same plan.
  prepared ??= await prepareSchema(job);
  const writesBefore = writer.writes;
  const live: LiveCatchUp = { passes: 0, applied: 0, changes: 0, writes: 0, position: null };
  while (live.passes < 30 && !(live.changes > 0 && writer.writes > writesBefore)) {
    const r = await catchUpChanges(job, prepared, live.position, { maxPasses: 1 });
    live.position = r.position || null;
    live.applied += r.changes;
    // The first pass applies what was written during the copy; the later ones, what was written beside it.
    if (++live.passes > 1) live.changes += r.changes;
  }
  live.writes = writer.writes - writesBefore;
  return { live, writes: await writer.stop() };
}

/**
 * Straight: runPipeline as it is, the writer started just before it (so it writes before the capture
 * exists); after the copy, catch-up passes while it still writes (catchUpBesideWriter), then it stops
 * and runPipeline's catch-up drains the rest.
 * Killed: the same steps one by one, the copy step in a child process that is SIGKILLed mid-copy
 * (one table done, one partial, two not begun) and started again on its checkpoint file.
 */
export async function runScenario(
  job: PipelineJob,
  startWriter: () => Promise<Writer>,
  mode: 'straight' | 'killed',
  hooks: { beforeCatchUp?: () => Promise<void> } = {},
): Promise<ScenarioResult> {
  const started = Date.now();
  if (mode === 'straight') {
    const writer = await startWriter();
    let after: Awaited<ReturnType<typeof catchUpBesideWriter>> | null = null;
    try {
      const result = await runPipeline(job, {
        // Paced like the child (chunkDelayMs), so that the writer's changes interleave with the chunks.
        copy: { ...COPY_SETTINGS, onCheckpoint: () => sleep(CHUNK_DELAY_MS) },
        validate: VALIDATE,
        afterCopy: async () => {
          after = await catchUpBesideWriter(job, writer, hooks.beforeCatchUp);
        },
      });
      if (result.catchUp.rowsBehind !== 0)
        throw new Error(`catch-up ended ${result.catchUp.rowsBehind} changes behind`);
      const { live, writes } = after!;
      return {
        reports: result.reports,
        copiedRows: result.copy.rows,
        writes,
        changesApplied: live.applied + result.catchUp.changes,
        live,
        ms: Date.now() - started,
      };
    } finally {
      if (!after) await writer.stop();
    }
  }

  const prepared = await prepareSchema(job);
  await applySchema(job, prepared.plan, 'tables');
  const writer = await startWriter();
  let writes: { writes: number; failures: number } | null = null;
  try {
    await sleep(200); // writes before the capture exists: the copy must pick them up
    await installCapture(job, prepared);
    let copiedRows = 0;
    let killedAt: ScenarioResult['killedAt'];
    const dir = mkdtempSync(join(tmpdir(), 'cutover-exactness-'));
    try {
      const checkpointFile = join(dir, 'checkpoint.json');
      const jobFile = join(dir, 'job.json');
      writeFileSync(
        jobFile,
        JSON.stringify({
          source: { kind: job.source.kind, schema: job.source.schema, urlEnv: SOURCE_ENV },
          target: { kind: job.target.kind, schema: job.target.schema, urlEnv: TARGET_ENV },
          tables: job.tables,
          prepared,
          checkpointFile,
          chunkDelayMs: CHUNK_DELAY_MS,
          ...COPY_SETTINGS,
        }),
      );
      // First run: killed once some chunks are committed, long before the copy could finish.
      const first = runChild(jobFile, job);
      for (;;) {
        const p = progressOf(readCheckpoint(checkpointFile), job.tables);
        if (p.rows >= 4000 && !p.complete) break; // mid second table: one done, one partial, two not begun
        const exited = await Promise.race([first.exited, sleep(10).then(() => null)]);
        if (exited) throw new Error(`the copier exited before it could be killed: ${first.output()}`);
      }
      // Somewhere in the next chunk: in its transaction, its checkpoint write or the pause after it.
      await sleep(Math.floor(Math.random() * CHUNK_DELAY_MS));
      first.child.kill('SIGKILL');
      const end = await first.exited;
      if (end.signal !== 'SIGKILL') throw new Error(`the copier was not killed: ${first.output()}`);
      const atKill = progressOf(readCheckpoint(checkpointFile), job.tables);
      if (atKill.complete) throw new Error('the copy completed before the kill took effect');
      killedAt = {
        committedSlices: atKill.committedSlices,
        totalSlices: atKill.totalSlices,
        rows: atKill.rows,
      };
      // Second run: resumes from the checkpoint file and completes.
      const second = runChild(jobFile, job);
      const result = await second.exited;
      if (result.code !== 0) throw new Error(`the resumed copier failed: ${second.output()}`);
      const summary = JSON.parse(second.output().trim().split('\n').pop()!) as { resumed: boolean };
      if (!summary.resumed) throw new Error('the second copier did not resume from the checkpoint');
      const final = progressOf(readCheckpoint(checkpointFile), job.tables);
      if (!final.complete) throw new Error('the checkpoint file does not show a complete copy');
      copiedRows = final.rows;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const after = await catchUpBesideWriter(job, writer, hooks.beforeCatchUp, prepared);
    writes = after.writes;
    const caught = await catchUpChanges(job, prepared, after.live.position);
    if (caught.rowsBehind !== 0) throw new Error(`catch-up ended ${caught.rowsBehind} changes behind`);
    await applySchema(job, prepared.plan, 'post-load');
    await applySchema(job, prepared.plan, 'finalize');
    const reports = await validateTables(job, prepared, VALIDATE);
    return {
      reports,
      copiedRows,
      writes,
      changesApplied: after.live.applied + caught.changes,
      live: after.live,
      killedAt,
      ms: Date.now() - started,
    };
  } finally {
    if (!writes) await writer.stop();
  }
}

/** Every table validated as a full match, after real concurrent writes that the catch-up applied. */
export function assertAllMatch(result: ScenarioResult): void {
  for (const r of result.reports) {
    assert.equal(r.status, 'match', `${r.source.table}: ${JSON.stringify(r)}`);
    assert.equal(r.matching, r.sourceRows, r.source.table);
    assert.equal(r.targetRows, r.sourceRows, r.source.table);
    assert.ok(r.sourceRows > 0, r.source.table);
  }
  assert.ok(result.writes.writes > 150, `the writer wrote only ${result.writes.writes} times`);
  assert.ok(result.changesApplied > 0, 'the catch-up applied no changes');
  // The applier ran while the writer wrote, not only after it stopped.
  assert.ok(result.live.writes > 0, `no write during the catch-up passes: ${JSON.stringify(result.live)}`);
  assert.ok(result.live.changes > 0, `no change applied beside the writer: ${JSON.stringify(result.live)}`);
}

/**
 * What a comparison of the target with the source threw before the catch-up: a row difference (the
 * comparison's own assertion), not a crash, and not nothing (the writes during the copy mattered).
 */
export function assertStaleTarget(err: unknown): void {
  assert.ok(err, 'the target equalled the source before the catch-up: the writes proved nothing');
  assert.ok(err instanceof assert.AssertionError, `the comparison failed otherwise: ${String(err)}`);
  assert.match(err.message, /^\w+: row( count| \d+)(\n|$)/, 'a row difference');
}
