// A CLI session with Temporal: the configured cluster (TEMPORAL_ADDRESS) and its workers, or the
// embedded default: the local dev server (started or reused) plus a worker inside this process.
import { Client, Connection } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { configuredTarget, TASK_QUEUE } from '../temporal/config';
import { ensureEmbeddedServer } from '../temporal/dev-server';

export interface Session {
  client: Client;
  taskQueue: string;
  uiUrl: string | null;
  /** Run `work` while the in-process worker (if any) serves the task queue. */
  run<T>(work: Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function openSession(options: {
  log: (line: string) => void;
  inProcessWorker?: 'auto' | 'always';
  taskQueue?: string;
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
  const taskQueue = options.taskQueue ?? TASK_QUEUE;
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace });
  let worker: Worker | undefined;
  let workerConnection: { close(): Promise<void> } | undefined;
  if (!configured || options.inProcessWorker === 'always') {
    // Loaded lazily: a CLI talking to a remote cluster never needs the worker's native runtime.
    const { createWorker } = require('../worker') as typeof import('../worker');
    const created = await createWorker({ address, namespace, taskQueue });
    worker = created.worker;
    workerConnection = created.connection;
  }
  return {
    client,
    taskQueue,
    uiUrl,
    run: (work) => (worker ? worker.runUntil(work) : work),
    async close() {
      await workerConnection?.close().catch(() => undefined);
      await connection.close();
    },
  };
}
