// COPY ... FROM STDIN text-format encoding (https://www.postgresql.org/docs/current/sql-copy.html):
// one line per row, columns separated by tabs, NULL as \N, and backslash, tab, newline and carriage
// return escaped so that no value can end a column or a row early.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ClientBase } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { quoteIdent } from './quote';

/**
 * The text PostgreSQL should parse for a JS value, or null for SQL NULL. Shared by COPY and the
 * parameters of the upsert, so both paths load the very same values.
 */
export function toPgText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 't' : 'f';
  // String(-0) is "0": a float8/real -0 read from the source must load as -0.
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'bigint') return String(value);
  // bytea hex format; also what a text column stores for binary data.
  if (Buffer.isBuffer(value)) return `\\x${value.toString('hex')}`;
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value).toString('hex')}`;
  // Drivers return DATETIME/TIMESTAMP as Date: ISO 8601 in UTC, which is exact to the millisecond.
  if (value instanceof Date) return value.toISOString();
  // Objects and arrays are JSON documents (e.g. a MySQL JSON column).
  return JSON.stringify(value);
}

const SPECIAL = /[\\\t\n\r]/;

/** Escape backslash, tab, newline and carriage return; most values have none and come back as is. */
export function escapeCopyText(text: string): string {
  // One native scan first: the per-character rewrite below only runs for the rare value that needs it.
  if (!SPECIAL.test(text)) return text;
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let escaped: string;
    if (c === 92) escaped = '\\\\';
    else if (c === 9) escaped = '\\t';
    else if (c === 10) escaped = '\\n';
    else if (c === 13) escaped = '\\r';
    else continue;
    out += text.slice(from, i) + escaped;
    from = i + 1;
  }
  return out + text.slice(from);
}

/** One value as COPY text: the escaped toPgText form, \N for NULL. */
function copyValue(v: unknown): string {
  // The common wire forms first, each exactly what toPgText + escapeCopyText would give, without
  // scanning what cannot hold a special character (numbers, booleans, hex digits).
  if (typeof v === 'string') return escapeCopyText(v);
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (v === null || v === undefined) return '\\N';
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (Buffer.isBuffer(v)) return `\\\\x${v.toString('hex')}`;
  const text = toPgText(v);
  return text === null ? '\\N' : escapeCopyText(text);
}

/** One row as a COPY text line, with its trailing newline. */
export function encodeCopyRow(row: readonly unknown[]): string {
  let line = row.length ? copyValue(row[0]) : '';
  for (let i = 1; i < row.length; i++) line += '\t' + copyValue(row[i]);
  return line + '\n';
}

/** Rows as COPY text, in chunks of about `chunkBytes` so that large batches stream with backpressure. */
export function* encodeCopyRows(
  rows: Iterable<readonly unknown[]>,
  chunkBytes = 64 * 1024,
): Generator<string> {
  let chunk = '';
  for (const row of rows) {
    chunk += encodeCopyRow(row);
    if (chunk.length >= chunkBytes) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

/**
 * COPY rows into `table` (already quoted/qualified SQL) through one connection; the rows' values
 * follow `columns`. Returns the number of rows the server loaded.
 */
export async function copyIn(
  client: ClientBase,
  table: string,
  columns: string[],
  rows: Iterable<readonly unknown[]>,
): Promise<number> {
  const stream = client.query(copyFrom(`COPY ${table} (${columns.map(quoteIdent).join(', ')}) FROM STDIN`));
  await pipeline(Readable.from(encodeCopyRows(rows)), stream);
  return stream.rowCount;
}
