// Big payloads are compressed (Temporal refuses payloads over 2 MB); small ones stay readable.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { gzipCodec } from '../../src/temporal/data-converter';

test('a large payload is gzipped and decodes to the same value', async () => {
  const report = {
    tables: Array.from({ length: 12000 }, (_, i) => ({
      table: `t${i}`,
      notes: ['a fairly long note '.repeat(10)],
    })),
  };
  const payload = defaultPayloadConverter.toPayload(report)!;
  assert.ok(payload.data!.length > 2_000_000, 'the plain payload would exceed the limit');
  const [encoded] = await gzipCodec.encode([payload]);
  assert.ok(encoded!.data!.length < payload.data!.length / 10);
  assert.equal(Buffer.from(encoded!.metadata!.encoding!).toString(), 'binary/gzip');
  const [decoded] = await gzipCodec.decode([encoded!]);
  assert.deepEqual(defaultPayloadConverter.fromPayload(decoded!), report);
});

test('a small payload, such as a spec typed into the Web UI, passes untouched', async () => {
  const payload = defaultPayloadConverter.toPayload({ name: 'x' })!;
  const [encoded] = await gzipCodec.encode([payload]);
  assert.equal(encoded, payload);
  const [decoded] = await gzipCodec.decode([payload]);
  assert.equal(decoded, payload);
});
