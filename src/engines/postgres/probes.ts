// Data probes and sample reads for the planner. All probes of a table are answered by one scan
// (count(*) FILTER per probe); kinds that PostgreSQL's types rule out are answered without scanning.
import type { ClientBase, Pool } from 'pg';
import type { ColumnProbe, ProbeResult, SampleBatch } from '../engine';
import { EngineInputError } from '../errors';
import { qualify, quoteIdent } from './quote';
import { catalogTypes } from './result-types';
import { TypeCatalog, type ResolvedType } from './type-catalog';

interface TableShape {
  columns: Map<string, ResolvedType>;
  primaryKey: string[];
}

/** The table's columns with resolved types and its primary key; a clear error when it does not exist. */
async function tableShape(client: ClientBase, schema: string, table: string): Promise<TableShape> {
  const { rows } = await client.query<{ name: string; typ: number; typmod: number; pk: number | null }>({
    text: `SELECT a.attname::text AS name, a.atttypid AS typ, a.atttypmod AS typmod,
                  array_position(con.conkey, a.attnum) AS pk
             FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
             LEFT JOIN pg_constraint con ON con.conrelid = c.oid AND con.contype = 'p'
            WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
            ORDER BY a.attnum`,
    values: [schema, table],
    types: catalogTypes,
  });
  if (!rows.length) {
    const { rowCount } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    throw new EngineInputError(
      rowCount
        ? `table ${qualify(schema, table)} does not exist`
        : `PostgreSQL schema ${JSON.stringify(schema)} does not exist`,
    );
  }
  const types = new TypeCatalog(client);
  await types.load(rows.map((r) => r.typ));
  const columns = new Map(rows.map((r) => [r.name, types.resolve(r.typ, r.typmod)]));
  const primaryKey = rows
    .filter((r) => r.pk !== null)
    .sort((a, b) => a.pk! - b.pk!)
    .map((r) => r.name);
  return { columns, primaryKey };
}

function requireColumn(shape: TableShape, schema: string, table: string, column: string): ResolvedType {
  const type = shape.columns.get(column);
  if (!type)
    throw new EngineInputError(
      `column ${quoteIdent(column)} does not exist in table ${qualify(schema, table)}`,
    );
  return type;
}

// MySQL TIMESTAMP range, in UTC (the session time zone of this engine); the upper bound is exclusive
// so that fractional seconds of 03:14:07 still fit.
const TS_MIN = '1970-01-01 00:00:01';
const TS_MAX_EXCLUSIVE = '2038-01-19 03:14:08';

/**
 * The SQL condition that marks an offending row, or null when the type cannot hold offending values.
 * Parameters are appended to `params`; NULL values never match (every condition is NULL for them).
 */
function probeCondition(
  probe: ColumnProbe,
  type: ResolvedType,
  params: unknown[],
  where: string,
): string | null {
  const col = quoteIdent(probe.column);
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  // Asking a question the column's type cannot answer is a mistake of the caller, not a transient
  // condition: a silent 0 would hide it, a retry would repeat it.
  const unsupported = () =>
    new EngineInputError(
      `probe ${probe.kind} does not apply to column ${col} of type ${type.dataType} in ${where}`,
    );
  const t = type.dataType;
  switch (probe.kind) {
    case 'non-boolean':
      if (t === 'boolean') return null;
      if (type.category === 'N') return `${col} NOT IN (0, 1)`;
      if (type.category === 'S' || t === 'bit' || t === 'bit varying')
        return `${col}::text NOT IN ('0', '1')`;
      throw unsupported();
    case 'nul-byte':
      // text, varchar and json cannot contain NUL; bytea can.
      if (t === 'bytea') return `position(decode('00', 'hex') IN ${col}) > 0`;
      return null;
    case 'json-nul':
      // jsonb rejects \u0000; in json or text an escaped backslash ("\\u0000") is not an escape.
      if (t === 'jsonb' || type.category === 'N' || type.category === 'B' || type.category === 'D')
        return null;
      return `${col}::text ~ ${param('(^|[^\\\\])(\\\\\\\\)*\\\\u0000')}`;
    case 'trailing-space':
      // char(n) pads with spaces and ignores them in comparisons: nothing to report there.
      if (t === 'character') return null;
      if (type.category === 'S' || type.category === 'E') return `${col}::text LIKE '% '`;
      throw unsupported();
    case 'time-out-of-day':
      if (t === 'interval') return `(${col} < interval '0' OR ${col} >= interval '24 hours')`;
      // time accepts 24:00:00, which is outside a day.
      if (t === 'time without time zone') return `${col} > time '23:59:59.999999'`;
      if (t === 'time with time zone') return `${col}::time > time '23:59:59.999999'`;
      throw unsupported();
    case 'negative':
      if (type.category === 'N') return `${col} < 0`;
      if (t === 'interval') return `${col} < interval '0'`;
      throw unsupported();
    case 'timestamp-out-of-range':
      if (t === 'timestamp with time zone') {
        return `(${col} < ${param(`${TS_MIN}+00`)}::timestamptz OR ${col} >= ${param(`${TS_MAX_EXCLUSIVE}+00`)}::timestamptz)`;
      }
      if (t === 'timestamp without time zone' || t === 'date') {
        return `(${col}::timestamp < ${param(TS_MIN)}::timestamp OR ${col}::timestamp >= ${param(TS_MAX_EXCLUSIVE)}::timestamp)`;
      }
      throw unsupported();
    case 'zero-date':
    case 'empty-enum':
      // PostgreSQL rejects zero dates and enum values that are not labels.
      return null;
    default:
      throw new EngineInputError(`unknown probe kind ${JSON.stringify((probe as ColumnProbe).kind)}`);
  }
}

export async function probeTable(
  pool: Pool,
  schema: string,
  table: string,
  probes: ColumnProbe[],
): Promise<ProbeResult[]> {
  if (!probes.length) return [];
  const client = await pool.connect();
  try {
    const shape = await tableShape(client, schema, table);
    const where = qualify(schema, table);
    const params: unknown[] = [];
    const conditions = probes.map((p) =>
      probeCondition(p, requireColumn(shape, schema, table, p.column), params, where),
    );
    const scanned = conditions.flatMap((c, i) => (c === null ? [] : [{ i, c }]));
    const counts = new Array<number>(probes.length).fill(0);
    if (scanned.length) {
      const select = scanned.map(({ c }, k) => `count(*) FILTER (WHERE ${c}) AS p${k}`).join(', ');
      const { rows } = await client.query<Record<string, string>>({
        text: `SELECT ${select} FROM ${where}`,
        values: params,
        types: catalogTypes,
      });
      scanned.forEach(({ i }, k) => (counts[i] = Number(rows[0]![`p${k}`])));
    }
    return probes.map((p, i) => ({ column: p.column, kind: p.kind, offendingRows: counts[i]! }));
  } finally {
    client.release();
  }
}

/** Approximate size of a value as read: its text or binary length. */
export function valueBytes(value: unknown): number {
  if (value === null || value === undefined) return 0;
  if (Buffer.isBuffer(value)) return value.length;
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (typeof value === 'object') return Buffer.byteLength(JSON.stringify(value), 'utf8');
  return String(value).length;
}

/**
 * Up to `limit` rows in primary-key order (any order without one), as arrays. The pool's result
 * types keep every value exact: the server's text, or Buffer for bytea.
 */
export async function readSample(
  pool: Pool,
  schema: string,
  table: string,
  columns: string[],
  limit: number,
): Promise<SampleBatch> {
  if (!Number.isInteger(limit) || limit < 0)
    throw new EngineInputError(`sample limit must be a non-negative integer, got ${limit}`);
  const client = await pool.connect();
  try {
    const shape = await tableShape(client, schema, table);
    for (const c of columns) requireColumn(shape, schema, table, c);
    const order = shape.primaryKey.length ? ` ORDER BY ${shape.primaryKey.map(quoteIdent).join(', ')}` : '';
    const { rows } = await client.query<unknown[]>({
      text: `SELECT ${columns.map(quoteIdent).join(', ')} FROM ${qualify(schema, table)}${order} LIMIT $1`,
      values: [limit],
      rowMode: 'array',
    });
    let bytes = 0;
    for (const row of rows) for (const v of row) bytes += valueBytes(v);
    return { columns: [...columns], rows, bytes };
  } finally {
    client.release();
  }
}
