// The cutover's write fence, engine-neutral: install it on one endpoint, check that the catalog
// really shows every table fenced, and lift it. The SQL and the reasons the fence is tight are in
// src/engines/<kind>/fence.ts; what applications see is in docs/CUTOVER.md.
import {
  type CutoverControl,
  type FenceInstallResult,
  type FenceMode,
  type FenceStatus,
  type InstallFenceOptions,
} from '../../engines/cutover-control';

export interface FenceRequest extends InstallFenceOptions {
  migration: string;
  mode: FenceMode;
  /** Tables of the schema to fence (for 'read-only', the tables named; the whole database is fenced). */
  tables: string[];
}

/** A fence that was installed but does not show in the catalog: a bug or a concurrent lift. */
export class FenceNotEffectiveError extends Error {
  override name = 'FenceNotEffective';
}

/**
 * Fence writes to the tables; returns once no transaction from before can still commit a write to
 * them. Idempotent: a retry after a crash completes the fence and reports the first fencedAt.
 */
export async function fenceWrites(
  control: CutoverControl,
  schema: string,
  request: FenceRequest,
): Promise<FenceInstallResult> {
  const result = await control.installFence(schema, request.migration, request.mode, request.tables, {
    lockTimeoutMs: request.lockTimeoutMs,
    attempts: request.attempts,
    onRetry: request.onRetry,
    signal: request.signal,
  });
  const state = await control.fenceState(schema, request.migration);
  const missing = request.tables.filter((t) => !state.tables.includes(t));
  if (state.mode !== request.mode || missing.length)
    throw new FenceNotEffectiveError(
      `the ${request.mode} fence of migration ${JSON.stringify(request.migration)} does not cover ${
        missing.length ? missing.map((t) => JSON.stringify(t)).join(', ') : 'the tables'
      } after installing it`,
    );
  return result;
}

/** Remove this migration's fence from the schema; succeeds when it is already gone. */
export async function liftFence(
  control: CutoverControl,
  schema: string,
  migration: string,
  options: { lockTimeoutMs?: number; attempts?: number } = {},
): Promise<{ lifted: string[]; mode: FenceMode | null }> {
  const result = await control.liftFence(schema, migration, options);
  const state = await control.fenceState(schema, migration);
  if (state.mode !== null || state.tables.length)
    throw new FenceNotEffectiveError(
      `the fence of migration ${JSON.stringify(migration)} is still in place on ${state.tables.map((t) => JSON.stringify(t)).join(', ') || 'the schema'} after lifting it`,
    );
  return result;
}

export function fenceState(control: CutoverControl, schema: string, migration: string): Promise<FenceStatus> {
  return control.fenceState(schema, migration);
}
