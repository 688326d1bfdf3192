// copyTable: the copier (src/dataplane/copy) as a Temporal activity. After every committed chunk it
// heartbeats the copy checkpoint (slice ranges and last committed keys: small, keys only, no row
// values); a retry after a crash starts from the last heartbeat and copies only the rest.
// Cancellation stops it between chunks: a chunk is one target transaction, so none is half written.
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { runHook } from '../dataplane/cutover/hooks';
import type { ChunkTunerOptions } from '../dataplane/copy/chunk-tuner';
import { copyTable as copyRows, type CopyCheckpoint } from '../dataplane/copy/copier';
import type { SplitOptions } from '../dataplane/copy/range-splitter';
import { Throttle } from '../dataplane/copy/throttle';
import { copyProgressSignal } from '../workflows/messages';
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
  /** Wait while more queries than this run on the source server (Engine.runningQueries). */
  maxLoad?: number;
  /** Stop (non-retryable CriticalLoadError) when that many or more run. */
  criticalLoad?: number;
  /** Follow the calling workflow's pause/resume (its `status` query, every few seconds). */
  control?: boolean;
  /** The planned copy rate: an alert is raised while the copy runs below half of it. */
  expectedRowsPerSecond?: number;
  /** Also send that alert to this operator hook (CUTOVER_HOOK_<NAME>), naming the migration. */
  alert?: { hook: string; migration: string };
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
      const watchLoad = input.maxLoad !== undefined || input.criticalLoad !== undefined;
      const throttle = new Throttle({
        ...(input.maxRowsPerSecond === undefined ? {} : { maxRowsPerSecond: input.maxRowsPerSecond }),
        ...(watchLoad
          ? {
              loadMetric: () => source.runningQueries(),
              maxLoad: input.maxLoad,
              criticalLoad: input.criticalLoad,
            }
          : {}),
      });
      let rowsNow = 0;
      const stopControl = input.control
        ? followWorkflow(throttle, move.sourceTable, () => ({ total: rowsNow, thisAttempt: rowsThisAttempt }))
        : () => undefined;
      const rate = new RateWatch(move.sourceTable, input.expectedRowsPerSecond, throttle, input.alert);
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
        // Identical types on both sides (and no translation) let chunks pass through undecoded.
        columnTypes: {
          source: move.columns.map((c) => input.table.columns.find((m) => m.name === c)!.nativeType),
          target: move.columns.map((c) => move.targetTypes[c]!),
        },
        deleteBy: move.keyMode === 'key-set' ? 'keys' : 'range',
        concurrency: input.concurrency,
        split: input.split,
        chunk: input.chunk,
        throttle,
        checkpoint: resume,
        signal: cancellation(),
        onProgress: (p) => {
          rowsThisAttempt += p.chunkRows;
          rowsNow = p.rows;
          rate.add(p.chunkRows);
          heartbeat({
            table: move.sourceTable,
            rows: p.rows,
            bytes: p.bytes,
            checkpoint: p.checkpoint,
          } satisfies CopyHeartbeat);
        },
      }).finally(() => {
        stopControl();
        rate.stop();
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

/**
 * Pause, resume and throttle with the workflow that runs this activity (its status's `paused` and
 * `maxRowsPerSecond`): each takes effect between chunks, within a few seconds. And the other way:
 * the table's progress and rate, signalled to the workflow after 5 s, then ever less often (every
 * 15 s, or a 40th of the time copied so far if longer): a long copy adds a few hundred events, not
 * one per chunk.
 */
function followWorkflow(
  throttle: Throttle,
  table: string,
  rows: () => { total: number; thisAttempt: number },
): () => void {
  const ctx = Context.current();
  let client: Client;
  try {
    client = ctx.client;
  } catch {
    return () => undefined; // no client (a test environment): nothing to follow
  }
  const workflowId = ctx.info.workflowExecution?.workflowId;
  if (!workflowId) return () => undefined;
  const handle = client.workflow.getHandle(workflowId);
  const started = Date.now();
  let nextReport = started + FIRST_REPORT_MS;
  const report = () => {
    const now = Date.now();
    if (now < nextReport) return;
    nextReport = now + Math.max(REPORT_MS, (now - started) / 40);
    const { total, thisAttempt } = rows();
    // This attempt's average: chunks commit in bursts, a short window's rate would jump about.
    const rowsPerSecond = (thisAttempt * 1000) / Math.max(1, now - started);
    handle.signal(copyProgressSignal, { table, rowsCopied: total, rowsPerSecond }).catch(() => undefined); // progress is best effort: the copy never waits for it
  };
  let busy = false;
  const timer = setInterval(() => {
    report();
    if (busy) return;
    busy = true;
    handle
      .query<{ paused?: boolean; maxRowsPerSecond?: number | null }>('status')
      .then((s) => {
        if (s?.paused) throttle.pause();
        else throttle.resume();
        if (s?.maxRowsPerSecond !== undefined) throttle.setMaxRowsPerSecond(s.maxRowsPerSecond);
      })
      .catch(() => undefined) // the query fails while the workflow's worker restarts: ask again later
      .finally(() => (busy = false));
  }, CONTROL_POLL_MS);
  return () => clearInterval(timer);
}

const CONTROL_POLL_MS = 3_000;
const FIRST_REPORT_MS = 5_000;
const REPORT_MS = 15_000;
const RATE_WINDOW_MS = 60_000;

/**
 * The throughput alert: a warning (log line) when, over a full minute without pause or
 * throttling, the copy ran below half of the planned rate. Raised at most once per 10 minutes.
 */
class RateWatch {
  private rows = 0;
  private windowStart = Date.now();
  private throttledAtStart: number;
  private lastAlert = -Infinity;
  private readonly timer: NodeJS.Timeout | null;
  private readonly log = Context.current().log;

  constructor(
    private readonly table: string,
    private readonly expected: number | undefined,
    private readonly throttle: Throttle,
    private readonly hook?: { hook: string; migration: string },
  ) {
    this.throttledAtStart = throttle.state.throttledMs;
    this.timer = expected ? setInterval(() => this.check(), RATE_WINDOW_MS / 4) : null;
  }

  add(rows: number): void {
    this.rows += rows;
  }

  private check(): void {
    const now = Date.now();
    const elapsed = now - this.windowStart;
    if (elapsed < RATE_WINDOW_MS) return;
    const state = this.throttle.state;
    const undisturbed = !state.paused && state.throttledMs === this.throttledAtStart;
    const rate = (this.rows * 1000) / elapsed;
    if (
      undisturbed &&
      this.expected &&
      rate < this.expected / 2 &&
      now - this.lastAlert > 10 * RATE_WINDOW_MS
    ) {
      this.lastAlert = now;
      const message = `copy of ${this.table} runs at ${Math.round(rate)} rows/s, below half of the planned ${Math.round(this.expected)} rows/s`;
      this.log.warn(`cutover alert: ${message}`);
      if (this.hook)
        runHook({
          hook: this.hook.hook,
          event: 'alert',
          migration: this.hook.migration,
          details: { alert: 'low-throughput', table: this.table, message },
        }).catch((err: unknown) =>
          this.log.warn(
            `cutover alert hook ${this.hook!.hook} failed: ${err instanceof Error ? err.message : String(err)}`,
          ),
        );
    }
    this.rows = 0;
    this.windowStart = now;
    this.throttledAtStart = state.throttledMs;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
