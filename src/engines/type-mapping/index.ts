// Column type mapping between engines: pure functions over the model, no database access.
//
// mapColumn() decides from the schema alone. Where the data decides (TINYINT(1) holding 2, zero
// dates, NUL bytes, ...) the mapping lists the probes to run and, in decideWithProbes, how their
// answers change it; refineMapping() applies the answers and turns offending rows into findings.
//
// Conventions:
// - targetType is DDL for the target engine, in the spelling the target prints it
//   ('timestamp(6) without time zone', 'character varying(255)', 'numeric(20,0)').
// - checks are CHECK expressions with {col} standing for the quoted column name. They carry the
//   source column's domain over to the target (unsigned, integer width, TEXT byte limits, date
//   range) so that every value the target accepts can be written back during the rollback window:
//   that is what reverseLossless promises. Drop them after the rollback window if the wider domain
//   is wanted.
// - A column that cannot be mapped is a RefusedType ({ refused: true }): TypeScript does not let
//   anyone read targetType without checking `refused` first.
//
// Layout: types.ts (the shapes), mysql-to-postgres.ts and mysql-text-to-postgres.ts,
// postgres-to-mysql.ts, same-engine.ts (one per direction), refine.ts (probe answers), and the
// shared helpers draft.ts, mysql-types.ts, postgres-types.ts, identifiers.ts, collations.ts,
// quoting.ts. This index is the public API: importers use 'engines/type-mapping' only.
import type { ColumnModel, EngineKind } from '../model';
import { Draft } from './draft';
import { mysqlToPostgres } from './mysql-to-postgres';
import { postgresToMysql } from './postgres-to-mysql';
import { mysqlToMysql, postgresToPostgres } from './same-engine';
import type { MappingContext, RefusedType, TypeMapping } from './types';

export type {
  MappedType,
  MappingChange,
  MappingContext,
  MappingRisk,
  ProbeDecision,
  RefusedType,
  TypeMapping,
} from './types';
export { MYSQL_MAX_IDENTIFIER_CHARS, PG_MAX_IDENTIFIER_BYTES, truncateIdentifier } from './identifiers';
export { isCaseInsensitiveCollation, isPadSpaceCollation } from './collations';
export { refineMapping } from './refine';

export function mapColumn(
  from: EngineKind,
  to: EngineKind,
  column: ColumnModel,
  context: MappingContext = {},
): TypeMapping {
  const d = new Draft(column);
  let refusal: RefusedType | null = null;
  if (from === 'mysql' && to === 'postgres') refusal = mysqlToPostgres(column, context, d);
  else if (from === 'postgres' && to === 'mysql') refusal = postgresToMysql(column, d);
  else if (from === 'postgres') postgresToPostgres(column, d);
  else mysqlToMysql(column, d);
  return refusal ?? d.done();
}
