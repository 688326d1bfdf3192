// Data probes (does this column hold values a conversion would reject?) answered with one scan per
// table, and the planner's sample read in primary-key order.
import type { RowDataPacket } from 'mysql2/promise';
import type { ColumnProbe, ProbeKind, ProbeResult, SampleBatch } from '../engine';
import { EngineInputError } from '../errors';
import { isNumericType, isTemporalType, parseEnumValues } from './column-type';
import { qualify, quoteIdent } from './quote';
import { type Conn, queryRows, toNumber } from './session';

const STRING_TYPES = new Set([
  'char',
  'varchar',
  'tinytext',
  'text',
  'mediumtext',
  'longtext',
  'binary',
  'varbinary',
  'tinyblob',
  'blob',
  'mediumblob',
  'longblob',
  'enum',
  'set',
  'json',
]);

interface ColumnInfo {
  name: string;
  dataType: string;
  columnType: string;
}

/** The table's columns by exact name; a clear error when the table is not there. */
async function tableColumns(conn: Conn, schema: string, table: string): Promise<Map<string, ColumnInfo>> {
  const rows = await queryRows<ColumnInfo & { tableSchema: string; tableName: string }>(
    conn,
    `SELECT TABLE_SCHEMA AS tableSchema, TABLE_NAME AS tableName, COLUMN_NAME AS name,
            DATA_TYPE AS dataType, COLUMN_TYPE AS columnType
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`,
    [schema, table],
  );
  const exact = rows.filter((r) => r.tableSchema === schema && r.tableName === table);
  if (!exact.length) {
    const schemata = await queryRows<{ name: string }>(
      conn,
      'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
      [schema],
    );
    throw new EngineInputError(
      schemata.some((s) => s.name === schema)
        ? `MySQL table ${qualify(schema, table)} does not exist or has no visible columns`
        : `MySQL database ${JSON.stringify(schema)} does not exist or is not visible to this user`,
    );
  }
  return new Map(exact.map((r) => [r.name, { ...r, dataType: r.dataType.toLowerCase() }]));
}

function column(columns: Map<string, ColumnInfo>, schema: string, table: string, name: string): ColumnInfo {
  const c = columns.get(name);
  if (!c)
    throw new EngineInputError(`MySQL table ${qualify(schema, table)} has no column ${JSON.stringify(name)}`);
  return c;
}

/** JSON text with a \u0000 escape: an odd run of backslashes before "u0000" (\\u0000 is not one). */
const JSON_NUL_ESCAPE = '\\u0000';
const JSON_NUL_REGEXP = '(^|[^\\\\])(\\\\\\\\)*\\\\u0000';

/**
 * The SQL condition that is true for an offending row (NULL for NULL values, which SUM skips),
 * with its parameters. Throws when the kind makes no sense for the column's type: the caller asked
 * the wrong question and a silent 0 would hide that.
 */
function condition(c: ColumnInfo, kind: ProbeKind): { sql: string; params: unknown[] } {
  const q = quoteIdent(c.name);
  const t = c.dataType;
  const refuse = () => {
    throw new EngineInputError(
      `probe ${kind} does not apply to column ${JSON.stringify(c.name)} of type ${c.columnType}`,
    );
  };
  switch (kind) {
    case 'non-boolean':
      if (!isNumericType(t)) refuse();
      return { sql: `${q} NOT IN (0, 1)`, params: [] };
    case 'negative':
      if (!isNumericType(t)) refuse();
      return { sql: `${q} < 0`, params: [] };
    case 'zero-date': {
      const temporal = isTemporalType(t);
      if (!temporal || temporal === 'time') refuse();
      // Compare the text form: comparing with '0000-00-00' warns or errors under strict sql_mode.
      // 'YYYY-MM-DD...': year 0000, month 00 (chars 6-7) or day 00 (chars 9-10).
      const s = `CAST(${q} AS CHAR)`;
      return { sql: `(${s} LIKE '0000%' OR ${s} LIKE '_____00%' OR ${s} LIKE '________00%')`, params: [] };
    }
    case 'empty-enum': {
      if (t !== 'enum') refuse();
      // '' is only an error value when it is not a declared member. The error value has index 0,
      // which no member has: comparing the index does not depend on the column's collation.
      if (parseEnumValues(c.columnType)?.includes('')) return { sql: '0', params: [] };
      return { sql: `${q} + 0 = 0`, params: [] };
    }
    case 'nul-byte':
      if (!STRING_TYPES.has(t)) refuse();
      // A binary needle makes the search byte-wise, so it also works on utf8mb4 text.
      return { sql: `LOCATE(CHAR(0 USING binary), ${q}) > 0`, params: [] };
    case 'json-nul':
      if (!STRING_TYPES.has(t)) refuse();
      // LOCATE is a cheap pre-filter; the regexp rejects an escaped backslash followed by "u0000".
      return { sql: `(LOCATE(?, ${q}) > 0 AND ${q} REGEXP ?)`, params: [JSON_NUL_ESCAPE, JSON_NUL_REGEXP] };
    case 'trailing-space':
      if (!STRING_TYPES.has(t)) refuse();
      // LIKE does not pad, unlike = under PAD SPACE collations ('a ' = 'a' is true there).
      return { sql: `${q} LIKE '% '`, params: [] };
    case 'time-out-of-day':
      if (t !== 'time') refuse();
      // >= 24:00:00 rather than > 23:59:59, which would flag 23:59:59.5.
      return { sql: `(${q} < '00:00:00' OR ${q} >= '24:00:00')`, params: [] };
    case 'timestamp-out-of-range': {
      const temporal = isTemporalType(t);
      if (!temporal || temporal === 'time') refuse();
      // TIMESTAMP holds 1970-01-01 00:00:01 .. 2038-01-19 03:14:07.999999 UTC; zero dates are outside too.
      return { sql: `(${q} < '1970-01-01 00:00:01' OR ${q} >= '2038-01-19 03:14:08')`, params: [] };
    }
    default:
      throw new EngineInputError(`unknown probe kind ${JSON.stringify(kind as string)}`);
  }
}

/** Answer every probe of one table with a single scan: SELECT SUM(cond1), SUM(cond2), ... FROM t. */
export async function probeTable(
  conn: Conn,
  schema: string,
  table: string,
  probes: ColumnProbe[],
): Promise<ProbeResult[]> {
  if (!probes.length) return [];
  const columns = await tableColumns(conn, schema, table);
  const params: unknown[] = [];
  const sums = probes.map((p) => {
    const cond = condition(column(columns, schema, table, p.column), p.kind);
    params.push(...cond.params);
    return `COALESCE(SUM(${cond.sql}), 0)`;
  });
  const [rows] = await conn.query<RowDataPacket[]>({
    sql: `SELECT ${sums.join(', ')} FROM ${qualify(schema, table)}`,
    rowsAsArray: true,
    values: params,
  });
  const row = (rows[0] as unknown as unknown[] | undefined) ?? [];
  return probes.map((p, i) => ({ column: p.column, kind: p.kind, offendingRows: toNumber(row[i]) ?? 0 }));
}

function valueBytes(v: unknown): number {
  if (v === null || v === undefined) return 0;
  if (Buffer.isBuffer(v)) return v.length;
  if (typeof v === 'string') return Buffer.byteLength(v, 'utf8');
  return String(v).length;
}

/** Up to `limit` rows of the given columns, in primary-key order when the table has one. */
export async function readSample(
  conn: Conn,
  schema: string,
  table: string,
  columnNames: string[],
  limit: number,
): Promise<SampleBatch> {
  if (!columnNames.length) throw new EngineInputError('readSample needs at least one column');
  if (!Number.isInteger(limit) || limit < 0)
    throw new EngineInputError(`readSample limit must be a non-negative integer, not ${limit}`);
  const columns = await tableColumns(conn, schema, table);
  for (const name of columnNames) column(columns, schema, table, name);
  if (limit === 0) return { columns: [...columnNames], rows: [], bytes: 0 };

  const pk = (
    await queryRows<{ tableSchema: string; tableName: string; name: string }>(
      conn,
      `SELECT TABLE_SCHEMA AS tableSchema, TABLE_NAME AS tableName, COLUMN_NAME AS name
         FROM information_schema.STATISTICS
        WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX`,
      [schema, table],
    )
  )
    .filter((r) => r.tableSchema === schema && r.tableName === table)
    .map((r) => r.name);
  const orderBy = pk.length ? ` ORDER BY ${pk.map(quoteIdent).join(', ')}` : '';
  const [rows] = await conn.query<RowDataPacket[]>({
    sql: `SELECT ${columnNames.map(quoteIdent).join(', ')} FROM ${qualify(schema, table)}${orderBy} LIMIT ?`,
    values: [limit],
    rowsAsArray: true,
    // Geometry as the server's bytes (SRID + WKB), not the driver's lossy {x, y} objects.
    typeCast: (field, next) => (field.type === 'GEOMETRY' ? field.buffer() : next()),
  });
  const out = rows as unknown as unknown[][];
  let bytes = 0;
  for (const r of out) for (const v of r) bytes += valueBytes(v);
  return { columns: [...columnNames], rows: out, bytes };
}
