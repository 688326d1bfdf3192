// The columns of one table on the target: mapping or override, enum types, generated
// expressions and defaults, checked against the target's names and limits.
import type { ColumnModel, TableModel } from '../../engines/model';
import { mapColumn, type MappedType } from '../../engines/type-mapping';
import { analyzeTable } from '../planner/compatibility';
import type { TranslationContext } from './context';
import { translateDefault } from './defaults';
import { uniqueName } from './names';

export interface ColumnPlan {
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

export function planColumns(ctx: TranslationContext, table: TableModel): ColumnPlan[] {
  const { input, source, from, to, d, problems, notes, overrides, used, typeNames, created, enumTypes } = ctx;
  const { typeStatements, push, qt, checkName } = ctx;
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
  return columns;
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
