// Canonical, engine-neutral encoding of rows for validation.
//
// A source row (read in wire form, docs/DATAPLANE.md) and a target row encode to the same string
// exactly when they hold the same data under the column's mapping. Equality is value equality of
// the *pair* of types, decided per column from the source type and the target type:
//
// - numbers (integers, DECIMAL/numeric, YEAR): exact decimal value, no float on the way; "12",
//   12 and "12.00" are equal, "12.001" is not "12.00" (a rounded copy is a difference).
// - float / double: the value (shortest round-trip form of the single or double); -0 equals 0
//   (both engines compare them equal, and MySQL does not keep the sign); NaN equals NaN.
// - boolean against an integer column (TINYINT(1), BIT(1)): 0/1 are false/true; any other integer
//   stays a number and so differs from every boolean.
// - text, CHAR, ENUM: exact code points (a _ci collation does NOT make 'A' equal 'a'); CHAR(n)
//   sides lose their trailing spaces (MySQL strips them on read, PostgreSQL pads).
// - SET vs text[]: the member list in order ('' is the empty list).
// - dates, DATETIME/TIMESTAMP, timestamp(tz): the UTC instant or wall-clock time, fractional
//   seconds padded to 6 digits; an offset (+05:30) is applied, so timestamptz text in any zone
//   compares with a MySQL TIMESTAMP read in a UTC session. Zero dates stay as they are (and so
//   never equal a real date).
// - TIME vs interval / time: the duration in microseconds ("838:59:59" = "34 days 22:59:59"),
//   months counting 30 days as PostgreSQL's interval comparison does.
// - JSON: parsed (duplicate keys: the last wins, as jsonb does), keys sorted, numbers as exact
//   decimal values (1.0 = 1 = 1e0, as jsonb compares them), strings exact.
// - binary: hex; uuid: lower-case hex with dashes (BINARY(16) sides formatted as a uuid).
// - bit strings: the bits, left-padded to the declared length.
// - NULL is its own token, distinct from '' and from the text 'NULL'.
//
// Each value becomes a short tagged string (`n:...`, `s:"..."`); a row is the JSON array of them, so
// no value can run into its neighbour.
//
// The encoding lives in canonical/, one file per role: types.ts (the vocabulary), classify.ts
// (type pairs to domains), encode.ts (values and rows), and the value families numbers.ts,
// temporal.ts, json.ts, text-binary.ts over values.ts (wire values as text and bytes).
export {
  canonicalColumn,
  canonicalColumns,
  classifyColumn,
  classifyType,
  pairDomain,
} from './canonical/classify';
export { canonicalRow, canonicalValue, NULL_TOKEN } from './canonical/encode';
export { canonicalJson } from './canonical/json';
export { normalizeDecimal } from './canonical/numbers';
export { canonicalTimestamp, durationMicros } from './canonical/temporal';
export { mysqlSetMembers, parsePgArray } from './canonical/text-binary';
export {
  CanonicalError,
  type CanonicalColumn,
  type Domain,
  type Side,
  type SideType,
  type TypeClass,
} from './canonical/types';
