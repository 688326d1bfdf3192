// Schema translation: the target DDL plan from the source model, the selected tables and their
// column mappings (the planner's analyzeTable, or mappings given by the caller), with per-column
// overrides from the spec. Engine-neutral: dialect differences are confined to the small Dialect
// below and every identifier goes through the target engine's quoting.
//
// What it refuses (all problems at once, each naming table.column): a column the mapping refuses
// (unless overridden with a type or excluded), a generated column moving between engines without
// a translated expression, names the target cannot hold, overrides naming no column.
import type { ProbeResult } from '../../engines/engine';
import { EngineInputError } from '../../engines/errors';
import type { ColumnModel, EngineKind, IndexModel, SchemaModel, TableModel } from '../../engines/model';
import { quoteIdent as mysqlQuote } from '../../engines/mysql/quote';
import { quoteIdent as pgQuote } from '../../engines/postgres/quote';
import {
  mapColumn,
  MYSQL_MAX_IDENTIFIER_CHARS,
  PG_MAX_IDENTIFIER_BYTES,
  truncateIdentifier,
  type MappedType,
} from '../../engines/type-mapping';
import type { ColumnOverride } from '../../spec/migration-spec';
import { analyzeTable } from '../planner/compatibility';
import { isUniqueOn } from '../planner/compatibility/keys';
import type { DdlPhase, DdlPlan, DdlStatement, SequenceReset, TranslatedTable } from './plan';

export interface TranslateInput {
  source: SchemaModel;
  targetEngine: EngineKind;
  targetSchema: string;
  /** Names of the source tables to create; default: every table of the source model. */
  tables?: string[];
  /** Per-column overrides keyed "<table>.<column>" (the spec's `columns`). */
  overrides?: Record<string, ColumnOverride>;
  /** Probe answers per table (refine TINYINT(1) to boolean, ...); none: the schema-only mapping. */
  probeResults?: Record<string, ProbeResult[]>;
  /** Mappings already decided (the planner's plan.mappings) per table; computed when absent. */
  mappings?: Record<string, { column: string; mapping: MappedType }[]>;
}

/** A request the translator cannot turn into DDL: every problem, each naming its table.column. */
export class SchemaTranslationError extends EngineInputError {
  override name = 'SchemaTranslationError';
  constructor(readonly problems: string[]) {
    super(
      `the schema cannot be translated (${problems.length} problem${problems.length === 1 ? '' : 's'}): ${problems.join('; ')}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Dialect: quoting, literals and name limits of the target

interface Dialect {
  kind: EngineKind;
  q(name: string): string;
  lit(s: string): string;
  /** Does the name fit the target's identifier limit? */
  fits(name: string): boolean;
  /** The name cut to the limit. */
  cut(name: string): string;
}

const PG: Dialect = {
  kind: 'postgres',
  q: pgQuote,
  lit: (s) => `'${s.replaceAll("'", "''")}'`,
  fits: (n) => Buffer.byteLength(n, 'utf8') <= PG_MAX_IDENTIFIER_BYTES,
  cut: (n) => truncateIdentifier(n, PG_MAX_IDENTIFIER_BYTES),
};

const MY: Dialect = {
  kind: 'mysql',
  q: mysqlQuote,
  // The apply session removes NO_BACKSLASH_ESCAPES, so backslashes are escapes.
  lit: (s) => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`,
  fits: (n) => [...n].length <= MYSQL_MAX_IDENTIFIER_CHARS,
  cut: (n) => [...n].slice(0, MYSQL_MAX_IDENTIFIER_CHARS).join(''),
};

/**
 * A name not yet in `taken` (compared case-insensitively on MySQL), within the target's limit:
 * `desired`, else each alternative, else desired + a number (cut so that the number fits).
 */
function uniqueName(
  d: Dialect,
  desired: string,
  taken: Set<string>,
  options: { alternatives?: string[]; separator?: string } = {},
): string {
  const key = (n: string) => (d.kind === 'mysql' ? n.toLowerCase() : n);
  const claim = (n: string) => {
    taken.add(key(n));
    return n;
  };
  for (const candidate of [desired, ...(options.alternatives ?? [])]) {
    const name = d.cut(candidate);
    if (!taken.has(key(name))) return claim(name);
  }
  const separator = options.separator ?? '_';
  for (let i = separator === '' ? 1 : 2; ; i++) {
    const suffix = `${separator}${i}`;
    let base = d.cut(desired);
    while (base && !d.fits(base + suffix)) base = [...base].slice(0, -1).join('');
    const name = base + suffix;
    if (!taken.has(key(name))) return claim(name);
  }
}

const FK_ACTIONS = new Set(['NO ACTION', 'RESTRICT', 'CASCADE', 'SET NULL', 'SET DEFAULT']);

// ---------------------------------------------------------------------------------------------
// Defaults

const NOW = /^(current_timestamp|now|localtimestamp)\s*(\(\s*\d?\s*\))?$/i;

/** The string value of a literal default of either engine, or null when it is not a plain literal. */
function literalValue(expr: string, from: EngineKind): string | null {
  const e = expr.trim();
  if (from === 'postgres') {
    // 'text'::type, with '' for a quote; E'' strings and other expressions are not literals here.
    const ident = String.raw`(?:"(?:[^"]|"")+"|[a-z_][\w$]*)`;
    const cast = String.raw`(?:::(?:${ident}\.)?(?:${ident}(?: [a-z]+)*)(?:\(\d+(?:,\d+)?\))?(?:\[\])?)?`;
    const m = new RegExp(String.raw`^'((?:[^']|'')*)'${cast}$`, 'is').exec(e);
    return m ? m[1]!.replaceAll("''", "'") : null;
  }
  const m = /^'((?:[^'\\]|''|\\[\s\S])*)'$/.exec(e);
  if (!m) return null;
  const escapes: Record<string, string> = { n: '\n', r: '\r', t: '\t', '0': '\0', Z: '\x1a', b: '\b' };
  return m[1]!.replace(/''|\\([\s\S])/g, (all, ch: string | undefined) =>
    all === "''" ? "'" : (escapes[ch!] ?? ch!),
  );
}

function translateDefault(
  from: EngineKind,
  d: Dialect,
  column: ColumnModel,
  targetType: string,
): { sql: string | null; note?: string } {
  const expr = column.default;
  if (expr === null || /^null$/i.test(expr.trim())) return { sql: null };
  const e = expr.trim();
  if (from === d.kind) {
    // Same dialect: copied as it is (MySQL wants expressions in parentheses).
    if (
      d.kind === 'mysql' &&
      !/^('.*'|-?[\d.]+(e[-+]?\d+)?|b'[01]*'|x'[0-9a-f]*'|current_timestamp(\(\d?\))?)$/is.test(e)
    )
      return { sql: `(${e})` };
    return { sql: e };
  }
  const type = targetType.toLowerCase();
  const dropped = (why: string) => ({
    sql: null,
    note: `default ${e} of ${column.name} dropped: ${why}; set it on the target by hand if the application relies on it`,
  });
  if (NOW.test(e)) {
    if (d.kind === 'postgres') {
      if (/^(timestamp|date)/.test(type)) return { sql: 'CURRENT_TIMESTAMP' };
      return dropped(`the current time as a default of ${targetType}`);
    }
    const fsp = /^(datetime|timestamp)\((\d)\)/.exec(type)?.[2];
    if (/^(datetime|timestamp)/.test(type)) return { sql: `CURRENT_TIMESTAMP${fsp ? `(${fsp})` : ''}` };
    return dropped(`the current time as a default of ${targetType}`);
  }
  let value: string | null = literalValue(e, from);
  if (value === null && /^[-+]?\d+(\.\d+)?(e[-+]?\d+)?$/i.test(e)) value = e;
  if (value === null && /^\(?-\d+(\.\d+)?\)?$/.test(e)) value = e.replace(/[()]/g, '');
  if (value === null && /^(true|false)$/i.test(e)) value = e.toLowerCase();
  if (value === null)
    return dropped(`it is an expression in ${from === 'mysql' ? 'MySQL' : 'PostgreSQL'} SQL`);
  if (/^0000-00-00/.test(value)) return dropped('a zero date, which the target rejects');
  if (d.kind === 'postgres') {
    if (type === 'boolean') {
      if (value === '1' || value === '0') return { sql: value === '1' ? 'true' : 'false' };
      return dropped('not 0 or 1');
    }
    if (type === 'text[]') {
      const members = value === '' ? [] : value.split(',');
      return { sql: members.length ? `ARRAY[${members.map(d.lit).join(', ')}]::text[]` : `'{}'::text[]` };
    }
    if (type === 'bytea') return dropped('binary defaults are not translated');
    return {
      sql:
        /^[-+]?\d/.test(value) && /^(smallint|integer|bigint|numeric|real|double)/.test(type)
          ? value
          : d.lit(value),
    };
  }
  if (/^tinyint\(1\)/.test(type) && /^(true|false|t|f)$/i.test(value))
    return { sql: /^t/i.test(value) ? '1' : '0' };
  if (/blob|binary/.test(type)) return dropped('binary defaults are not translated');
  if (
    /^(tinyint|smallint|mediumint|int|bigint|decimal|float|double)\b/.test(type) &&
    /^[-+]?[\d.]+(e[-+]?\d+)?$/i.test(value)
  )
    return { sql: value };
  if (/^(text|mediumtext|longtext|tinytext|json|blob|longblob)\b/.test(type))
    return { sql: `(${d.lit(value)})` };
  return { sql: d.lit(value) };
}

// ---------------------------------------------------------------------------------------------
// The translation

interface ColumnPlan {
  column: ColumnModel;
  name: string;
  type: string;
  checks: string[];
  mapping: MappedType;
  generated: string | null;
  autoIncrement: MappedType['autoIncrement'];
  sequence: string | null;
  defaultSql: string | null;
}

export function translateSchema(input: TranslateInput): DdlPlan {
  const { source, targetEngine: to, targetSchema } = input;
  const from = source.engine;
  const d = to === 'postgres' ? PG : MY;
  const problems: string[] = [];
  const notes: string[] = [];
  const statements: DdlStatement[] = [];
  const overrides = input.overrides ?? {};
  const used = new Set<string>();

  const wanted = [...new Set(input.tables ?? source.tables.map((t) => t.name))];
  const tables: TableModel[] = [];
  for (const name of wanted) {
    const t = source.tables.find((x) => x.name === name);
    if (!t) problems.push(`table ${name} is not a table of ${from} schema ${source.schema}`);
    else tables.push(t);
  }
  const qt = (table: string) => `${d.q(targetSchema)}.${d.q(table)}`;
  const checkName = (what: string, name: string) => {
    if (!d.fits(name))
      problems.push(
        `${what} ${name} is too long for ${to === 'postgres' ? `PostgreSQL (${PG_MAX_IDENTIFIER_BYTES} bytes)` : `MySQL (${MYSQL_MAX_IDENTIFIER_CHARS} characters)`}: ${what === 'schema' ? 'choose another target schema' : 'rename it on the source'}${what === 'table' ? ' or exclude the table' : what === 'schema' ? '' : ' or exclude it with an override'}`,
      );
    else {
      try {
        d.q(name);
      } catch (err) {
        problems.push(`${what} ${name}: ${(err as Error).message}`);
      }
    }
  };

  checkName('schema', targetSchema);
  if (problems.length) throw new SchemaTranslationError(problems);

  // Namespaces of the target: PostgreSQL relations (tables, indexes, sequences) and types per
  // schema; MySQL foreign-key and CHECK names per schema.
  const relations = new Set<string>();
  const typeNames = new Set<string>();
  const constraintNames = new Set<string>();
  for (const t of [...tables]) {
    const before = problems.length;
    checkName('table', t.name);
    if (problems.length > before) tables.splice(tables.indexOf(t), 1);
    relations.add(d.kind === 'mysql' ? t.name.toLowerCase() : t.name);
    typeNames.add(t.name);
  }
  const selected = new Set(tables.map((t) => t.name));

  const created = { tables: [] as string[], types: [] as string[], sequences: [] as string[] };
  const translated: TranslatedTable[] = [];
  const typeStatements: DdlStatement[] = [];
  const sequenceStatements: DdlStatement[] = [];
  const tableStatements: DdlStatement[] = [];
  const afterTableStatements: DdlStatement[] = [];
  const postLoad: DdlStatement[] = [];
  const postLoadFks: DdlStatement[] = [];
  const postLoadValidate: DdlStatement[] = [];
  const finalize: DdlStatement[] = [];
  const push = (
    list: DdlStatement[],
    phase: DdlPhase,
    description: string,
    sql: string,
    object: DdlStatement['object'],
    reset?: SequenceReset,
  ) => list.push({ phase, description, sql, object, ...(reset ? { reset } : {}) });
  const enumTypes = new Map<string, string>(); // source type key -> target type name

  for (const table of tables) {
    const where = table.name;
    const mappings =
      input.mappings?.[table.name] ??
      (() => {
        const analysis = analyzeTable(from, to, table, input.probeResults?.[table.name] ?? [], source);
        for (const r of analysis.plan.refused) {
          const o = overrides[`${table.name}.${r.column}`];
          used.add(`${table.name}.${r.column}`);
          if (!o?.exclude && !o?.type) problems.push(`${where}.${r.column}: ${r.reason}`);
        }
        return analysis.plan.mappings;
      })();
    const mappingOf = new Map(mappings.map((m) => [m.column, m.mapping]));
    const columns: ColumnPlan[] = [];
    for (const column of table.columns) {
      const key = `${table.name}.${column.name}`;
      const o = overrides[key];
      if (o) used.add(key);
      if (o?.exclude) {
        notes.push(`${key}: excluded by override (not created, not copied)`);
        continue;
      }
      let mapping = mappingOf.get(column.name);
      if (!mapping) {
        if (!o?.type) {
          if (input.mappings) {
            const m = mapColumn(from, to, column, { table: table.name });
            problems.push(`${key}: ${m.refused ? m.reason : 'no mapping given for the column'}`);
          }
          continue; // refused: reported above
        }
        mapping = plainMapping(o.type);
      }
      const columnProblems = problems.length;
      checkName('column', column.name);
      if (problems.length > columnProblems) continue;
      let type = mapping.targetType;
      let checks = mapping.checks;
      if (o?.type) {
        type = o.type;
        if (checks.length)
          notes.push(
            `${key}: type overridden to ${o.type}; the mapping's CHECKs (${checks.join(', ')}) are not created`,
          );
        checks = [];
      }
      // Enum types: MySQL ENUM -> a PostgreSQL type from the mapping; PostgreSQL enums keep theirs.
      if (!o?.type && to === 'postgres' && mapping.enumType) {
        const k = `mysql:${table.name}.${column.name}`;
        let name = enumTypes.get(k);
        if (!name) {
          name = uniqueName(d, mapping.enumType.name, typeNames);
          enumTypes.set(k, name);
          created.types.push(name);
          push(
            typeStatements,
            'tables',
            `enum type ${name} for ${key}`,
            `CREATE TYPE ${qt(name)} AS ENUM (${mapping.enumType.labels.map(d.lit).join(', ')})`,
            { kind: 'type', name, table: null },
          );
        }
        type = qt(name);
      } else if (!o?.type && from === 'postgres' && to === 'postgres' && column.enumValues) {
        const typName = column.dataType === 'array' ? column.arrayOf! : column.dataType;
        const k = `postgres:${typName}`;
        let name = enumTypes.get(k);
        if (!name) {
          name = typName;
          if (typeNames.has(name)) problems.push(`${key}: enum type ${name} has the name of a table`);
          typeNames.add(name);
          enumTypes.set(k, name);
          created.types.push(name);
          push(
            typeStatements,
            'tables',
            `enum type ${name}`,
            `CREATE TYPE ${qt(name)} AS ENUM (${column.enumValues.map(d.lit).join(', ')})`,
            { kind: 'type', name, table: null },
          );
        }
        type = `${qt(name)}${column.dataType === 'array' ? '[]' : ''}`;
      }
      if (!o?.type && from === 'mysql' && to === 'mysql' && column.isJson && column.dataType !== 'json') {
        // MariaDB's JSON alias (LONGTEXT + CHECK (json_valid(col)), the CHECK hidden by
        // introspection): JSON recreates both.
        type = 'json';
      }
      let generated: string | null = null;
      if (column.generated) {
        if (o?.generatedExpression) generated = o.generatedExpression;
        else if (mapping.generated && !mapping.generated.translate) generated = mapping.generated.expression;
        else
          problems.push(
            `${key} is a generated column whose expression (${column.generated.expression}) is ${from === 'mysql' ? 'MySQL' : 'PostgreSQL'} SQL: give its ${to === 'mysql' ? 'MySQL' : 'PostgreSQL'} translation in columns["${key}"].generatedExpression (generated values are never copied), or exclude it`,
          );
      } else if (o?.generatedExpression) {
        problems.push(`${key}: generatedExpression given for a column that is not generated`);
      }
      const def =
        column.autoIncrement || column.generated ? { sql: null } : translateDefault(from, d, column, type);
      if (def.note) notes.push(`${where}.${def.note}`);
      columns.push({
        column,
        name: column.name,
        type,
        checks,
        mapping,
        generated,
        autoIncrement:
          o?.type && !/^(smallint|integer|bigint|int|tinyint|mediumint)\b/i.test(o.type)
            ? null
            : mapping.autoIncrement,
        sequence: null,
        defaultSql: def.sql,
      });
    }

    if (to === 'mysql') {
      // One AUTO_INCREMENT column per MySQL table: the one leading the primary key, else the first.
      const auto = columns.filter((c) => c.autoIncrement === 'auto_increment');
      const keep = auto.find((c) => table.primaryKey?.[0] === c.name) ?? auto[0];
      for (const c of auto) {
        if (c === keep) continue;
        c.autoIncrement = null;
        notes.push(
          `${where}.${c.name}: MySQL allows one AUTO_INCREMENT column per table (${keep!.name} keeps it): created as a plain column, to be filled by the application`,
        );
      }
    }
    if (from === 'postgres' && to === 'postgres') {
      for (const c of columns) {
        if (c.column.enumValues) continue;
        const note = c.mapping.notes.find((n) =>
          /^(domain|type) .*(must exist on the target|is created on the target first)/.test(n),
        );
        if (note)
          notes.push(
            `${where}.${c.name}: ${c.type}: ${note.replace(/is created on the target first/, 'must exist on the target (create it before the tables phase)')}`,
          );
      }
    }

    // Sequences behind auto-increment columns that are not identity columns (PostgreSQL).
    for (const c of columns) {
      if (to !== 'postgres' || (c.autoIncrement !== 'sequence' && c.autoIncrement !== 'serial')) continue;
      const sourceSeq =
        from === 'postgres'
          ? source.sequences.find((s) => s.ownedBy === `${table.name}.${c.name}`)?.name
          : undefined;
      const name =
        sourceSeq && !relations.has(sourceSeq)
          ? sourceSeq
          : uniqueName(d, `${table.name}_${c.name}_seq`, relations);
      relations.add(name);
      c.sequence = name;
      created.sequences.push(name);
      const asType = /^(smallint|integer|bigint)$/.test(c.type) ? ` AS ${c.type}` : '';
      push(
        sequenceStatements,
        'tables',
        `sequence ${name} for ${where}.${c.name}`,
        `CREATE SEQUENCE IF NOT EXISTS ${qt(name)}${asType}`,
        {
          kind: 'sequence',
          name,
          table: null,
        },
      );
      c.defaultSql = `nextval(${d.lit(qt(name))}::regclass)`;
      push(
        afterTableStatements,
        'tables',
        `sequence ${name} owned by ${where}.${c.name} (dropped with the table)`,
        `ALTER SEQUENCE ${qt(name)} OWNED BY ${qt(table.name)}.${d.q(c.name)}`,
        { kind: 'sequence-owner', name, table: table.name },
      );
    }

    // CREATE TABLE
    const lines: string[] = [];
    for (const c of columns) lines.push(columnDefinition(from, d, c));
    const pk = table.primaryKey?.filter((k) => columns.some((c) => c.name === k)) ?? null;
    if (table.primaryKey && pk && pk.length !== table.primaryKey.length)
      problems.push(`${where}: a primary-key column is excluded; the table needs its whole primary key`);
    if (pk?.length) {
      if (to === 'postgres') {
        const sourceName = table.indexes.find((i) => i.primary)?.name;
        const pkName = uniqueName(
          d,
          from === 'postgres' && sourceName ? sourceName : `${table.name}_pkey`,
          relations,
        );
        lines.push(`CONSTRAINT ${d.q(pkName)} PRIMARY KEY (${pk.map(d.q).join(', ')})`);
      } else {
        lines.push(`PRIMARY KEY (${pk.map(d.q).join(', ')})`);
      }
    } else {
      notes.push(`${where}: no primary key on the source, none created`);
    }
    if (to === 'mysql') {
      // AUTO_INCREMENT must lead an index when the table is created.
      for (const c of columns.filter((x) => x.autoIncrement === 'auto_increment')) {
        if (pk?.[0] === c.name) continue;
        lines.push(`KEY ${d.q(d.cut(`${c.name}_auto_increment`))} (${d.q(c.name)})`);
        notes.push(
          `${where}.${c.name}: AUTO_INCREMENT needs a leading index on MySQL: KEY ${c.name}_auto_increment added`,
        );
      }
    }
    const checkNamesOfTable = d.kind === 'postgres' ? new Set<string>() : constraintNames;
    for (const c of columns) {
      c.checks.forEach((expr) => {
        const name = uniqueName(d, `${table.name}_${c.name}_check`, checkNamesOfTable, { separator: '' });
        lines.push(`CONSTRAINT ${d.q(name)} CHECK (${expr.replaceAll('{col}', () => d.q(c.name))})`);
      });
    }
    let options = '';
    if (to === 'mysql') {
      options = ' ENGINE=InnoDB DEFAULT CHARSET=utf8mb4';
      if (table.comment) options += ` COMMENT=${d.lit(table.comment)}`;
      if (from === 'mysql' && table.storageEngine && table.storageEngine.toLowerCase() !== 'innodb')
        notes.push(`${where}: ${table.storageEngine} on the source, created as InnoDB`);
    }
    if (table.partitioned) notes.push(`${where}: partitioned on the source, created as a plain table`);
    created.tables.push(table.name);
    push(
      tableStatements,
      'tables',
      `create table ${table.name} (${columns.length} columns${pk?.length ? `, primary key ${pk.join(', ')}` : ''})`,
      `CREATE TABLE IF NOT EXISTS ${qt(table.name)} (\n  ${lines.join(',\n  ')}\n)${options}`,
      { kind: 'table', name: table.name, table: table.name },
    );
    if (to === 'postgres') {
      if (table.comment)
        push(
          afterTableStatements,
          'tables',
          `comment on table ${table.name}`,
          `COMMENT ON TABLE ${qt(table.name)} IS ${d.lit(table.comment)}`,
          {
            kind: 'comment',
            name: table.name,
            table: table.name,
          },
        );
      for (const c of columns) {
        if (!c.column.comment) continue;
        push(
          afterTableStatements,
          'tables',
          `comment on column ${table.name}.${c.name}`,
          `COMMENT ON COLUMN ${qt(table.name)}.${d.q(c.name)} IS ${d.lit(c.column.comment)}`,
          { kind: 'comment', name: c.name, table: table.name },
        );
      }
    }

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

    // post-load: foreign keys
    const fkNames = d.kind === 'postgres' ? new Set<string>() : constraintNames;
    for (const fk of table.foreignKeys) {
      const label = `${where}: foreign key ${fk.name}`;
      if (fk.referencedSchema !== '' && fk.referencedSchema !== source.schema) {
        notes.push(
          `${label} references ${fk.referencedSchema}.${fk.referencedTable}, outside the schema: not created`,
        );
        continue;
      }
      if (!selected.has(fk.referencedTable)) {
        notes.push(`${label} references ${fk.referencedTable}, which is not migrated: not created`);
        continue;
      }
      const parent = tables.find((t) => t.name === fk.referencedTable)!;
      const missing = fk.columns
        .filter((c) => !present.has(c))
        .concat(
          fk.referencedColumns.filter((c) =>
            overrides[`${parent.name}.${c}`]?.exclude ? true : !parent.columns.some((p) => p.name === c),
          ),
        );
      if (missing.length) {
        notes.push(`${label}: column ${missing.join(', ')} is excluded: not created`);
        continue;
      }
      if (to === 'postgres' && !fk.referencesUniqueKey && !isUniqueOn(parent, fk.referencedColumns)) {
        notes.push(
          `${label} references ${fk.referencedTable} (${fk.referencedColumns.join(', ')}), which is not a primary or unique key: PostgreSQL cannot enforce it, not created (enforce it in the application or make the columns unique)`,
        );
        continue;
      }
      const onUpdate = FK_ACTIONS.has(fk.onUpdate.toUpperCase()) ? fk.onUpdate.toUpperCase() : 'NO ACTION';
      const onDelete = FK_ACTIONS.has(fk.onDelete.toUpperCase()) ? fk.onDelete.toUpperCase() : 'NO ACTION';
      const name = uniqueName(d, fk.name, fkNames);
      if (name !== fk.name)
        notes.push(
          `${label} is named ${name} on the target (names must be unique${d.kind === 'mysql' ? ' per schema' : ''})`,
        );
      const base = `ALTER TABLE ${qt(table.name)} ADD CONSTRAINT ${d.q(name)} FOREIGN KEY (${fk.columns.map(d.q).join(', ')}) REFERENCES ${qt(fk.referencedTable)} (${fk.referencedColumns.map(d.q).join(', ')}) ON UPDATE ${onUpdate} ON DELETE ${onDelete}`;
      if (to === 'postgres') {
        push(
          postLoadFks,
          'post-load',
          `foreign key ${name} on ${table.name} -> ${fk.referencedTable} (NOT VALID)`,
          `${base} NOT VALID`,
          {
            kind: 'foreign-key',
            name,
            table: table.name,
          },
        );
        push(
          postLoadValidate,
          'post-load',
          `validate foreign key ${name} on ${table.name}`,
          `ALTER TABLE ${qt(table.name)} VALIDATE CONSTRAINT ${d.q(name)}`,
          { kind: 'validate', name, table: table.name },
        );
      } else {
        push(
          postLoadFks,
          'post-load',
          `foreign key ${name} on ${table.name} -> ${fk.referencedTable}`,
          base,
          {
            kind: 'foreign-key',
            name,
            table: table.name,
          },
        );
      }
    }

    // post-load: the source's CHECK constraints, same engine only
    for (const chk of table.checks) {
      if (from !== to) {
        notes.push(
          `${where}: CHECK ${chk.name} (${chk.expression}) is ${from === 'mysql' ? 'MySQL' : 'PostgreSQL'} SQL: not created; translate it by hand`,
        );
        continue;
      }
      const name = uniqueName(d, chk.name, checkNamesOfTable);
      const base = `ALTER TABLE ${qt(table.name)} ADD CONSTRAINT ${d.q(name)} CHECK (${chk.expression})`;
      if (to === 'postgres') {
        push(postLoadFks, 'post-load', `check ${name} on ${table.name} (NOT VALID)`, `${base} NOT VALID`, {
          kind: 'check',
          name,
          table: table.name,
        });
        push(
          postLoadValidate,
          'post-load',
          `validate check ${name} on ${table.name}`,
          `ALTER TABLE ${qt(table.name)} VALIDATE CONSTRAINT ${d.q(name)}`,
          {
            kind: 'validate',
            name,
            table: table.name,
          },
        );
      } else {
        push(postLoadFks, 'post-load', `check ${name} on ${table.name}`, base, {
          kind: 'check',
          name,
          table: table.name,
        });
      }
    }

    // finalize: sequences past the maximum
    for (const c of columns) {
      if (!c.autoIncrement) continue;
      const floor = sourceFloor(source, table, c.name);
      const reset: SequenceReset = { table: table.name, column: c.name, sequence: c.sequence, floor };
      if (to === 'postgres') {
        const seq = c.sequence
          ? `${d.lit(qt(c.sequence))}::regclass`
          : `pg_get_serial_sequence(${d.lit(qt(table.name))}, ${d.lit(c.name)})`;
        push(
          finalize,
          'finalize',
          `${c.sequence ? `sequence ${c.sequence}` : `identity of ${table.name}.${c.name}`} set past max(${c.name})`,
          `SELECT setval(${seq}, GREATEST(COALESCE(max(${d.q(c.name)}), 0) + 1, ${floor})::bigint, false) FROM ${qt(table.name)}`,
          { kind: 'sequence-value', name: c.sequence ?? c.name, table: table.name },
          reset,
        );
      } else {
        push(
          finalize,
          'finalize',
          `AUTO_INCREMENT of ${table.name} set past max(${c.name})`,
          `ALTER TABLE ${qt(table.name)} AUTO_INCREMENT = /* GREATEST(MAX(${d.q(c.name)}) + 1, ${floor}), computed when applied */ ${floor}`,
          { kind: 'sequence-value', name: c.name, table: table.name },
          reset,
        );
      }
    }

    translated.push({
      source: table.name,
      target: table.name,
      columns: columns.map((c) => ({
        source: c.name,
        target: c.name,
        targetType: c.type,
        generated: c.generated !== null,
      })),
      primaryKey: pk?.length ? pk : null,
    });
  }

  for (const key of Object.keys(overrides)) {
    if (!used.has(key)) {
      const table = key.slice(0, key.indexOf('.'));
      problems.push(
        `columns["${key}"] names no column of ${selected.has(table) ? `table ${table}` : `a migrated table (${table} is not one)`}`,
      );
    }
  }
  if (problems.length) throw new SchemaTranslationError(problems);

  statements.push(
    ...typeStatements,
    ...sequenceStatements,
    ...tableStatements,
    ...afterTableStatements,
    ...postLoad,
    ...postLoadFks,
    ...postLoadValidate,
    ...finalize,
  );
  return {
    from,
    to,
    sourceSchema: source.schema,
    targetSchema,
    tables: translated,
    statements,
    notes,
    created,
  };
}

function plainMapping(type: string): MappedType {
  return {
    refused: false,
    targetType: type,
    checks: [],
    lossy: false,
    reverseLossless: true,
    notes: [],
    lossyReasons: [],
    reverseReasons: [],
    probes: [],
    risks: [],
    generated: null,
    autoIncrement: null,
    enumType: null,
  };
}

function sourceFloor(source: SchemaModel, table: TableModel, column: string): string {
  if (source.engine === 'mysql') return String(Math.max(1, table.autoIncrement ?? 1));
  const seq = source.sequences.find((s) => s.ownedBy === `${table.name}.${column}`);
  return String(seq?.lastValue !== null && seq?.lastValue !== undefined ? seq.lastValue + 1 : 1);
}

function columnDefinition(from: EngineKind, d: Dialect, c: ColumnPlan): string {
  const col = c.column;
  const parts = [d.q(c.name), c.type];
  if (d.kind === 'postgres') {
    if (from === 'postgres' && col.collation) parts.push(`COLLATE ${d.q(col.collation)}`);
    if (c.autoIncrement === 'identity')
      parts.push(`GENERATED ${col.identity === 'always' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY`);
    if (c.generated !== null) parts.push(`GENERATED ALWAYS AS (${c.generated}) STORED`);
    if (c.defaultSql !== null) parts.push(`DEFAULT ${c.defaultSql}`);
    if (!col.nullable) parts.push('NOT NULL');
    return parts.join(' ');
  }
  if (
    from === 'mysql' &&
    /^(char|varchar|tinytext|text|mediumtext|longtext|enum|set)\b/i.test(c.type) &&
    !/character set|collate/i.test(c.type)
  ) {
    if (col.charset) parts.push(`CHARACTER SET ${col.charset}`);
    if (col.collation) parts.push(`COLLATE ${col.collation}`);
  }
  if (c.generated !== null) {
    const stored = from === 'mysql' && col.generated ? col.generated.stored : true;
    parts.push(`GENERATED ALWAYS AS (${c.generated}) ${stored ? 'STORED' : 'VIRTUAL'}`);
  }
  // MariaDB accepts no NULL / NOT NULL on a generated column; MySQL accepts NOT NULL.
  if (c.generated === null) parts.push(col.nullable ? 'NULL' : 'NOT NULL');
  else if (!col.nullable) parts.push('NOT NULL');
  if (c.defaultSql !== null && c.generated === null) parts.push(`DEFAULT ${c.defaultSql}`);
  if (c.autoIncrement === 'auto_increment') parts.push('AUTO_INCREMENT');
  if (col.comment) parts.push(`COMMENT ${d.lit(col.comment)}`);
  return parts.join(' ');
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
