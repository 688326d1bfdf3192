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
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  // bytea hex format; also what a text column stores for binary data.
  if (Buffer.isBuffer(value)) return `\\x${value.toString('hex')}`;
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value).toString('hex')}`;
  // Drivers return DATETIME/TIMESTAMP as Date: ISO 8601 in UTC, which is exact to the millisecond.
  if (value instanceof Date) return value.toISOString();
  // Objects and arrays are JSON documents (e.g. a MySQL JSON column).
  return JSON.stringify(value);
}

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

export function escapeCopyText(text: string): string {
  return text.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]!);
}

/** One row as a COPY text line, with its trailing newline. */
export function encodeCopyRow(row: readonly unknown[]): string {
  return (
    row
      .map((v) => {
        const text = toPgText(v);
        return text === null ? '\\N' : escapeCopyText(text);
      })
      .join('\t') + '\n'
  );
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
