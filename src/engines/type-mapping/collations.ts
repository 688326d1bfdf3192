// MySQL collation classes: how a collation compares case and trailing spaces.

/** MySQL collations that compare case-insensitively (…_ci). */
export function isCaseInsensitiveCollation(collation: string | null): boolean {
  return collation !== null && /_ci$/i.test(collation);
}

/** MySQL PAD SPACE collations ignore trailing spaces in comparisons; the 0900 and nopad ones do not. */
export function isPadSpaceCollation(collation: string | null): boolean {
  if (collation === null) return true; // the server default (utf8mb4_general_ci on MariaDB) pads
  const c = collation.toLowerCase();
  return !(c === 'binary' || c.includes('_0900_') || c.includes('nopad'));
}
