// Secondary indexes, created after the load: carried over or refused with a note (full-text,
// spatial, other access methods, expressions across engines, partial unique, key length on MySQL).
import type { EngineKind, IndexModel, TableModel } from '../../engines/model';
import type { ColumnPlan } from './columns';
import type { TranslationContext } from './context';
import { uniqueName, type Dialect } from './names';

export function createIndexes(ctx: TranslationContext, table: TableModel, columns: ColumnPlan[]): void {
  const { from, d, notes, relations, postLoad, push, qt } = ctx;
  // post-load: indexes
  const present = new Set(columns.map((c) => c.name));
  const typeOf = new Map(columns.map((c) => [c.name, c.type.toLowerCase()]));
  const indexNamesOfTable = new Set<string>();
  for (const index of table.indexes) {
    if (index.primary) continue;
    const sql = indexStatement(from, d, table, qt(table.name), index, present, typeOf, notes, (desired) =>
      d.kind === 'postgres'
        ? uniqueName(d, desired, relations, { alternatives: [`${table.name}_${desired}`] })
        : uniqueName(d, desired, indexNamesOfTable),
    );
    if (!sql) continue;
    push(
      postLoad,
      'post-load',
      `${index.unique ? 'unique ' : ''}index ${sql.name} on ${table.name} (${sql.columns})${sql.name !== index.name ? ` (source name ${index.name})` : ''}`,
      sql.sql,
      { kind: 'index', name: sql.name, table: table.name },
    );
  }
}

const MYSQL_UNINDEXABLE = /^(tinytext|text|mediumtext|longtext|tinyblob|blob|mediumblob|longblob|json)\b/;

function indexStatement(
  from: EngineKind,
  d: Dialect,
  table: TableModel,
  target: string,
  index: IndexModel,
  present: Set<string>,
  typeOf: Map<string, string>,
  notes: string[],
  nameFor: (desired: string) => string,
): { sql: string; name: string; columns: string } | null {
  const label = `${table.name}: ${index.unique ? 'unique ' : ''}index ${index.name}`;
  const method = index.method.toLowerCase();
  const to = d.kind;
  if (from !== to && (method === 'fulltext' || method === 'spatial')) {
    notes.push(
      `${label} is ${method.toUpperCase()}: no PostgreSQL equivalent, not created (see the plan's mitigation)`,
    );
    return null;
  }
  if (from !== to && !['btree', 'hash'].includes(method)) {
    notes.push(`${label} uses the ${method} access method, which MySQL does not have: not created`);
    return null;
  }
  const excluded = index.columns.filter((c) => c.column !== null && !present.has(c.column));
  if (excluded.length) {
    notes.push(`${label} covers excluded column ${excluded.map((c) => c.column).join(', ')}: not created`);
    return null;
  }
  if (from !== to && index.columns.some((c) => c.column === null)) {
    notes.push(
      `${label} indexes an expression in ${from === 'mysql' ? 'MySQL' : 'PostgreSQL'} SQL: not created; translate it by hand`,
    );
    return null;
  }
  let predicate = '';
  if (index.predicate) {
    if (from === to) predicate = ` WHERE ${index.predicate}`;
    else if (index.unique) {
      notes.push(
        `${label} is partial (WHERE ${index.predicate}): MySQL has no partial indexes and a full unique index would reject rows: not created`,
      );
      return null;
    } else notes.push(`${label} is partial (WHERE ${index.predicate}): created as a full index on MySQL`);
  }
  if (to === 'mysql' && from !== to) {
    const long = index.columns.filter(
      (c) => c.column !== null && MYSQL_UNINDEXABLE.test(typeOf.get(c.column) ?? ''),
    );
    let keyBytes = 0;
    for (const c of index.columns) {
      const t = c.column === null ? '' : (typeOf.get(c.column) ?? '');
      const n = /^(?:var)?char\((\d+)\)/.exec(t);
      keyBytes += n ? Number(n[1]) * (/ascii/.test(t) ? 1 : 4) : 8;
    }
    if (!long.length && keyBytes > 3072) {
      notes.push(
        `${label} needs up to ${keyBytes} bytes per key in utf8mb4, over InnoDB's 3072: not created`,
      );
      return null;
    }
    if (long.length) {
      notes.push(
        `${label} covers ${long.map((c) => `${c.column} (${typeOf.get(c.column!)})`).join(', ')}, which MySQL indexes only by a prefix: not created`,
      );
      return null;
    }
  }
  const parts = index.columns.map((c) => {
    let part: string;
    if (c.column === null) part = `(${c.expression ?? ''})`;
    else if (c.prefixLength && to === 'mysql' && from === 'mysql')
      part = `${d.q(c.column)}(${c.prefixLength})`;
    else part = d.q(c.column);
    return part + (c.descending ? ' DESC' : '');
  });
  if (from !== to && index.columns.some((c) => c.prefixLength))
    notes.push(
      `${label} is a prefix index on MySQL: created on the full column${index.unique ? 's (uniqueness of whole values, not prefixes)' : 's'}`,
    );
  const name = nameFor(index.name === 'PRIMARY' ? `${table.name}_key` : index.name);
  if (name !== index.name && to === 'postgres')
    notes.push(
      `${label} is named ${name} on PostgreSQL (index names are unique per schema, at most 63 bytes)`,
    );
  const colsText = index.columns.map((c) => c.column ?? `(${c.expression ?? ''})`).join(', ');
  if (to === 'postgres') {
    const using = from === 'postgres' && method !== 'btree' ? ` USING ${method}` : '';
    return {
      sql: `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${d.q(name)} ON ${target}${using} (${parts.join(', ')})${predicate}`,
      name,
      columns: colsText,
    };
  }
  const kind =
    from === 'mysql' && method === 'fulltext'
      ? 'FULLTEXT '
      : from === 'mysql' && method === 'spatial'
        ? 'SPATIAL '
        : index.unique
          ? 'UNIQUE '
          : '';
  return {
    sql: `CREATE ${kind}INDEX ${d.q(name)} ON ${target} (${parts.join(', ')})`,
    name,
    columns: colsText,
  };
}
