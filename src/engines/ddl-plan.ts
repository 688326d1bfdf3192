// The shape of a target DDL plan: statements in phases, each saying what it creates, plus the
// notes a reviewer must read (what was dropped, skipped or changed). Built by src/dataplane/schema
// (translate.ts, render.ts), applied by src/engines/<kind>/ddl.ts. Plain JSON data: it travels
// through Temporal.
import type { EngineKind } from './model';

/**
 * tables: enum types, sequences, CREATE TABLE with columns, identity, generated columns, the
 * mapping's CHECKs and the primary key, comments; before the copy.
 * post-load: unique and secondary indexes, foreign keys (NOT VALID, then VALIDATE on PostgreSQL),
 * the source's CHECK constraints (within an engine, translated MySQL -> PostgreSQL where portable,
 * or as the spec's checks override gives them); after the bulk load.
 * finalize: sequences / AUTO_INCREMENT set past the maximum of the copied data; after catch-up.
 */
export type DdlPhase = 'tables' | 'post-load' | 'finalize';
export const DDL_PHASES: readonly DdlPhase[] = ['tables', 'post-load', 'finalize'];

export type DdlObjectKind =
  | 'type'
  | 'sequence'
  | 'table'
  | 'sequence-owner'
  | 'comment'
  | 'index'
  | 'foreign-key'
  | 'check'
  | 'validate'
  | 'sequence-value';

/** The object a statement creates or changes, in target names. */
export interface DdlObject {
  kind: DdlObjectKind;
  /** The object's own name (constraint, index, type, sequence or table name). */
  name: string;
  /** The table it belongs to; null for types and free-standing sequences. */
  table: string | null;
}

/** What the finalize step sets: the column's sequence / AUTO_INCREMENT past max(column). */
export interface SequenceReset {
  table: string;
  column: string;
  /** PostgreSQL sequence name when the column uses a named sequence; null for identity / MySQL. */
  sequence: string | null;
  /** The source's next value when it was known (deleted ids are not reused); 1 otherwise. */
  floor: string;
}

export interface DdlStatement {
  phase: DdlPhase;
  /** One line for the reviewer: "create table orders", "foreign key fk_x on orders (validated later)". */
  description: string;
  /** The statement in the target dialect (for MySQL sequence-value: a readable rendering only). */
  sql: string;
  object: DdlObject;
  /** sequence-value statements: what to compute and set. */
  reset?: SequenceReset;
}

export interface TranslatedColumn {
  source: string;
  target: string;
  targetType: string;
  /** Generated on the target: never copied. */
  generated: boolean;
}

export interface TranslatedTable {
  source: string;
  target: string;
  /** Columns created on the target, in order (excluded columns are absent). */
  columns: TranslatedColumn[];
  primaryKey: string[] | null;
}

export interface DdlPlan {
  from: EngineKind;
  to: EngineKind;
  sourceSchema: string;
  targetSchema: string;
  tables: TranslatedTable[];
  statements: DdlStatement[];
  /** What the reviewer must know: dropped defaults, skipped indexes and constraints, changes. */
  notes: string[];
  /** Exactly what the plan creates, for dropTargetObjects (the compensation). */
  created: { tables: string[]; types: string[]; sequences: string[] };
}

export function statementsOf(plan: DdlPlan, phase: DdlPhase): DdlStatement[] {
  return plan.statements.filter((s) => s.phase === phase);
}
