// Whole-schema introspection of a MySQL/MariaDB database from information_schema: one query per
// catalog view for the whole schema (never one per table), assembled into the engine-neutral model.
import type {
  CheckModel,
  ColumnModel,
  EventModel,
  ForeignKeyModel,
  IndexModel,
  RoutineModel,
  SchemaModel,
  TableModel,
  TriggerModel,
  UniqueKeyModel,
  ViewModel,
} from '../model';
import { EngineInputError } from '../errors';
import { isTextType, normaliseDefault, parseEnumValues } from './column-type';
import { qualify, quoteIdent } from './quote';
import { type Conn, queryRows, serverInfo, toNumber } from './session';

export interface IntrospectMysqlOptions {
  exactCounts?: boolean;
}

/** Code-unit order: deterministic and independent of the process locale. */
const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

interface TableRow {
  name: string;
  type: string;
  engine: string | null;
  tableRows: unknown;
  dataLength: unknown;
  indexLength: unknown;
  autoIncrement: unknown;
  comment: string | null;
  createOptions: string | null;
}

interface ColumnRow {
  tableName: string;
  name: string;
  ordinal: unknown;
  columnType: string;
  dataType: string;
  nullable: string;
  columnDefault: string | null;
  extra: string | null;
  generationExpression: string | null;
  charLength: unknown;
  numericPrecision: unknown;
  numericScale: unknown;
  datetimePrecision: unknown;
  charset: string | null;
  collation: string | null;
  comment: string | null;
}

interface IndexRow {
  tableSchema: string;
  tableName: string;
  name: string;
  nonUnique: unknown;
  seq: unknown;
  column: string | null;
  collation: string | null;
  subPart: unknown;
  indexType: string;
  expression?: string | null;
}

/** Which optional information_schema columns this server has (they differ between MySQL and MariaDB). */
async function catalogFeatures(conn: Conn) {
  const rows = await queryRows<{ t: string; c: string }>(
    conn,
    `SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = 'information_schema'
        AND ((TABLE_NAME = 'STATISTICS' AND COLUMN_NAME = 'EXPRESSION')
          OR (TABLE_NAME = 'CHECK_CONSTRAINTS' AND COLUMN_NAME IN ('TABLE_NAME', 'CHECK_CLAUSE')))`,
  );
  const has = (t: string, c: string) => rows.some((r) => r.t.toUpperCase() === t && r.c.toUpperCase() === c);
  return {
    /** MySQL 8.0.13+: functional key parts. */
    indexExpressions: has('STATISTICS', 'EXPRESSION'),
    /** MySQL 8.0.16+ and MariaDB 10.2+ have CHECK_CONSTRAINTS; MySQL 5.7 has none. */
    checkConstraints: has('CHECK_CONSTRAINTS', 'CHECK_CLAUSE'),
    /** MariaDB names the table in CHECK_CONSTRAINTS (check names are per table there, per schema on MySQL). */
    checkTableName: has('CHECK_CONSTRAINTS', 'TABLE_NAME'),
  };
}

/** The schema's exact stored name and defaults; information_schema comparisons may ignore case. */
async function resolveSchema(conn: Conn, schema: string) {
  const rows = await queryRows<{ name: string; charset: string | null; collation: string | null }>(
    conn,
    `SELECT SCHEMA_NAME AS name, DEFAULT_CHARACTER_SET_NAME AS charset, DEFAULT_COLLATION_NAME AS collation
       FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?`,
    [schema],
  );
  const row = rows.find((r) => r.name === schema) ?? (rows.length === 1 ? rows[0] : undefined);
  if (!row)
    throw new EngineInputError(
      `MySQL database ${JSON.stringify(schema)} does not exist or is not visible to this user`,
    );
  return row;
}

function indexRowsQuery(withExpression: boolean, where: string): string {
  return `SELECT TABLE_SCHEMA AS tableSchema, TABLE_NAME AS tableName, INDEX_NAME AS name,
                 NON_UNIQUE AS nonUnique, SEQ_IN_INDEX AS seq, COLUMN_NAME AS \`column\`,
                 COLLATION AS collation, SUB_PART AS subPart, INDEX_TYPE AS indexType
                 ${withExpression ? ', EXPRESSION AS expression' : ''}
            FROM information_schema.STATISTICS WHERE ${where}
           ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`;
}

function buildIndexes(rows: IndexRow[]): Map<string, IndexModel[]> {
  const byTable = new Map<string, Map<string, IndexModel>>();
  for (const r of rows) {
    let indexes = byTable.get(r.tableName);
    if (!indexes) byTable.set(r.tableName, (indexes = new Map()));
    const type = r.indexType.toLowerCase();
    const method = type === 'rtree' ? 'spatial' : type;
    let index = indexes.get(r.name);
    if (!index) {
      index = {
        name: r.name,
        columns: [],
        unique: toNumber(r.nonUnique) === 0,
        primary: r.name === 'PRIMARY',
        method,
        predicate: null,
      };
      indexes.set(r.name, index);
    }
    const expression = r.column === null ? (r.expression ?? null) : null;
    index.columns.push({
      column: r.column,
      expression,
      // SPATIAL indexes report an internal SUB_PART (32) that is no user-declared prefix.
      prefixLength: method === 'btree' || method === 'hash' ? toNumber(r.subPart) : null,
      descending: r.collation === 'D',
    });
  }
  const out = new Map<string, IndexModel[]>();
  for (const [table, indexes] of byTable)
    out.set(
      table,
      [...indexes.values()].sort((a, b) => byName(a.name, b.name)),
    );
  return out;
}

/** Column lists a foreign key may reference in PostgreSQL terms: the PK and full-column unique keys. */
function uniqueColumnSets(indexes: IndexModel[]): string[][] {
  return indexes
    .filter((i) => i.unique && i.columns.every((c) => c.column !== null && c.prefixLength === null))
    .map((i) => i.columns.map((c) => c.column as string));
}

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));

function buildColumn(r: ColumnRow, mariadb: boolean, jsonChecked: Set<string>): ColumnModel {
  const dataType = r.dataType.toLowerCase();
  const extra = r.extra ?? '';
  // MySQL: VIRTUAL GENERATED / STORED GENERATED; MariaDB also VIRTUAL / PERSISTENT. DEFAULT_GENERATED
  // (MySQL expression defaults) is not a generated column.
  const stored = /\b(STORED|PERSISTENT)\b/i.test(extra);
  const generated = stored || /\bVIRTUAL\b/i.test(extra);
  const temporal = dataType === 'datetime' || dataType === 'timestamp' || dataType === 'time';
  const numeric = !temporal && r.numericPrecision !== null && r.numericPrecision !== undefined;
  const declaredLength = ['char', 'varchar', 'binary', 'varbinary'].includes(dataType);
  return {
    name: r.name,
    ordinal: toNumber(r.ordinal) ?? 0,
    nativeType: r.columnType,
    dataType,
    nullable: r.nullable === 'YES',
    default: generated ? null : normaliseDefault(r.columnDefault, mariadb, dataType, extra),
    generated: generated ? { expression: r.generationExpression ?? '', stored } : null,
    autoIncrement: /auto_increment/i.test(extra),
    identity: null,
    unsigned: /\bunsigned\b/i.test(r.columnType),
    length: declaredLength ? toNumber(r.charLength) : null,
    precision: numeric ? toNumber(r.numericPrecision) : null,
    scale: temporal ? toNumber(r.datetimePrecision) : numeric ? toNumber(r.numericScale) : null,
    charset: r.charset,
    collation: r.collation,
    enumValues: dataType === 'enum' || dataType === 'set' ? parseEnumValues(r.columnType) : null,
    arrayOf: null,
    isJson: dataType === 'json' || (isTextType(dataType) && jsonChecked.has(r.name)),
    comment: r.comment ? r.comment : null,
  };
}

/** MariaDB's JSON type is LONGTEXT + CHECK (json_valid(`col`)): recognise that exact clause. */
function jsonAliasColumn(clause: string, columns: string[]): string | null {
  const squash = (s: string) => s.replace(/\s+/g, '').toLowerCase();
  const c = squash(clause);
  return columns.find((col) => c === squash(`json_valid(${quoteIdent(col)})`)) ?? null;
}

function eventSchedule(r: {
  type: string;
  executeAt: string | null;
  intervalValue: string | null;
  intervalField: string | null;
  starts: string | null;
  ends: string | null;
}): string {
  if (r.type === 'ONE TIME') return `AT '${r.executeAt ?? ''}'`;
  const value = /^\d+$/.test(r.intervalValue ?? '') ? r.intervalValue : `'${r.intervalValue ?? ''}'`;
  let s = `EVERY ${value} ${r.intervalField ?? ''}`;
  if (r.starts) s += ` STARTS '${r.starts}'`;
  if (r.ends) s += ` ENDS '${r.ends}'`;
  return s;
}

export async function introspectSchema(
  conn: Conn,
  requestedSchema: string,
  options: IntrospectMysqlOptions = {},
): Promise<SchemaModel> {
  const server = await serverInfo(conn);
  if (!server.mariadb) {
    // MySQL 8 caches TABLES statistics for a day by default; we want today's numbers. MySQL 5.7
    // has no such variable (and no cache), hence the ignored error.
    await conn.query('SET SESSION information_schema_stats_expiry = 0').catch(() => undefined);
  }
  const features = await catalogFeatures(conn);
  const schemaRow = await resolveSchema(conn, requestedSchema);
  const schema = schemaRow.name;
  // information_schema filters may match case-insensitively: keep only exact matches.
  const inSchema = <T extends { tableSchema?: string }>(rows: T[]) =>
    rows.filter((r) => r.tableSchema === schema);

  const tableRows = await queryRows<TableRow & { tableSchema: string }>(
    conn,
    `SELECT TABLE_SCHEMA AS tableSchema, TABLE_NAME AS name, TABLE_TYPE AS type, ENGINE AS engine,
            TABLE_ROWS AS tableRows, DATA_LENGTH AS dataLength, INDEX_LENGTH AS indexLength,
            AUTO_INCREMENT AS autoIncrement, TABLE_COMMENT AS comment, CREATE_OPTIONS AS createOptions
       FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'`,
    [schema],
  );
  const columnRows = inSchema(
    await queryRows<ColumnRow & { tableSchema: string }>(
      conn,
      `SELECT TABLE_SCHEMA AS tableSchema, TABLE_NAME AS tableName, COLUMN_NAME AS name,
              ORDINAL_POSITION AS ordinal, COLUMN_TYPE AS columnType, DATA_TYPE AS dataType,
              IS_NULLABLE AS nullable, COLUMN_DEFAULT AS columnDefault, EXTRA AS extra,
              GENERATION_EXPRESSION AS generationExpression, CHARACTER_MAXIMUM_LENGTH AS charLength,
              NUMERIC_PRECISION AS numericPrecision, NUMERIC_SCALE AS numericScale,
              DATETIME_PRECISION AS datetimePrecision, CHARACTER_SET_NAME AS charset,
              COLLATION_NAME AS collation, COLUMN_COMMENT AS comment
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ?
        ORDER BY TABLE_NAME, ORDINAL_POSITION`,
      [schema],
    ),
  );
  const indexRows = inSchema(
    await queryRows<IndexRow>(conn, indexRowsQuery(features.indexExpressions, 'TABLE_SCHEMA = ?'), [schema]),
  );

  // CHECK constraints, keyed by table. MySQL's CHECK_CONSTRAINTS lacks the table: join TABLE_CONSTRAINTS.
  let checkRows: { tableName: string; name: string; clause: string }[] = [];
  if (features.checkConstraints) {
    checkRows = features.checkTableName
      ? await queryRows(
          conn,
          `SELECT TABLE_NAME AS tableName, CONSTRAINT_NAME AS name, CHECK_CLAUSE AS clause
             FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?`,
          [schema],
        )
      : await queryRows(
          conn,
          `SELECT tc.TABLE_NAME AS tableName, cc.CONSTRAINT_NAME AS name, cc.CHECK_CLAUSE AS clause
             FROM information_schema.CHECK_CONSTRAINTS cc
             JOIN information_schema.TABLE_CONSTRAINTS tc
               ON tc.CONSTRAINT_SCHEMA = cc.CONSTRAINT_SCHEMA AND tc.CONSTRAINT_NAME = cc.CONSTRAINT_NAME
              AND tc.CONSTRAINT_TYPE = 'CHECK'
            WHERE cc.CONSTRAINT_SCHEMA = ?`,
          [schema],
        );
  }

  const fkRows = await queryRows<{
    tableName: string;
    name: string;
    column: string;
    refSchema: string;
    refTable: string;
    refColumn: string;
    onUpdate: string;
    onDelete: string;
  }>(
    conn,
    `SELECT k.TABLE_NAME AS tableName, k.CONSTRAINT_NAME AS name, k.COLUMN_NAME AS \`column\`,
            k.REFERENCED_TABLE_SCHEMA AS refSchema, k.REFERENCED_TABLE_NAME AS refTable,
            k.REFERENCED_COLUMN_NAME AS refColumn, rc.UPDATE_RULE AS onUpdate, rc.DELETE_RULE AS onDelete
       FROM information_schema.REFERENTIAL_CONSTRAINTS rc
       JOIN information_schema.KEY_COLUMN_USAGE k
         ON k.CONSTRAINT_SCHEMA = rc.CONSTRAINT_SCHEMA AND k.CONSTRAINT_NAME = rc.CONSTRAINT_NAME
        AND k.TABLE_NAME = rc.TABLE_NAME
      WHERE rc.CONSTRAINT_SCHEMA = ? AND k.REFERENCED_TABLE_NAME IS NOT NULL
      ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION`,
    [schema],
  );

  const triggerRows = await queryRows<{
    name: string;
    tableName: string;
    timing: string;
    event: string;
    statement: string;
  }>(
    conn,
    `SELECT TRIGGER_NAME AS name, EVENT_OBJECT_TABLE AS tableName, ACTION_TIMING AS timing,
            EVENT_MANIPULATION AS event, ACTION_STATEMENT AS statement
       FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = ?`,
    [schema],
  );
  const viewRows = await queryRows<{ name: string; definition: string | null }>(
    conn,
    `SELECT TABLE_NAME AS name, VIEW_DEFINITION AS definition FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ?`,
    [schema],
  );
  const routineRows = await queryRows<{ name: string; type: string; body: string | null }>(
    conn,
    `SELECT ROUTINE_NAME AS name, ROUTINE_TYPE AS type, ROUTINE_BODY AS body
       FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?`,
    [schema],
  );
  const eventRows = await queryRows<{
    name: string;
    type: string;
    executeAt: string | null;
    intervalValue: string | null;
    intervalField: string | null;
    starts: string | null;
    ends: string | null;
    status: string;
  }>(
    conn,
    `SELECT EVENT_NAME AS name, EVENT_TYPE AS type, EXECUTE_AT AS executeAt, INTERVAL_VALUE AS intervalValue,
            INTERVAL_FIELD AS intervalField, STARTS AS starts, ENDS AS ends, STATUS AS status
       FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?`,
    [schema],
  );

  // --- assemble -------------------------------------------------------------------------------
  const indexesByTable = buildIndexes(indexRows);
  const columnsByTable = new Map<string, ColumnRow[]>();
  for (const c of columnRows) {
    const list = columnsByTable.get(c.tableName) ?? [];
    list.push(c);
    columnsByTable.set(c.tableName, list);
  }

  // Unique column sets of every referenced parent, including parents in other schemas.
  const parentKeys = new Map<string, string[][]>();
  const parentId = (s: string, t: string) => JSON.stringify([s, t]);
  for (const [table, indexes] of indexesByTable)
    parentKeys.set(parentId(schema, table), uniqueColumnSets(indexes));
  for (const fk of fkRows) {
    const id = parentId(fk.refSchema, fk.refTable);
    if (parentKeys.has(id)) continue;
    const rows = (
      await queryRows<IndexRow>(
        conn,
        indexRowsQuery(features.indexExpressions, 'TABLE_SCHEMA = ? AND TABLE_NAME = ? AND NON_UNIQUE = 0'),
        [fk.refSchema, fk.refTable],
      )
    ).filter((r) => r.tableSchema === fk.refSchema && r.tableName === fk.refTable);
    parentKeys.set(id, uniqueColumnSets(buildIndexes(rows).get(fk.refTable) ?? []));
  }

  const fksByTable = new Map<string, ForeignKeyModel[]>();
  for (const r of fkRows) {
    const list = fksByTable.get(r.tableName) ?? [];
    let fk = list.find((f) => f.name === r.name);
    if (!fk) {
      fk = {
        name: r.name,
        columns: [],
        referencedSchema: r.refSchema,
        referencedTable: r.refTable,
        referencedColumns: [],
        onUpdate: r.onUpdate,
        onDelete: r.onDelete,
        referencesUniqueKey: false,
      };
      list.push(fk);
      fksByTable.set(r.tableName, list);
    }
    fk.columns.push(r.column);
    fk.referencedColumns.push(r.refColumn);
  }
  for (const list of fksByTable.values()) {
    for (const fk of list) {
      const keys = parentKeys.get(parentId(fk.referencedSchema, fk.referencedTable)) ?? [];
      fk.referencesUniqueKey = keys.some((k) => sameSet(k, fk.referencedColumns));
    }
    list.sort((a, b) => byName(a.name, b.name));
  }

  const checksByTable = new Map<string, CheckModel[]>();
  const jsonColumns = new Map<string, Set<string>>();
  for (const r of checkRows) {
    const columnNames = (columnsByTable.get(r.tableName) ?? [])
      .filter((c) => isTextType(c.dataType.toLowerCase()))
      .map((c) => c.name);
    const jsonColumn = jsonAliasColumn(r.clause, columnNames);
    if (jsonColumn !== null) {
      const set = jsonColumns.get(r.tableName) ?? new Set();
      set.add(jsonColumn);
      jsonColumns.set(r.tableName, set);
      continue;
    }
    const list = checksByTable.get(r.tableName) ?? [];
    list.push({ name: r.name, expression: r.clause });
    checksByTable.set(r.tableName, list);
  }

  const triggers: TriggerModel[] = triggerRows
    .map((r) => ({
      name: r.name,
      table: r.tableName,
      timing: `${r.timing} ${r.event}`,
      definition: r.statement,
    }))
    .sort((a, b) => byName(a.table, b.table) || byName(a.name, b.name));

  const tables: TableModel[] = [];
  for (const t of inSchema(tableRows).sort((a, b) => byName(a.name, b.name))) {
    const indexes = indexesByTable.get(t.name) ?? [];
    const primary = indexes.find((i) => i.primary);
    const uniqueKeys: UniqueKeyModel[] = indexes
      .filter((i) => i.unique && !i.primary)
      .map((i) => ({ name: i.name, columns: i.columns.map((c) => c.column ?? c.expression ?? '') }));
    const json = jsonColumns.get(t.name) ?? new Set<string>();
    let exactRows: number | null = null;
    if (options.exactCounts) {
      const [row] = await queryRows<{ n: unknown }>(
        conn,
        `SELECT COUNT(*) AS n FROM ${qualify(schema, t.name)}`,
      );
      exactRows = toNumber(row?.n) ?? 0;
    }
    tables.push({
      name: t.name,
      columns: (columnsByTable.get(t.name) ?? []).map((c) => buildColumn(c, server.mariadb, json)),
      primaryKey: primary ? primary.columns.map((c) => c.column ?? c.expression ?? '') : null,
      uniqueKeys,
      indexes,
      foreignKeys: fksByTable.get(t.name) ?? [],
      checks: (checksByTable.get(t.name) ?? []).sort((a, b) => byName(a.name, b.name)),
      triggers: triggers.filter((tr) => tr.table === t.name).map((tr) => tr.name),
      rowEstimate: toNumber(t.tableRows) ?? -1,
      exactRows,
      dataBytes: toNumber(t.dataLength) ?? 0,
      indexBytes: toNumber(t.indexLength) ?? 0,
      autoIncrement: toNumber(t.autoIncrement),
      comment: t.comment ? t.comment : null,
      storageEngine: t.engine,
      partitioned: /partitioned/i.test(t.createOptions ?? ''),
    });
  }

  const views: ViewModel[] = viewRows
    .map((v) => ({ name: v.name, definition: v.definition ?? '', materialized: false }))
    .sort((a, b) => byName(a.name, b.name));
  const routines: RoutineModel[] = routineRows
    .filter((r) => r.type === 'FUNCTION' || r.type === 'PROCEDURE')
    .map((r) => ({
      name: r.name,
      kind: r.type === 'FUNCTION' ? ('function' as const) : ('procedure' as const),
      language: (r.body ?? 'SQL').toLowerCase(),
    }))
    .sort((a, b) => byName(a.name, b.name) || byName(a.kind, b.kind));
  const events: EventModel[] = eventRows
    .map((e) => ({ name: e.name, schedule: eventSchedule(e), status: e.status }))
    .sort((a, b) => byName(a.name, b.name));

  return {
    engine: 'mysql',
    serverVersion: server.version,
    schema,
    database: schema,
    charset: schemaRow.charset,
    collation: schemaRow.collation,
    tables,
    views,
    routines,
    triggers,
    events,
    sequences: [],
  };
}
