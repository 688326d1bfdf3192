// Identifiers, schema-wide: length limits, collisions after truncation or by namespace, and
// case-insensitive collisions on the target.
import type { EngineKind, SchemaModel } from '../../../engines/model';
import {
  mapColumn,
  MYSQL_MAX_IDENTIFIER_CHARS,
  PG_MAX_IDENTIFIER_BYTES,
  truncateIdentifier,
} from '../../../engines/type-mapping';
import type { Finding } from '../../../spec/plan-report';

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
