// Encoding values and rows: each value as a short tagged string by its column's Domain, a row as
// the JSON array of them.
import { canonicalJson } from './json';
import { booleanToken, floatToken, numberToken } from './numbers';
import { canonicalTimestamp, durationMicros } from './temporal';
import { bitsOf, mysqlSetMembers, parsePgArray, uuidOf } from './text-binary';
import type { CanonicalColumn, Side } from './types';
import { bytesOf, isBinaryJson, stringOf } from './values';

// ---------------------------------------------------------------------------------------------
// Encoding values

export const NULL_TOKEN = 'N';

/** Canonical text of one value read on `side` of the column. */
export function canonicalValue(column: CanonicalColumn, side: Side, value: unknown): string {
  if (value === null || value === undefined) return NULL_TOKEN;
  const type = column[side];
  switch (column.domain) {
    case 'number':
      return numberToken(value);
    case 'float4':
    case 'float8':
      return floatToken(value, column.domain === 'float4');
    case 'boolean':
      return booleanToken(value);
    case 'text':
      return (
        's:' + JSON.stringify(type.cls === 'char' ? stringOf(value).replace(/ +$/, '') : stringOf(value))
      );
    case 'set':
      return (
        'a:' +
        JSON.stringify(
          type.cls === 'array' ? parsePgArray(stringOf(value)) : mysqlSetMembers(stringOf(value)),
        )
      );
    case 'binary':
      return 'x:' + bytesOf(value).toString('hex');
    case 'uuid':
      return 'u:' + uuidOf(value);
    case 'json':
      return 'j:' + canonicalJson(stringOf(value));
    case 'date':
    case 'timestamp':
      return 't:' + canonicalTimestamp(stringOf(value));
    case 'duration':
      return 'd:' + durationMicros(stringOf(value), type.engine, type.cls).toString();
    case 'bits':
      return 'b:' + bitsOf(value, type.bits ?? column.source.bits ?? column.target.bits);
    case 'raw':
      return rawToken(value);
  }
}

/** The canonical encoding of a whole row (values in the order of `columns`). */
export function canonicalRow(
  columns: readonly CanonicalColumn[],
  side: Side,
  row: readonly unknown[],
): string {
  if (row.length !== columns.length)
    throw new Error(`row has ${row.length} values for ${columns.length} columns`);
  return JSON.stringify(columns.map((c, i) => canonicalValue(c, side, row[i])));
}

function rawToken(value: unknown): string {
  if (Buffer.isBuffer(value)) return 'x:' + value.toString('hex');
  if (isBinaryJson(value)) return 'x:' + Buffer.from(value.$binary, 'base64').toString('hex');
  if (typeof value === 'boolean') return value ? 'b:1' : 'b:0';
  if (typeof value === 'number' || typeof value === 'bigint') return 'r:' + String(value);
  if (typeof value === 'string') return 's:' + JSON.stringify(value);
  return 'o:' + JSON.stringify(value);
}
