// validateTables: the validator (src/dataplane/validate) over several tables as one activity. It
// heartbeats after every chunk (the reports of finished tables and the current table's checkpoint:
// keys and counts, no row values); a retry skips finished tables and resumes the current one.
import {
  canonicalColumns,
  keyTranslation,
  validateTable,
  type RangeReader,
  type TableValidationReport,
  type ValidationCheckpoint,
} from '../dataplane/validate';
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

/** A RangeReader on row access whose column names are renamed (source name -> target name). */
function reader(rows: RowsEngine, rename: (name: string) => string = (n) => n): RangeReader {
  return {
    readRange: (t, columns, key, range, limit) =>
      rows.readRange(t.schema, t.table, columns.map(rename), key.map(rename), range, limit),
    readByKeys: (t, columns, key, keys) =>
      rows.readByKeys(t.schema, t.table, columns.map(rename), key.map(rename), keys),
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
        const m = planMove(source.kind, target.kind, t);
        const names = new Map(m.columns.map((c, i) => [c, m.targetColumns[i]!]));
        const columns = canonicalColumns(source.kind, target.kind, t.table, m.targetTypes, {
          exclude: t.table.columns.map((c) => c.name).filter((c) => !names.has(c)),
        });
        const from = resumed?.current?.table === m.sourceTable ? resumed.current.checkpoint : null;
        const report = await validateTable({
          source: { reader: reader(source.rows()), table: { schema: sourceSchema, table: m.sourceTable } },
          target: {
            reader: reader(target.rows(), (n) => names.get(n) ?? n),
            table: { schema: targetSchema, table: m.targetTable },
          },
          columns,
          key: m.key,
          chunkRows: input.chunkRows,
          sampleLimit: input.sampleLimit,
          recheckAttempts: input.recheckAttempts,
          recheckDelayMs: input.recheckDelayMs,
          toTargetKey: keyTranslation(source.kind, target.kind, t.table, m.key, m.targetTypes).toTargetKey,
          checkpoint: from,
          onProgress: (cp) => {
            signal.throwIfAborted();
            heartbeat({
              done: [...done],
              current: { table: m.sourceTable, checkpoint: cp },
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
