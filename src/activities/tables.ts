// What the data-plane activities share: endpoints by connection NAME (the worker resolves them), and
// how one table moves (source columns -> target columns, key, value translation) derived from the
// source table's model and the DDL plan's translated table. Plain JSON in, nothing secret.
import { canonicalColumns, keyModeFor } from '../dataplane/validate';
import {
  columnConverter,
  rowTranslator,
  ValueProblem,
  ValueTranslationError,
  type ZeroDatePolicy,
} from '../dataplane/values';
import type { TranslatedTable } from '../engines/ddl-plan';
import type { Engine } from '../engines/engine';
import { EngineInputError } from '../engines/errors';
import { keyToJson, type Key } from '../engines/key-range';
import type { EngineKind, TableModel } from '../engines/model';

/** A database side as the spec names it: engine, connection NAME, and schema (default: the connection's). */
export interface EndpointRef {
  engine: EngineKind;
  connection: string;
  schema?: string;
}

/** One table to move: the source table as introspected and the plan's translation of it. */
export interface TableMove {
  /** The source table's model (column types drive value translation). */
  table: TableModel;
  /** The DDL plan's entry for it (DdlPlan.tables[i]): target name, columns and types. */
  mapping: TranslatedTable;
  /** Source key columns (default: the source primary key). */
  key?: string[];
  /** MySQL -> PostgreSQL zero/partial dates per source column (default 'error'). */
  zeroDates?: Record<string, ZeroDatePolicy>;
}

export async function schemaOf(engine: Engine, endpoint: EndpointRef): Promise<string> {
  return endpoint.schema ?? (await engine.defaultSchema());
}

export interface MovePlan {
  sourceTable: string;
  targetTable: string;
  columns: string[];
  targetColumns: string[];
  key: string[];
  targetTypes: Record<string, string>;
  keyMode: 'range' | 'key-set';
  translateRow: (row: readonly unknown[]) => unknown[];
  translateKey: (key: Key) => Key;
}

/** Columns, key and translators of one table; refuses (non-retryable) a move it cannot do. */
export function planMove(from: EngineKind, to: EngineKind, move: TableMove): MovePlan {
  const { table, mapping } = move;
  if (mapping.source !== table.name)
    throw new EngineInputError(
      `the mapping is for table ${JSON.stringify(mapping.source)}, not ${JSON.stringify(table.name)}`,
    );
  const copied = mapping.columns.filter((c) => !c.generated);
  const models = copied.map((c) => {
    const model = table.columns.find((m) => m.name === c.source);
    if (!model)
      throw new EngineInputError(
        `table ${JSON.stringify(table.name)} has no column ${JSON.stringify(c.source)} named by the mapping`,
      );
    return model;
  });
  const columns = copied.map((c) => c.source);
  const key = move.key ?? mapping.primaryKey ?? table.primaryKey ?? [];
  if (!key.length)
    throw new EngineInputError(
      `table ${JSON.stringify(table.name)} has no primary key: name the key columns to copy it by`,
    );
  for (const k of key)
    if (!columns.includes(k))
      throw new EngineInputError(
        `key column ${JSON.stringify(k)} of table ${JSON.stringify(table.name)} is not among the copied columns`,
      );
  const targetTypes = Object.fromEntries(copied.map((c) => [c.source, c.targetType]));
  const converters = copied.map((c, i) =>
    columnConverter(from, to, {
      source: models[i]!,
      targetType: c.targetType,
      zeroDates: move.zeroDates?.[c.source],
    }),
  );
  const keyAt = key.map((k) => columns.indexOf(k));
  const canonical = canonicalColumns(from, to, { ...table, columns: models }, targetTypes);
  return {
    sourceTable: table.name,
    targetTable: mapping.target,
    columns,
    targetColumns: copied.map((c) => c.target),
    key,
    targetTypes,
    keyMode: keyModeFor(canonical, key),
    // Marked identity when no column converts (same engine): the copier may then pass rows through.
    translateRow: Object.assign(valueFreeTranslator(table.name, columns, keyAt, converters), {
      identity: rowTranslator(
        from,
        to,
        table.name,
        copied.map((c, i) => ({ source: models[i]!, targetType: c.targetType })),
        [],
      ).identity,
    }),
    translateKey: (k) => {
      const row = new Array<unknown>(columns.length).fill(null);
      keyAt.forEach((p, i) => (row[p] = k[i]));
      return keyAt.map((p) => converters[p]!(row[p])) as Key;
    },
  };
}

const NOT_SHOWN = '(value not shown)';

/**
 * The converters' messages quote the offending value; row values must not leave the worker (they
 * end up in Temporal's history), so the value is cut out. The table, column and key stay.
 */
export function withoutValue(message: string, value: unknown): string {
  if (value === null || value === undefined) return message;
  const text = Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
  if (!text) return message;
  let out = message.split(JSON.stringify(text)).join(NOT_SHOWN);
  const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  out = out.replace(new RegExp(`(?<![\\w.])${escaped}(?![\\w.])`, 'g'), NOT_SHOWN);
  return out;
}

function valueFreeTranslator(
  table: string,
  columns: string[],
  keyAt: number[],
  converters: ((v: unknown) => unknown)[],
): (row: readonly unknown[]) => unknown[] {
  return (row) => {
    const out = new Array<unknown>(row.length);
    for (let i = 0; i < row.length; i++) {
      try {
        out[i] = converters[i]!(row[i]);
      } catch (err) {
        if (!(err instanceof ValueProblem)) throw err;
        const key = JSON.stringify(keyToJson(keyAt.map((p) => row[p]) as Key));
        const why = keyAt.includes(i) ? err.message : withoutValue(err.message, row[i]);
        throw new ValueTranslationError(
          `table ${JSON.stringify(table)}, column ${JSON.stringify(columns[i])}, key ${key}: ${why}`,
        );
      }
    }
    return out;
  };
}
