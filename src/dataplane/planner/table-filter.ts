// Which tables a spec selects: exact names or globs (* and ?), includes minus excludes.

function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 's');
}

export interface TableSelection {
  selected: string[];
  /** Include entries without wildcards that name no table: almost always a typo. */
  unmatched: string[];
}

/** cutover's own tables (changelog, routing, fence state) are never migrated. */
export function isCutoverTable(name: string): boolean {
  return name.startsWith('_cutover_');
}

export function selectTables(all: string[], include: string[], exclude: string[]): TableSelection {
  all = all.filter((t) => !isCutoverTable(t));
  const inc = include.map(globToRegExp);
  const exc = exclude.map(globToRegExp);
  const selected = all.filter((t) => inc.some((r) => r.test(t)) && !exc.some((r) => r.test(t)));
  const unmatched = include.filter((p) => !/[*?]/.test(p) && !all.includes(p));
  return { selected, unmatched };
}
