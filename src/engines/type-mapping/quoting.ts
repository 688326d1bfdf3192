// Quoting for the DDL fragments the mappings write (enum type names, CHECK lists, ENUM labels).

export function pgIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function pgLiteral(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/**
 * A MySQL string literal (quotes doubled, backslashes escaped). Assumes the DDL session does not set
 * NO_BACKSLASH_ESCAPES, under which the escaped backslashes would stay doubled.
 */
export function mysqlLiteral(s: string): string {
  return `'${s.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
}
