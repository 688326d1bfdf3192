// Copy one table from a source to a target, resumably: the table is cut into slices (key ranges on
// the source's order), slices run in parallel up to a concurrency limit, and each slice loops
//   readRange (source, after the last key read) -> translate -> replaceRange (target)
// one chunk at a time, the next chunk being read while the current one is written. A chunk replaces
// its whole key range on the target in one transaction, so a chunk retried after a crash leaves no
// duplicate and no gap, and rows that vanished from the source vanish from the target too. After
// each committed chunk the progress callback receives a JSON-safe checkpoint; passing it back resumes
// after the last committed chunk of every slice.
//
// Passthrough: when nothing about a value changes on the way (same engine, every column of the same
// type on both sides, no row translation, range deletes) and both engines print and parse values in
// the same raw format (RowsEngine.raw: PostgreSQL COPY text with identical session settings), a
// chunk is cut by key first (the n-th key of the range, a key-only query), then the source's bulk
// read of that key range streams straight into the target's bulk load, inside the target transaction
// that first deletes the range: no row is decoded in Node. Checkpoints, idempotence and tuning are
// the same; the row count comes from the COPY commands and bytes are the raw bytes streamed.
import { performance } from 'node:perf_hooks';
import {
  keyFromJson,
  keyPositions,
  keyToJson,
  rowBytes,
  type JsonKey,
  type Key,
  type KeyRange,
} from '../../engines/key-range';
import { ChunkTuner, type ChunkTunerOptions } from './chunk-tuner';
import { splitTable, type SplitOptions } from './range-splitter';
import type { RawRowAccess } from '../../engines/row-access';
import type { ReplaceOptions, RowsEngine } from './rows-engine';
import type { Throttle } from './throttle';

export interface SliceCheckpoint {
  /** The slice's source range (JSON-safe keys). */
  lower: JsonKey | null;
  upper: JsonKey | null;
  /**
   * The last source key whose chunk is committed on the target; null before the first chunk. Every
   * key up to it is committed. (Passthrough: the end key of the last committed chunk; once a slice is
   * done, its final chunk's last row is not known and lastKey stays at the chunk before.)
   */
  lastKey: JsonKey | null;
  done: boolean;
  rows: number;
  /** Approximate: the rows' wire-form bytes (row path), or the raw COPY text streamed (passthrough). */
  bytes: number;
  /** The tuned chunk size when the checkpoint was taken, to resume at the same pace. */
  chunkSize: number;
}

/** Everything needed to resume a table's copy: small, JSON-safe, one entry per slice. */
export interface CopyCheckpoint {
  slices: SliceCheckpoint[];
}

export interface CopyProgress {
  /** The slice that just committed a chunk (index into checkpoint.slices). */
  slice: number;
  /** That slice's last committed source key (JSON-safe), null when it ended without rows. */
  lastKey: JsonKey | null;
  /** Rows and bytes of the chunk just committed, and of the table so far. */
  chunkRows: number;
  rows: number;
  bytes: number;
  slicesDone: number;
  /** The full checkpoint to store (heartbeat details) and pass back as `checkpoint` on a retry. */
  checkpoint: CopyCheckpoint;
}

export interface CopyTableOptions {
  source: RowsEngine;
  target: RowsEngine;
  sourceSchema: string;
  sourceTable: string;
  targetSchema: string;
  targetTable: string;
  /** Source columns to copy, in order (never generated columns); the key columns among them. */
  columns: string[];
  /** Target column names in the same order (default: the same names). */
  targetColumns?: string[];
  /** Source key columns. */
  key: string[];
  /** Source row -> target row (src/dataplane/values rowTranslator); identity when absent. */
  translateRow?: (row: readonly unknown[]) => unknown[];
  /** Source key -> target key, for range bounds (values keyTranslator); identity when absent. */
  translateKey?: (key: Key) => Key;
  /** How many slices run at once (default 2). */
  concurrency?: number;
  split?: SplitOptions;
  chunk?: ChunkTunerOptions;
  throttle?: Throttle;
  /** 'keys' when the key's order differs between source and target (text keys across collations). */
  deleteBy?: ReplaceOptions['deleteBy'];
  /**
   * The column types (DDL spelling) in `columns` order: the source's (ColumnModel.nativeType) and
   * the target's (the plan's targetType). Needed for passthrough, which requires every pair to be
   * the same text; without them rows are always read and written one by one.
   */
  columnTypes?: { source: readonly string[]; target: readonly string[] };
  /** Allow passthrough when the table qualifies (default true); false always reads rows. */
  passthrough?: boolean;
  /** Resume from this checkpoint instead of splitting the table again. */
  checkpoint?: CopyCheckpoint | null;
  /** Called after every committed chunk, in commit order; awaited before the slice goes on. */
  onProgress?: (progress: CopyProgress) => void | Promise<void>;
  signal?: AbortSignal;
  /** Milliseconds, for chunk timing (default performance.now). */
  now?: () => number;
}

export interface CopyResult {
  rows: number;
  bytes: number;
  chunks: number;
  checkpoint: CopyCheckpoint;
  /** How the chunks moved: decoded rows, or raw passthrough; and why not passthrough. */
  mode: CopyMode;
  modeReason: string;
}

export type CopyMode = 'rows' | 'passthrough';

type Decision = { mode: 'passthrough'; format: string; reason: string } | { mode: 'rows'; reason: string };

/** Column types compare as written, only runs of white space made one: conservative by design. */
const sameType = (a: string, b: string): boolean =>
  a.trim().replace(/\s+/g, ' ') === b.trim().replace(/\s+/g, ' ');

/**
 * Whether this table's chunks may pass through in the engines' raw format, and why not. Every
 * condition must hold; anything unknown means rows.
 */
export async function choosePassthrough(
  options: Pick<
    CopyTableOptions,
    'source' | 'target' | 'columns' | 'translateRow' | 'deleteBy' | 'columnTypes' | 'passthrough'
  >,
): Promise<Decision> {
  const { source, target, columns, columnTypes } = options;
  const rows = (reason: string): Decision => ({ mode: 'rows', reason });
  if (options.passthrough === false) return rows('passthrough is turned off');
  if (source.kind !== target.kind) return rows(`${source.kind} -> ${target.kind}: values are translated`);
  if (!source.raw || !target.raw) return rows(`the ${source.kind} engine has no raw format`);
  // One pool on both sides: a chunk holds a source and a target session at once, and slices
  // waiting for their source sessions while holding target ones could exhaust it.
  if (source === target || source.raw === target.raw)
    return rows('source and target are the same row access (one pool)');
  const translator = options.translateRow as { identity?: unknown } | undefined;
  if (translator && translator.identity !== true) return rows('rows go through a value translator');
  if (options.deleteBy === 'keys') return rows('chunks are replaced by key, not by range');
  if (!columnTypes) return rows('the column types are not known');
  if (columnTypes.source.length !== columns.length || columnTypes.target.length !== columns.length)
    return rows('the column types do not match the columns');
  const differ = columns.filter((_, i) => !sameType(columnTypes.source[i]!, columnTypes.target[i]!));
  if (differ.length)
    return rows(
      `column type changes: ${differ
        .map((c) => {
          const i = columns.indexOf(c);
          return `${c} (${columnTypes.source[i]} -> ${columnTypes.target[i]})`;
        })
        .join(', ')}`,
    );
  const [from, to] = await Promise.all([source.raw.format(), target.raw.format()]);
  if (!from || !to)
    return rows(`the ${!from ? 'source' : 'target'} sessions cannot pass rows through exactly`);
  if (from !== to) return rows(`the sessions' formats differ: ${from} vs ${to}`);
  return { mode: 'passthrough', format: from, reason: 'same engine, same column types, same session format' };
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('the copy was cancelled');
}

export async function copyTable(options: CopyTableOptions): Promise<CopyResult> {
  const { source, target, key, columns, signal } = options;
  const targetColumns = options.targetColumns ?? columns;
  if (targetColumns.length !== columns.length)
    throw new RangeError('targetColumns must name as many columns as columns');
  const keyAt = keyPositions(columns, key);
  const targetKey = keyAt.map((i) => targetColumns[i]!);
  const translateRow = options.translateRow ?? ((r: readonly unknown[]) => r as unknown[]);
  const translateKey = options.translateKey ?? ((k: Key) => k);
  const now = options.now ?? (() => performance.now());
  if (signal?.aborted) throw abortError(signal);
  const decision = await choosePassthrough(options);

  const checkpoint: CopyCheckpoint = options.checkpoint
    ? structuredClone(options.checkpoint)
    : {
        slices: (await splitTable(source, options.sourceSchema, options.sourceTable, key, options.split)).map(
          (r) => ({
            lower: r.lower && keyToJson(r.lower),
            upper: r.upper && keyToJson(r.upper),
            lastKey: null,
            done: false,
            rows: 0,
            bytes: 0,
            chunkSize: new ChunkTuner(options.chunk).size,
          }),
        ),
      };

  // One failing slice stops the others at their next chunk.
  const stop = new AbortController();
  const onAbort = () => stop.abort(abortError(signal!));
  signal?.addEventListener('abort', onAbort, { once: true });
  let chunks = 0;
  const totals = () =>
    checkpoint.slices.reduce(
      (t, s) => ({ rows: t.rows + s.rows, bytes: t.bytes + s.bytes, done: t.done + (s.done ? 1 : 0) }),
      { rows: 0, bytes: 0, done: 0 },
    );
  // Progress callbacks run one at a time, in commit order.
  let reporting: Promise<void> = Promise.resolve();
  const report = (slice: number, chunkRows: number): Promise<void> => {
    const s = checkpoint.slices[slice]!;
    const t = totals();
    const progress: CopyProgress = {
      slice,
      lastKey: s.lastKey,
      chunkRows,
      rows: t.rows,
      bytes: t.bytes,
      slicesDone: t.done,
      checkpoint: structuredClone(checkpoint),
    };
    reporting = reporting.then(() => options.onProgress?.(progress));
    return reporting;
  };

  // Each slice is pipelined: while chunk N is written to the target, chunk N+1 is already being read
  // from the source (at most one read ahead, so memory stays bounded by two chunks per slice). The
  // read ahead depends only on the source and on chunk N's last key, never on the target, and the
  // checkpoint still only moves after a chunk has committed, in order.
  type Read = { rows: unknown[][]; limit: number; position: Key | null; started: number };
  const copySlice = async (index: number): Promise<void> => {
    const state = checkpoint.slices[index]!;
    const upper = state.upper && keyFromJson(state.upper);
    const tuner = new ChunkTuner({ ...options.chunk, initial: state.chunkSize });
    const read = async (position: Key | null): Promise<Read> => {
      if (stop.signal.aborted) throw stop.signal.reason;
      const limit = tuner.size;
      await options.throttle?.acquire(limit, stop.signal);
      const started = now();
      const rows = await source.readRange(
        options.sourceSchema,
        options.sourceTable,
        columns,
        key,
        { lower: position, upper },
        limit,
      );
      return { rows, limit, position, started };
    };
    let ahead: Promise<Read> | null = read(
      state.lastKey ? keyFromJson(state.lastKey) : state.lower && keyFromJson(state.lower),
    );
    // A read ahead that is never consumed (the slice failed or was stopped) must not reject unhandled.
    ahead.catch(() => undefined);
    // When the previous chunk's write ended: a chunk's time is from then (or from its read's start,
    // if later) to its commit, i.e. the time it added to the slice, which is what the tuner needs.
    let previousEnd = -Infinity;
    try {
      while (!state.done) {
        if (stop.signal.aborted) throw stop.signal.reason;
        const current: Read = await ahead!;
        ahead = null;
        const { rows, limit, position } = current;
        // The last chunk of a slice reaches to the slice's upper bound, so target rows past the last
        // source row (deleted on the source since an earlier attempt) go too.
        const last = rows.length === limit ? (keyAt.map((i) => rows[rows.length - 1]![i]) as Key) : null;
        if (last) {
          ahead = read(last);
          ahead.catch(() => undefined);
        }
        const range: KeyRange = { lower: position, upper: last ?? upper };
        const targetRange: KeyRange = {
          lower: range.lower && translateKey(range.lower),
          upper: range.upper && translateKey(range.upper),
        };
        await target.replaceRange(
          options.targetSchema,
          options.targetTable,
          targetColumns,
          targetKey,
          targetRange,
          rows.map(translateRow),
          { deleteBy: options.deleteBy },
        );
        const ended = now();
        tuner.record(rows.length, ended - Math.max(current.started, previousEnd));
        previousEnd = ended;
        let bytes = 0;
        for (const r of rows) bytes += rowBytes(r);
        chunks++;
        state.rows += rows.length;
        state.bytes += bytes;
        state.chunkSize = tuner.size;
        if (last) {
          state.lastKey = keyToJson(last);
        } else {
          state.done = true;
          if (rows.length) state.lastKey = keyToJson(keyAt.map((i) => rows[rows.length - 1]![i]) as Key);
        }
        await report(index, rows.length);
      }
    } finally {
      // Leave no source read running once the slice has stopped (its result is not used).
      if (ahead)
        await ahead.then(
          () => undefined,
          () => undefined,
        );
    }
  };

  // Passthrough slice: chunk N's end is the n-th key after chunk N-1's end (found one chunk ahead,
  // while the previous chunk streams); the chunk is then every row of (previous end, end], read by
  // the source in one statement and loaded by the target in the transaction that deletes that range.
  // The checkpoint's lastKey is the chunk's end key; the last chunk reaches the slice's upper bound.
  type Bound = { position: Key | null; end: Key | null; limit: number };
  const copySliceRaw = async (index: number, format: string): Promise<void> => {
    const from = source.raw as RawRowAccess;
    const into = target.raw as RawRowAccess;
    const state = checkpoint.slices[index]!;
    const upper = state.upper && keyFromJson(state.upper);
    const tuner = new ChunkTuner({ ...options.chunk, initial: state.chunkSize });
    const bound = async (position: Key | null): Promise<Bound> => {
      if (stop.signal.aborted) throw stop.signal.reason;
      const limit = tuner.size;
      const end = await from.nthKey(
        options.sourceSchema,
        options.sourceTable,
        key,
        { lower: position, upper },
        limit,
      );
      return { position, end, limit };
    };
    let ahead: Promise<Bound> | null = bound(
      state.lastKey ? keyFromJson(state.lastKey) : state.lower && keyFromJson(state.lower),
    );
    ahead.catch(() => undefined);
    try {
      while (!state.done) {
        if (stop.signal.aborted) throw stop.signal.reason;
        const { position, end, limit } = await ahead!;
        ahead = null;
        if (end) {
          ahead = bound(end);
          ahead.catch(() => undefined);
        }
        await options.throttle?.acquire(limit, stop.signal);
        const started = now();
        const range: KeyRange = { lower: position, upper: end ?? upper };
        const chunk = () =>
          from.readRange(options.sourceSchema, options.sourceTable, columns, key, range, format);
        const { rows, bytes } = await into.replaceRange(
          options.targetSchema,
          options.targetTable,
          targetColumns,
          targetKey,
          {
            lower: range.lower && translateKey(range.lower),
            upper: range.upper && translateKey(range.upper),
          },
          chunk,
          format,
        );
        tuner.record(rows, now() - started);
        chunks++;
        state.rows += rows;
        state.bytes += bytes;
        state.chunkSize = tuner.size;
        if (end) state.lastKey = keyToJson(end);
        else state.done = true;
        await report(index, rows);
      }
    } finally {
      if (ahead)
        await ahead.then(
          () => undefined,
          () => undefined,
        );
    }
  };

  try {
    const pending = checkpoint.slices.map((_, i) => i).filter((i) => !checkpoint.slices[i]!.done);
    const workers = Math.max(1, Math.min(options.concurrency ?? 2, pending.length));
    let failure: { err: unknown } | null = null;
    await Promise.all(
      Array.from({ length: workers }, async () => {
        for (let i = pending.shift(); i !== undefined; i = pending.shift()) {
          try {
            if (decision.mode === 'passthrough') await copySliceRaw(i, decision.format);
            else await copySlice(i);
          } catch (err) {
            failure ??= { err };
            if (!stop.signal.aborted) stop.abort(err);
            return;
          }
        }
      }),
    );
    await reporting;
    if (failure) throw (failure as { err: unknown }).err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  const t = totals();
  return {
    rows: t.rows,
    bytes: t.bytes,
    chunks,
    checkpoint: structuredClone(checkpoint),
    mode: decision.mode,
    modeReason: decision.reason,
  };
}
