// The vocabulary of canonical encoding: what a column compares as (its Domain), the class of each
// side's type, and the error raised for input that has no canonical form.
import type { EngineKind } from '../../../engines/model';

/** What is compared in a column: one per pair of source and target types. */
export type Domain =
  | 'number'
  | 'float4'
  | 'float8'
  | 'boolean'
  | 'text'
  | 'set'
  | 'binary'
  | 'uuid'
  | 'json'
  | 'date'
  | 'timestamp'
  | 'duration'
  | 'bits'
  | 'raw';

/** The class of one side's type, before it is paired with the other side's. */
export type TypeClass =
  | 'int'
  | 'tinyint1'
  | 'decimal'
  | 'float4'
  | 'float8'
  | 'bool'
  | 'bit1'
  | 'bits'
  | 'char'
  | 'text'
  | 'set'
  | 'array'
  | 'binary'
  | 'uuid'
  | 'json'
  | 'date'
  | 'timestamp'
  | 'time'
  | 'interval'
  | 'other';

export interface SideType {
  engine: EngineKind;
  cls: TypeClass;
  /** Declared bit length for bit strings. */
  bits?: number;
}

export interface CanonicalColumn {
  name: string;
  domain: Domain;
  source: SideType;
  target: SideType;
  /**
   * Each side's type as written (native type, or the mapped target type), when known: equal texts
   * on the same engine let the validator compare chunks in the engine's raw format (validator.ts).
   */
  types?: { source: string; target: string };
  /**
   * MySQL zero or partial dates of the source column, as the copy wrote them (the column's
   * zero-date policy): compared as NULL or as the sentinel. Absent: compared as they are.
   */
  sourceZeroDates?: 'null' | { sentinel: string };
}

export type Side = 'source' | 'target';

export class CanonicalError extends Error {
  override name = 'CanonicalError';
}
