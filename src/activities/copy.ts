// copyTable: the copier (src/dataplane/copy) as a Temporal activity. After every committed chunk it
// heartbeats the copy checkpoint (slice ranges and last committed keys: small, keys only, no row
// values); a retry after a crash starts from the last heartbeat and copies only the rest.
// Cancellation stops it between chunks: a chunk is one target transaction, so none is half written.
import type { ChunkTunerOptions } from '../dataplane/copy/chunk-tuner';
import { copyTable as copyRows, type CopyCheckpoint } from '../dataplane/copy/copier';
import type { SplitOptions } from '../dataplane/copy/range-splitter';
import { Throttle } from '../dataplane/copy/throttle';
import { adapt, cancellation, checkpoint, heartbeat, withEngine } from './adapter';
import { planMove, schemaOf, type EndpointRef, type TableMove } from './tables';

export interface CopyTableInput extends TableMove {
  source: EndpointRef;
  target: EndpointRef;
  /** Slices copied at once (default 2). */
  concurrency?: number;
  split?: SplitOptions;
  chunk?: ChunkTunerOptions;
  /** Row rate limit for this table's copy; unlimited when absent. */
  maxRowsPerSecond?: number;
}

/** The heartbeat details, and what a retry resumes from. */
export interface CopyHeartbeat {
  table: string;
  /** Rows and bytes committed on the target so far (all attempts). */
  rows: number;
  bytes: number;
  checkpoint: CopyCheckpoint;
}

export interface CopyTableResult {
  table: string;
  targetTable: string;
  /** Rows and bytes committed in total, and in this attempt alone. */
  rows: number;
  bytes: number;
  rowsThisAttempt: number;
  chunks: number;
  /** This attempt went on from an earlier attempt's checkpoint. */
  resumed: boolean;
}

export const copyTable = adapt(async (input: CopyTableInput): Promise<CopyTableResult> => {
  const previous = checkpoint<CopyHeartbeat>();
  const resume = previous?.table === input.table.name ? previous.checkpoint : null;
  return withEngine(input.source, (source) =>
    withEngine(input.target, async (target) => {
      const move = planMove(source.kind, target.kind, input);
      let rowsThisAttempt = 0;
      const result = await copyRows({
        source: source.rows(),
        target: target.rows(),
        sourceSchema: await schemaOf(source, input.source),
        sourceTable: move.sourceTable,
        targetSchema: await schemaOf(target, input.target),
        targetTable: move.targetTable,
        columns: move.columns,
        targetColumns: move.targetColumns,
        key: move.key,
        translateRow: move.translateRow,
        translateKey: move.translateKey,
        deleteBy: move.keyMode === 'key-set' ? 'keys' : 'range',
        concurrency: input.concurrency,
        split: input.split,
        chunk: input.chunk,
        throttle:
          input.maxRowsPerSecond === undefined
            ? undefined
            : new Throttle({ maxRowsPerSecond: input.maxRowsPerSecond }),
        checkpoint: resume,
        signal: cancellation(),
        onProgress: (p) => {
          rowsThisAttempt += p.chunkRows;
          heartbeat({
            table: move.sourceTable,
            rows: p.rows,
            bytes: p.bytes,
            checkpoint: p.checkpoint,
          } satisfies CopyHeartbeat);
        },
      });
      return {
        table: move.sourceTable,
        targetTable: move.targetTable,
        rows: result.rows,
        bytes: result.bytes,
        rowsThisAttempt,
        chunks: result.chunks,
        resumed: resume !== null,
      };
    }),
  );
});
