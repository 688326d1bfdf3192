// How result values come back from this engine's pool. Data must survive a trip through JavaScript
// unchanged: int8, numeric, dates, timestamps, intervals, JSON, arrays and every other type stay the
// server's own text (no float rounding, no Date time-zone shifts, no JSON key reordering). Only
// types that JavaScript represents exactly are converted. The global pg.types stay untouched.
import pg from 'pg';

const BOOL = 16;
const BYTEA = 17;
const INT2 = 21;
const INT4 = 23;
const OID = 26;
const FLOAT4 = 700;
// float8 prints the shortest text that round-trips (extra_float_digits >= 1), so a JS number is exact.
const FLOAT8 = 701;

const CONVERTED = new Set([BOOL, BYTEA, INT2, INT4, OID, FLOAT4, FLOAT8]);
const asText = (value: string): string => value;

function exactTypeParser(oid: number, format?: string): unknown {
  if (format === 'binary' || CONVERTED.has(oid))
    return pg.types.getTypeParser(oid, format as 'text' | 'binary');
  return asText;
}

/** For the pool: exact values for data (readSample and friends). */
export const exactTypes: pg.CustomTypesConfig = {
  getTypeParser: exactTypeParser as pg.CustomTypesConfig['getTypeParser'],
};

/** For catalog queries: node-postgres' defaults, so name[] and json_agg() arrive as JS arrays/objects. */
export const catalogTypes: pg.CustomTypesConfig = pg.types;
