// The cutover's activities: fence writes on one endpoint (the source before the cutover, the target
// during a rollback), lift the fence, switch the routing rows on both endpoints, run an operator
// hook. Inputs name connections (the worker resolves them); results hold no secret. Every one is
// idempotent: a retry after a crash completes the step without doing it twice (docs/CUTOVER.md).
import { ApplicationFailure } from '@temporalio/common';
import { resolveConnection } from '../connections';
import {
  type CutoverControl,
  type FenceMode,
  type FencePrevious,
  type FenceStatus,
  type RoutingRow,
  type RoutingSide,
  type RoutingWriteOutcome,
} from '../engines/cutover-control';
import { openCutoverControl } from '../dataplane/cutover/control';
import * as fence from '../dataplane/cutover/fence';
import { HookNotConfigured, runHook as runHookNow, type HookResult } from '../dataplane/cutover/hooks';
import { switchRouting as switchRoutingNow } from '../dataplane/cutover/routing';
import { adapt, cancellation, heartbeat } from './adapter';
import type { EndpointRef } from './tables';

export type { FenceMode, FencePrevious, FenceStatus, HookResult, RoutingRow, RoutingSide };

/** Open the endpoint's cutover control and schema, run `use`, always close it. */
async function withControl<R>(
  endpoint: EndpointRef,
  use: (control: CutoverControl, schema: string) => Promise<R>,
): Promise<R> {
  const control = openCutoverControl(
    endpoint.engine,
    resolveConnection(endpoint.connection, endpoint.engine),
  );
  try {
    return await use(control, endpoint.schema ?? (await control.defaultSchema()));
  } finally {
    await control.close().catch(() => undefined);
  }
}

export interface FenceWritesInput {
  endpoint: EndpointRef;
  /** Tables of the endpoint's schema (names as they are on that side). */
  tables: string[];
  migration: string;
  mode: FenceMode;
  /** How long one attempt waits for the table locks (default 2000 ms; MySQL rounds up to seconds). */
  lockTimeoutMs?: number;
  /** Attempts before failing with FenceBlocked (default 5). */
  attempts?: number;
}

export interface FenceWritesResult {
  schema: string;
  mode: FenceMode;
  tables: string[];
  /** When the fence was first installed (database clock, UTC ISO 8601): a retry reports the same time. */
  fencedAt: string;
  /** 'read-only': the server setting before the fence (also stored on the database; liftFence restores it). */
  previous: FencePrevious | null;
}

/**
 * Reject every write to the tables. Returns only when no transaction from before the fence can still
 * commit a write to them. Failure types: FenceBlocked (retryable: long transactions held the locks;
 * the message names their sessions, nothing was installed), EngineInputError (a table does not
 * exist, another mode's fence is in place: not retryable).
 */
export const fenceWrites = adapt(async (input: FenceWritesInput): Promise<FenceWritesResult> =>
  withControl(input.endpoint, async (control, schema) => {
    heartbeat({ stage: 'fencing', tables: input.tables.length, attempt: 1 });
    const r = await fence.fenceWrites(control, schema, {
      migration: input.migration,
      mode: input.mode,
      tables: input.tables,
      lockTimeoutMs: input.lockTimeoutMs,
      attempts: input.attempts,
      onRetry: (attempt) => heartbeat({ stage: 'waiting for table locks', attempt: attempt + 1 }),
      signal: cancellation(),
    });
    return { schema, mode: input.mode, tables: r.tables, fencedAt: r.fencedAt, previous: r.previous };
  }),
);

export interface LiftFenceInput {
  endpoint: EndpointRef;
  migration: string;
  /** Informational: whatever fence this migration has on the schema is lifted. */
  mode?: FenceMode;
  /**
   * Informational: the setting a read-only fence restores is the one recorded on the database when
   * it was installed (the first install: a retried fence does not record its own "on").
   */
  previous?: FencePrevious | null;
  lockTimeoutMs?: number;
  attempts?: number;
}

export interface LiftFenceResult {
  schema: string;
  /** The mode that was lifted, null when there was nothing to lift (already lifted). */
  mode: FenceMode | null;
  tables: string[];
}

/** Remove exactly this migration's fence (restoring a read-only setting); succeeds when already gone. */
export const liftFence = adapt(async (input: LiftFenceInput): Promise<LiftFenceResult> =>
  withControl(input.endpoint, async (control, schema) => {
    const r = await fence.liftFence(control, schema, input.migration, {
      lockTimeoutMs: input.lockTimeoutMs,
      attempts: input.attempts,
    });
    return { schema, mode: r.mode, tables: r.lifted };
  }),
);

/** Which tables this migration's fence covers on the endpoint right now. */
export const fenceState = adapt(
  async (input: { endpoint: EndpointRef; migration: string }): Promise<FenceStatus & { schema: string }> =>
    withControl(input.endpoint, async (control, schema) => ({
      schema,
      ...(await fence.fenceState(control, schema, input.migration)),
    })),
);

export interface SwitchRoutingInput {
  migration: string;
  active: RoutingSide;
  source: EndpointRef;
  target: EndpointRef;
  /** The workflow's switch count + 1: a retry with the same epoch writes nothing twice. */
  epoch: number;
}

export interface SwitchRoutingResult extends RoutingRow {
  outcome: { source: RoutingWriteOutcome; target: RoutingWriteOutcome };
}

/**
 * Write the same routing row on both endpoints' `_cutover_routing` (the side becoming active first).
 * RoutingConflict (not retryable): a newer epoch is recorded, or this epoch with the other side.
 */
export const switchRouting = adapt(async (input: SwitchRoutingInput): Promise<SwitchRoutingResult> =>
  withControl(input.source, (source, sourceSchema) =>
    withControl(input.target, (target, targetSchema) =>
      switchRoutingNow({
        migration: input.migration,
        active: input.active,
        epoch: input.epoch,
        source: { control: source, schema: sourceSchema },
        target: { control: target, schema: targetSchema },
      }),
    ),
  ),
);

/** The routing row of the migration on one endpoint (null: never switched there). */
export const readRouting = adapt(
  async (input: { endpoint: EndpointRef; migration: string }): Promise<RoutingRow | null> =>
    withControl(input.endpoint, (control, schema) => control.readRouting(schema, input.migration)),
);

export interface RunHookInput {
  /** The hook's name from the spec (PAUSE_APP): the worker runs CUTOVER_HOOK_PAUSE_APP. */
  hook: string;
  /** 'fenced', 'fence-lifted', 'routing-switched', 'alert', ... (CUTOVER_EVENT). */
  event: string;
  migration: string;
  /** Small, secret-free JSON passed to the hook. */
  details?: Record<string, unknown>;
  /** Default 30. */
  timeoutSeconds?: number;
}

/**
 * Run an operator hook. HookNotConfigured (not retryable): CUTOVER_HOOK_<NAME> is not set on this
 * worker. HookFailed (retryable): non-2xx, non-zero exit, timeout, unreachable. Neither the URL nor
 * the command appears in the result or the failure.
 */
export const runHook = adapt(async (input: RunHookInput): Promise<HookResult> => {
  try {
    return await runHookNow(
      { hook: input.hook, event: input.event, migration: input.migration, details: input.details },
      {
        timeoutMs: input.timeoutSeconds === undefined ? undefined : input.timeoutSeconds * 1000,
        signal: cancellation(),
      },
    );
  } catch (err) {
    if (err instanceof HookNotConfigured)
      throw ApplicationFailure.create({ message: err.message, type: err.name, nonRetryable: true });
    throw err;
  }
});
