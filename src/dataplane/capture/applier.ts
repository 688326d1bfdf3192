// The change applier: brings the target up to date with the source, by key. One step:
//   readBatch (changelog) -> distinct (table, key) -> readByKeys (source, now) ->
//   deleteRows (target, keys the source no longer has) + upsertRows (target, rows it has) -> trim
// It never replays a change: for every key that changed it copies the source row as it is now, or
// deletes it if the source has none. That converges whatever order changes arrive in and however often
// a batch is applied again (a crash between apply and trim re-applies it, harmlessly). A change
// committed on the source after the source read is in the changelog too and comes in a later batch.
//
// Keys are matched byte for byte (wire form), not by the source's collation: after an UPDATE from 'a'
// to 'A' under a _ci collation, reading 'a' returns the row keyed 'A', so 'a' counts as gone and is
// deleted on the target while 'A' is upserted. Deletes run before upserts so that a target whose own
// collation folds 'a' and 'A' together ends with the row.
import type { CaptureLag, CapturedChange, ChangeCapture } from '../../engines/capture';
import { FULL_RANGE, keyPositions, keyToJson, type Key } from '../../engines/key-range';
import type { RowsEngine } from '../copy/rows-engine';

export interface ApplierTable {
  /** The source table, as the changelog names it. */
  table: string;
  /** Target table name (default: the same). */
  targetTable?: string;
  /** Source columns to copy, in order (never generated columns). */
  columns: string[];
  /** Target column names in the same order (default: the same names). */
  targetColumns?: string[];
  /** Source key columns (the key the capture records), all among `columns`. */
  key: string[];
  /** Source row -> target row (src/dataplane/values rowTranslator); identity when absent. */
  translateRow?: (row: readonly unknown[]) => unknown[];
  /** Source key -> target key (values keyTranslator); identity when absent. */
  translateKey?: (key: Key) => Key;
}

export interface ApplierOptions {
  capture: ChangeCapture;
  source: RowsEngine;
  target: RowsEngine;
  sourceSchema: string;
  targetSchema: string;
  tables: ApplierTable[];
  /** Changelog rows per batch (default 1000). */
  batchSize?: number;
  /**
   * Passed to every trim (TrimOptions.retainAfter): changes consumed after this position stay in the
   * changelog for changedKeys(retainAfter); null keeps every change; absent, applied changes go.
   */
  retainAfter?: string | null;
}

export interface ApplyResult {
  /** Pass to the next call (and keep in the heartbeat): everything before it is applied and trimmed. */
  position: string;
  /** Changelog rows read, distinct keys converged, target rows upserted and deleted. */
  changes: number;
  keys: number;
  upserted: number;
  deleted: number;
  /** Target tables emptied because the source table was truncated. */
  truncations: number;
}

export interface CatchUpResult extends ApplyResult {
  batches: number;
  lag: CaptureLag;
}

export interface CatchUpOptions {
  /** Stop once a batch reads fewer changes than this (default: the batch size, i.e. caught up). */
  untilBatchBelow?: number;
  /** Stop after this many batches even if not caught up (default: unlimited). */
  maxBatches?: number;
  /** Called after every applied batch with the running totals and the current lag. */
  onProgress?: (progress: CatchUpResult) => void | Promise<void>;
  signal?: AbortSignal;
}

interface Plan {
  spec: ApplierTable;
  targetTable: string;
  targetColumns: string[];
  targetKey: string[];
  keyAt: number[];
  translateRow: (row: readonly unknown[]) => unknown[];
  translateKey: (key: Key) => Key;
}

function plans(options: ApplierOptions): Map<string, Plan> {
  const out = new Map<string, Plan>();
  for (const t of options.tables) {
    const targetColumns = t.targetColumns ?? t.columns;
    if (targetColumns.length !== t.columns.length)
      throw new Error(`table ${JSON.stringify(t.table)}: targetColumns and columns differ in length`);
    const keyAt = keyPositions(t.columns, t.key);
    out.set(t.table, {
      spec: t,
      targetTable: t.targetTable ?? t.table,
      targetColumns,
      targetKey: keyAt.map((i) => targetColumns[i]!),
      keyAt,
      translateRow: t.translateRow ?? ((r) => r as unknown[]),
      translateKey: t.translateKey ?? ((k) => k),
    });
  }
  return out;
}

const keyId = (key: Key): string => JSON.stringify(keyToJson(key));

/** A unique-key violation on the target (MySQL ER_DUP_ENTRY, PostgreSQL unique_violation). */
function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: unknown; errno?: unknown } | null;
  return e?.code === 'ER_DUP_ENTRY' || e?.errno === 1062 || e?.code === '23505';
}

/**
 * The conflict, without the value the server quotes (row data may be personal: failures end up in
 * Temporal's history), naming the unique key.
 */
function uniqueConflict(err: unknown, ahead: number): Error {
  const e = err as { constraint?: unknown; sqlMessage?: unknown; message?: unknown };
  const key =
    typeof e.constraint === 'string'
      ? e.constraint
      : (/for key '(.*)'$/s.exec(String(e.sqlMessage ?? e.message ?? ''))?.[1] ?? 'unknown');
  return new Error(
    `the target refused a row from the source: another target row holds its value of unique key ${JSON.stringify(key)}, ` +
      `and no change in the changelog (read ahead ${ahead} batches) moves that row; the target's unique key ` +
      'may fold values the source keeps apart (collation), or rows were written on the target by something else',
  );
}

/** How many further batches one apply may read ahead to resolve a unique-key conflict. */
const READ_AHEAD_BATCHES = 20;

interface Applied {
  keys: number;
  upserted: number;
  deleted: number;
  truncations: number;
}

/** Converge the target on every key of `changes` (see the header); nothing is trimmed here. */
async function applyChanges(
  options: ApplierOptions,
  byTable: Map<string, Plan>,
  changes: readonly CapturedChange[],
): Promise<Applied> {
  const batch = { changes };
  // Distinct keys per table: the new key of every change and the old key of a key change.
  const pending = new Map<string, Map<string, Key>>();
  const truncated = new Set<string>();
  for (const c of batch.changes) {
    if (!byTable.has(c.table))
      throw new Error(
        `the changelog holds a change of table ${JSON.stringify(c.table)}, which is not applied`,
      );
    let keys = pending.get(c.table);
    if (!keys) pending.set(c.table, (keys = new Map()));
    if (c.op === 'truncate') {
      truncated.add(c.table);
      continue;
    }
    keys.set(keyId(c.key), c.key);
    if (c.oldKey) keys.set(keyId(c.oldKey), c.oldKey);
  }

  let keyCount = 0;
  let upserted = 0;
  let deleted = 0;
  let truncations = 0;
  for (const [table, keys] of pending) {
    const plan = byTable.get(table)!;
    keyCount += keys.size;
    // A TRUNCATE empties the target table first; every change after it is in this batch or a later
    // one (see ChangeOperation), and converges below like any other.
    if (truncated.has(table)) {
      await options.target.replaceRange(
        options.targetSchema,
        plan.targetTable,
        plan.targetColumns,
        plan.targetKey,
        FULL_RANGE,
        [],
      );
      truncations++;
    }
    if (!keys.size) continue;
    const rows = await options.source.readByKeys(
      options.sourceSchema,
      table,
      plan.spec.columns,
      plan.spec.key,
      [...keys.values()],
    );
    // One row per key: keys equal under the source's collation ('a', 'A') may return the same row
    // from two statements, and an upsert must not name a row twice.
    const byKey = new Map<string, unknown[]>();
    for (const r of rows) byKey.set(keyId(plan.keyAt.map((i) => r[i]) as Key), r);
    const present = new Set(byKey.keys());
    const gone = [...keys].filter(([id]) => !present.has(id)).map(([, k]) => plan.translateKey(k));
    if (gone.length)
      deleted += await options.target.deleteRows(
        options.targetSchema,
        plan.targetTable,
        plan.targetKey,
        gone,
      );
    if (byKey.size)
      upserted += await options.target.upsertRows(
        options.targetSchema,
        plan.targetTable,
        plan.targetColumns,
        plan.targetKey,
        [...byKey.values()].map(plan.translateRow),
      );
  }

  return { keys: keyCount, upserted, deleted, truncations };
}

/**
 * Apply one batch of captured changes and trim it. Returns the position to continue from; with no
 * changes pending it returns quickly with `changes: 0`.
 *
 * A target with a secondary UNIQUE key (reverse replication into the old source; a target whose
 * post-load phase ran) can refuse a row read from the source now: its value may still be held on
 * the target by another row whose own change lies in a later batch (the source row took the value
 * after the batch was read). That other row's change is in the changelog (its copy on the target is
 * older than the source's current state), so the applier reads ahead, up to READ_AHEAD_BATCHES
 * batches, and converges the union of their keys, which frees the value. A conflict that remains
 * with nothing more to read (a target whose collation folds values the source keeps apart, or rows
 * written on the target by someone else) fails, and nothing is trimmed.
 */
export async function applyBatch(options: ApplierOptions, position: string | null): Promise<ApplyResult> {
  const byTable = plans(options);
  const limit = options.batchSize ?? 1000;
  const batch = await options.capture.readBatch(position, limit);
  let applied: Applied;
  for (let ahead = 0; ; ahead++) {
    try {
      applied = await applyChanges(options, byTable, batch.changes);
      break;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      if (ahead >= READ_AHEAD_BATCHES) throw uniqueConflict(err, ahead);
      const more = await options.capture.readBatch(batch.position, limit);
      if (!more.changes.length) throw uniqueConflict(err, ahead);
      batch.changes.push(...more.changes);
      batch.position = more.position;
    }
  }

  // Only now, with the target committed, may the changes go.
  if (batch.changes.length)
    await options.capture.trim(
      batch.position,
      options.retainAfter === undefined ? undefined : { retainAfter: options.retainAfter },
    );
  return {
    position: batch.position,
    changes: batch.changes.length,
    ...applied,
  };
}

/** Apply batches until caught up (a short batch), maxBatches, or the signal; then report the lag. */
export async function catchUp(
  options: ApplierOptions,
  position: string | null,
  run: CatchUpOptions = {},
): Promise<CatchUpResult> {
  const batchSize = options.batchSize ?? 1000;
  const until = run.untilBatchBelow ?? batchSize;
  const total: CatchUpResult = {
    position: position ?? '',
    changes: 0,
    keys: 0,
    upserted: 0,
    deleted: 0,
    truncations: 0,
    batches: 0,
    lag: { rowsBehind: 0, secondsBehind: 0 },
  };
  let current = position;
  for (;;) {
    run.signal?.throwIfAborted();
    const r = await applyBatch(options, current);
    current = r.position;
    total.position = r.position;
    total.changes += r.changes;
    total.keys += r.keys;
    total.upserted += r.upserted;
    total.deleted += r.deleted;
    total.truncations += r.truncations;
    total.batches++;
    total.lag = await options.capture.lag(current);
    await run.onProgress?.({ ...total });
    if (r.changes < until || (run.maxBatches !== undefined && total.batches >= run.maxBatches)) return total;
  }
}
