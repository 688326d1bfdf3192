// Table validation in the manner of Vitess VDiff: row counts, chunked checksums over key ranges,
// drill-down to the differing keys, a re-check after catch-up before anything is called a
// difference, resumable from a checkpoint, and a JSON report per table.
//
// How chunks are matched across engines. A chunk is defined on the SOURCE by keyset pagination:
// the next `chunkRows` rows after the last validated key, in the source's key order, so its range
// is (previous upper, last key read]; the final chunk is open-ended so that target rows beyond the
// source's last key are seen. What the target reads for the same chunk depends on the key:
//
// - Range mode: every key column compares the same way on both engines (integers, decimals,
//   floats, booleans, dates and timestamps, durations, binary; uuid between PostgreSQL servers).
//   The target reads the same range; both sides then hold the same key set exactly when the data
//   agrees, and rows on the target only (extra) or on the source only (missing) show up inside the
//   chunk they belong to.
// - Key-set mode: some key column is text (or anything else whose order depends on a collation:
//   MySQL _ci/PAD SPACE collations, PostgreSQL locales). A source range means a different set of
//   keys on the target, so ranges are never compared by position. Phase 1 reads the target by the
//   source chunk's KEY SET (readByKeys): that finds mismatched and missing rows. Phase 2 walks the
//   target in its own key order, reading key columns only, and looks those keys up on the source
//   by key set: keys the source does not have are the extra rows. Rows are matched by their
//   canonical key, so 'a' and 'A' (or 'a' and 'a ') are different keys even where a collation
//   says they are equal; a target row that a read by key returns for a collation-equal key is
//   ignored in phase 1 and judged in phase 2.
//
// Rows are hashed here, not by checksum SQL on each server: the two engines print the same data
// differently (floats, JSON, timestamps, booleans), so only the canonical encoding hashes alike.
//
// Raw chunks. Between two databases of one engine whose compared columns have identical types and
// whose sessions print values identically (RawRowAccess.format: PostgreSQL COPY text with the same
// encodings, DateStyle, IntervalStyle, extra_float_digits 3, bytea_output, TimeZone), range mode
// cuts each chunk by key on the source (nthKey), streams the range from both sides in that format
// and compares an MD5 of the bytes and the row counts: nothing is parsed or encoded in Node. Equal
// bytes mean equal printed values, of the same types, hence equal wire values and canonical forms,
// so such a chunk matches. A chunk whose bytes differ is read again as rows and compared
// canonically like any other (JSON key order or CHAR padding may still make it match), with the
// same re-check, so raw chunks never report a difference the row path would not.
//
// Drill-down is immediate: both sides' rows of a chunk are hashed by canonical key (checksum.ts);
// equal chunk digests mean the chunk matches, otherwise the per-key hashes give the keys. Keys that
// differ are re-read by key on both sides after `beforeRecheck` (wait for the change applier to
// catch up, or a delay) up to `recheckAttempts` times; a difference that is gone by then is not
// reported (it was a write in flight), and a row deleted on both sides in the meantime is counted
// nowhere.
//
// Worker threads. Between engines every row is decoded and hashed in Node; on one thread that is
// the whole cost of a validation. In range mode, when both readers say how to open them again
// (RangeReader.worker: openRangeReader's do), each side reads and hashes its chunks in its own
// worker thread with its own connection (chunk-sides.ts, hashing-worker.ts): the two sides work in
// parallel, and only row counts, last keys and sequence digests come back, plus the per-key hashes
// of a chunk whose sequences differ. The reads, hashes and decisions are those of this thread;
// re-checks read on this thread. The threads start with the second chunk (or the first, with
// `workers: true`) and are terminated when the phase ends, by success, error or cancellation; an
// error in a thread is the validation's error.
//
// Progress: after every chunk `onProgress` receives a JSON-safe checkpoint (the phase, the last
// validated key, the totals so far). Passing it back as `checkpoint` resumes after that key: the
// validated part is not read again.
import { createHash } from 'node:crypto';
import { keyFromJson, keyToJson, type JsonKey, type Key, type KeyRange } from '../../engines/key-range';
import type { RawChunk } from '../../engines/row-access';
import { ValueProblem, ValueTranslationError } from '../values';
import type { CanonicalColumn } from './canonical';
import {
  localSide,
  readWholeRange,
  workerSide,
  type ChunkRead,
  type ChunkSide,
  type WorkerReaderSpec,
} from './chunk-sides';
import {
  canonicalKey,
  diffRows,
  hashRows,
  keyIndexes,
  type HashedRows,
  type RowDifferences,
} from './checksum';

export type { JsonKey, Key, KeyRange } from '../../engines/key-range';

export interface TableRef {
  schema: string;
  table: string;
}

/**
 * Row access the validator needs from one side; values in wire form, rows as arrays in the order
 * of `columns`. The copier's engine row modules (src/engines/<kind>/rows.ts) provide the same.
 */
export interface RangeReader {
  /** Exact COUNT(*), when the reader offers it (the report then has it next to the rows seen). */
  count?(table: TableRef): Promise<number>;
  /** Rows whose key lies in `range`, in the engine's key order, at most `limit`. */
  readRange(
    table: TableRef,
    columns: string[],
    key: string[],
    range: KeyRange,
    limit: number,
  ): Promise<unknown[][]>;
  /** Rows whose key is one of `keys` (any order; absent keys are simply not returned). */
  readByKeys(table: TableRef, columns: string[], key: string[], keys: Key[]): Promise<unknown[][]>;
  /** The engine's raw format (RowsEngine.raw: PostgreSQL COPY text), when it has one. */
  raw?: RawRangeReader;
  /**
   * How a worker thread opens this same reader (its own connection), when it can: range mode then
   * reads and hashes each side in a worker thread (see "Worker threads" at the top).
   */
  worker?: WorkerReaderSpec;
}

/** RowsEngine.raw as the validator uses it (see "Raw chunks" at the top). */
export interface RawRangeReader {
  /** The sessions' raw format; null when values cannot be compared exactly in it. */
  format(): Promise<string | null>;
  /** Key of the n-th row of the range in key order, or null when it holds fewer than n rows. */
  nthKey(table: TableRef, key: string[], range: KeyRange, n: number): Promise<Key | null>;
  /** Every row of the range in key order in the raw format, as one statement. */
  readRange(
    table: TableRef,
    columns: string[],
    key: string[],
    range: KeyRange,
    format: string,
  ): Promise<RawChunk>;
}

export type ValidationPhase = 'rows' | 'extras' | 'done';

export interface ValidationTotals {
  /** Rows read by the walk on each side: together they are the row counts. */
  sourceRows: number;
  targetRows: number;
  rowsCompared: number;
  matching: number;
  mismatched: number;
  missing: number;
  extra: number;
  chunks: number;
  chunksDiffering: number;
  recheckedKeys: number;
  resolvedOnRecheck: number;
  samples: { mismatched: JsonKey[]; missing: JsonKey[]; extra: JsonKey[] };
}

/** JSON-safe: what a retried validation needs to go on after the last validated chunk. */
export interface ValidationCheckpoint {
  phase: ValidationPhase;
  /** Last key validated in this phase (source key in 'rows', target key in 'extras'); null: from the start. */
  after: JsonKey | null;
  /** COUNT(*) when the validation started, where the readers offer it. */
  sourceCount: number | null;
  targetCount: number | null;
  totals: ValidationTotals;
}

export interface TableValidationReport {
  source: TableRef;
  target: TableRef;
  keyMode: 'range' | 'key-set';
  status: 'match' | 'mismatch';
  /** Rows on each side as the walk saw them (the row counts), and COUNT(*) at the start if offered. */
  sourceRows: number;
  targetRows: number;
  sourceCount: number | null;
  targetCount: number | null;
  rowsCompared: number;
  matching: number;
  mismatched: number;
  missing: number;
  extra: number;
  chunks: number;
  chunksDiffering: number;
  /** Keys re-read after catch-up, and how many of them turned out equal (writes in flight). */
  recheckedKeys: number;
  resolvedOnRecheck: number;
  /** Up to `sampleLimit` keys of each kind (source key form; extra: target key form). */
  samples: { mismatched: JsonKey[]; missing: JsonKey[]; extra: JsonKey[] };
  /** The checkpoint this run resumed from, if any. */
  resumedAfter: JsonKey | null;
}

export interface ValidateTableOptions {
  source: { reader: RangeReader; table: TableRef };
  target: { reader: RangeReader; table: TableRef };
  /** The compared columns (same names on both sides), each with its canonical comparison. */
  columns: CanonicalColumn[];
  /** Key column names in key order; all of them among `columns`. */
  key: string[];
  chunkRows?: number;
  sampleLimit?: number;
  /** Re-checks of differing keys before they are reported (default 1; 0 reports at once). */
  recheckAttempts?: number;
  /** Awaited before each re-check: wait for catch-up. Default: sleep `recheckDelayMs` (1000). */
  beforeRecheck?: (attempt: number) => Promise<void>;
  recheckDelayMs?: number;
  /** Key column values from source wire form to target wire form (default: unchanged). */
  toTargetKey?: (key: Key) => Key;
  /**
   * Target wire form back to source wire form (default: unchanged), for target keys looked up on the
   * source: the extras phase of key-set mode and re-checks of extra rows (see keys.ts).
   */
  toSourceKey?: (key: Key) => Key;
  /** Force a mode; by default range mode when every key column orders alike on both engines. */
  keyMode?: 'range' | 'key-set';
  /** Compare chunks in the engines' raw format where possible (default true; see the top). */
  raw?: boolean;
  checkpoint?: ValidationCheckpoint | null;
  onProgress?: (checkpoint: ValidationCheckpoint) => void | Promise<void>;
  /**
   * Range mode, rows compared in Node: read and hash each side in a worker thread, when both
   * readers offer `worker`. Default: from the second chunk on (a table of one chunk is not worth
   * two threads); true: from the first chunk; false: never.
   */
  workers?: boolean;
}

const RANGE_SAFE = new Set([
  'number',
  'float4',
  'float8',
  'binary',
  'date',
  'timestamp',
  'boolean',
  'duration',
]);

/** Whether ranges of this key mean the same rows on both sides (see the comment at the top). */
export function keyModeFor(columns: readonly CanonicalColumn[], key: readonly string[]): 'range' | 'key-set' {
  const safe = key.every((k) => {
    const c = columns.find((col) => col.name === k);
    if (!c) return false;
    // MariaDB's UUID type sorts time-based UUIDs by swapped segments, not byte for byte.
    if (c.domain === 'uuid') return c.source.engine === 'postgres' && c.target.engine === 'postgres';
    return RANGE_SAFE.has(c.domain);
  });
  return safe ? 'range' : 'key-set';
}

export function emptyTotals(): ValidationTotals {
  return {
    sourceRows: 0,
    targetRows: 0,
    rowsCompared: 0,
    matching: 0,
    mismatched: 0,
    missing: 0,
    extra: 0,
    chunks: 0,
    chunksDiffering: 0,
    recheckedKeys: 0,
    resolvedOnRecheck: 0,
    samples: { mismatched: [], missing: [], extra: [] },
  };
}

/** Range mode: chunks read ahead of the one being recorded (each side's reads and hashes). */
const PIPELINE = 3;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function validateTable(options: ValidateTableOptions): Promise<TableValidationReport> {
  const { source, target, columns, key } = options;
  const names = columns.map((c) => c.name);
  const keyAt = keyIndexes(columns, key);
  const keyColumns = keyAt.map((i) => columns[i]!);
  const keyPos = keyColumns.map((_, i) => i);
  const chunkRows = options.chunkRows ?? 1000;
  const sampleLimit = options.sampleLimit ?? 20;
  const attempts = options.recheckAttempts ?? 1;
  const toTarget = options.toTargetKey ?? ((k: Key) => k);
  const toSource = options.toSourceKey ?? ((k: Key) => k);
  const beforeRecheck = options.beforeRecheck ?? ((): Promise<void> => sleep(options.recheckDelayMs ?? 1000));
  const mode = options.keyMode ?? keyModeFor(columns, key);
  if (!Number.isInteger(chunkRows) || chunkRows < 1) throw new Error('chunkRows must be a positive integer');

  const resumed = options.checkpoint ?? null;
  const cp: ValidationCheckpoint = resumed
    ? structuredClone(resumed)
    : {
        phase: 'rows',
        after: null,
        sourceCount: source.reader.count ? await source.reader.count(source.table) : null,
        targetCount: target.reader.count ? await target.reader.count(target.table) : null,
        totals: emptyTotals(),
      };
  const totals = cp.totals;

  /**
   * Target keys in source form, to look them up on the source. A key that has no source form (a
   * value the source's type cannot hold) cannot be on the source: it is left out of the lookup, so
   * it stays an extra row, instead of failing the validation.
   */
  const sourceForms = (keys: readonly Key[]): Key[] => {
    const out: Key[] = [];
    for (const k of keys) {
      try {
        out.push(toSource(k));
      } catch (err) {
        if (!(err instanceof ValueProblem || err instanceof ValueTranslationError)) throw err;
      }
    }
    return out;
  };

  const sample = (list: JsonKey[], keys: unknown[][]): void => {
    for (const k of keys) if (list.length < sampleLimit) list.push(keyToJson(k as Key));
  };

  /** Re-read differing keys on both sides until they agree or the attempts run out. */
  const recheck = async (d: RowDifferences): Promise<RowDifferences> => {
    let current = d;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const pending = current.mismatched.length + current.missing.length + current.extra.length;
      if (!pending) break;
      totals.recheckedKeys += attempt === 1 ? pending : 0;
      await beforeRecheck(attempt);
      const sourceKeys = [...current.mismatched, ...current.missing].map((k) => k as Key);
      const targetKeys = current.extra.map((k) => k as Key);
      const allSource = [...sourceKeys, ...sourceForms(targetKeys)];
      const allTarget = [...sourceKeys.map(toTarget), ...targetKeys];
      const s = hashRows(
        columns,
        keyAt,
        'source',
        await source.reader.readByKeys(source.table, names, key, allSource),
      );
      const t = hashRows(
        columns,
        keyAt,
        'target',
        await target.reader.readByKeys(target.table, names, key, allTarget),
      );
      // Only the keys under re-check: a read by key may also return rows whose key the engine's
      // collation calls equal ('Banana' for 'BANANA' under _ci), which are validated elsewhere.
      const wanted = new Set([
        ...sourceKeys.map((k) => canonicalKey(columns, keyAt, 'source', k)),
        ...targetKeys.map((k) => canonicalKey(columns, keyAt, 'target', k)),
      ]);
      const next = diffRows(only(s, wanted), only(t, wanted), true);
      // Only the keys under re-check count: a key read again that now matches was in flight.
      totals.resolvedOnRecheck +=
        pending - (next.mismatched.length + next.missing.length + next.extra.length);
      current = { ...next, matching: current.matching + next.matching };
    }
    return current;
  };

  const record = async (d: RowDifferences, comparedRows: number): Promise<void> => {
    totals.chunks++;
    totals.rowsCompared += comparedRows;
    let final = d;
    if (d.mismatched.length || d.missing.length || d.extra.length) {
      totals.chunksDiffering++;
      final = attempts > 0 ? await recheck(d) : d;
    }
    totals.matching += final.matching;
    totals.mismatched += final.mismatched.length;
    totals.missing += final.missing.length;
    totals.extra += final.extra.length;
    sample(totals.samples.mismatched, final.mismatched);
    sample(totals.samples.missing, final.missing);
    sample(totals.samples.extra, final.extra);
  };

  const progress = async (): Promise<void> => {
    if (options.onProgress) await options.onProgress(structuredClone(cp));
  };

  // Phase 1, raw chunks (same engine, same column types, same session format; see the top).
  const format = await rawFormat(options, mode);
  if (format && cp.phase === 'rows') {
    const sourceRaw = source.reader.raw!;
    const targetRaw = target.reader.raw!;
    const nth = (lower: Key | null): Promise<Key | null> =>
      sourceRaw.nthKey(source.table, key, { lower, upper: null }, chunkRows);
    let nextUpper: { after: JsonKey | null; key: Promise<Key | null> } | null = null;
    while (cp.phase === 'rows') {
      const lower = cp.after ? keyFromJson(cp.after) : null;
      const upper: Key | null =
        nextUpper && JSON.stringify(nextUpper.after) === JSON.stringify(cp.after)
          ? await nextUpper.key
          : await nth(lower);
      nextUpper = upper ? { after: keyToJson(upper), key: quiet(nth(upper)) } : null;
      const range: KeyRange = { lower, upper };
      const [s, t] = await Promise.all([
        rawDigest(sourceRaw.readRange(source.table, names, key, range, format)),
        rawDigest(targetRaw.readRange(target.table, names, key, range, format)),
      ]);
      if (s.rows === t.rows && s.hash === t.hash) {
        totals.sourceRows += s.rows;
        totals.targetRows += t.rows;
        if (s.rows) await record({ matching: s.rows, mismatched: [], missing: [], extra: [] }, s.rows);
      } else {
        // Not byte for byte equal: compare this range row by row, canonically (it may still match).
        const [srcRows, tgtRows] = await Promise.all([
          readWholeRange(source.reader, source.table, names, key, keyAt, range, chunkRows + 1),
          readWholeRange(target.reader, target.table, names, key, keyAt, range, chunkRows + 1),
        ]);
        const sh = hashRows(columns, keyAt, 'source', srcRows);
        const th = hashRows(columns, keyAt, 'target', tgtRows);
        totals.sourceRows += srcRows.length;
        totals.targetRows += th.rows.size;
        const d = sh.digest.equals(th.digest)
          ? { matching: sh.digest.count, mismatched: [], missing: [], extra: [] }
          : diffRows(sh, th, true);
        if (srcRows.length || th.rows.size) await record(d, Math.max(srcRows.length, th.rows.size));
      }
      if (upper) cp.after = keyToJson(upper);
      else {
        cp.phase = 'done';
        cp.after = null;
      }
      await progress();
    }
  }

  // Phase 1: source chunks. Reads are pipelined: as soon as a source chunk is in, the next source
  // chunk (which starts after its last key) is requested, then the target's rows for this chunk
  // (range mode keeps up to PIPELINE chunks in flight, key-set mode one source chunk ahead); rows
  // are hashed while other reads are in flight. The checkpoint still advances only after a chunk is
  // recorded, in order, so resuming is unchanged.
  if (mode === 'range' && cp.phase === 'rows') {
    // Both sides read the chunk in the same key order, so one hash over each side's rows in order
    // settles a matching chunk; any difference (including only in order) goes to the per-row
    // comparison, which is order-independent and finds the keys. The sides read and hash on this
    // thread or each in a worker thread (see "Worker threads" at the top): same reads, same hashes.
    const threaded = options.workers !== false && !!source.reader.worker && !!target.reader.worker;
    let threads = null as { source: ChunkSide; target: ChunkSide } | null;
    let sides: { source: ChunkSide; target: ChunkSide } = {
      source: localSide(source.reader, source.table, columns, key, keyAt, 'source'),
      target: localSide(target.reader, target.table, columns, key, keyAt, 'target'),
    };
    const spawn = (): { source: ChunkSide; target: ChunkSide } => {
      const data = { columns, keyAt, key };
      const src = workerSide({ ...data, reader: source.reader.worker!, table: source.table, side: 'source' });
      let tgt: ChunkSide;
      try {
        tgt = workerSide({ ...data, reader: target.reader.worker!, table: target.table, side: 'target' });
      } catch (err) {
        void src.close(); // the first thread must not outlive a failed start of the second
        throw err;
      }
      threads = { source: src, target: tgt };
      return threads;
    };
    // Up to PIPELINE chunks in flight: a chunk's target read starts as soon as its source chunk is
    // in (it needs the last key), and the next source chunk right then too, so both sides (both
    // threads) keep working while this loop records chunks in order.
    const inFlight: Promise<{ src: ChunkRead; tgt: ChunkRead; last: Key | null }>[] = [];
    let waiting: Key | undefined; // the last key of a chunk whose successor is not started yet
    let stopped = false;
    const start = (lower: Key | null): void => {
      const pair = sides.source.read({ lower, upper: null }, chunkRows, false).then((src) => {
        const last: Key | null = src.count === chunkRows ? src.last : null;
        // Default: threads from the second chunk on, once the table is known to have one.
        if (last && threaded && !threads && !stopped) sides = spawn();
        if (stopped) throw new Error('the validation of this table stopped');
        const range: KeyRange = { lower: lower && toTarget(lower), upper: last && toTarget(last) };
        // Pages of chunkRows + 1: a target range holding exactly the chunk's rows (the usual case)
        // is then read in one query, not in a full page and an empty one.
        const tgt = sides.target.read(range, chunkRows + 1, true);
        if (last && !stopped) {
          if (inFlight.length < PIPELINE) start(last);
          else waiting = last;
        }
        return tgt.then((t) => ({ src, tgt: t, last }));
      });
      inFlight.push(quiet(pair));
    };
    try {
      if (threaded && options.workers === true) sides = spawn();
      start(cp.after ? keyFromJson(cp.after) : null);
      while (cp.phase === 'rows') {
        const { src, tgt, last } = await inFlight.shift()!;
        if (waiting !== undefined && inFlight.length < PIPELINE) {
          const next = waiting;
          waiting = undefined;
          start(next);
        }
        const sourceSequence = await src.sequence();
        const targetSequence = await tgt.sequence();
        let d: RowDifferences;
        let targetSeen: number;
        if (src.count === tgt.count && sourceSequence === targetSequence) {
          src.drop();
          tgt.drop();
          d = { matching: src.count, mismatched: [], missing: [], extra: [] };
          targetSeen = tgt.count;
        } else {
          const [s, t] = await Promise.all([src.hashed(), tgt.hashed()]);
          d = s.digest.equals(t.digest)
            ? { matching: s.digest.count, mismatched: [], missing: [], extra: [] }
            : diffRows(s, t, true);
          targetSeen = t.rows.size;
        }
        totals.sourceRows += src.count;
        totals.targetRows += targetSeen;
        if (src.count || targetSeen) await record(d, Math.max(src.count, targetSeen));
        if (last) cp.after = keyToJson(last);
        else {
          cp.phase = 'done';
          cp.after = null;
        }
        await progress();
      }
    } finally {
      stopped = true;
      if (threads) await Promise.all([threads.source.close(), threads.target.close()]);
    }
  }

  // Key-set mode: the target is read by the source chunk's key set (see the top).
  const readSourceAfter = (after: JsonKey | null): Promise<unknown[][]> =>
    source.reader.readRange(
      source.table,
      names,
      key,
      { lower: after ? keyFromJson(after) : null, upper: null },
      chunkRows,
    );
  let prefetched: { after: JsonKey | null; rows: Promise<unknown[][]> } | null = null;
  while (cp.phase === 'rows') {
    const srcRows =
      prefetched && JSON.stringify(prefetched.after) === JSON.stringify(cp.after)
        ? await prefetched.rows
        : await readSourceAfter(cp.after);
    prefetched = null;
    const last =
      srcRows.length === chunkRows ? (keyAt.map((i) => srcRows[srcRows.length - 1]![i]) as Key) : null;
    if (last) {
      const after = keyToJson(last);
      prefetched = { after, rows: quiet(readSourceAfter(after)) };
    }
    const keys = srcRows.map((r) => toTarget(keyAt.map((i) => r[i]) as Key));
    const targetRead = quiet(
      keys.length ? target.reader.readByKeys(target.table, names, key, keys) : Promise.resolve([]),
    );
    const s = hashRows(columns, keyAt, 'source', srcRows);
    const t: HashedRows = hashRows(columns, keyAt, 'target', await targetRead);
    const d = s.digest.equals(t.digest)
      ? { matching: s.digest.count, mismatched: [], missing: [], extra: [] }
      : diffRows(s, t, false);
    const targetSeen = t.rows.size;
    totals.sourceRows += srcRows.length;
    if (srcRows.length || targetSeen) await record(d, Math.max(srcRows.length, targetSeen));
    if (last) cp.after = keyToJson(last);
    else {
      cp.phase = 'extras';
      cp.after = null;
    }
    await progress();
  }

  // Phase 2 (key-set mode): target keys the source does not have.
  // The next chunk of target keys is requested while this one is looked up on the source.
  const readTargetKeysAfter = (after: JsonKey | null): Promise<unknown[][]> =>
    target.reader.readRange(
      target.table,
      key,
      key,
      { lower: after ? keyFromJson(after) : null, upper: null },
      chunkRows,
    );
  let nextKeys: { after: JsonKey | null; rows: Promise<unknown[][]> } | null = null;
  while (cp.phase === 'extras') {
    const tgtKeys =
      nextKeys && JSON.stringify(nextKeys.after) === JSON.stringify(cp.after)
        ? await nextKeys.rows
        : await readTargetKeysAfter(cp.after);
    nextKeys = null;
    if (tgtKeys.length === chunkRows) {
      const after = keyToJson(tgtKeys[tgtKeys.length - 1]! as Key);
      nextKeys = { after, rows: quiet(readTargetKeysAfter(after)) };
    }
    const lookup = sourceForms(tgtKeys as Key[]);
    const found = lookup.length ? await source.reader.readByKeys(source.table, key, key, lookup) : [];
    totals.targetRows += tgtKeys.length;
    const present = new Set(found.map((k) => canonicalKey(keyColumns, keyPos, 'source', k)));
    const extra = tgtKeys.filter((k) => !present.has(canonicalKey(keyColumns, keyPos, 'target', k)));
    if (extra.length) {
      totals.chunksDiffering++;
      const final = attempts > 0 ? await recheck({ matching: 0, mismatched: [], missing: [], extra }) : null;
      const left = final ?? { matching: 0, mismatched: [], missing: [], extra };
      // Rows that turned out present on re-check were compared in phase 1 or arrived since: they
      // count neither as extra nor again as matching; a re-check may also surface them as missing
      // or mismatched, which is reported.
      totals.mismatched += left.mismatched.length;
      totals.missing += left.missing.length;
      totals.extra += left.extra.length;
      sample(totals.samples.mismatched, left.mismatched);
      sample(totals.samples.missing, left.missing);
      sample(totals.samples.extra, left.extra);
    }
    if (tgtKeys.length === chunkRows) cp.after = keyToJson(tgtKeys[tgtKeys.length - 1]! as Key);
    else {
      cp.phase = 'done';
      cp.after = null;
    }
    await progress();
  }

  const differs = totals.mismatched + totals.missing + totals.extra > 0;
  return {
    source: source.table,
    target: target.table,
    keyMode: mode,
    status: differs ? 'mismatch' : 'match',
    sourceRows: totals.sourceRows,
    targetRows: totals.targetRows,
    sourceCount: cp.sourceCount,
    targetCount: cp.targetCount,
    rowsCompared: totals.rowsCompared,
    matching: totals.matching,
    mismatched: totals.mismatched,
    missing: totals.missing,
    extra: totals.extra,
    chunks: totals.chunks,
    chunksDiffering: totals.chunksDiffering,
    recheckedKeys: totals.recheckedKeys,
    resolvedOnRecheck: totals.resolvedOnRecheck,
    samples: totals.samples,
    resumedAfter: resumed ? resumed.after : null,
  };
}

/** Whether chunks can be compared in the raw format, and in which (null: row by row). */
async function rawFormat(options: ValidateTableOptions, mode: 'range' | 'key-set'): Promise<string | null> {
  const s = options.source.reader.raw;
  const t = options.target.reader.raw;
  if (options.raw === false || mode !== 'range' || !s || !t) return null;
  // Key translation is the identity between two databases of one engine; types must be equal.
  const same = (a: string, b: string): boolean =>
    a.trim().replace(/\s+/g, ' ') === b.trim().replace(/\s+/g, ' ');
  const identical = options.columns.every(
    (c) =>
      c.source.engine === c.target.engine && c.types !== undefined && same(c.types.source, c.types.target),
  );
  if (!identical) return null;
  const [a, b] = await Promise.all([s.format(), t.format()]);
  return a !== null && a === b ? a : null;
}

/** MD5 over a raw chunk's bytes as they stream in, and its row count. */
async function rawDigest(chunk: Promise<RawChunk>): Promise<{ rows: number; hash: string }> {
  const c = await chunk;
  const h = createHash('md5');
  try {
    for await (const b of c.stream) h.update(b as Buffer);
  } catch (err) {
    c.destroy(err instanceof Error ? err : new Error(String(err)));
    throw err;
  }
  return { rows: await c.rows, hash: h.digest('hex') };
}

/**
 * Mark a read started ahead of its use as handled, so that if the validation stops before using it
 * (an error elsewhere), its failure is not an unhandled rejection; awaiting it still throws.
 */
function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

function only(h: HashedRows, keys: Set<string>): HashedRows {
  return { digest: h.digest, rows: new Map([...h.rows].filter(([k]) => keys.has(k))) };
}
