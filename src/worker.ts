// The worker process: polls cutover's task queue, runs the workflows from the cached bundle and the
// activities that reach the databases. Database URLs come from this process's environment only.
import {
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  makeTelemetryFilterString,
} from '@temporalio/worker';
import * as activities from './activities';
import { redact } from './connections';
import { workflowBundlePath } from './temporal/bundle';
import { dataConverter } from './temporal/data-converter';
import { TASK_QUEUE } from './temporal/config';

let runtimeInstalled = false;

/** Log through redact(), at WARN unless CUTOVER_LOG_LEVEL says otherwise. Installed once per process. */
export function installRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const level = (process.env.CUTOVER_LOG_LEVEL ?? 'WARN').toUpperCase() as
    'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => {
      const meta = entry.meta ? ` ${redact(JSON.stringify(entry.meta))}` : '';
      process.stderr.write(
        `${new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString()} [${entry.level}] ${redact(entry.message)}${meta}\n`,
      );
    }),
    telemetryOptions: {
      logging: {
        filter: makeTelemetryFilterString({ core: level === 'TRACE' ? 'TRACE' : 'WARN' }),
        forward: {},
      },
    },
  });
}

export interface WorkerOptions {
  address: string;
  namespace?: string;
  taskQueue?: string;
  /** Replaces some of the shipped activities (tests inject faults this way); the rest run as shipped. */
  replaceActivities?: Partial<typeof activities>;
}

export async function createWorker(
  options: WorkerOptions,
): Promise<{ worker: Worker; connection: NativeConnection }> {
  installRuntime();
  const connection = await NativeConnection.connect({ address: options.address });
  const worker = await Worker.create({
    connection,
    namespace: options.namespace ?? 'default',
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    workflowBundle: { codePath: await workflowBundlePath() },
    dataConverter,
    activities: { ...activities, ...options.replaceActivities },
    // On shutdown, running activities get their cancellation at once and 30 s to stop; then the
    // worker stops anyway and the activities are retried elsewhere after their heartbeat timeout.
    shutdownGraceTime: '5 seconds',
    shutdownForceTime: '30 seconds',
    // A cancellation reaches an activity only in a heartbeat's reply, and the SDK sends heartbeats
    // at most every 0.8 x heartbeat timeout (48 s with the default 60 s): an apply slice cancelled
    // by the last approval would hold the cutover that long. A few activities heartbeating every
    // 2 s cost the server nothing.
    maxHeartbeatThrottleInterval: '2 seconds',
  });
  return { worker, connection };
}
