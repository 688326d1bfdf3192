// Per-table compatibility analysis for a move between two engines: which probes the data needs, the
// column mapping once the probes have answered, and the risk register entries (findings) for the
// table and for the schema's identifiers. Engine-neutral and pure: it reads models, never a database.
//
// Layout: this index runs the per-table analysis (probesFor, analyzeTable) over the findings of
// keys.ts, storage.ts, foreign-keys.ts, collations.ts, indexes.ts, auto-increment.ts and checks.ts;
// identifiers.ts holds the schema-wide identifier findings. Importers use 'planner/compatibility' only.
import type { ColumnProbe, ProbeResult } from '../../../engines/engine';
import type { EngineKind, SchemaModel, TableModel } from '../../../engines/model';
import { mapColumn, refineMapping, type MappedType } from '../../../engines/type-mapping';
import type { CheckOverride, ColumnOverride } from '../../../spec/migration-spec';
import type { ColumnMapping, Finding, Severity } from '../../../spec/plan-report';
import { autoIncrementFindings } from './auto-increment';
import { checkFindings } from './checks';
import { collationFindings } from './collations';
import { foreignKeyColumns, foreignKeyFindings } from './foreign-keys';
import { mysqlIndexFindings, postgresIndexFindings } from './indexes';
import { keyFindings, uniqueKeys } from './keys';
import { storageFindings } from './storage';

export { identifierFindings } from './identifiers';

export interface TableAnalysis {
  plan: {
    /** Mapped columns in table order; refused columns are listed in `refused` instead. */
    columns: ColumnMapping[];
    refused: { column: string; reason: string }[];
    /** The full mapping of every mapped column (checks, enum types, identity), for the DDL builder. */
    mappings: { column: string; mapping: MappedType }[];
  };
  findings: Finding[];
}

/** Every probe the table's columns need, one entry per column and kind. */
export function probesFor(from: EngineKind, to: EngineKind, table: TableModel): ColumnProbe[] {
  const probes: ColumnProbe[] = [];
  for (const column of table.columns) {
    const m = mapColumn(from, to, column, { table: table.name });
    if (m.refused) continue;
    for (const kind of m.probes) probes.push({ column: column.name, kind });
  }
  return probes;
}

export function analyzeTable(
  from: EngineKind,
  to: EngineKind,
  table: TableModel,
  probeResults: ProbeResult[],
  sourceSchema: SchemaModel,
  /** The spec's `columns` and `checks` overrides (what the translator will create). */
  overrides: { columns?: Record<string, ColumnOverride>; checks?: Record<string, CheckOverride> } = {},
): TableAnalysis {
  const schema = sourceSchema.schema;
  const where = `${schema}.${table.name}`;
  const findings: Finding[] = [];
  const add = (severity: Severity, code: string, finding: string, mitigation: string, column?: string) =>
    findings.push({
      severity,
      code,
      table: table.name,
      ...(column !== undefined ? { column } : {}),
      finding,
      mitigation,
    });

  const columns: ColumnMapping[] = [];
  const refused: { column: string; reason: string }[] = [];
  const mappings: { column: string; mapping: MappedType }[] = [];
  const fkColumns = foreignKeyColumns(table, sourceSchema);
  const uniqueColumns = new Set(uniqueKeys(table).flatMap((k) => k.columns));

  for (const column of table.columns) {
    const base = mapColumn(from, to, column, { table: table.name });
    if (base.refused) {
      refused.push({ column: column.name, reason: base.reason });
      add(
        'blocking',
        'REFUSED_TYPE',
        `${where}: ${base.reason}`,
        'change the column type on the source, drop the column, or exclude the table (tables.exclude)',
        column.name,
      );
      continue;
    }
    const { mapping, findings: probeFindings } = refineMapping(base, column, probeResults, {
      schema,
      table: table.name,
      fixedType: fkColumns.has(column.name),
    });
    for (const f of probeFindings) {
      if (f.code === 'PAD_SPACE_TRAILING' && uniqueColumns.has(column.name)) {
        // In a unique key the difference decides what counts as a duplicate.
        f.severity = to === 'mysql' ? 'high' : 'medium';
        f.finding +=
          to === 'mysql'
            ? '; the column is in a unique key, so values differing only in trailing spaces collide on MySQL and the copy fails'
            : "; the column is in a unique key: 'a' and 'a ' become two keys on PostgreSQL, and reverse replication fails on them";
      }
      findings.push(f);
    }
    for (const r of mapping.risks)
      add(r.severity, r.code, `${where}.${column.name} ${r.finding}`, r.mitigation, column.name);
    if (!mapping.reverseLossless) {
      add(
        'medium',
        'REVERSE_LOSSY',
        `rollback by reverse replication could fail for ${where}.${column.name} (${mapping.targetType} back to ${column.nativeType}): ${mapping.reverseReasons.join('; ')}`,
        "keep such values out of the target during the rollback window (a CHECK constraint with the source's domain does it), or accept that those rows cannot be rolled back",
        column.name,
      );
    }
    columns.push({
      column: column.name,
      sourceType: column.nativeType,
      targetType: mapping.targetType,
      lossy: mapping.lossy,
      reverseLossless: mapping.reverseLossless,
      notes: mapping.notes,
      generated: column.generated !== null,
    });
    mappings.push({ column: column.name, mapping });
  }

  findings.push(...keyFindings(table, where));
  findings.push(...storageFindings(from, to, table, where, sourceSchema));
  findings.push(...foreignKeyFindings(from, to, table, where, sourceSchema));
  if (from === 'mysql' && to === 'postgres') {
    findings.push(...collationFindings(table, where, mappings));
    findings.push(...mysqlIndexFindings(table, where));
  }
  if (from === 'postgres' && to === 'mysql') {
    findings.push(...postgresIndexFindings(table, where, mappings));
    findings.push(...autoIncrementFindings(table, where));
  }
  findings.push(...checkFindings(from, to, table, where, mappings, overrides));

  return { plan: { columns, refused, mappings }, findings };
}
