// Change capture activities: install the capture on the source before the copy, apply the changelog
// to the target until the lag is under a threshold (catchUp, heartbeating its position and lag: a
// retry goes on from the last applied position), and remove the capture at the end or on rollback.
// install and remove are idempotent: re-running either after a crash completes it.
import { applyBatch, type ApplierTable } from '../dataplane/capture/applier';
import type { CaptureLag, CaptureTable } from '../engines/capture';
import { adapt, cancellation, checkpoint, heartbeat, withEngine } from './adapter';
import { planMove, schemaOf, type EndpointRef, type TableMove } from './tables';

export interface InstallCaptureInput {
  source: EndpointRef;
  /** Tables and their key columns (the primary key, in key order). */
  tables: CaptureTable[];
  /** Per-attempt lock wait of each CREATE TRIGGER (default 1000 ms) and attempts per table (default 20). */
  lockTimeoutMs?: number;
  lockAttempts?: number;
}

export const installCapture = adapt(
  async (input: InstallCaptureInput): Promise<{ schema: string; tables: number }> =>
    withEngine(input.source, async (engine) => {
      const schema = await schemaOf(engine, input.source);
      heartbeat({ stage: 'installing', tables: input.tables.length });
      // A table lock that is not granted is retried in short waits (a busy source never stalls);
      // each retry heartbeats, naming the table and the blocking sessions (ids, ages, users).
      await engine.capture(schema).install(input.tables, {
        lockTimeoutMs: input.lockTimeoutMs,
        lockAttempts: input.lockAttempts,
        onLockRetry: (r) => heartbeat({ stage: 'waiting for a table lock', ...r }),
        signal: cancellation(),
      });
      return { schema, tables: input.tables.length };
    }),
);

export const removeCapture = adapt(async (input: { source: EndpointRef }): Promise<{ schema: string }> =>
  withEngine(input.source, async (engine) => {
    const schema = await schemaOf(engine, input.source);
    await engine.capture(schema).remove({
      onLockRetry: (r) => heartbeat({ stage: 'waiting for a table lock', ...r }),
    });
    return { schema };
  }),
);

export interface CatchUpInput {
  source: EndpointRef;
  target: EndpointRef;
  /** Every captured table (a change of a table not listed fails the catch-up). */
  tables: TableMove[];
  /** Where the last call stopped (its result's position); null: from the beginning. */
  position: string | null;
  /**
   * Keep the changes applied after this position in the changelog (trim's retainAfter), so that
   * changedKeys(retainAfter) lists everything changed since then; null keeps every change. Absent:
   * applied changes are trimmed. Pass the position from which the last validation started.
   */
  retainAfter?: string | null;
  /** Done when at most this many captured changes wait (default 0) ... */
  maxRowsBehind?: number;
  /** ... and the oldest waiting change is at most this old (default 5 seconds) ... */
  maxSecondsBehind?: number;
  /** ... continuously for this many seconds (default 0: the first time both hold). */
  stableSeconds?: number;
  /**
   * Apply at least every change that waits when the call starts, whatever the thresholds: a caller
   * that saw the target in a state those changes repair (a constraint the rows did not meet yet).
   */
  drainBacklog?: boolean;
  /** Changelog rows per batch (default 1000). */
  batchSize?: number;
  /** Give up after this long without reaching the threshold (result caughtUp: false); default: never. */
  maxSeconds?: number;
  /** Longest wait between reads when nothing new was read (default 500; it starts at 25 ms and doubles). */
  pollMs?: number;
}

export interface CatchUpHeartbeat {
  position: string;
  batches: number;
  changes: number;
  lag: CaptureLag;
}

export interface CatchUpActivityResult extends CatchUpHeartbeat {
  caughtUp: boolean;
  upserted: number;
  deleted: number;
}

/**
 * Per source table, the token that changes when the table changes in a way the triggers do not
 * capture (Engine.tableIdentities): compared before and after a validation's time span.
 */
export const sourceTableIdentities = adapt(
  async (input: { source: EndpointRef; tables: string[] }): Promise<Record<string, string | null>> =>
    withEngine(input.source, async (engine) =>
      engine.tableIdentities(await schemaOf(engine, input.source), input.tables),
    ),
);

export const catchUp = adapt(async (input: CatchUpInput): Promise<CatchUpActivityResult> => {
  const resumed = checkpoint<CatchUpHeartbeat>();
  const signal = cancellation();
  return withEngine(input.source, (source) =>
    withEngine(input.target, async (target) => {
      const sourceSchema = await schemaOf(source, input.source);
      const tables: ApplierTable[] = input.tables.map((t) => {
        const m = planMove(source.kind, target.kind, t);
        return {
          table: m.sourceTable,
          targetTable: m.targetTable,
          columns: m.columns,
          targetColumns: m.targetColumns,
          key: m.key,
          translateRow: m.translateRow,
          translateKey: m.translateKey,
        };
      });
      const options = {
        capture: source.capture(sourceSchema),
        source: source.rows(),
        target: target.rows(),
        sourceSchema,
        targetSchema: await schemaOf(target, input.target),
        tables,
        batchSize: input.batchSize,
        retainAfter: input.retainAfter,
      };
      const maxRows = input.maxRowsBehind ?? 0;
      const maxSeconds = input.maxSecondsBehind ?? 5;
      const stableMs = (input.stableSeconds ?? 0) * 1000;
      /** Since when the lag has been within the threshold (null: it is not). */
      let withinSince: number | null = null;
      const deadline = input.maxSeconds === undefined ? Infinity : Date.now() + input.maxSeconds * 1000;
      const state: CatchUpActivityResult = {
        position: resumed?.position ?? input.position ?? '',
        batches: resumed?.batches ?? 0,
        changes: resumed?.changes ?? 0,
        lag: resumed?.lag ?? { rowsBehind: 0, secondsBehind: 0 },
        caughtUp: false,
        upserted: 0,
        deleted: 0,
      };
      let idle = 0;
      let backlog = input.drainBacklog ? (await options.capture.lag(state.position || null)).rowsBehind : 0;
      for (;;) {
        signal.throwIfAborted();
        const r = await applyBatch(options, state.position || null);
        state.position = r.position;
        state.batches++;
        state.changes += r.changes;
        backlog = Math.max(0, backlog - r.changes);
        state.upserted += r.upserted;
        state.deleted += r.deleted;
        state.lag = await options.capture.lag(state.position);
        heartbeat({
          position: state.position,
          batches: state.batches,
          changes: state.changes,
          lag: state.lag,
        } satisfies CatchUpHeartbeat);
        if (backlog === 0 && state.lag.rowsBehind <= maxRows && state.lag.secondsBehind <= maxSeconds) {
          withinSince ??= Date.now();
          if (Date.now() - withinSince >= stableMs) {
            state.caughtUp = true;
            return state;
          }
        } else withinSince = null;
        if (Date.now() >= deadline) return state;
        // Nothing new: look again soon, then less and less often up to pollMs. Right after a
        // drain, a steady writer has new changes within milliseconds (a flat 500 ms wait was the
        // whole of the p99 lag, docs/BENCHMARKS.md); an idle source settles at one read per pollMs.
        idle = r.changes === 0 ? idle + 1 : 0;
        const pollMs = input.pollMs ?? 500;
        if (withinSince !== null) await sleep(pollMs, signal);
        else if (idle) await sleep(Math.min(pollMs, FIRST_IDLE_POLL_MS * 2 ** (idle - 1)), signal);
      }
    }),
  );
});

const FIRST_IDLE_POLL_MS = 25;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
