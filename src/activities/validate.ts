// validateTables: the validator (src/dataplane/validate) over several tables as one activity. It
// heartbeats after every chunk (the reports of finished tables and the current table's checkpoint:
// keys and counts, no row values); a retry skips finished tables and resumes the current one.
//
// validateChangedKeys: the rows changed since a capture position (the blue-green cutover
// re-validates what changed since the last full validation, with the source fenced and drained).
// The keys never travel through Temporal (they can be personal data): the activity asks the
// source's change capture for them (changedKeys, page by page) and validates them by key
// (validateKeys). A table truncated since then (PostgreSQL capture records TRUNCATE) is validated
// in full. It heartbeats after every page: the page cursor and each table's totals (counts and
// sample keys, as validateTables' reports carry them).
import {
  canonicalColumns,
  keyTranslation,
  rawReaderFrom,
  validateKeys,
  validateTable,
  type CanonicalColumn,
  type KeysValidationTotals,
  type RangeReader,
  type TableRef,
  type TableValidationReport,
  type ValidationCheckpoint,
  type WorkerReaderSpec,
} from '../dataplane/validate';
import { resolveConnection } from '../connections';
import type { Engine } from '../engines/engine';
import type { Key } from '../engines/key-range';
import type { RowsEngine } from '../engines/row-access';
import { adapt, cancellation, checkpoint, heartbeat, withEngine } from './adapter';
import { planMove, schemaOf, type EndpointRef, type TableMove } from './tables';

export interface ValidateTablesInput {
  source: EndpointRef;
  target: EndpointRef;
  tables: TableMove[];
  chunkRows?: number;
  sampleLimit?: number;
  /** Re-checks of differing keys before they are reported (default 1), and the wait before each. */
  recheckAttempts?: number;
  recheckDelayMs?: number;
}

export interface ValidateHeartbeat {
  /** Reports of the tables finished so far, in input order. */
  done: TableValidationReport[];
  /** The table under validation and its checkpoint. */
  current: { table: string; checkpoint: ValidationCheckpoint } | null;
}

export interface ValidateTablesResult {
  status: 'match' | 'mismatch';
  tables: TableValidationReport[];
}

/**
 * A RangeReader on row access whose column names are renamed (source name -> target name). With
 * `worker` (the endpoint's connection, resolved in this process), range-mode validation may read
 * and hash this side in a worker thread that opens its own connection (validator.ts).
 */
function reader(
  rows: RowsEngine,
  rename: (name: string) => string = (n) => n,
  worker?: WorkerReaderSpec,
): RangeReader {
  return {
    worker,
    readRange: (t, columns, key, range, limit) =>
      rows.readRange(t.schema, t.table, columns.map(rename), key.map(rename), range, limit),
    readByKeys: (t, columns, key, keys) =>
      rows.readByKeys(t.schema, t.table, columns.map(rename), key.map(rename), keys),
    raw: rawReaderFrom(rows, rename),
  };
}

/** What validating one table needs: both sides' readers and tables, columns, key, key translation. */
interface TableSides {
  name: string;
  source: { reader: RangeReader; table: TableRef };
  target: { reader: RangeReader; table: TableRef };
  columns: CanonicalColumn[];
  key: string[];
  toTargetKey: (key: Key) => Key;
  toSourceKey: (key: Key) => Key;
}

function tableSides(
  source: Engine,
  target: Engine,
  sourceSchema: string,
  targetSchema: string,
  t: TableMove,
  endpoints?: { source: EndpointRef; target: EndpointRef },
): TableSides {
  const m = planMove(source.kind, target.kind, t);
  const names = new Map(m.columns.map((c, i) => [c, m.targetColumns[i]!]));
  const columns = canonicalColumns(source.kind, target.kind, t.table, m.targetTypes, {
    exclude: t.table.columns.map((c) => c.name).filter((c) => !names.has(c)),
    zeroDates: t.zeroDates,
  });
  const spec = (e: EndpointRef | undefined, rename?: Record<string, string>): WorkerReaderSpec | undefined =>
    e && { kind: e.engine, url: resolveConnection(e.connection, e.engine), rename };
  return {
    name: m.sourceTable,
    source: {
      reader: reader(source.rows(), undefined, spec(endpoints?.source)),
      table: { schema: sourceSchema, table: m.sourceTable },
    },
    target: {
      reader: reader(
        target.rows(),
        (n) => names.get(n) ?? n,
        spec(endpoints?.target, Object.fromEntries(names)),
      ),
      table: { schema: targetSchema, table: m.targetTable },
    },
    columns,
    key: m.key,
    ...keyTranslation(source.kind, target.kind, t.table, m.key, m.targetTypes),
  };
}

export const validateTables = adapt(async (input: ValidateTablesInput): Promise<ValidateTablesResult> => {
  const resumed = checkpoint<ValidateHeartbeat>();
  const signal = cancellation();
  return withEngine(input.source, (source) =>
    withEngine(input.target, async (target) => {
      const sourceSchema = await schemaOf(source, input.source);
      const targetSchema = await schemaOf(target, input.target);
      const done = [...(resumed?.done ?? [])];
      for (const t of input.tables.slice(done.length)) {
        signal.throwIfAborted();
        const sides = tableSides(source, target, sourceSchema, targetSchema, t, input);
        const from = resumed?.current?.table === sides.name ? resumed.current.checkpoint : null;
        const report = await validateTable({
          ...sides,
          chunkRows: input.chunkRows,
          sampleLimit: input.sampleLimit,
          recheckAttempts: input.recheckAttempts,
          recheckDelayMs: input.recheckDelayMs,
          checkpoint: from,
          onProgress: (cp) => {
            signal.throwIfAborted();
            heartbeat({
              done: [...done],
              current: { table: sides.name, checkpoint: cp },
            } satisfies ValidateHeartbeat);
          },
        });
        done.push(report);
        heartbeat({ done: [...done], current: null } satisfies ValidateHeartbeat);
      }
      return {
        status: done.every((r) => r.status === 'match') ? 'match' : 'mismatch',
        tables: done,
      };
    }),
  );
});

export interface ValidateChangedKeysInput {
  source: EndpointRef;
  target: EndpointRef;
  tables: TableMove[];
  /** The capture position of the last full validation; null: every change the changelog keeps. */
  since: string | null;
  /** Changed keys per page from the capture, and per read by key (default 1000). */
  pageSize?: number;
  sampleLimit?: number;
  recheckAttempts?: number;
  recheckDelayMs?: number;
}

export interface ValidateChangedKeysHeartbeat {
  /** The cursor of the next page (null with `started`: the first page is done and it was the last). */
  after: string | null;
  started: boolean;
  /** Totals per source table so far. */
  totals: Record<string, KeysValidationTotals>;
  /** Source tables truncated since `since`: validated in full after the keys. */
  truncated: string[];
  /** Reports of the truncated tables validated so far. */
  full: TableValidationReport[];
}

/** Reports in input order: one per table (a table without changes: a match over zero keys). */
export type ValidateChangedKeysResult = ValidateTablesResult;

/**
 * One page of the keys changed since `since` (the ChangeCapture.changedKeys contract in
 * src/engines/capture.ts): distinct (source table, source key) pairs, `key` null for a TRUNCATE.
 */
export type ChangedKeysSource = (
  since: string | null,
  options: { limit: number; after?: string | null },
) => Promise<{ keys: { table: string; key: Key | null }[]; next: string | null }>;

/** The source capture's changedKeys (ChangeCapture.changedKeys). */
function captureKeySource(engine: Engine, schema: string): ChangedKeysSource {
  const capture = engine.capture(schema);
  return (since, options) => capture.changedKeys(since, { limit: options.limit, after: options.after });
}

/**
 * validateChangedKeys with another source of changed keys (tests; a capture other than the
 * engine's): `keysOf` gets the open source engine and the source schema.
 */
export function validateChangedKeysWith(
  keysOf: (source: Engine, schema: string) => ChangedKeysSource,
): (input: ValidateChangedKeysInput) => Promise<ValidateChangedKeysResult> {
  return adapt(async (input: ValidateChangedKeysInput): Promise<ValidateChangedKeysResult> => {
    const resumed = checkpoint<ValidateChangedKeysHeartbeat>();
    const signal = cancellation();
    const pageSize = input.pageSize ?? 1000;
    return withEngine(input.source, (source) =>
      withEngine(input.target, async (target) => {
        const sourceSchema = await schemaOf(source, input.source);
        const targetSchema = await schemaOf(target, input.target);
        const sides = new Map(
          input.tables.map((t) => {
            const s = tableSides(source, target, sourceSchema, targetSchema, t, input);
            return [s.name, s] as const;
          }),
        );
        const state: ValidateChangedKeysHeartbeat = resumed
          ? structuredClone(resumed)
          : { after: null, started: false, totals: {}, truncated: [], full: [] };
        const options = {
          recheckAttempts: input.recheckAttempts,
          recheckDelayMs: input.recheckDelayMs,
          sampleLimit: input.sampleLimit,
        };
        const keysOfSource = keysOf(source, sourceSchema);

        // The changed keys, page by page; each page's keys validated per table before the next.
        while (!state.started || state.after !== null) {
          signal.throwIfAborted();
          const page = await keysOfSource(input.since, { limit: pageSize, after: state.after });
          const byTable = new Map<string, Key[]>();
          for (const { table, key } of page.keys) {
            if (!sides.has(table)) continue;
            if (key === null) {
              if (!state.truncated.includes(table)) state.truncated.push(table);
            } else {
              let list = byTable.get(table);
              if (!list) byTable.set(table, (list = []));
              list.push(key);
            }
          }
          for (const [table, keys] of byTable) {
            if (state.truncated.includes(table)) continue;
            const s = sides.get(table)!;
            await validateKeys({
              ...s,
              keys,
              batchRows: pageSize,
              ...options,
              totals: state.totals[table] ?? null,
              onProgress: (totals) => {
                state.totals[table] = totals;
              },
            });
          }
          state.after = page.next;
          state.started = true;
          heartbeat(state);
        }

        // Truncated tables: every row may have changed.
        for (const table of state.truncated) {
          if (state.full.some((r) => r.source.table === table)) continue;
          signal.throwIfAborted();
          const s = sides.get(table)!;
          state.full.push(await validateTable({ ...s, chunkRows: pageSize, ...options }));
          heartbeat(state);
        }

        const reports: TableValidationReport[] = [];
        for (const s of sides.values()) {
          const full = state.full.find((r) => r.source.table === s.name);
          reports.push(
            full ?? (await validateKeys({ ...s, keys: [], totals: state.totals[s.name] ?? null })),
          );
        }
        return {
          status: reports.every((r) => r.status === 'match') ? 'match' : 'mismatch',
          tables: reports,
        };
      }),
    );
  });
}

/** Validate the rows changed since `since`, keys from the source engine's change capture. */
export const validateChangedKeys = validateChangedKeysWith(captureKeySource);
