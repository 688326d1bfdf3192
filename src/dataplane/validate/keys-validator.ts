// Validation of an explicit set of keys of one table: the rows changed since some point (the
// blue-green cutover re-validates what changed during the catch-up instead of the whole table), or
// any list of suspects. The keys are SOURCE keys; both sides are read by key (readByKeys) in
// batches, hashed with the canonical encoding (checksum.ts) and compared by canonical key, and
// differences are re-read after `beforeRecheck` exactly as validateTable does before they are
// reported. The report has validateTable's shape.
//
// For each key:
// - on both sides with equal rows: matching; with different rows: mismatched (source key form);
// - on the source only: missing (source key form); on the target only: extra (target key form);
// - on neither side (deleted on both): agrees; counted in `absent`, in no other count.
// A read by key may also return rows whose key the engine's collation calls equal ('Banana' for
// 'BANANA' under a _ci collation): only the rows whose canonical key was asked for count.
//
// Keys that canonically repeat within a batch are checked once. Nothing is kept across batches, so
// a key listed again in a later batch is checked again (and counted again).
import type { JsonKey, Key } from '../../engines/key-range';
import { keyToJson } from '../../engines/key-range';
import { ValueProblem, ValueTranslationError } from '../values';
import type { CanonicalColumn } from './canonical';
import { canonicalKey, diffRows, hashRows, keyIndexes, type HashedRows } from './checksum';
import {
  emptyTotals,
  type RangeReader,
  type TableRef,
  type TableValidationReport,
  type ValidationTotals,
} from './validator';

export interface ValidateKeysOptions {
  source: { reader: RangeReader; table: TableRef };
  target: { reader: RangeReader; table: TableRef };
  /** The compared columns (same names on both sides), each with its canonical comparison. */
  columns: CanonicalColumn[];
  /** Key column names in key order; all of them among `columns`. */
  key: string[];
  /** Source keys (source wire form), in any order: a list, or an async stream of them. */
  keys: Iterable<Key> | AsyncIterable<Key>;
  /** Keys read per batch on each side (default 1000). */
  batchRows?: number;
  sampleLimit?: number;
  /** Re-checks of differing keys before they are reported (default 1; 0 reports at once). */
  recheckAttempts?: number;
  /** Awaited before each re-check: wait for catch-up. Default: sleep `recheckDelayMs` (1000). */
  beforeRecheck?: (attempt: number) => Promise<void>;
  recheckDelayMs?: number;
  /** Key column values from source wire form to target wire form (default: unchanged). */
  toTargetKey?: (key: Key) => Key;
  /** Totals of an earlier run over other keys of the same table: this run adds to them. */
  totals?: KeysValidationTotals | null;
  /** After every batch: the totals so far (JSON-safe; pass back as `totals` to go on). */
  onProgress?: (totals: KeysValidationTotals) => void | Promise<void>;
}

export interface KeysValidationTotals extends ValidationTotals {
  /** Distinct keys checked (per batch). */
  keysChecked: number;
  /** Keys found on neither side (deleted on both): they agree. */
  absent: number;
}

/** validateTable's report (keyMode 'key-set', one chunk per batch) and the two key counts. */
export interface KeysValidationReport extends TableValidationReport {
  keysChecked: number;
  absent: number;
}

export function emptyKeysTotals(): KeysValidationTotals {
  return { ...emptyTotals(), keysChecked: 0, absent: 0 };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Comparison {
  /** canonical keys of matching rows */
  matching: string[];
  /** canonical keys per kind of difference */
  mismatched: string[];
  missing: string[];
  extra: string[];
  /** target key (target wire form) of each extra canonical key */
  extraKeys: Map<string, unknown[]>;
  absent: number;
  sourceRows: number;
  targetRows: number;
}

export async function validateKeys(options: ValidateKeysOptions): Promise<KeysValidationReport> {
  const { source, target, columns, key } = options;
  const names = columns.map((c) => c.name);
  const keyAt = keyIndexes(columns, key);
  const keyColumns = keyAt.map((i) => columns[i]!);
  const keyPos = keyColumns.map((_, i) => i);
  const batchRows = options.batchRows ?? 1000;
  const sampleLimit = options.sampleLimit ?? 20;
  const attempts = options.recheckAttempts ?? 1;
  const toTarget = options.toTargetKey ?? ((k: Key) => k);
  const beforeRecheck = options.beforeRecheck ?? ((): Promise<void> => sleep(options.recheckDelayMs ?? 1000));
  if (!Number.isInteger(batchRows) || batchRows < 1) throw new Error('batchRows must be a positive integer');
  const totals: KeysValidationTotals = options.totals ? structuredClone(options.totals) : emptyKeysTotals();

  const sample = (list: JsonKey[], keys: Iterable<unknown[]>): void => {
    for (const k of keys) if (list.length < sampleLimit) list.push(keyToJson(k as Key));
  };

  /** Read `batch` (canonical key -> source key) on both sides and compare. */
  const compare = async (batch: Map<string, Key>): Promise<Comparison> => {
    const sourceKeys = [...batch.values()];
    const targetKeys: Key[] = [];
    for (const k of sourceKeys) {
      try {
        targetKeys.push(toTarget(k));
      } catch (err) {
        // A source key without a target form cannot be on the target: only the source is read.
        if (!(err instanceof ValueProblem || err instanceof ValueTranslationError)) throw err;
      }
    }
    const [sourceRows, targetRows] = await Promise.all([
      source.reader.readByKeys(source.table, names, key, sourceKeys),
      targetKeys.length
        ? target.reader.readByKeys(target.table, names, key, targetKeys)
        : Promise.resolve([] as unknown[][]),
    ]);
    const s = only(hashRows(columns, keyAt, 'source', sourceRows), batch);
    const t = only(hashRows(columns, keyAt, 'target', targetRows), batch);
    const d = diffRows(s, t, true);
    const ck = (side: 'source' | 'target', k: unknown[]): string => canonicalKey(keyColumns, keyPos, side, k);
    const extraKeys = new Map(d.extra.map((k) => [ck('target', k), k]));
    const missing = d.missing.map((k) => ck('source', k));
    const mismatched = d.mismatched.map((k) => ck('source', k));
    const found = new Set([...s.rows.keys(), ...t.rows.keys()]);
    const matching = [...s.rows.keys()].filter((k) => t.rows.get(k)?.hash === s.rows.get(k)!.hash);
    return {
      matching,
      mismatched,
      missing,
      extra: [...extraKeys.keys()],
      extraKeys,
      absent: [...batch.keys()].filter((k) => !found.has(k)).length,
      sourceRows: s.rows.size,
      targetRows: t.rows.size,
    };
  };

  const run = async (batch: Map<string, Key>): Promise<void> => {
    const first = await compare(batch);
    totals.chunks++;
    totals.keysChecked += batch.size;
    totals.sourceRows += first.sourceRows;
    totals.targetRows += first.targetRows;
    totals.rowsCompared += batch.size - first.absent;
    let current = first;
    let matching = first.matching.length;
    let absent = first.absent;
    const pending = first.mismatched.length + first.missing.length + first.extra.length;
    if (pending) {
      totals.chunksDiffering++;
      totals.recheckedKeys += attempts > 0 ? pending : 0;
      for (let attempt = 1; attempt <= attempts; attempt++) {
        const keys = [...current.mismatched, ...current.missing, ...current.extra];
        if (!keys.length) break;
        await beforeRecheck(attempt);
        const again = await compare(new Map(keys.map((k) => [k, batch.get(k)!])));
        matching += again.matching.length;
        absent += again.absent;
        current = again;
      }
      const left = current.mismatched.length + current.missing.length + current.extra.length;
      totals.resolvedOnRecheck += pending - left;
    }
    totals.matching += matching;
    totals.absent += absent;
    totals.mismatched += current.mismatched.length;
    totals.missing += current.missing.length;
    totals.extra += current.extra.length;
    sample(
      totals.samples.mismatched,
      current.mismatched.map((k) => batch.get(k)!),
    );
    sample(
      totals.samples.missing,
      current.missing.map((k) => batch.get(k)!),
    );
    sample(
      totals.samples.extra,
      current.extra.map((k) => current.extraKeys.get(k)!),
    );
    if (options.onProgress) await options.onProgress(structuredClone(totals));
  };

  let batch = new Map<string, Key>();
  for await (const k of options.keys as AsyncIterable<Key>) {
    if (!Array.isArray(k) || k.length !== key.length)
      throw new Error(`a key has ${Array.isArray(k) ? k.length : 'no'} values for ${key.length} key columns`);
    batch.set(canonicalKey(keyColumns, keyPos, 'source', k), k);
    if (batch.size >= batchRows) {
      await run(batch);
      batch = new Map();
    }
  }
  if (batch.size) await run(batch);

  const differs = totals.mismatched + totals.missing + totals.extra > 0;
  return {
    source: source.table,
    target: target.table,
    keyMode: 'key-set',
    status: differs ? 'mismatch' : 'match',
    sourceRows: totals.sourceRows,
    targetRows: totals.targetRows,
    sourceCount: null,
    targetCount: null,
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
    resumedAfter: null,
    keysChecked: totals.keysChecked,
    absent: totals.absent,
  };
}

/** Only the rows whose canonical key was asked for (see the comment at the top). */
function only(h: HashedRows, keys: Map<string, Key>): HashedRows {
  return { digest: h.digest, rows: new Map([...h.rows].filter(([k]) => keys.has(k))) };
}
