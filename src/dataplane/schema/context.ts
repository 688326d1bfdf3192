// The state one translation shares between its roles (columns, sequences, tables, indexes,
// foreign keys, checks): the input, the problems and notes gathered so far, the namespaces of the
// target and the statement lists of each phase.
import type { EngineKind, SchemaModel, TableModel } from '../../engines/model';
import type { CheckOverride, ColumnOverride } from '../../spec/migration-spec';
import type { Dialect } from './names';
import type { DdlPhase, DdlStatement, SequenceReset } from './plan';
import type { TranslateInput } from './translate';

export interface TranslationContext {
  input: TranslateInput;
  source: SchemaModel;
  from: EngineKind;
  to: EngineKind;
  d: Dialect;
  problems: string[];
  notes: string[];
  overrides: Record<string, ColumnOverride>;
  /** Override keys that named a column. */
  used: Set<string>;
  /** The spec's `checks`, keyed "<table>.<constraint>". */
  checkOverrides: Record<string, CheckOverride>;
  /** Check override keys that named a CHECK. */
  usedChecks: Set<string>;
  /** The selected tables whose names the target can hold. */
  tables: TableModel[];
  selected: Set<string>;
  /** PostgreSQL relations (tables, indexes, sequences) per schema; MySQL tables. */
  relations: Set<string>;
  typeNames: Set<string>;
  /** MySQL foreign-key and CHECK names per schema. */
  constraintNames: Set<string>;
  created: { tables: string[]; types: string[]; sequences: string[] };
  /** Source type key -> target type name. */
  enumTypes: Map<string, string>;
  typeStatements: DdlStatement[];
  sequenceStatements: DdlStatement[];
  tableStatements: DdlStatement[];
  afterTableStatements: DdlStatement[];
  postLoad: DdlStatement[];
  postLoadFks: DdlStatement[];
  postLoadValidate: DdlStatement[];
  finalize: DdlStatement[];
  push(
    list: DdlStatement[],
    phase: DdlPhase,
    description: string,
    sql: string,
    object: DdlStatement['object'],
    reset?: SequenceReset,
  ): void;
  /** A table of the target schema, quoted. */
  qt(table: string): string;
  /** Records a problem when the target cannot hold the name. */
  checkName(what: string, name: string): void;
}
