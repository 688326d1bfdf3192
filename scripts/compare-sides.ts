// An independent row-for-row comparison of tables between a MySQL/MariaDB database and a PostgreSQL
// one, without cutover's code (its mapping, readers or validator): every column of each table, rows
// matched by primary key, each value read through SQL of its own engine into a canonical text that
// a DBA would accept as "the same value" on the other engine:
//
// - integers, DECIMAL/numeric, YEAR, BIT, boolean: exact decimal strings ('12.30' = '12.3'; a
//   PostgreSQL boolean is 1/0 like MySQL's TINYINT(1), so a TINYINT(1) holding 2 differs from true);
// - FLOAT/DOUBLE, real/double precision: the exact binary value (widened to a double on both sides),
//   never the rounded text MySQL prints for a FLOAT;
// - DATE as YYYY-MM-DD; DATETIME/timestamp as wall-clock time with microseconds; MySQL TIMESTAMP
//   and timestamptz in UTC (the MySQL session reads with time_zone '+00:00');
// - MySQL TIME and PostgreSQL interval/time as a duration in seconds (TIME is a duration on MySQL);
// - JSON (MySQL JSON, MariaDB's LONGTEXT with a json_valid check, json, jsonb) as parsed values with
//   object keys in sorted order (jsonb reorders keys and drops whitespace);
// - MySQL SET and a PostgreSQL array as the set of their members ('' is the empty set);
// - binary types, bytea and uuid as lower-case hex;
// - CHAR(n) and character(n) without trailing spaces (MySQL strips them on read, PostgreSQL pads:
//   SQL compares CHAR values without them);
// - everything else (text, ENUM labels, ...) as its exact text.
//
// Generated columns are compared like the others: each engine computes them from the compared base
// columns with its own expression. Used by the demo (scripts/demo.ts) and the workflow tests.
import mysql from 'mysql2/promise';
import pg from 'pg';
import * as mysqlQuote from '../src/engines/mysql/quote';
import * as pgQuote from '../src/engines/postgres/quote';

export type Engine = 'mysql' | 'postgres';
type Kind = 'number' | 'float' | 'json' | 'set' | 'text';

interface SnapshotColumn {
  name: string;
  /** The column's type as the engine names it (for messages). */
  type: string;
  kind: Kind;
  generated: boolean;
}

export interface TableSnapshot {
  engine: Engine;
  /** Primary key columns, in key order; empty for a table without one. */
  key: string[];
  columns: SnapshotColumn[];
  /** One entry per row, in `columns` order: the engine's canonical text, or null. */
  rows: (string | null)[][];
}

export type Snapshot = Map<string, TableSnapshot>;

export interface SnapshotOptions {
  /** Columns left out of the comparison (e.g. excluded from the migration). */
  skipColumn?: (table: string, column: string) => boolean;
}

// Quoting is the engines' own (not what this check checks); everything else here is independent.
const myIdent = mysqlQuote.quoteIdent;
const pgIdent = pgQuote.quoteIdent;

/** SQL reading a MySQL/MariaDB column as canonical text, and how to compare it. */
function mysqlRead(c: { name: string; dataType: string }, json: boolean): { sql: string; kind: Kind } {
  const col = myIdent(c.name);
  const t = c.dataType.toLowerCase();
  if (json || t === 'json') return { sql: `CAST(${col} AS CHAR)`, kind: 'json' };
  if (['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint', 'decimal', 'year'].includes(t))
    return { sql: `CAST(${col} AS CHAR)`, kind: 'number' };
  if (t === 'bit') return { sql: `CAST(${col} + 0 AS CHAR)`, kind: 'number' };
  // + 0e0 widens a FLOAT to a double exactly; CAST(float AS CHAR) would round it to 6 digits.
  if (t === 'float' || t === 'double' || t === 'real')
    return { sql: `CAST(${col} + 0e0 AS CHAR)`, kind: 'float' };
  if (t === 'date') return { sql: `DATE_FORMAT(${col}, '%Y-%m-%d')`, kind: 'text' };
  if (t === 'datetime' || t === 'timestamp')
    return { sql: `DATE_FORMAT(${col}, '%Y-%m-%d %H:%i:%s.%f')`, kind: 'text' };
  if (t === 'time') return { sql: `CAST(TIME_TO_SEC(${col}) AS CHAR)`, kind: 'number' };
  if (t === 'set') return { sql: col, kind: 'set' };
  if (['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob'].includes(t))
    return { sql: `LOWER(HEX(${col}))`, kind: 'text' };
  if (t === 'enum') return { sql: `CAST(${col} AS CHAR)`, kind: 'text' };
  return { sql: col, kind: 'text' };
}

/** SQL reading a PostgreSQL column as canonical text (the same text as mysqlRead), and how to compare it. */
function postgresRead(c: { name: string; type: string; category: string }): { sql: string; kind: Kind } {
  const col = pgIdent(c.name);
  const t = c.type;
  if (['int2', 'int4', 'int8', 'numeric', 'oid'].includes(t)) return { sql: `${col}::text`, kind: 'number' };
  if (t === 'bool') return { sql: `CASE WHEN ${col} THEN '1' ELSE '0' END`, kind: 'number' };
  if (t === 'float4' || t === 'float8') return { sql: `${col}::float8::text`, kind: 'float' };
  if (t === 'date') return { sql: `to_char(${col}, 'YYYY-MM-DD')`, kind: 'text' };
  if (t === 'timestamp') return { sql: `to_char(${col}, 'YYYY-MM-DD HH24:MI:SS.US')`, kind: 'text' };
  if (t === 'timestamptz')
    return { sql: `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')`, kind: 'text' };
  if (t === 'interval' || t === 'time') return { sql: `extract(epoch FROM ${col})::text`, kind: 'number' };
  if (t === 'json' || t === 'jsonb') return { sql: `${col}::text`, kind: 'json' };
  if (t === 'bytea') return { sql: `encode(${col}, 'hex')`, kind: 'text' };
  if (t === 'uuid') return { sql: `replace(${col}::text, '-', '')`, kind: 'text' };
  if (c.category === 'A') return { sql: `array_to_json(${col})::text`, kind: 'set' };
  // bpchar::text drops the padding; enums, text and the rest print as they are.
  return { sql: `${col}::text`, kind: 'text' };
}

/** Read `tables` (every column but the skipped ones) from a MySQL/MariaDB database. */
export async function snapshotMysql(
  url: string,
  tables: string[],
  options: SnapshotOptions = {},
): Promise<Snapshot> {
  const c = await mysql.createConnection({
    uri: url,
    rowsAsArray: true,
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    charset: 'utf8mb4',
  });
  try {
    // TIMESTAMP columns in UTC; zero dates readable.
    await c.query(`SET SESSION time_zone = '+00:00', SESSION sql_mode = ''`);
    const out: Snapshot = new Map();
    for (const table of tables) {
      const [cols] = await c.query<mysql.RowDataPacket[]>(
        `SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, EXTRA FROM information_schema.COLUMNS
          WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
        [table],
      );
      if (!cols.length) throw new Error(`MySQL has no table ${table}`);
      const [keys] = await c.query<mysql.RowDataPacket[]>(
        `SELECT COLUMN_NAME FROM information_schema.STATISTICS
          WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX`,
        [table],
      );
      // MariaDB's JSON is LONGTEXT with CHECK (json_valid(`col`)).
      const [checks] = await c.query<mysql.RowDataPacket[]>(
        `SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS
          WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = ?`,
        [table],
      );
      const clauses = (checks as unknown as unknown[][]).map((r) => String(r[0]).toLowerCase());
      const columns: SnapshotColumn[] = [];
      const select: string[] = [];
      for (const [name, dataType, columnType, extra] of (cols as unknown as unknown[][]).map((r) =>
        r.map(String),
      )) {
        if (options.skipColumn?.(table, name!)) continue;
        const json = clauses.includes(`json_valid(${myIdent(name!).toLowerCase()})`);
        const r = mysqlRead({ name: name!, dataType: dataType! }, json);
        columns.push({ name: name!, type: columnType!, kind: r.kind, generated: /GENERATED/i.test(extra!) });
        select.push(r.sql);
      }
      const [rows] = await c.query<mysql.RowDataPacket[]>(
        `SELECT ${select.join(', ')} FROM ${myIdent(table)}`,
      );
      out.set(table, {
        engine: 'mysql',
        key: (keys as unknown as unknown[][]).map((r) => String(r[0])),
        columns,
        rows: (rows as unknown as unknown[][]).map((r) => r.map(asText)),
      });
    }
    return out;
  } finally {
    await c.end();
  }
}

/** Read `tables` (every column but the skipped ones) from a PostgreSQL schema. */
export async function snapshotPostgres(
  url: string,
  tables: string[],
  options: SnapshotOptions & { schema?: string } = {},
): Promise<Snapshot> {
  const schema = options.schema ?? 'public';
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`SET TimeZone = 'UTC'; SET extra_float_digits = 1`);
    const out: Snapshot = new Map();
    for (const table of tables) {
      const rel = pgQuote.qualify(schema, table);
      const cols = await c.query<{
        name: string;
        type: string;
        category: string;
        shown: string;
        generated: string;
      }>(
        `SELECT a.attname AS name, t.typname AS type, t.typcategory AS category,
                format_type(a.atttypid, a.atttypmod) AS shown, a.attgenerated AS generated
           FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
          WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
        [rel],
      );
      const keys = await c.query<{ name: string }>(
        `SELECT a.attname AS name FROM pg_index i
           CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
           JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
          WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY k.n`,
        [rel],
      );
      const columns: SnapshotColumn[] = [];
      const select: string[] = [];
      for (const col of cols.rows) {
        if (options.skipColumn?.(table, col.name)) continue;
        const r = postgresRead(col);
        columns.push({ name: col.name, type: col.shown, kind: r.kind, generated: col.generated !== '' });
        select.push(r.sql);
      }
      const rows = await c.query({ text: `SELECT ${select.join(', ')} FROM ${rel}`, rowMode: 'array' });
      out.set(table, {
        engine: 'postgres',
        key: keys.rows.map((r) => r.name),
        columns,
        rows: (rows.rows as unknown[][]).map((r) => r.map(asText)),
      });
    }
    return out;
  } finally {
    await c.end();
  }
}

function asText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return v.toString('hex');
  return String(v);
}

/** '0012.300' -> '12.3', '-0.00' -> '0'; anything else unchanged. */
function canonicalNumber(s: string): string {
  const m = /^([+-]?)0*(\d*?)(?:\.(\d*?)0*)?$/.exec(s);
  if (!m || !/\d/.test(s)) return s;
  const int = m[2] || '0';
  const frac = m[3] ?? '';
  const body = frac ? `${int}.${frac}` : int;
  return body === '0' ? '0' : `${m[1] === '-' ? '-' : ''}${body}`;
}

function sortedJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedJson);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortedJson((v as Record<string, unknown>)[k])]),
    );
  return v;
}

/** The value as compared under `kind`; `engine` says how a SET/array arrived. */
function canonical(kind: Kind, v: string | null, engine: Engine, sourceKind: Kind): string | null {
  if (v === null) return null;
  try {
    switch (kind) {
      case 'number':
        return canonicalNumber(v);
      case 'float':
        return String(Number(v));
      case 'json':
        return JSON.stringify(sortedJson(JSON.parse(v)));
      case 'set': {
        // MySQL sends a SET as 'a,b' ('' for none); PostgreSQL an array as JSON.
        const members =
          engine === 'mysql' && sourceKind === 'set'
            ? v === ''
              ? []
              : v.split(',')
            : (JSON.parse(v) as unknown[]);
        return JSON.stringify(members.map(String).sort());
      }
      default:
        return v;
    }
  } catch {
    return v; // not valid under the other side's kind: compared as text, so it differs
  }
}

/** When the two engines read a column differently, the stronger reading decides for both. */
const KIND_ORDER: Kind[] = ['json', 'set', 'float', 'number', 'text'];
function commonKind(a: Kind, b: Kind): Kind {
  return KIND_ORDER[Math.min(KIND_ORDER.indexOf(a), KIND_ORDER.indexOf(b))]!;
}

export interface Difference {
  table: string;
  /** The primary key as column=value pairs (the whole row for a table without a primary key). */
  key: string;
  /** Null when the whole row is missing on one side. */
  column: string | null;
  mysql: string | null;
  postgres: string | null;
  problem: 'differs' | 'missing on PostgreSQL' | 'missing on MySQL' | 'column missing' | 'key differs';
}

export interface TableComparison {
  table: string;
  mysqlRows: number;
  postgresRows: number;
  /** Rows found on both sides by key and compared column by column. */
  rowsCompared: number;
  columnsCompared: string[];
  /** The compared columns that are generated (on either side). */
  generated: string[];
  key: string[];
  /** How many differences were found: rows missing on a side, values differing, columns missing. */
  differing: number;
  /** The first of them (at most MAX_DIFFERENCES). */
  differences: Difference[];
}

export const MAX_DIFFERENCES = 50;

/**
 * Compare each MySQL table of `mine` with the PostgreSQL table of `theirs` named by `targetName`
 * (the same name unless given): both column lists and keys, then every row by primary key.
 */
export function compareSnapshots(
  mine: Snapshot,
  theirs: Snapshot,
  targetName: (table: string) => string = (t) => t,
): TableComparison[] {
  const out: TableComparison[] = [];
  for (const [table, a] of mine) {
    const b = theirs.get(targetName(table));
    if (!b) throw new Error(`no PostgreSQL snapshot of ${targetName(table)} (MySQL ${table})`);
    const differences: Difference[] = [];
    let differing = 0;
    const note = (d: Omit<Difference, 'table'>) => {
      differing++;
      if (differences.length < MAX_DIFFERENCES) differences.push({ table, ...d });
    };
    const names = [...new Set([...a.columns.map((c) => c.name), ...b.columns.map((c) => c.name)])];
    const pairs: { name: string; ai: number; bi: number; kind: Kind; generated: boolean }[] = [];
    for (const name of names) {
      const ai = a.columns.findIndex((c) => c.name === name);
      const bi = b.columns.findIndex((c) => c.name === name);
      if (ai < 0 || bi < 0) {
        note({
          key: '(all rows)',
          column: name,
          mysql: ai < 0 ? null : a.columns[ai]!.type,
          postgres: bi < 0 ? null : b.columns[bi]!.type,
          problem: 'column missing',
        });
        continue;
      }
      const ca = a.columns[ai]!;
      const cb = b.columns[bi]!;
      pairs.push({
        name,
        ai,
        bi,
        kind: commonKind(ca.kind, cb.kind),
        generated: ca.generated || cb.generated,
      });
    }
    if (a.key.join() !== b.key.join())
      note({
        key: '(primary key)',
        column: null,
        mysql: a.key.join(),
        postgres: b.key.join(),
        problem: 'key differs',
      });

    // Rows by key: the primary key's canonical values, or the whole row without a primary key.
    const keyAt = (a.key.length ? pairs.filter((p) => a.key.includes(p.name)) : pairs).map((p) => ({
      name: p.name,
      at: pairs.indexOf(p),
    }));
    const values = (s: TableSnapshot, row: (string | null)[], side: 'a' | 'b') =>
      pairs.map((p) => {
        const i = side === 'a' ? p.ai : p.bi;
        return canonical(p.kind, row[i]!, s.engine, s.columns[i]!.kind);
      });
    const index = (s: TableSnapshot, side: 'a' | 'b') => {
      const m = new Map<string, (string | null)[][]>();
      for (const row of s.rows) {
        const v = values(s, row, side);
        const k = keyAt.map((p) => `${p.name}=${v[p.at] ?? 'NULL'}`).join(', ');
        const list = m.get(k);
        if (list) list.push(v);
        else m.set(k, [v]);
      }
      return m;
    };
    const am = index(a, 'a');
    const bm = index(b, 'b');
    let compared = 0;
    for (const [k, arows] of am) {
      const brows = bm.get(k) ?? [];
      for (let n = 0; n < Math.max(arows.length, brows.length); n++) {
        const x = arows[n];
        const y = brows[n];
        if (!x || !y) {
          note({
            key: k,
            column: null,
            mysql: null,
            postgres: null,
            problem: x ? 'missing on PostgreSQL' : 'missing on MySQL',
          });
          continue;
        }
        compared++;
        pairs.forEach((p, i) => {
          if (x[i] !== y[i])
            note({ key: k, column: p.name, mysql: x[i]!, postgres: y[i]!, problem: 'differs' });
        });
      }
    }
    for (const [k, brows] of bm)
      if (!am.has(k))
        for (let n = 0; n < brows.length; n++)
          note({ key: k, column: null, mysql: null, postgres: null, problem: 'missing on MySQL' });
    out.push({
      table,
      mysqlRows: a.rows.length,
      postgresRows: b.rows.length,
      rowsCompared: compared,
      columnsCompared: pairs.map((p) => p.name),
      generated: pairs.filter((p) => p.generated).map((p) => p.name),
      key: a.key,
      differing,
      differences,
    });
  }
  return out;
}

/** Snapshot both sides and compare them (MySQL table names; PostgreSQL names by `targetName`). */
export async function compareMysqlPostgres(
  mysqlUrl: string,
  postgresUrl: string,
  tables: string[],
  options: SnapshotOptions & { schema?: string; targetName?: (table: string) => string } = {},
): Promise<TableComparison[]> {
  const targetName = options.targetName ?? ((t: string) => t);
  const sourceName = new Map(tables.map((t) => [targetName(t), t]));
  const skip = options.skipColumn;
  const [mine, theirs] = await Promise.all([
    snapshotMysql(mysqlUrl, tables, { skipColumn: skip }),
    snapshotPostgres(postgresUrl, [...sourceName.keys()], {
      schema: options.schema,
      skipColumn: skip && ((t, c) => skip(sourceName.get(t) ?? t, c)),
    }),
  ]);
  return compareSnapshots(mine, theirs, targetName);
}

const SHOWN_CHARS = 60;

/** One line per difference: table, key, column and both values (cut to SHOWN_CHARS characters). */
export function describeDifference(d: Difference): string {
  const cut = (v: string | null) =>
    v === null ? 'NULL' : JSON.stringify(v.length > SHOWN_CHARS ? `${v.slice(0, SHOWN_CHARS)}...` : v);
  if (d.problem === 'differs')
    return `${d.table} [${d.key}] column ${d.column}: MySQL ${cut(d.mysql)}, PostgreSQL ${cut(d.postgres)}`;
  if (d.problem === 'column missing')
    return `${d.table}: column ${d.column} only on ${d.mysql === null ? 'PostgreSQL' : 'MySQL'} (${d.mysql ?? d.postgres})`;
  if (d.problem === 'key differs')
    return `${d.table}: primary key (${d.mysql}) on MySQL, (${d.postgres}) on PostgreSQL`;
  return `${d.table} [${d.key}]: row ${d.problem}`;
}
