// The target's identifiers: quoting, literals and name limits of each engine (the Dialect), and
// names made unique within a namespace of the target.
import type { EngineKind } from '../../engines/model';
import { quoteIdent as mysqlQuote } from '../../engines/mysql/quote';
import { quoteIdent as pgQuote } from '../../engines/postgres/quote';
import {
  MYSQL_MAX_IDENTIFIER_CHARS,
  PG_MAX_IDENTIFIER_BYTES,
  truncateIdentifier,
} from '../../engines/type-mapping';

// ---------------------------------------------------------------------------------------------
// Dialect: quoting, literals and name limits of the target

export interface Dialect {
  kind: EngineKind;
  q(name: string): string;
  lit(s: string): string;
  /** Does the name fit the target's identifier limit? */
  fits(name: string): boolean;
  /** The name cut to the limit. */
  cut(name: string): string;
}

export const PG: Dialect = {
  kind: 'postgres',
  q: pgQuote,
  lit: (s) => `'${s.replaceAll("'", "''")}'`,
  fits: (n) => Buffer.byteLength(n, 'utf8') <= PG_MAX_IDENTIFIER_BYTES,
  cut: (n) => truncateIdentifier(n, PG_MAX_IDENTIFIER_BYTES),
};

export const MY: Dialect = {
  kind: 'mysql',
  q: mysqlQuote,
  // The apply session removes NO_BACKSLASH_ESCAPES, so backslashes are escapes.
  lit: (s) => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`,
  fits: (n) => [...n].length <= MYSQL_MAX_IDENTIFIER_CHARS,
  cut: (n) => [...n].slice(0, MYSQL_MAX_IDENTIFIER_CHARS).join(''),
};

/**
 * A name not yet in `taken` (compared case-insensitively on MySQL), within the target's limit:
 * `desired`, else each alternative, else desired + a number (cut so that the number fits).
 */
export function uniqueName(
  d: Dialect,
  desired: string,
  taken: Set<string>,
  options: { alternatives?: string[]; separator?: string } = {},
): string {
  const key = (n: string) => (d.kind === 'mysql' ? n.toLowerCase() : n);
  const claim = (n: string) => {
    taken.add(key(n));
    return n;
  };
  for (const candidate of [desired, ...(options.alternatives ?? [])]) {
    const name = d.cut(candidate);
    if (!taken.has(key(name))) return claim(name);
  }
  const separator = options.separator ?? '_';
  for (let i = separator === '' ? 1 : 2; ; i++) {
    const suffix = `${separator}${i}`;
    let base = d.cut(desired);
    while (base && !d.fits(base + suffix)) base = [...base].slice(0, -1).join('');
    const name = base + suffix;
    if (!taken.has(key(name))) return claim(name);
  }
}
