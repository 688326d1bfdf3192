// The copy step in a child process, standing in for a Temporal activity whose heartbeat details hold
// the checkpoint: after every committed chunk the whole job's checkpoint is written to a file
// (temp file + rename, so a SIGKILL leaves the old or the new checkpoint, never half of one), and a
// restart resumes from it.
//
//   node --import tsx scripts/dataplane-copy.ts '<job json>' | @<file holding the job json>
//
// job: { source: { kind, schema, urlEnv }, target: { kind, schema, urlEnv }, tables, prepared,
//        checkpointFile, concurrency?, split?, chunk?, chunkDelayMs? }
// Connection URLs come from the environment variables named by urlEnv, never from the job. Prints one
// JSON line with the totals and exits 0 when the copy is complete.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EngineKind } from '../src/engines/model';
import {
  copyTables,
  type PipelineCopyCheckpoint,
  type PipelineJob,
  type PreparedSchema,
} from '../src/dataplane/pipeline';
import type { ChunkTunerOptions } from '../src/dataplane/copy/chunk-tuner';
import type { SplitOptions } from '../src/dataplane/copy/range-splitter';

interface Side {
  kind: EngineKind;
  schema: string;
  urlEnv: string;
}

export interface CopyJob {
  source: Side;
  target: Side;
  tables: string[];
  prepared: PreparedSchema;
  checkpointFile: string;
  concurrency?: number;
  split?: SplitOptions;
  chunk?: ChunkTunerOptions;
  /** Pause after each checkpoint (tests: leaves time to kill the process mid-copy). */
  chunkDelayMs?: number;
}

function url(side: Side): string {
  const value = process.env[side.urlEnv];
  if (!value) throw new Error(`environment variable ${side.urlEnv} is not set`);
  return value;
}

function readCheckpoint(file: string): PipelineCopyCheckpoint | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as PipelineCopyCheckpoint;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

function writeCheckpoint(file: string, checkpoint: PipelineCopyCheckpoint): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(checkpoint));
  renameSync(temp, file);
}

async function main(): Promise<void> {
  const arg = process.argv[2];
  if (!arg) throw new Error('usage: dataplane-copy.ts <job json> | @<job file>');
  const job = JSON.parse(arg.startsWith('@') ? readFileSync(arg.slice(1), 'utf8') : arg) as CopyJob;
  const pipelineJob: PipelineJob = {
    source: { kind: job.source.kind, schema: job.source.schema, url: url(job.source) },
    target: { kind: job.target.kind, schema: job.target.schema, url: url(job.target) },
    tables: job.tables,
  };
  const checkpoint = readCheckpoint(job.checkpointFile);
  const result = await copyTables(pipelineJob, job.prepared, {
    checkpoint,
    concurrency: job.concurrency,
    split: job.split,
    chunk: job.chunk,
    onCheckpoint: async (c) => {
      writeCheckpoint(job.checkpointFile, c);
      if (job.chunkDelayMs) await sleep(job.chunkDelayMs);
    },
  });
  writeCheckpoint(job.checkpointFile, result.checkpoint);
  process.stdout.write(
    `${JSON.stringify({ rows: result.rows, chunks: result.chunks, resumed: checkpoint !== null })}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
