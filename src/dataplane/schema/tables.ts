// CREATE TABLE: column definitions (type, collation, identity, generated, default, nullability),
// the primary key, the mapping's CHECKs, table options and comments.
import type { EngineKind, TableModel } from '../../engines/model';
import type { ColumnPlan } from './columns';
import type { TranslationContext } from './context';
import { uniqueName, type Dialect } from './names';

/**
 * Adds the table's CREATE TABLE (and comments); returns its primary key as created and the names
 * its CHECKs were given (the namespace the source's CHECKs are named in afterwards).
 */
export function createTable(
  ctx: TranslationContext,
  table: TableModel,
  columns: ColumnPlan[],
): { pk: string[] | null; checkNamesOfTable: Set<string> } {
  const { from, to, d, problems, notes, relations, constraintNames, created } = ctx;
  const { tableStatements, afterTableStatements, push, qt } = ctx;
  const where = table.name;
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
  return { pk, checkNamesOfTable };
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
