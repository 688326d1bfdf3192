// MySQL -> PostgreSQL: case-insensitive collations, in unique keys and in comparisons.
import type { TableModel } from '../../../engines/model';
import { isCaseInsensitiveCollation, type MappedType } from '../../../engines/type-mapping';
import type { Finding } from '../../../spec/plan-report';
import { uniqueKeys } from './keys';

export function collationFindings(
  table: TableModel,
  where: string,
  mappings: { column: string; mapping: MappedType }[],
): Finding[] {
  const out: Finding[] = [];
  const textual = new Map(
    mappings
      .filter((m) => /^(character|text$)/.test(m.mapping.targetType))
      .map((m) => [m.column, table.columns.find((c) => c.name === m.column)!] as const),
  );
  const ci = [...textual.values()].filter((c) => isCaseInsensitiveCollation(c.collation));
  const keys = uniqueKeys(table);
  const inKeys = new Set<string>();
  for (const c of ci) {
    const covering = keys.filter((k) => k.columns.includes(c.name));
    if (!covering.length) continue;
    inKeys.add(c.name);
    out.push({
      severity: 'high',
      code: 'CI_COLLATION_UNIQUENESS',
      table: table.name,
      column: c.name,
      finding: `${covering.map((k) => `${k.primary ? 'the primary key' : `unique key ${k.name}`} (${k.columns.join(', ')})`).join(' and ')} of ${where} ${covering.length === 1 ? 'includes' : 'include'} ${c.name} with case-insensitive collation ${c.collation}: MySQL treats 'A' and 'a' as the same key, PostgreSQL accepts both, so duplicates can appear after cutover (and reverse replication then fails on them); lookups become case-sensitive`,
      mitigation:
        "use citext for the column (case only), or a nondeterministic ICU collation (CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)); or a unique index on lower(column) with lower() in the application's lookups",
    });
  }
  const rest = ci.filter((c) => !inKeys.has(c.name));
  if (rest.length) {
    out.push({
      severity: 'low',
      code: 'CI_COLLATION_COMPARISONS',
      table: table.name,
      finding: `${rest.length} text column${rest.length === 1 ? '' : 's'} of ${where} (${rest.map((c) => `${c.name} ${c.collation}`).join(', ')}) ${rest.length === 1 ? 'compares' : 'compare'} case-insensitively on MySQL and exactly on PostgreSQL: WHERE, GROUP BY, DISTINCT and joins on them change behaviour`,
      mitigation:
        'check the queries that compare these columns; use citext or ILIKE/lower() where case-insensitive matching is needed',
    });
  }
  return out;
}
