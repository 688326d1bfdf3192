// A real Temporal dev server for tests: the one scripts/test.ts starts for the whole run
// (CUTOVER_TEST_TEMPORAL_ADDRESS). Each test runs its own worker on its own task queue.
import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { Client, Connection } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { dataConverter } from '../../src/temporal/data-converter';
import { createWorker, type WorkerOptions } from '../../src/worker';

export function testAddress(): string {
  const address = process.env.CUTOVER_TEST_TEMPORAL_ADDRESS;
  if (!address)
    throw new Error(
      'CUTOVER_TEST_TEMPORAL_ADDRESS is not set: run the tests with `npm test` (scripts/test.ts)',
    );
  return address;
}

export async function withWorker<T>(
  fn: (ctx: { client: Client; taskQueue: string }) => Promise<T>,
  options: Pick<WorkerOptions, 'replaceActivities'> = {},
): Promise<T> {
  const address = testAddress();
  const taskQueue = `test-${randomBytes(4).toString('hex')}`;
  const { worker, connection: workerConnection } = await createWorker({ address, taskQueue, ...options });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, dataConverter });
  try {
    return await worker.runUntil(fn({ client, taskQueue }));
  } finally {
    await connection.close();
    await workerConnection.close();
  }
}

/**
 * Every string in a workflow history, payloads decoded: payload data is base64 in the history's
 * JSON form, so a plain search of the serialised history would never find a leaked secret.
 */
export function historyText(history: temporal.api.history.v1.IHistory): string {
  const parts: string[] = [];
  const walk = (v: unknown): void => {
    if (v === null || v === undefined) return;
    if (v instanceof Uint8Array) {
      parts.push(Buffer.from(v).toString('utf8'));
      return;
    }
    if (typeof v === 'string') {
      parts.push(v);
      return;
    }
    if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return;
    if (Array.isArray(v)) return v.forEach(walk);
    if (typeof v === 'object') {
      const payload = v as { metadata?: Record<string, Uint8Array>; data?: Uint8Array };
      if (
        payload.data &&
        payload.metadata?.encoding &&
        Buffer.from(payload.metadata.encoding).toString() === 'binary/gzip'
      ) {
        // Compressed by cutover's codec: search the original, or a secret could hide inside.
        const inner = JSON.parse(gunzipSync(payload.data).toString()) as { data: string };
        parts.push(Buffer.from(inner.data, 'base64').toString('utf8'));
        return;
      }
      // Everything else is walked field by field.
      for (const value of Object.values(v as Record<string, unknown>)) walk(value);
    }
  };
  walk(history);
  return parts.join('\n');
}

export function eventTypes(history: temporal.api.history.v1.IHistory): string[] {
  return (history.events ?? []).map((e) => String(e.eventType));
}
