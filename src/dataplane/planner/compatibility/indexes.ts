// Indexes that do not carry over as they are: FULLTEXT, prefix and expression indexes from MySQL;
// access methods, partial indexes and key lengths from PostgreSQL.
import type { IndexModel, TableModel } from '../../../engines/model';
import type { MappedType } from '../../../engines/type-mapping';
import type { Finding } from '../../../spec/plan-report';

function indexColumnsText(index: IndexModel): string {
  return index.columns
    .map((c) =>
      c.column === null
        ? `(${c.expression ?? '?'})`
        : c.prefixLength
          ? `${c.column}(${c.prefixLength})`
          : c.column,
    )
    .join(', ');
}

export function mysqlIndexFindings(table: TableModel, where: string): Finding[] {
  const out: Finding[] = [];
  for (const index of table.indexes) {
    const method = index.method.toLowerCase();
    const cols = indexColumnsText(index);
    if (method === 'fulltext') {
      out.push({
        severity: 'medium',
        code: 'FULLTEXT_INDEX',
        table: table.name,
        finding: `FULLTEXT index ${index.name} on ${where} (${cols}) has no PostgreSQL equivalent: it is not created, and MATCH ... AGAINST queries must be rewritten`,
        mitigation: `add a generated tsvector column (to_tsvector('simple', ${index.columns.map((c) => `coalesce(${c.column ?? ''}, '')`).join(" || ' ' || ")})) STORED with a GIN index, and rewrite the searches as @@ queries`,
      });
      continue;
    }
    if (method === 'spatial') continue; // reported with the column (SPATIAL_TYPE)
    const prefixed = index.columns.filter((c) => c.prefixLength);
    if (prefixed.length) {
      out.push({
        severity: 'medium',
        code: 'PREFIX_INDEX',
        table: table.name,
        finding: `${index.unique ? 'unique ' : ''}index ${index.name} on ${where} (${cols}) indexes only the first ${prefixed.map((c) => `${c.prefixLength} characters of ${c.column}`).join(' and ')}: PostgreSQL has no prefix indexes, so it becomes an index on the full column${index.unique ? ', which enforces uniqueness of whole values instead of prefixes' : ''}; btree entries over about 2700 bytes fail to index`,
        mitigation: index.unique
          ? `keep the prefix semantics with a unique expression index on (${prefixed.map((c) => `left(${c.column}, ${c.prefixLength})`).join(', ')}), or accept full-value uniqueness`
          : `if values can be long, use an expression index on (${prefixed.map((c) => `left(${c.column}, ${c.prefixLength})`).join(', ')}) and the same expression in queries; a full-column index is fine for short values`,
      });
    }
    if (index.columns.some((c) => c.column === null)) {
      out.push({
        severity: 'medium',
        code: 'EXPRESSION_INDEX',
        table: table.name,
        finding: `index ${index.name} on ${where} (${cols}) indexes an expression written in MySQL SQL: it must be translated`,
        mitigation: 'translate the expression to PostgreSQL and create the index by hand after the copy',
      });
    }
  }
  return out;
}

/** InnoDB's limit on an index key (DYNAMIC/COMPRESSED row formats). */
const INNODB_MAX_KEY_BYTES = 3072;

export function postgresIndexFindings(
  table: TableModel,
  where: string,
  mappings: { column: string; mapping: MappedType }[],
): Finding[] {
  const out: Finding[] = [];
  const typeOf = new Map(mappings.map((m) => [m.column, m.mapping.targetType]));
  for (const index of table.indexes) {
    const cols = indexColumnsText(index);
    const what = index.primary
      ? `the primary key ${index.name}`
      : `${index.unique ? 'unique ' : ''}index ${index.name}`;
    if (!['btree', 'hash'].includes(index.method.toLowerCase())) {
      out.push({
        severity: index.unique ? 'high' : 'medium',
        code: 'INDEX_METHOD_UNSUPPORTED',
        table: table.name,
        finding: `${what} on ${where} (${cols}) uses the ${index.method} access method, which MySQL does not have: it is not created`,
        mitigation:
          'design a replacement on MySQL (a FULLTEXT or SPATIAL index, or a btree on a generated column) and the queries that use it',
      });
      continue;
    }
    if (index.predicate) {
      out.push({
        severity: index.unique ? 'high' : 'medium',
        code: 'PARTIAL_INDEX',
        table: table.name,
        finding: `${what} on ${where} (${cols}) is partial (WHERE ${index.predicate}): MySQL has no partial indexes${index.unique ? '; a full unique index would reject rows the partial one allows, so the copy could fail' : ', so it becomes a full index'}`,
        mitigation: index.unique
          ? 'enforce the rule with a unique index on a generated column that is NULL outside the predicate, or in the application'
          : 'accept a full index (larger), or drop it on the target',
      });
    }
    if (index.columns.some((c) => c.column === null)) {
      out.push({
        severity: 'medium',
        code: 'EXPRESSION_INDEX',
        table: table.name,
        finding: `${what} on ${where} (${cols}) indexes an expression written in PostgreSQL SQL`,
        mitigation:
          'translate it to a MySQL 8.0.13+ functional key part, or index a generated column on MariaDB',
      });
    }
    let bytes = 0;
    const unindexable: string[] = [];
    for (const part of index.columns) {
      const t = part.column === null ? undefined : typeOf.get(part.column);
      if (!t) continue;
      const m = /^(?:var)?char\((\d+)\)/.exec(t);
      if (m) bytes += Number(m[1]) * (/ascii/.test(t) ? 1 : 4);
      else if (/^(longtext|mediumtext|longblob|json)\b/.test(t))
        unindexable.push(`${part.column} (${t.split(' ')[0]})`);
      else bytes += 8;
    }
    if (unindexable.length || bytes > INNODB_MAX_KEY_BYTES) {
      out.push({
        severity: index.unique || index.primary ? 'high' : 'medium',
        code: 'INDEX_KEY_TOO_LONG',
        table: table.name,
        finding: unindexable.length
          ? `${what} on ${where} covers ${unindexable.join(', ')}: MySQL indexes TEXT/BLOB columns only by a prefix and JSON not at all${index.unique || index.primary ? ', and a prefix key enforces uniqueness of the prefix only' : ''}`
          : `${what} on ${where} (${cols}) needs up to ${bytes} bytes per key in utf8mb4, over InnoDB's ${INNODB_MAX_KEY_BYTES}-byte limit`,
        mitigation:
          'give the column a bounded varchar(n) type (n * 4 bytes must fit 3072), index a prefix where uniqueness is not needed, or index a hash in a generated column (e.g. SHA2(col, 256)) for uniqueness',
      });
    }
  }
  return out;
}
