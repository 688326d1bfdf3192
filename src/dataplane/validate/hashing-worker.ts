// The worker thread of one validation side (chunk-sides.ts, workerSide): opens its own reader on
// the side's database, reads the chunks it is asked for, and answers with their row counts, last
// keys and sequence digests; rows stay here until the validator asks for their per-key hashes
// (a chunk whose sequences differ) or drops them. Loaded through tsx by the eval'd entry.
import { parentPort, workerData } from 'node:worker_threads';
import { keyFromJson, keyToJson, type Key } from '../../engines/key-range';
import {
  readChunkRows,
  serializeError,
  type HashingRequest,
  type HashingResponse,
  type HashingWorkerData,
} from './chunk-sides';
import { hashRows, sequenceDigest } from './checksum';
import { openRangeReader } from './readers';
import type { RangeReader } from './validator';

const data = workerData as HashingWorkerData;
const port = parentPort!;
const inner = openRangeReader(data.reader.kind, data.reader.url);
const rename = data.reader.rename ?? {};
const as = (names: string[]): string[] => names.map((n) => rename[n] ?? n);
const reader: RangeReader = {
  readRange: (t, columns, key, range, limit) => inner.readRange(t, as(columns), as(key), range, limit),
  readByKeys: (t, columns, key, keys) => inner.readByKeys(t, as(columns), as(key), keys),
};
const names = data.columns.map((c) => c.name);
const chunks = new Map<number, unknown[][]>();

async function answer(m: HashingRequest): Promise<HashingResponse | null> {
  switch (m.op) {
    case 'read': {
      const range = {
        lower: m.range.lower && keyFromJson(m.range.lower),
        upper: m.range.upper && keyFromJson(m.range.upper),
      };
      const rows = await readChunkRows(
        reader,
        data.table,
        names,
        data.key,
        data.keyAt,
        range,
        m.limit,
        m.whole,
      );
      const sequence = sequenceDigest(data.columns, data.keyAt, data.side, rows).hash;
      chunks.set(m.id, rows);
      const last = rows.length ? keyToJson(data.keyAt.map((i) => rows[rows.length - 1]![i]) as Key) : null;
      return { id: m.id, read: { count: rows.length, last, sequence } };
    }
    case 'hash': {
      const rows = chunks.get(m.chunk);
      chunks.delete(m.chunk);
      if (!rows) throw new Error(`hashing worker: no chunk ${m.chunk}`);
      const h = hashRows(data.columns, data.keyAt, data.side, rows);
      return {
        id: m.id,
        hashed: {
          digest: h.digest.state(),
          rows: [...h.rows].map(([k, v]) => [k, keyToJson(v.key as Key), v.hash]),
        },
      };
    }
    case 'drop':
      chunks.delete(m.chunk);
      return null;
    case 'close':
      chunks.clear();
      await inner.close();
      return { id: m.id, closed: true };
  }
}

// A request that cannot be deserialized: end the thread, so that 'exit' rejects what is pending.
port.on('messageerror', (err) => {
  throw err;
});
port.on('message', (m: HashingRequest) => {
  answer(m).then(
    (r) => {
      if (r) port.postMessage(r);
    },
    (err: unknown) => port.postMessage({ id: m.id, error: serializeError(err) } satisfies HashingResponse),
  );
});
