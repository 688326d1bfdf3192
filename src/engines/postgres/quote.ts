// Identifier quoting for PostgreSQL. Every name that reaches SQL text goes through here; values never
// do (they are always bound parameters). A name PostgreSQL cannot store is a request no retry fixes.
import { EngineInputError } from '../errors';

/** NAMEDATALEN - 1: PostgreSQL truncates longer identifiers silently (with only a NOTICE). */
export const MAX_IDENTIFIER_BYTES = 63;

// An unpaired UTF-16 surrogate cannot be encoded: UTF-8 encoding would replace it with U+FFFD and the
// server would store a different name than the one asked for.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Quote one identifier: "name" with embedded double quotes doubled. Any other character is safe inside. */
export function quoteIdent(name: string): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new EngineInputError('PostgreSQL identifier must not be empty');
  }
  if (name.includes('\0')) {
    throw new EngineInputError(
      `PostgreSQL identifier ${JSON.stringify(name)} contains a NUL character, which PostgreSQL cannot store`,
    );
  }
  if (LONE_SURROGATE.test(name)) {
    throw new EngineInputError(
      `PostgreSQL identifier ${JSON.stringify(name)} contains an unpaired UTF-16 surrogate`,
    );
  }
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_IDENTIFIER_BYTES) {
    throw new EngineInputError(
      `PostgreSQL identifier ${JSON.stringify(name)} is ${bytes} bytes long in UTF-8; PostgreSQL would silently truncate it to ${MAX_IDENTIFIER_BYTES} bytes`,
    );
  }
  return `"${name.replaceAll('"', '""')}"`;
}

/** schema.table, both quoted. */
export function qualify(schema: string, table: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}
