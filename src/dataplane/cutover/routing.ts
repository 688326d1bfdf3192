// The routing switch, engine-neutral: the same row (migration, active side, its engine, switched_at,
// epoch) on both endpoints' `_cutover_routing`. The caller names the epoch (the workflow's count of
// switches + 1), so a retried switch writes nothing twice; an older epoch, or the same epoch with the
// other side, is refused before either side is written (RoutingConflictError, non-retryable).
import {
  checkMigrationName,
  type CutoverControl,
  RoutingConflictError,
  type RoutingRow,
  type RoutingSide,
  type RoutingWriteOutcome,
} from '../../engines/cutover-control';
import { EngineInputError } from '../../engines/errors';

export interface RoutingEndpoint {
  control: CutoverControl;
  schema: string;
}

export interface SwitchRoutingRequest {
  migration: string;
  active: RoutingSide;
  epoch: number;
  source: RoutingEndpoint;
  target: RoutingEndpoint;
  /** The clock (tests). */
  now?: () => Date;
}

export interface SwitchRoutingResult extends RoutingRow {
  /** Per side: written now, or already holding this row (a retry). */
  outcome: { source: RoutingWriteOutcome; target: RoutingWriteOutcome };
}

export async function switchRouting(request: SwitchRoutingRequest): Promise<SwitchRoutingResult> {
  checkMigrationName(request.migration);
  if (request.active !== 'source' && request.active !== 'target')
    throw new EngineInputError(`active must be "source" or "target", not ${JSON.stringify(request.active)}`);
  if (!Number.isSafeInteger(request.epoch) || request.epoch < 1)
    throw new EngineInputError(`routing epoch must be a positive integer, not ${request.epoch}`);
  const sides = { source: request.source, target: request.target };
  const current = {
    source: await sides.source.control.readRouting(sides.source.schema, request.migration),
    target: await sides.target.control.readRouting(sides.target.schema, request.migration),
  };
  // Refuse before writing anything, so a stale request cannot leave the sides disagreeing.
  for (const side of ['source', 'target'] as const) {
    const c = current[side];
    if (c && (c.epoch > request.epoch || (c.epoch === request.epoch && c.active !== request.active)))
      throw new RoutingConflictError(
        `routing of migration ${JSON.stringify(request.migration)} on the ${side} is at epoch ${c.epoch} (active: ${c.active}); ` +
          `switching to ${request.active} with epoch ${request.epoch} is ${c.epoch > request.epoch ? 'stale' : 'a conflicting retry'}`,
      );
  }
  // A retry keeps the first attempt's time, so both sides end up with the same row.
  const earlier = [current.source, current.target].find((c) => c?.epoch === request.epoch);
  const row: RoutingRow = {
    migration: request.migration,
    active: request.active,
    activeEngine: sides[request.active].control.kind,
    switchedAt: earlier?.switchedAt ?? (request.now ?? (() => new Date()))().toISOString(),
    epoch: request.epoch,
  };
  // The side becoming active first: an application that follows the old side's row to it must find
  // the same answer there, not a stale row sending it back.
  const first = request.active;
  const second = first === 'source' ? 'target' : 'source';
  const outcome = {} as SwitchRoutingResult['outcome'];
  outcome[first] = await sides[first].control.writeRouting(sides[first].schema, row);
  outcome[second] = await sides[second].control.writeRouting(sides[second].schema, row);
  return { ...row, outcome };
}

export function readRouting(endpoint: RoutingEndpoint, migration: string): Promise<RoutingRow | null> {
  return endpoint.control.readRouting(endpoint.schema, migration);
}
