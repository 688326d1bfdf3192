// `cutover worker`: a long-running worker for TEMPORAL_ADDRESS (or the embedded dev server).
import { configuredTarget, TASK_QUEUE } from '../../temporal/config';
import { ensureEmbeddedServer, registerSearchAttributes } from '../../temporal/dev-server';
import { createWorker } from '../../worker';
import { log } from '../output';

export async function workerCommand(): Promise<number> {
  const configured = configuredTarget();
  const address = configured?.address ?? (await ensureEmbeddedServer(log)).address;
  const namespace = configured?.namespace ?? 'default';
  // Workflows upsert these attributes; a cluster without them would fail every workflow task.
  await registerSearchAttributes(address, namespace).catch((err: Error) =>
    log(
      `cutover: could not register search attributes on ${namespace} (${err.message}); register them with an admin`,
    ),
  );
  const { worker, connection } = await createWorker({ address, namespace });
  log(`cutover: worker polling task queue ${TASK_QUEUE} on ${address} (namespace ${namespace})`);
  try {
    await worker.run(); // returns once SIGINT/SIGTERM has drained the worker
  } finally {
    await connection.close(); // an open connection would keep the process alive
  }
  log('cutover: worker stopped');
  return 0;
}
