// Identifier quoting for MySQL/MariaDB. Every identifier that reaches SQL text goes through here;
// values never do (they travel as parameters). A name MySQL cannot store is a request no retry fixes.
import { EngineInputError } from '../errors';

/** MySQL and MariaDB cap schema, table, column, index and constraint names at 64 characters. */
export const MAX_IDENTIFIER_LENGTH = 64;

/**
 * Quote one identifier with backticks, doubling embedded backticks. Rejects names the server could
 * never store, so a bad name fails here with a clear message instead of as a confusing SQL error.
 */
export function quoteIdent(name: string): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new EngineInputError('MySQL identifier must not be empty');
  }
  if (name.includes('\0')) {
    throw new EngineInputError(
      `MySQL identifier ${JSON.stringify(name)} contains a NUL character, which MySQL does not allow`,
    );
  }
  // Identifiers are stored as utf8mb3: characters outside the Basic Multilingual Plane (emoji, ...)
  // are refused by the server ("Invalid utf8mb3 character string"); unpaired surrogates cannot be
  // encoded at all and would silently become U+FFFD.
  if (/[\u{10000}-\u{10FFFF}]|\p{Cs}/u.test(name)) {
    throw new EngineInputError(
      `MySQL identifier ${JSON.stringify(name)} contains a character outside the Basic Multilingual Plane (e.g. an emoji), which MySQL identifiers cannot hold`,
    );
  }
  const length = [...name].length;
  if (length > MAX_IDENTIFIER_LENGTH) {
    throw new EngineInputError(
      `MySQL identifier ${JSON.stringify(name)} is ${length} characters long; the limit is ${MAX_IDENTIFIER_LENGTH}`,
    );
  }
  return '`' + name.replace(/`/g, '``') + '`';
}

/** `schema`.`table`, both quoted. */
export function qualify(schema: string, table: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}
