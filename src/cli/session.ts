// A CLI session with Temporal: the configured cluster (TEMPORAL_ADDRESS) and its workers, or the
// embedded default: the local dev server (started or reused) plus a worker inside this process.
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Worker } from '@temporalio/worker';
import { dataConverter } from '../temporal/data-converter';
import { configuredTarget, TASK_QUEUE } from '../temporal/config';
import { ensureEmbeddedServer } from '../temporal/dev-server';

export interface Session {
  client: Client;
  address: string;
  namespace: string;
  taskQueue: string;
  /** True when this process runs the worker: the work stops when the process does. */
  inProcess: boolean;
  uiUrl: string | null;
  /** Run `work` while the in-process worker (if any) serves the task queue. */
  run<T>(work: Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function openSession(options: {
  log: (line: string) => void;
  /** 'never': a client only, for work that must outlive the command (a migration), or none at all. */
  inProcessWorker?: 'auto' | 'always' | 'never';
  taskQueue?: string;
  /** Warn when no worker polls the task queue (default true; without an in-process worker only). */
  warnWithoutWorker?: boolean;
}): Promise<Session> {
  const configured = configuredTarget();
  let address: string;
  let namespace = 'default';
  let uiUrl: string | null = null;
  if (configured) {
    address = configured.address;
    namespace = configured.namespace;
  } else {
    const server = await ensureEmbeddedServer(options.log);
    address = server.address;
    uiUrl = server.uiUrl;
  }
  const inProcess =
    options.inProcessWorker !== 'never' && (!configured || options.inProcessWorker === 'always');
  // An in-process worker gets a task queue of its own: a workflow left behind by an interrupted
  // command must not be picked up later by another command holding other connection URLs.
  const taskQueue =
    options.taskQueue ?? (inProcess ? `cutover-cli-${randomBytes(4).toString('hex')}` : TASK_QUEUE);
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace, dataConverter });
  let worker: Worker | undefined;
  let workerConnection: { close(): Promise<void> } | undefined;
  if (inProcess) {
    // Loaded lazily: a CLI talking to a remote cluster never needs the worker's native runtime.
    const { createWorker } = require('../worker') as typeof import('../worker');
    const created = await createWorker({ address, namespace, taskQueue });
    worker = created.worker;
    workerConnection = created.connection;
  } else if (options.warnWithoutWorker !== false && !(await hasPollers(client, namespace, taskQueue))) {
    options.log(
      `cutover: no worker is polling task queue ${taskQueue} on ${address}: start one with \`cutover worker\` where the CUTOVER_DB_* connections are set`,
    );
  }
  return {
    client,
    address,
    namespace,
    taskQueue,
    inProcess,
    uiUrl,
    run: (work) => (worker ? worker.runUntil(work) : work),
    async close() {
      await workerConnection?.close().catch(() => undefined);
      await connection.close();
    },
  };
}

async function hasPollers(client: Client, namespace: string, taskQueue: string): Promise<boolean> {
  try {
    const res = await client.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: taskQueue },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    return (res.pollers ?? []).length > 0;
  } catch {
    return true; // cannot tell: do not warn
  }
}
