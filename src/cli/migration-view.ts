// What the operator commands know about one blueGreenMigration: its `status` query, merged with the
// live figures of its pending activities (copy rows and catch-up lag from their heartbeat details:
// the workflow itself only counts a table's rows when the table is done), or, for a closed workflow
// that no worker can answer a query for, its result or failure.
import {
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
} from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { gzipCodec } from '../temporal/data-converter';
import {
  migrationWorkflowId,
  statusQuery,
  type MigrationPhase,
  type MigrationStatus,
} from '../workflows/messages';
import { describeFailure, log, red } from './output';

export const WORKFLOW_TYPE = 'blueGreenMigration';
export const EXIT_INTERRUPTED = 130;

export const TERMINAL_PHASES: readonly MigrationPhase[] = ['completed', 'rolled-back', 'failed'];

/** A table copy in flight, from the pending copyTable activity's last heartbeat. */
export interface LiveCopy {
  table: string;
  /** Rows committed on the target so far (all attempts). */
  rows: number;
  bytes: number;
  attempt: number;
  /** Rows per second of this attempt, when it can be told from one sample (first attempt). */
  rowsPerSecond: number | null;
  lastHeartbeatAt: string | null;
}

/** The catch-up in flight, from the pending catchUp activity's last heartbeat. */
export interface LiveCatchUp {
  position: string;
  batches: number;
  changes: number;
  lag: { rowsBehind: number; secondsBehind: number };
  lastHeartbeatAt: string | null;
}

export interface MigrationView {
  workflowId: string;
  runId: string;
  execution: {
    /** Temporal's execution status: RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, ... */
    status: string;
    startTime: string;
    closeTime: string | null;
    taskQueue: string;
  };
  /** The workflow's own status (its `status` query), live copy rows merged in; null if unavailable. */
  status: MigrationStatus | null;
  live: { copies: LiveCopy[]; catchUp: LiveCatchUp | null };
  /** The result of a completed workflow (only when its status could not be queried). */
  result: unknown;
  /** The failure that closed the workflow, if it did not complete. */
  failure: { type: string | null; message: string } | null;
  /** Why the status is missing or may be stale. */
  note: string | null;
}

export class MigrationNotFound extends Error {
  override name = 'MigrationNotFound';
}

/** The handle of a migration named by workflow id, or by migration name (cutover-<name>). */
export async function findMigration(
  client: Client,
  id: string,
): Promise<{ handle: WorkflowHandle; description: WorkflowExecutionDescription }> {
  const candidates = [id];
  if (!id.startsWith('cutover-')) candidates.push(migrationWorkflowId(id));
  for (const workflowId of candidates) {
    const handle = client.workflow.getHandle(workflowId);
    try {
      return { handle, description: await handle.describe() };
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  throw new MigrationNotFound(`no migration workflow ${candidates.join(' or ')}`);
}

/** findMigration, or null after saying on stderr that there is no such migration. */
export async function findMigrationOrExplain(
  client: Client,
  id: string,
): Promise<{ handle: WorkflowHandle; description: WorkflowExecutionDescription } | null> {
  try {
    return await findMigration(client, id);
  } catch (err) {
    if (!(err instanceof MigrationNotFound)) throw err;
    log(red(`cutover: ${err.message}`));
    return null;
  }
}

const QUERY_TIMEOUT_MS = 15_000;

/**
 * Run `fn`'s calls under one gRPC deadline: a query or update that no worker answers fails cleanly
 * instead of hanging (a bare timer would leave the call retrying on a closed channel).
 */
export async function within<T>(client: Client, ms: number, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await client.withDeadline(Date.now() + ms, fn);
  } catch (err) {
    const message = describeFailure(err).message;
    if (/deadline/i.test(message)) throw new Error(`${what}: no answer after ${ms / 1000} s`, { cause: err });
    throw err;
  }
}

/** A poller seen this recently is alive: a long poll lasts about a minute; the server keeps dead ones for 5. */
const POLLER_FRESH_MS = 75_000;

/** Is a worker polling this task queue now (so queries and updates get answers)? */
export async function workerPolls(client: Client, taskQueue: string): Promise<boolean> {
  try {
    const res = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: taskQueue },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    const now = Date.now();
    return (res.pollers ?? []).some(
      (p) => !p.lastAccessTime || now - tsToMs(p.lastAccessTime) < POLLER_FRESH_MS,
    );
  } catch {
    return true; // cannot tell: try, under a deadline
  }
}

export async function loadMigrationView(
  client: Client,
  id: string,
  found?: { handle: WorkflowHandle; description: WorkflowExecutionDescription },
): Promise<MigrationView> {
  const { handle, description } = found ?? (await findMigration(client, id));
  const raw = description.raw;
  const taskQueue = description.taskQueue;
  const running = description.status.name === 'RUNNING';
  const view: MigrationView = {
    workflowId: description.workflowId,
    runId: description.runId,
    execution: {
      status: description.status.name,
      startTime: description.startTime.toISOString(),
      closeTime: description.closeTime?.toISOString() ?? null,
      taskQueue,
    },
    status: null,
    live: await liveProgress(raw.pendingActivities ?? []),
    result: null,
    failure: null,
    note: null,
  };
  const polled = await workerPolls(client, taskQueue);
  if (polled) {
    try {
      view.status = await within(client, QUERY_TIMEOUT_MS, 'status query', () => handle.query(statusQuery));
    } catch (err) {
      view.note = `the status query was rejected: ${describeFailure(err).message}`;
    }
  } else {
    view.note = running
      ? `no worker polls task queue ${taskQueue}: the workflow's status cannot be queried (start one with \`cutover worker\`)`
      : `no worker polls task queue ${taskQueue}: its last status cannot be queried; this is the workflow's outcome`;
  }
  if (!running) {
    // A closed workflow: its outcome, from Temporal itself (no worker needed).
    try {
      const result = await within(client, QUERY_TIMEOUT_MS, 'workflow result', () => handle.result());
      if (!view.status) view.result = result;
    } catch (err) {
      view.failure = describeFailure(err);
    }
  }
  if (view.status) view.status = mergeLive(view.status, view.live);
  return view;
}

/** Copy rows of the tables being copied now: the heartbeat's figure when it is ahead of the workflow's. */
export function mergeLive(status: MigrationStatus, live: MigrationView['live']): MigrationStatus {
  const tables = status.tables.map((t) => {
    const copy = live.copies.find((c) => c.table === t.table || c.table === t.targetTable);
    if (!copy || t.state === 'copied') return t;
    return { ...t, rowsCopied: Math.max(t.rowsCopied, copy.rows), state: 'copying' as const };
  });
  return { ...status, tables };
}

type PendingActivity = temporal.api.workflow.v1.IPendingActivityInfo;

async function liveProgress(pending: PendingActivity[]): Promise<MigrationView['live']> {
  const copies: LiveCopy[] = [];
  let catchUp: LiveCatchUp | null = null;
  for (const a of pending) {
    const details = await heartbeatDetails(a);
    if (!details || typeof details !== 'object') continue;
    const d = details as Record<string, unknown>;
    const lastHeartbeat = a.lastHeartbeatTime ? tsToMs(a.lastHeartbeatTime) : null;
    const started = a.lastStartedTime ? tsToMs(a.lastStartedTime) : null;
    const lastHeartbeatAt = lastHeartbeat ? new Date(lastHeartbeat).toISOString() : null;
    if (typeof d.table === 'string' && typeof d.rows === 'number') {
      const attempt = a.attempt ?? 1;
      const seconds = lastHeartbeat && started ? (lastHeartbeat - started) / 1000 : 0;
      copies.push({
        table: d.table,
        rows: d.rows,
        bytes: typeof d.bytes === 'number' ? d.bytes : 0,
        attempt,
        // The heartbeat counts every attempt's rows: one sample tells the rate of a first attempt only.
        rowsPerSecond: attempt === 1 && seconds > 0 ? d.rows / seconds : null,
        lastHeartbeatAt,
      });
    } else if (typeof d.position === 'string' && d.lag && typeof d.lag === 'object') {
      const lag = d.lag as { rowsBehind?: unknown; secondsBehind?: unknown };
      catchUp = {
        position: d.position,
        batches: Number(d.batches ?? 0),
        changes: Number(d.changes ?? 0),
        lag: { rowsBehind: Number(lag.rowsBehind ?? 0), secondsBehind: Number(lag.secondsBehind ?? 0) },
        lastHeartbeatAt,
      };
    }
  }
  return { copies, catchUp };
}

/** The first heartbeat detail of a pending activity, decoded like every cutover payload (gzip codec). */
async function heartbeatDetails(a: PendingActivity): Promise<unknown> {
  const payloads = a.heartbeatDetails?.payloads;
  if (!payloads?.length) return null;
  try {
    const [decoded] = await gzipCodec.decode([payloads[0] as Payload]);
    return defaultPayloadConverter.fromPayload(decoded!);
  } catch {
    return null; // not ours, or not decodable: no live figure rather than no status
  }
}
