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
  private readonly done: Promise<void>;

  constructor(
    exec: (w: Write) => Promise<void>,
    next: () => Write,
    limits: { maxWrites: number; maxMs: number; pauseMs?: number },
  ) {
    const until = Date.now() + limits.maxMs;
    this.done = (async () => {
      while (!this.stopped && this.writes + this.failures < limits.maxWrites && Date.now() < until) {
        try {
          await exec(next());
          this.writes++;
        } catch {
          this.failures++; // duplicate keys, FK violations of random writes: fine
        }
        if (limits.pauseMs) await sleep(limits.pauseMs);
      }
    })();
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
  changesApplied: number;
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

/**
 * Straight: runPipeline as it is, the writer started just before it (so it writes before the capture
 * exists) and stopped between the copy and the catch-up.
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
    let writes: { writes: number; failures: number } | null = null;
    try {
      const result = await runPipeline(job, {
        // Paced like the child (chunkDelayMs), so that the writer's changes interleave with the chunks.
        copy: { ...COPY_SETTINGS, onCheckpoint: () => sleep(CHUNK_DELAY_MS) },
        validate: VALIDATE,
        afterCopy: async () => {
          writes = await writer.stop();
          await hooks.beforeCatchUp?.();
        },
      });
      if (result.catchUp.rowsBehind !== 0)
        throw new Error(`catch-up ended ${result.catchUp.rowsBehind} changes behind`);
      return {
        reports: result.reports,
        copiedRows: result.copy.rows,
        writes: writes!,
        changesApplied: result.catchUp.changes,
        ms: Date.now() - started,
      };
    } finally {
      if (!writes) await writer.stop();
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
    writes = await writer.stop();
    await hooks.beforeCatchUp?.();
    const caught = await catchUpChanges(job, prepared, null);
    if (caught.rowsBehind !== 0) throw new Error(`catch-up ended ${caught.rowsBehind} changes behind`);
    await applySchema(job, prepared.plan, 'post-load');
    await applySchema(job, prepared.plan, 'finalize');
    const reports = await validateTables(job, prepared, VALIDATE);
    return {
      reports,
      copiedRows,
      writes,
      changesApplied: caught.changes,
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
}
