// Identifier length limits of the two engines, and PostgreSQL's truncation of longer names.

/** PostgreSQL's NAMEDATALEN - 1. */
export const PG_MAX_IDENTIFIER_BYTES = 63;
/** MySQL's identifier limit (characters). */
export const MYSQL_MAX_IDENTIFIER_CHARS = 64;

/** The identifier cut to at most `max` UTF-8 bytes at a character boundary, as PostgreSQL does. */
export function truncateIdentifier(name: string, max = PG_MAX_IDENTIFIER_BYTES): string {
  if (Buffer.byteLength(name, 'utf8') <= max) return name;
  let out = '';
  let bytes = 0;
  for (const ch of name) {
    const b = Buffer.byteLength(ch, 'utf8');
    if (bytes + b > max) break;
    out += ch;
    bytes += b;
  }
  return out;
}
