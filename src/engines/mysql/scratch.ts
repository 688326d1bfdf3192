// The planner's sample copy on a MySQL target: bulk-load a batch into a session-local TEMPORARY
// table, then upsert the same rows by key, and time both. Nothing permanent is touched.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { SampleBatch } from '../engine';
import { EngineInputError } from '../errors';
import { quoteIdent } from './quote';
import type { Conn } from './session';

const ROWS_PER_INSERT = 1000;
/** Keep each statement well under the default max_allowed_packet (16 MiB on MariaDB, 64 MiB on MySQL 8). */
const BYTES_PER_INSERT = 4 * 1024 * 1024;

/**
 * A value the driver can send as a parameter. mysql2 expands plain objects to `k` = v lists and
 * arrays to value lists, so JSON documents (e.g. read from PostgreSQL) are sent as their text.
 */
function parameter(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v) || v instanceof Date) return v;
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'object') return JSON.stringify(v);
  return v;
}

function approxBytes(row: unknown[]): number {
  let n = 8;
  for (const v of row) n += Buffer.isBuffer(v) ? v.length * 2 : typeof v === 'string' ? v.length * 4 : 16;
  return n;
}

/** Rows in statement-sized groups: at most ROWS_PER_INSERT rows and about BYTES_PER_INSERT bytes each. */
function* chunks(rows: unknown[][]): Generator<unknown[][]> {
  let chunk: unknown[][] = [];
  let size = 0;
  for (const row of rows) {
    const bytes = approxBytes(row);
    if (chunk.length && (chunk.length >= ROWS_PER_INSERT || size + bytes > BYTES_PER_INSERT)) {
      yield chunk;
      chunk = [];
      size = 0;
    }
    chunk.push(row);
    size += bytes;
  }
  if (chunk.length) yield chunk;
}

// Column types are spliced into DDL (a type cannot be a parameter), so each must be a column type
// and nothing else: a name (two words for DOUBLE PRECISION, CHAR VARYING, NATIONAL CHAR, LONG
// VARBINARY, ...), then numeric arguments or, for ENUM and SET, a list of quoted literals, then
// SIGNED/UNSIGNED, ZEROFILL, CHARACTER SET and COLLATE. No comments, no statement separators, no
// column attributes (DEFAULT, GENERATED, ...). Literals are lexed as the server lexes them in this
// engine's sessions (backslash escapes on, '' for a quote), so none can end early.
const WS = /[ \t\r\n]+/.source;
const WORD = /[A-Za-z_][A-Za-z0-9_]*/.source;
const LITERAL = /'(?:[^'\\\0]|''|\\[^\0])*'/.source;
const NUMBER_ARGS = /\( *\d+ *(?:, *\d+ *)?\)/.source;
const MYSQL_TYPE = new RegExp(
  [
    '^ *',
    `(?:(?:enum|set) *\\( *${LITERAL}(?: *, *${LITERAL})* *\\)`,
    `|(?:(?:national|long)${WS})?${WORD}(?:${WS}(?:precision|varying))?(?: *${NUMBER_ARGS})?)`,
    `(?:${WS}(?:signed|unsigned))?`,
    `(?:${WS}zerofill)?`,
    `(?:${WS}(?:character${WS}set|charset)${WS}${WORD})?`,
    `(?:${WS}collate${WS}${WORD})?`,
    ' *$',
  ].join(''),
  'i',
);

/** The type unchanged when it is a plain MySQL column type; an EngineInputError otherwise. */
export function checkTypeName(type: string): string {
  if (typeof type !== 'string' || !MYSQL_TYPE.test(type)) {
    throw new EngineInputError(`not a MySQL column type: ${JSON.stringify(type)}`);
  }
  return type;
}

/**
 * `columns[].type` is DDL from the planner's type mapping (e.g. "varchar(255)", "longblob"), checked
 * by checkTypeName before it reaches SQL. Names are quoted, values are parameters.
 */
export async function scratchLoad(
  conn: Conn,
  columns: { name: string; type: string }[],
  key: string[],
  batch: SampleBatch,
): Promise<{ loadMs: number; upsertMs: number }> {
  if (!columns.length) throw new EngineInputError('scratchLoad needs at least one column');
  const names = columns.map((c) => c.name);
  for (const k of key) {
    if (!names.includes(k))
      throw new EngineInputError(`scratchLoad key column ${JSON.stringify(k)} is not one of the columns`);
  }
  const positions = names.map((n) => {
    const i = batch.columns.indexOf(n);
    if (i < 0)
      throw new EngineInputError(`scratchLoad column ${JSON.stringify(n)} is missing from the sample batch`);
    return i;
  });
  const rows = batch.rows.map((r) => positions.map((i) => parameter(r[i])));

  const table = quoteIdent(`cutover_scratch_${randomBytes(6).toString('hex')}`);
  const columnList = names.map(quoteIdent).join(', ');
  const ddl = [
    ...columns.map((c) => `${quoteIdent(c.name)} ${checkTypeName(c.type)}`),
    ...(key.length ? [`PRIMARY KEY (${key.map(quoteIdent).join(', ')})`] : []),
  ];
  const nonKey = names.filter((n) => !key.includes(n));
  // VALUES(col) works on MariaDB and MySQL (deprecated but supported on 8.0.20+, whose row alias
  // syntax MariaDB lacks). A table of key columns only still needs one assignment.
  const assignments = (nonKey.length ? nonKey : names.slice(0, 1))
    .map((n) => `${quoteIdent(n)} = VALUES(${quoteIdent(n)})`)
    .join(', ');
  const insertAll = async (suffix: string) => {
    for (const chunk of chunks(rows)) {
      const placeholders = chunk.map((r) => `(${r.map(() => '?').join(', ')})`).join(', ');
      await conn.query(`INSERT INTO ${table} (${columnList}) VALUES ${placeholders}${suffix}`, chunk.flat());
    }
  };

  await conn.query(`CREATE TEMPORARY TABLE ${table} (${ddl.join(', ')})`);
  let timings: { loadMs: number; upsertMs: number };
  try {
    let started = performance.now();
    await insertAll('');
    const loadMs = performance.now() - started;
    started = performance.now();
    await insertAll(` ON DUPLICATE KEY UPDATE ${assignments}`);
    timings = { loadMs, upsertMs: performance.now() - started };
  } catch (err) {
    // Report the load error, not a failed clean-up (the engine discards this session on error anyway).
    await conn.query(`DROP TEMPORARY TABLE IF EXISTS ${table}`).catch(() => undefined);
    throw err;
  }
  await conn.query(`DROP TEMPORARY TABLE IF EXISTS ${table}`);
  return timings;
}
