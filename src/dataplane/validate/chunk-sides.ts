// One side of range-mode validation: read a chunk, hash it as a sequence, and (only when the two
// sides' sequences differ) hash it row by row for the drill-down. Two implementations with the same
// results: on the calling thread over a RangeReader (localSide), and in a worker thread that opens
// its own connection and holds the chunk's rows itself (workerSide, hashing-worker.ts), so that the
// two sides decode and hash in parallel on two cores and only digests, keys and per-key hashes
// cross between threads (validator.ts decides which one to use).
import { Worker } from 'node:worker_threads';
import path from 'node:path';
import { keyFromJson, keyToJson, type JsonKey, type Key, type KeyRange } from '../../engines/key-range';
import type { EngineKind } from '../../engines/model';
import type { CanonicalColumn, Side } from './canonical';
import { CanonicalError } from './canonical';
import { ChunkDigest, hashRows, sequenceDigest, type HashedRows } from './checksum';
import type { RangeReader, TableRef } from './validator';

/** A chunk read on one side; its rows stay where they were read until hashed() or drop(). */
export interface ChunkRead {
  count: number;
  /** Key of the last row read (wire form), null when none was. */
  last: Key | null;
  /** SHA-256 of the rows in the order read (sequenceDigest). */
  sequence(): Promise<string>;
  /** The rows by canonical key (hashRows); releases them. */
  hashed(): Promise<HashedRows>;
  /** Releases the rows without hashing them. */
  drop(): void;
}

export interface ChunkSide {
  /**
   * Rows of `range` in key order: with `whole` false at most `limit` (one query), with `whole` true
   * every row of the range, in pages of `limit` (readWholeRange).
   */
  read(range: KeyRange, limit: number, whole: boolean): Promise<ChunkRead>;
  /** Ends the side's thread, if it has one (idempotent). */
  close(): Promise<void>;
}

/** How a worker thread opens the same reader a RangeReader is (RangeReader.worker). */
export interface WorkerReaderSpec {
  kind: EngineKind;
  url: string;
  /** Column names as the reader's caller gives them -> as the table has them. */
  rename?: Record<string, string>;
}

/** What a side's worker thread needs to read and hash its chunks (hashing-worker.ts). */
export interface HashingWorkerData {
  reader: WorkerReaderSpec;
  table: TableRef;
  columns: CanonicalColumn[];
  keyAt: number[];
  key: string[];
  side: Side;
}

export type HashingRequest =
  | {
      id: number;
      op: 'read';
      range: { lower: JsonKey | null; upper: JsonKey | null };
      limit: number;
      whole: boolean;
    }
  | { id: number; op: 'hash'; chunk: number }
  | { id: number; op: 'drop'; chunk: number }
  | { id: number; op: 'close' };

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  props: Record<string, unknown>;
}

export type HashingResponse =
  | { id: number; read: { count: number; last: JsonKey | null; sequence: string } }
  | {
      id: number;
      hashed: { digest: number[]; rows: [string, JsonKey, string][] };
    }
  | { id: number; closed: true }
  | { id: number; error: SerializedError };

/** Every row of the range, paging by key (a range may hold more rows on the target). */
export async function readWholeRange(
  reader: RangeReader,
  table: TableRef,
  columns: string[],
  key: string[],
  keyAt: number[],
  range: KeyRange,
  pageRows: number,
): Promise<unknown[][]> {
  const out: unknown[][] = [];
  let lower = range.lower;
  for (;;) {
    const page = await reader.readRange(table, columns, key, { lower, upper: range.upper }, pageRows);
    out.push(...page);
    if (page.length < pageRows) return out;
    lower = keyAt.map((i) => page[page.length - 1]![i]) as Key;
  }
}

/** Read rows for a chunk as the validator always has (one query, or the whole range). */
export function readChunkRows(
  reader: RangeReader,
  table: TableRef,
  columns: string[],
  key: string[],
  keyAt: number[],
  range: KeyRange,
  limit: number,
  whole: boolean,
): Promise<unknown[][]> {
  return whole
    ? readWholeRange(reader, table, columns, key, keyAt, range, limit)
    : reader.readRange(table, columns, key, range, limit);
}

/** A side on the calling thread. */
export function localSide(
  reader: RangeReader,
  table: TableRef,
  columns: CanonicalColumn[],
  key: string[],
  keyAt: number[],
  side: Side,
): ChunkSide {
  const names = columns.map((c) => c.name);
  return {
    async read(range, limit, whole) {
      let rows: unknown[][] | null = await readChunkRows(
        reader,
        table,
        names,
        key,
        keyAt,
        range,
        limit,
        whole,
      );
      const count = rows.length;
      const last = count ? (keyAt.map((i) => rows![count - 1]![i]) as Key) : null;
      return {
        count,
        last,
        // Computed when asked: the caller hashes the source while the target read is in flight.
        sequence: async () => sequenceDigest(columns, keyAt, side, rows ?? []).hash,
        hashed: async () => {
          const h = hashRows(columns, keyAt, side, rows ?? []);
          rows = null;
          return h;
        },
        drop: () => {
          rows = null;
        },
      };
    },
    close: async () => undefined,
  };
}

const CLOSE_GRACE_MS = 2000;

/** The module a worker thread runs (registered through tsx: this project has no build step). */
const WORKER_ENTRY = path.join(__dirname, 'hashing-worker.ts');

/**
 * A side in its own worker thread. The thread starts at once; requests queue until it is up. An
 * error in the thread (a query, a value without canonical form, the thread dying) rejects the
 * requests in flight with it, and every later one; close() terminates the thread.
 */
export function workerSide(data: HashingWorkerData): ChunkSide {
  const code =
    `require(${JSON.stringify(require.resolve('tsx/cjs/api'))}).register();\n` +
    `require(${JSON.stringify(WORKER_ENTRY)});\n`;
  const worker = new Worker(code, { eval: true, workerData: data });
  const pending = new Map<number, { resolve: (r: HashingResponse) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let failed: Error | null = null;
  let closed: Promise<void> | null = null;
  const fail = (err: Error): void => {
    failed ??= err;
    for (const p of pending.values()) p.reject(failed);
    pending.clear();
  };
  worker.on('message', (m: HashingResponse) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if ('error' in m) p.reject(deserializeError(m.error));
    else p.resolve(m);
  });
  worker.on('error', (err) => fail(err instanceof Error ? err : new Error(String(err))));
  // A message that cannot be deserialized is dropped with only this event: its request would hang.
  worker.on('messageerror', (err) => fail(err instanceof Error ? err : new Error(String(err))));
  worker.on('exit', (code) => fail(new Error(`the ${data.side}'s hashing worker exited (code ${code})`)));

  const request = (r: WithoutId<HashingRequest>): Promise<HashingResponse> => {
    if (failed) return Promise.reject(failed);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...r, id } as HashingRequest);
    });
  };

  return {
    async read(range, limit, whole) {
      const res = await request({
        op: 'read',
        range: {
          lower: range.lower && keyToJson(range.lower),
          upper: range.upper && keyToJson(range.upper),
        },
        limit,
        whole,
      });
      if (!('read' in res)) throw new Error('hashing worker: unexpected answer to read');
      const chunk = res.id;
      let done = false;
      return {
        count: res.read.count,
        last: res.read.last && keyFromJson(res.read.last),
        sequence: async () => res.read.sequence,
        hashed: async () => {
          done = true;
          const h = await request({ op: 'hash', chunk });
          if (!('hashed' in h)) throw new Error('hashing worker: unexpected answer to hash');
          return {
            digest: ChunkDigest.fromState(h.hashed.digest),
            rows: new Map(h.hashed.rows.map(([k, key, hash]) => [k, { key: keyFromJson(key), hash }])),
          };
        },
        drop: () => {
          if (done || failed) return;
          done = true;
          // Fire and forget: the worker does not answer a drop (nothing may wait for it, or every
          // matching chunk would leave a pending entry until the validation ends); a failure
          // shows on the next request.
          worker.postMessage({ op: 'drop', chunk, id: 0 } as HashingRequest);
        },
      };
    },
    close() {
      closed ??= (async () => {
        // Let the thread end its connections (briefly: a cancelled validation must stop soon),
        // then terminate it whatever happened.
        if (!failed) {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([
            request({ op: 'close' }).catch(() => undefined),
            new Promise((r) => (timer = setTimeout(r, CLOSE_GRACE_MS))),
          ]);
          clearTimeout(timer);
        }
        fail(new Error(`the ${data.side}'s hashing worker was closed`));
        await worker.terminate();
      })();
      return closed;
    },
  };
}

/** An error as it crosses from a worker thread (Error subclasses do not survive structured clone). */
export function serializeError(err: unknown): SerializedError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err), props: {} };
  const props: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(err))
    if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) props[k] = v;
  return { name: err.name, message: err.message, stack: err.stack, props };
}

function deserializeError(e: SerializedError): Error {
  const err = e.name === 'CanonicalError' ? new CanonicalError(e.message) : new Error(e.message);
  Object.assign(err, e.props);
  if (err.name !== e.name) err.name = e.name;
  if (e.stack) err.stack = e.stack;
  return err;
}
