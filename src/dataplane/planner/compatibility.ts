// Per-table compatibility analysis for a move between two engines: which probes the data needs, the
// column mapping once the probes have answered, and the risk register entries (findings) for the
// table and for the schema's identifiers. Engine-neutral and pure: it reads models, never a database.
import type { ColumnProbe, ProbeResult } from '../../engines/engine';
import type { EngineKind, IndexModel, SchemaModel, TableModel } from '../../engines/model';
import type { ColumnMapping, Finding, Severity } from '../../spec/plan-report';
import {
  isCaseInsensitiveCollation,
  mapColumn,
  MYSQL_MAX_IDENTIFIER_CHARS,
  PG_MAX_IDENTIFIER_BYTES,
  refineMapping,
  truncateIdentifier,
  type MappedType,
} from '../../engines/type-mapping';

export interface TableAnalysis {
  plan: {
    /** Mapped columns in table order; refused columns are listed in `refused` instead. */
    columns: ColumnMapping[];
    refused: { column: string; reason: string }[];
    /** The full mapping of every mapped column (checks, enum types, identity), for the DDL builder. */
    mappings: { column: string; mapping: MappedType }[];
  };
  findings: Finding[];
}

/** Every probe the table's columns need, one entry per column and kind. */
export function probesFor(from: EngineKind, to: EngineKind, table: TableModel): ColumnProbe[] {
  const probes: ColumnProbe[] = [];
  for (const column of table.columns) {
    const m = mapColumn(from, to, column, { table: table.name });
    if (m.refused) continue;
    for (const kind of m.probes) probes.push({ column: column.name, kind });
  }
  return probes;
}

export function analyzeTable(
  from: EngineKind,
  to: EngineKind,
  table: TableModel,
  probeResults: ProbeResult[],
  sourceSchema: SchemaModel,
): TableAnalysis {
  const schema = sourceSchema.schema;
  const where = `${schema}.${table.name}`;
  const findings: Finding[] = [];
  const add = (severity: Severity, code: string, finding: string, mitigation: string, column?: string) =>
    findings.push({
      severity,
      code,
      table: table.name,
      ...(column !== undefined ? { column } : {}),
      finding,
      mitigation,
    });

  const columns: ColumnMapping[] = [];
  const refused: { column: string; reason: string }[] = [];
  const mappings: { column: string; mapping: MappedType }[] = [];
  const fkColumns = foreignKeyColumns(table, sourceSchema);
  const uniqueColumns = new Set(uniqueKeys(table).flatMap((k) => k.columns));

  for (const column of table.columns) {
    const base = mapColumn(from, to, column, { table: table.name });
    if (base.refused) {
      refused.push({ column: column.name, reason: base.reason });
      add(
        'blocking',
        'REFUSED_TYPE',
        `${where}: ${base.reason}`,
        'change the column type on the source, drop the column, or exclude the table (tables.exclude)',
        column.name,
      );
      continue;
    }
    const { mapping, findings: probeFindings } = refineMapping(base, column, probeResults, {
      schema,
      table: table.name,
      fixedType: fkColumns.has(column.name),
    });
    for (const f of probeFindings) {
      if (f.code === 'PAD_SPACE_TRAILING' && uniqueColumns.has(column.name)) {
        // In a unique key the difference decides what counts as a duplicate.
        f.severity = to === 'mysql' ? 'high' : 'medium';
        f.finding +=
          to === 'mysql'
            ? '; the column is in a unique key, so values differing only in trailing spaces collide on MySQL and the copy fails'
            : "; the column is in a unique key: 'a' and 'a ' become two keys on PostgreSQL, and reverse replication fails on them";
      }
      findings.push(f);
    }
    for (const r of mapping.risks)
      add(r.severity, r.code, `${where}.${column.name} ${r.finding}`, r.mitigation, column.name);
    if (!mapping.reverseLossless) {
      add(
        'medium',
        'REVERSE_LOSSY',
        `rollback by reverse replication could fail for ${where}.${column.name} (${mapping.targetType} back to ${column.nativeType}): ${mapping.reverseReasons.join('; ')}`,
        "keep such values out of the target during the rollback window (a CHECK constraint with the source's domain does it), or accept that those rows cannot be rolled back",
        column.name,
      );
    }
    columns.push({
      column: column.name,
      sourceType: column.nativeType,
      targetType: mapping.targetType,
      lossy: mapping.lossy,
      reverseLossless: mapping.reverseLossless,
      notes: mapping.notes,
      generated: column.generated !== null,
    });
    mappings.push({ column: column.name, mapping });
  }

  findings.push(...keyFindings(table, where));
  findings.push(...storageFindings(from, to, table, where, sourceSchema));
  findings.push(...foreignKeyFindings(from, to, table, where, sourceSchema));
  if (from === 'mysql' && to === 'postgres') {
    findings.push(...collationFindings(table, where, mappings));
    findings.push(...mysqlIndexFindings(table, where));
  }
  if (from === 'postgres' && to === 'mysql') {
    findings.push(...postgresIndexFindings(table, where, mappings));
    findings.push(...autoIncrementFindings(table, where));
  }
  if (from !== to) findings.push(...checkFindings(from, to, table, where));

  return { plan: { columns, refused, mappings }, findings };
}

// ---------------------------------------------------------------------------------------------
// Keys and storage

interface Key {
  name: string;
  columns: string[];
  primary: boolean;
}

/** Primary key, unique keys and unique indexes over plain columns, each once. */
function uniqueKeys(table: TableModel): Key[] {
  const keys: Key[] = [];
  const seen = new Set<string>();
  if (table.primaryKey?.length) {
    keys.push({ name: 'PRIMARY KEY', columns: table.primaryKey, primary: true });
    seen.add(JSON.stringify(table.primaryKey));
  }
  const candidates = [
    ...table.uniqueKeys.map((k) => ({ name: k.name, columns: k.columns })),
    ...table.indexes
      .filter((i) => i.unique && !i.primary && !i.predicate && i.columns.every((c) => c.column !== null))
      .map((i) => ({ name: i.name, columns: i.columns.map((c) => c.column!) })),
  ];
  for (const k of candidates) {
    const id = JSON.stringify(k.columns);
    if (seen.has(id)) continue;
    seen.add(id);
    keys.push({ ...k, primary: false });
  }
  return keys;
}

function rowsText(table: TableModel): string {
  const rows = table.exactRows ?? table.rowEstimate;
  return rows >= 0 ? `${rows} rows` : 'unknown row count';
}

function keyFindings(table: TableModel, where: string): Finding[] {
  if (table.primaryKey?.length) return [];
  const notNull = new Set(table.columns.filter((c) => !c.nullable).map((c) => c.name));
  const usable = uniqueKeys(table).find((k) => k.columns.every((c) => notNull.has(c)));
  if (usable) {
    return [
      {
        severity: 'medium',
        code: 'NO_PRIMARY_KEY',
        table: table.name,
        finding: `${where} (${rowsText(table)}) has no primary key; rows are identified by its NOT NULL unique key ${usable.name} (${usable.columns.join(', ')})`,
        mitigation: `promote ${usable.name} to the primary key on the source (ALTER TABLE ... ADD PRIMARY KEY (${usable.columns.join(', ')})) to make the row identity explicit`,
      },
    ];
  }
  return [
    {
      severity: 'blocking',
      code: 'NO_PRIMARY_KEY',
      table: table.name,
      finding: `${where} (${rowsText(table)}) has no primary key and no NOT NULL unique key: changes captured during the copy cannot be applied by key, and chunks cannot be copied or validated idempotently`,
      mitigation:
        'add a primary key (or a NOT NULL unique key) on the source before an online move, e.g. an auto-increment id column; otherwise move this table in a maintenance window with writes stopped',
    },
  ];
}

const NON_TRANSACTIONAL = new Set([
  'memory',
  'heap',
  'aria',
  'csv',
  'archive',
  'mrg_myisam',
  'merge',
  'blackhole',
]);

function storageFindings(
  from: EngineKind,
  to: EngineKind,
  table: TableModel,
  where: string,
  sourceSchema: SchemaModel,
): Finding[] {
  const out: Finding[] = [];
  const engine = table.storageEngine?.toLowerCase() ?? null;
  const size = `${rowsText(table)}, ${Math.round(table.dataBytes / 1048576)} MiB`;
  if (engine === 'myisam') {
    out.push({
      severity: 'high',
      code: 'MYISAM_TABLE',
      table: table.name,
      finding: `${where} (${size}) uses the non-transactional MyISAM engine: there is no consistent snapshot to copy from, and a crash can leave a write half-applied with its capture row missing`,
      mitigation:
        'convert it on the source first (ALTER TABLE ... ENGINE=InnoDB, online with pt-online-schema-change or gh-ost for big tables), or move it in a maintenance window with writes stopped',
    });
  } else if (engine && NON_TRANSACTIONAL.has(engine)) {
    out.push({
      severity: 'high',
      code: 'NON_TRANSACTIONAL_TABLE',
      table: table.name,
      finding: `${where} (${size}) uses the ${table.storageEngine} engine, which is not transactional${engine === 'memory' || engine === 'heap' ? ' and loses its rows on restart' : ''}${engine === 'blackhole' ? ' and stores nothing' : ''}: no consistent snapshot, capture not atomic with writes`,
      mitigation: 'convert it to InnoDB on the source first, or move it with writes stopped',
    });
  }
  if (table.partitioned) {
    out.push({
      severity: 'medium',
      code: 'PARTITIONED_TABLE',
      table: table.name,
      finding:
        from === to
          ? `${where} is partitioned: the partitions (bounds, sub-partitions, their indexes) must exist on the target before the copy`
          : `${where} is partitioned on ${from === 'mysql' ? 'MySQL' : 'PostgreSQL'}: ${from === 'mysql' ? 'MySQL' : 'PostgreSQL'} partitioning does not translate, so it is created as a plain table on ${to === 'mysql' ? 'MySQL' : 'PostgreSQL'}`,
      mitigation:
        to === 'postgres'
          ? 'if it should stay partitioned, create it with declarative partitioning (PARTITION BY RANGE/LIST/HASH; the partition key must be part of the primary key) before the copy'
          : 'if it should stay partitioned, create it by hand before the copy (MySQL requires the partition key in every unique key)',
    });
  }
  if (
    sourceSchema.engine === 'postgres' &&
    (sourceSchema.charset ?? '').toUpperCase() === 'SQL_ASCII' &&
    table.columns.some((c) => /^(text|character|character varying|json)$/.test(c.dataType))
  ) {
    out.push({
      severity: 'high',
      code: 'CHARSET_NOT_UTF8',
      table: table.name,
      finding: `${where} lives in a SQL_ASCII database: PostgreSQL never validated its text, so bytes that are not valid UTF-8 fail to load into a UTF-8 target`,
      mitigation:
        "find invalid rows on the source (convert_from(convert_to(col, 'SQL_ASCII'), 'UTF8') fails on them) and fix them before the copy",
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Foreign keys

/** Columns of the table that take part in a foreign key as child, or are referenced by one in the schema. */
function foreignKeyColumns(table: TableModel, sourceSchema: SchemaModel): Set<string> {
  const out = new Set(table.foreignKeys.flatMap((fk) => fk.columns));
  for (const t of sourceSchema.tables) {
    for (const fk of t.foreignKeys) {
      if (fk.referencedTable === table.name && sameSchema(fk.referencedSchema, sourceSchema.schema)) {
        for (const c of fk.referencedColumns) out.add(c);
      }
    }
  }
  return out;
}

function sameSchema(referenced: string, schema: string): boolean {
  return referenced === '' || referenced === schema;
}

function typeFamily(t: string): string {
  if (/^(smallint|integer|bigint)$/.test(t)) return 'int';
  if (/^(tinyint|smallint|mediumint|int|bigint)\b/.test(t)) return 'int';
  if (/^(character varying|character|text|varchar|char|mediumtext|longtext)\b/.test(t)) return 'text';
  return t.replace(/\(.*?\)/g, '').trim();
}

function foreignKeyFindings(
  from: EngineKind,
  to: EngineKind,
  table: TableModel,
  where: string,
  sourceSchema: SchemaModel,
): Finding[] {
  const out: Finding[] = [];
  for (const fk of table.foreignKeys) {
    const ref = `${fk.referencedTable}(${fk.referencedColumns.join(', ')})`;
    if (!sameSchema(fk.referencedSchema, sourceSchema.schema)) {
      out.push({
        severity: 'medium',
        code: 'FK_OUTSIDE_SCHEMA',
        table: table.name,
        finding: `foreign key ${fk.name} of ${where} references ${fk.referencedSchema}.${ref}, outside the schema being moved: it cannot be created on the target as it is`,
        mitigation: `move ${fk.referencedSchema}.${fk.referencedTable} as well, or recreate the constraint by hand after the cutover`,
      });
      continue;
    }
    const parent = sourceSchema.tables.find((t) => t.name === fk.referencedTable);
    if (
      from === 'mysql' &&
      to === 'postgres' &&
      !fk.referencesUniqueKey &&
      !(parent && isUniqueOn(parent, fk.referencedColumns))
    ) {
      out.push({
        severity: 'blocking',
        code: 'FK_TO_NON_UNIQUE',
        table: table.name,
        finding: `foreign key ${fk.name} of ${where} (${fk.columns.join(', ')}) references ${ref}, which is not a primary or unique key: MySQL (InnoDB) allows that, PostgreSQL requires the referenced columns to be unique`,
        mitigation: `make ${ref} unique on the source if its values are (ALTER TABLE ${fk.referencedTable} ADD UNIQUE (${fk.referencedColumns.join(', ')})), or drop the constraint and enforce the relation in the application or a trigger`,
      });
    }
    if (from === to || !parent) continue;
    fk.columns.forEach((childName, i) => {
      const parentName = fk.referencedColumns[i];
      const child = table.columns.find((c) => c.name === childName);
      const pcol = parent.columns.find((c) => c.name === parentName);
      if (!child || !pcol) return;
      const cm = mapColumn(from, to, child, { table: table.name });
      const pm = mapColumn(from, to, pcol, { table: parent.name });
      if (cm.refused || pm.refused || cm.targetType === pm.targetType) return;
      const sameFamily = typeFamily(cm.targetType) === typeFamily(pm.targetType);
      if (sameFamily && typeFamily(cm.targetType) !== 'int') return; // lengths/precisions may differ
      const blocks = !sameFamily || to === 'mysql';
      out.push({
        severity: blocks ? 'high' : 'medium',
        code: 'FK_TYPE_MISMATCH',
        table: table.name,
        column: childName,
        finding: `foreign key ${fk.name}: ${where}.${childName} (${child.nativeType}) becomes ${cm.targetType} but the referenced ${fk.referencedTable}.${parentName} (${pcol.nativeType}) becomes ${pm.targetType}${
          blocks
            ? `: ${to === 'mysql' ? 'MySQL' : 'PostgreSQL'} refuses a foreign key between these types`
            : ': PostgreSQL accepts the constraint, but parent values beyond the child type cannot be referenced and joins compare across types'
        }`,
        mitigation: `override ${where}.${childName} to ${pm.targetType} (with the same CHECK constraints) so that both sides of the key have one type`,
      });
    });
  }
  return out;
}

function isUniqueOn(table: TableModel, columns: string[]): boolean {
  const want = [...columns].sort().join('\u0000');
  return uniqueKeys(table).some((k) => [...k.columns].sort().join('\u0000') === want);
}

// ---------------------------------------------------------------------------------------------
// MySQL -> PostgreSQL: collations and indexes

function collationFindings(
  table: TableModel,
  where: string,
  mappings: { column: string; mapping: MappedType }[],
): Finding[] {
  const out: Finding[] = [];
  const textual = new Map(
    mappings
      .filter((m) => /^(character|text$)/.test(m.mapping.targetType))
      .map((m) => [m.column, table.columns.find((c) => c.name === m.column)!] as const),
  );
  const ci = [...textual.values()].filter((c) => isCaseInsensitiveCollation(c.collation));
  const keys = uniqueKeys(table);
  const inKeys = new Set<string>();
  for (const c of ci) {
    const covering = keys.filter((k) => k.columns.includes(c.name));
    if (!covering.length) continue;
    inKeys.add(c.name);
    out.push({
      severity: 'high',
      code: 'CI_COLLATION_UNIQUENESS',
      table: table.name,
      column: c.name,
      finding: `${covering.map((k) => `${k.primary ? 'the primary key' : `unique key ${k.name}`} (${k.columns.join(', ')})`).join(' and ')} of ${where} ${covering.length === 1 ? 'includes' : 'include'} ${c.name} with case-insensitive collation ${c.collation}: MySQL treats 'A' and 'a' as the same key, PostgreSQL accepts both, so duplicates can appear after cutover (and reverse replication then fails on them); lookups become case-sensitive`,
      mitigation:
        "use citext for the column (case only), or a nondeterministic ICU collation (CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)); or a unique index on lower(column) with lower() in the application's lookups",
    });
  }
  const rest = ci.filter((c) => !inKeys.has(c.name));
  if (rest.length) {
    out.push({
      severity: 'low',
      code: 'CI_COLLATION_COMPARISONS',
      table: table.name,
      finding: `${rest.length} text column${rest.length === 1 ? '' : 's'} of ${where} (${rest.map((c) => `${c.name} ${c.collation}`).join(', ')}) ${rest.length === 1 ? 'compares' : 'compare'} case-insensitively on MySQL and exactly on PostgreSQL: WHERE, GROUP BY, DISTINCT and joins on them change behaviour`,
      mitigation:
        'check the queries that compare these columns; use citext or ILIKE/lower() where case-insensitive matching is needed',
    });
  }
  return out;
}

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

function mysqlIndexFindings(table: TableModel, where: string): Finding[] {
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

// ---------------------------------------------------------------------------------------------
// PostgreSQL -> MySQL: indexes and auto-increment

/** InnoDB's limit on an index key (DYNAMIC/COMPRESSED row formats). */
const INNODB_MAX_KEY_BYTES = 3072;

function postgresIndexFindings(
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

function autoIncrementFindings(table: TableModel, where: string): Finding[] {
  const out: Finding[] = [];
  const auto = table.columns.filter((c) => c.autoIncrement && !c.generated);
  if (auto.length > 1) {
    out.push({
      severity: 'high',
      code: 'MULTIPLE_AUTO_INCREMENT',
      table: table.name,
      finding: `${where} has ${auto.length} identity/serial columns (${auto.map((c) => c.name).join(', ')}): a MySQL table can have only one AUTO_INCREMENT column`,
      mitigation: `keep AUTO_INCREMENT on one of them (the primary key) and fill the others from the application or a trigger`,
    });
  }
  const leading = new Set(table.indexes.map((i) => i.columns[0]?.column).filter((c): c is string => !!c));
  if (table.primaryKey?.[0]) leading.add(table.primaryKey[0]);
  for (const c of auto) {
    if (leading.has(c.name)) continue;
    out.push({
      severity: 'high',
      code: 'AUTO_INCREMENT_NOT_KEYED',
      table: table.name,
      column: c.name,
      finding: `${where}.${c.name} is an identity/serial column that leads no index: MySQL requires an AUTO_INCREMENT column to be the first column of an index`,
      mitigation: `add an index on (${c.name}) on the target (or on the source first)`,
    });
  }
  return out;
}

function checkFindings(from: EngineKind, to: EngineKind, table: TableModel, where: string): Finding[] {
  const jsonColumns = new Set(table.columns.filter((c) => c.isJson).map((c) => c.name));
  return table.checks
    .filter((chk) => {
      // MariaDB's JSON alias carries CHECK (json_valid(`col`)); jsonb replaces it.
      const m = /^json_valid\(\s*`?([^`)]+)`?\s*\)$/i.exec(chk.expression.trim());
      return !(m && jsonColumns.has(m[1]!));
    })
    .map((chk) => ({
      severity: 'medium' as const,
      code: 'CHECK_CONSTRAINT',
      table: table.name,
      finding: `CHECK constraint ${chk.name} of ${where} (${chk.expression}) is ${from === 'mysql' ? 'MySQL' : 'PostgreSQL'} SQL and must be translated for ${to === 'mysql' ? 'MySQL' : 'PostgreSQL'}`,
      mitigation:
        'translate and review the expression before the copy; it is validated against every copied row',
    }));
}

// ---------------------------------------------------------------------------------------------
// Identifiers, schema-wide

interface NamedObject {
  kind: 'table' | 'index' | 'enum type' | 'sequence';
  name: string;
  table: string;
}

/** Identifier problems of the schema on the target: length limits, collisions after truncation or by namespace. */
export function identifierFindings(to: EngineKind, schema: SchemaModel): Finding[] {
  const from = schema.engine;
  if (from === to) return [];
  return to === 'postgres' ? postgresIdentifierFindings(schema) : mysqlIdentifierFindings(schema);
}

function postgresIdentifierFindings(schema: SchemaModel): Finding[] {
  const out: Finding[] = [];
  const long = (name: string) => Buffer.byteLength(name, 'utf8') > PG_MAX_IDENTIFIER_BYTES;
  const tooLong = (what: string, name: string, table: string, column?: string) =>
    out.push({
      severity: 'high',
      code: 'IDENTIFIER_TOO_LONG',
      table,
      ...(column !== undefined ? { column } : {}),
      finding: `${what} ${name} is ${Buffer.byteLength(name, 'utf8')} bytes long: PostgreSQL keeps ${PG_MAX_IDENTIFIER_BYTES} bytes and would silently call it ${truncateIdentifier(name)}`,
      mitigation: `rename it on the target to a name of at most ${PG_MAX_IDENTIFIER_BYTES} bytes (and use that name in the application), or rename it on the source first`,
    });

  const relations: NamedObject[] = []; // pg_class: tables, indexes, sequences share one namespace
  const types: NamedObject[] = []; // pg_type: every table's row type and the enum types
  const mixedCase: string[] = [];
  for (const t of schema.tables) {
    if (long(t.name)) tooLong('table', t.name, t.name);
    relations.push({ kind: 'table', name: t.name, table: t.name });
    types.push({ kind: 'table', name: t.name, table: t.name });
    if (/[A-Z]/.test(t.name)) mixedCase.push(t.name);

    const columnNames = new Map<string, string[]>();
    const upperColumns: string[] = [];
    for (const c of t.columns) {
      if (long(c.name)) tooLong('column', `${t.name}.${c.name}`, t.name, c.name);
      const k = truncateIdentifier(c.name);
      columnNames.set(k, [...(columnNames.get(k) ?? []), c.name]);
      if (/[A-Z]/.test(c.name)) upperColumns.push(c.name);
      const m = mapColumn('mysql', 'postgres', c, { table: t.name });
      if (!m.refused && m.enumType) types.push({ kind: 'enum type', name: m.enumType.name, table: t.name });
      if (!m.refused && m.autoIncrement === 'sequence') {
        relations.push({
          kind: 'sequence',
          name: truncateIdentifier(`${t.name}_${c.name}_seq`),
          table: t.name,
        });
      }
    }
    for (const [k, names] of columnNames) {
      if (names.length < 2) continue;
      out.push({
        severity: 'blocking',
        code: 'IDENTIFIER_COLLISION',
        table: t.name,
        column: names[1],
        finding: `columns ${names.join(' and ')} of ${schema.schema}.${t.name} are the same name once PostgreSQL truncates them to ${PG_MAX_IDENTIFIER_BYTES} bytes (${k}): the table cannot be created`,
        mitigation:
          'rename the columns on the target (or on the source) so that they differ within the first 63 bytes',
      });
    }
    if (upperColumns.length) mixedCase.push(...upperColumns.map((c) => `${t.name}.${c}`));

    const seen = new Set<string>();
    for (const ix of t.indexes) {
      if (ix.primary || seen.has(ix.name)) continue;
      seen.add(ix.name);
      if (long(ix.name)) tooLong('index', `${t.name}.${ix.name}`, t.name);
      relations.push({ kind: 'index', name: ix.name, table: t.name });
    }
    for (const uk of t.uniqueKeys) {
      if (seen.has(uk.name)) continue;
      seen.add(uk.name);
      if (long(uk.name)) tooLong('unique key', `${t.name}.${uk.name}`, t.name);
      relations.push({ kind: 'index', name: uk.name, table: t.name });
    }
    for (const fk of t.foreignKeys) if (long(fk.name)) tooLong('foreign key', `${t.name}.${fk.name}`, t.name);
    for (const chk of t.checks)
      if (long(chk.name)) tooLong('check constraint', `${t.name}.${chk.name}`, t.name);
  }

  out.push(...namespaceCollisions(schema.schema, relations, 'relation'));
  out.push(...namespaceCollisions(schema.schema, types, 'type'));

  if (mixedCase.length) {
    out.push({
      severity: 'low',
      code: 'MIXED_CASE_IDENTIFIER',
      finding: `${mixedCase.length} name${mixedCase.length === 1 ? '' : 's'} contain upper-case letters (${mixedCase.slice(0, 5).join(', ')}${mixedCase.length > 5 ? ', ...' : ''}): PostgreSQL folds unquoted names to lower case, so queries must quote them ("${mixedCase[0]!.split('.').pop()}")`,
      mitigation: "quote these names in the application's SQL, or rename them to lower case on the target",
    });
  }
  return out;
}

/** Objects that end up with the same (truncated) name in one PostgreSQL namespace; the first keeps it. */
function namespaceCollisions(
  schema: string,
  objects: NamedObject[],
  namespace: 'relation' | 'type',
): Finding[] {
  const rank = { table: 0, 'enum type': 1, sequence: 2, index: 3 } as const;
  const groups = new Map<string, NamedObject[]>();
  for (const o of objects) {
    const k = truncateIdentifier(o.name);
    groups.set(k, [...(groups.get(k) ?? []), o]);
  }
  const out: Finding[] = [];
  for (const [name, group] of groups) {
    if (group.length < 2) continue;
    const ordered = [...group].sort((a, b) => rank[a.kind] - rank[b.kind]);
    const keeper = ordered[0]!;
    const describe = (o: NamedObject) =>
      o.kind === 'table' ? `table ${o.name}` : `${o.kind} ${o.name} of table ${o.table}`;
    for (const o of ordered.slice(1)) {
      const truncated = o.name !== name || keeper.name !== name;
      const isIndex = o.kind === 'index';
      out.push({
        severity: isIndex ? 'medium' : o.kind === 'table' ? 'blocking' : 'high',
        code: isIndex ? 'INDEX_NAME_COLLISION' : 'IDENTIFIER_COLLISION',
        table: o.table,
        finding: `${describe(o)} has the same name as ${describe(keeper)}${truncated ? ` once truncated to ${PG_MAX_IDENTIFIER_BYTES} bytes (${name})` : ''}: ${isIndex && keeper.kind === 'index' ? 'MySQL index names are per table, PostgreSQL index names are per schema' : `PostgreSQL ${namespace === 'relation' ? 'tables, indexes and sequences share one namespace per schema' : 'enum types share the namespace of table row types'}`}, so ${schema}.${name} cannot be created ${group.length > 2 ? `${group.length} times` : 'twice'}`,
        mitigation: isIndex
          ? `give the index a name unique in the schema on the target, e.g. ${truncateIdentifier(`${o.table}_${o.name}`)}`
          : `rename the ${o.kind} on the target (or on the source first) so that it is unique in the schema within 63 bytes`,
      });
    }
  }
  return out;
}

function mysqlIdentifierFindings(schema: SchemaModel): Finding[] {
  const out: Finding[] = [];
  const lower = (s: string) => s.toLowerCase();
  const bad = (name: string) => name.length > MYSQL_MAX_IDENTIFIER_CHARS || / $/.test(name);
  const invalid = (what: string, name: string, table: string, column?: string) =>
    out.push({
      severity: 'high',
      code: name.length > MYSQL_MAX_IDENTIFIER_CHARS ? 'IDENTIFIER_TOO_LONG' : 'IDENTIFIER_INVALID',
      table,
      ...(column !== undefined ? { column } : {}),
      finding:
        name.length > MYSQL_MAX_IDENTIFIER_CHARS
          ? `${what} ${name} is ${name.length} characters long: MySQL allows ${MYSQL_MAX_IDENTIFIER_CHARS}`
          : `${what} ${JSON.stringify(name)} ends in a space, which MySQL does not allow in names`,
      mitigation: 'rename it on the target (or on the source first)',
    });

  const tablesByLower = new Map<string, string[]>();
  const fkNames = new Map<string, string[]>();
  const checkNames = new Map<string, string[]>();
  for (const t of schema.tables) {
    if (bad(t.name)) invalid('table', t.name, t.name);
    tablesByLower.set(lower(t.name), [...(tablesByLower.get(lower(t.name)) ?? []), t.name]);

    const cols = new Map<string, string[]>();
    for (const c of t.columns) {
      if (bad(c.name)) invalid('column', `${t.name}.${c.name}`, t.name, c.name);
      cols.set(lower(c.name), [...(cols.get(lower(c.name)) ?? []), c.name]);
    }
    for (const names of cols.values()) {
      if (names.length < 2) continue;
      out.push({
        severity: 'blocking',
        code: 'IDENTIFIER_COLLISION',
        table: t.name,
        column: names[1],
        finding: `columns ${names.join(' and ')} of ${schema.schema}.${t.name} differ only in case: MySQL column names are case-insensitive, so the table cannot be created`,
        mitigation: 'rename one of the columns on the target (or on the source first)',
      });
    }
    const ixs = new Map<string, string[]>();
    for (const ix of t.indexes) {
      if (ix.primary) continue;
      ixs.set(lower(ix.name), [...(ixs.get(lower(ix.name)) ?? []), ix.name]);
    }
    for (const names of ixs.values()) {
      if (names.length < 2) continue;
      out.push({
        severity: 'medium',
        code: 'INDEX_NAME_COLLISION',
        table: t.name,
        finding: `indexes ${names.join(' and ')} of ${schema.schema}.${t.name} differ only in case: MySQL index names are case-insensitive within a table`,
        mitigation: 'give one of them another name on the target',
      });
    }
    for (const fk of t.foreignKeys)
      fkNames.set(lower(fk.name), [...(fkNames.get(lower(fk.name)) ?? []), t.name]);
    for (const chk of t.checks)
      checkNames.set(lower(chk.name), [...(checkNames.get(lower(chk.name)) ?? []), t.name]);
  }
  for (const names of tablesByLower.values()) {
    if (names.length < 2) continue;
    out.push({
      severity: 'medium',
      code: 'IDENTIFIER_COLLISION',
      table: names[1],
      finding: `tables ${names.join(' and ')} differ only in case: they collide on MySQL servers with lower_case_table_names = 1 or 2 (Windows, macOS, some managed services)`,
      mitigation: 'check lower_case_table_names on the target; rename one of the tables if it is not 0',
    });
  }
  for (const [kind, map, severity] of [
    ['foreign key', fkNames, 'high'],
    ['check constraint', checkNames, 'medium'],
  ] as const) {
    for (const [name, tables] of map) {
      if (tables.length < 2) continue;
      for (const table of tables.slice(1)) {
        out.push({
          severity,
          code: 'CONSTRAINT_NAME_COLLISION',
          table,
          finding: `${kind} name ${name} is used by ${tables.length} tables (${tables.join(', ')}): PostgreSQL scopes constraint names per table, MySQL ${kind === 'foreign key' ? '(InnoDB)' : '8.0'} per schema, so the second one cannot be created`,
          mitigation: `name the ${kind} uniquely on the target, e.g. ${table}_${name}`,
        });
      }
    }
  }
  return out;
}
