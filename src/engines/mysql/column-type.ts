// Reading MySQL column type strings (information_schema.COLUMNS.COLUMN_TYPE) and defaults.

/**
 * Members of an ENUM or SET type string, e.g. `enum('','a','it''s')` -> ['', 'a', "it's"].
 * The server writes members the way it writes string literals: quotes doubled, backslash escapes
 * (\\ \n \r \0 \Z ...) for control characters and the backslash itself.
 */
export function parseEnumValues(columnType: string): string[] | null {
  const m = /^\s*(enum|set)\s*\(/i.exec(columnType);
  if (!m) return null;
  const values: string[] = [];
  let i = m[0].length;
  const escapes: Record<string, string> = { n: '\n', r: '\r', t: '\t', '0': '\0', Z: '\x1a', b: '\b' };
  while (i < columnType.length) {
    const ch = columnType[i];
    if (ch === ')') break;
    if (ch === ',' || ch === ' ') {
      i++;
      continue;
    }
    if (ch !== "'")
      throw new Error(`cannot parse the member list of column type ${JSON.stringify(columnType)}`);
    let value = '';
    i++;
    for (;;) {
      if (i >= columnType.length)
        throw new Error(`unterminated member in column type ${JSON.stringify(columnType)}`);
      const c = columnType[i] as string;
      if (c === "'") {
        if (columnType[i + 1] === "'") {
          value += "'";
          i += 2;
          continue;
        }
        i++;
        break;
      }
      if (c === '\\' && i + 1 < columnType.length) {
        const next = columnType[i + 1] as string;
        value += escapes[next] ?? next;
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    values.push(value);
  }
  return values;
}

const TEXT_TYPES = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext']);
const NUMERIC_TYPES = new Set([
  'tinyint',
  'smallint',
  'mediumint',
  'int',
  'integer',
  'bigint',
  'decimal',
  'numeric',
  'float',
  'double',
  'real',
  'bit',
  'year',
]);

export function isTextType(dataType: string): boolean {
  return TEXT_TYPES.has(dataType);
}

export function isNumericType(dataType: string): boolean {
  return NUMERIC_TYPES.has(dataType);
}

export function isTemporalType(dataType: string): 'date' | 'datetime' | 'timestamp' | 'time' | null {
  return dataType === 'date' || dataType === 'datetime' || dataType === 'timestamp' || dataType === 'time'
    ? dataType
    : null;
}

/**
 * COLUMN_DEFAULT as an SQL expression, MariaDB style: string literals quoted, expressions bare,
 * null when the column has no default.
 * - MariaDB >= 10.2.7 already quotes literals, and reports "no default" on a nullable column as the
 *   string 'NULL' (a literal 'NULL' string default would be "'NULL'").
 * - MySQL reports literals unquoted and marks expression defaults with EXTRA DEFAULT_GENERATED.
 */
export function normaliseDefault(
  raw: string | null,
  mariadb: boolean,
  dataType: string,
  extra: string,
): string | null {
  if (raw === null) return null;
  if (mariadb) return raw === 'NULL' ? null : raw;
  if (/DEFAULT_GENERATED/i.test(extra) || isNumericType(dataType)) return raw;
  if (/^current_timestamp(\(\d?\))?$/i.test(raw)) return raw;
  return `'${raw.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}
