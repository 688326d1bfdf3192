// Foreign-key graph of the selected tables: the copy and validation order (parents first) and the
// cycles, which need deferred or post-load constraints.
import type { TableModel } from '../../engines/model';

export interface DependencyReport {
  copyOrder: string[];
  /** Cycles through two or more tables, each in name order. */
  cycles: string[][];
  /** Tables with a foreign key to themselves (parent_id, manager_id). */
  selfReferences: string[];
  edges: { from: string; to: string; foreignKey: string }[];
}

/**
 * Edges run child -> parent; only FKs between selected tables of the same schema count. Each cycle
 * is ordered as one unit (its tables in name order), so every table still comes after the parents
 * it does not share a cycle with.
 */
export function analyzeDependencies(tables: TableModel[], schema: string): DependencyReport {
  const names = new Set(tables.map((t) => t.name));
  const edges = tables.flatMap((t) =>
    t.foreignKeys
      .filter((fk) => fk.referencedSchema === schema && names.has(fk.referencedTable))
      .map((fk) => ({ from: t.name, to: fk.referencedTable, foreignKey: fk.name })),
  );
  const parents = new Map<string, Set<string>>([...names].map((n) => [n, new Set<string>()]));
  for (const e of edges) if (e.from !== e.to) parents.get(e.from)?.add(e.to);

  const components = stronglyConnected(names, parents).map((c) => [...c].sort());
  const componentOf = new Map<string, number>();
  components.forEach((c, i) => c.forEach((t) => componentOf.set(t, i)));
  const parentComponents = components.map((c, i) => {
    const ps = new Set(c.flatMap((t) => [...(parents.get(t) ?? [])].map((p) => componentOf.get(p)!)));
    ps.delete(i);
    return ps;
  });

  // Kahn's algorithm over the components, the one with the smallest first name first.
  const order: string[] = [];
  const placed = new Set<number>();
  while (placed.size < components.length) {
    const ready = components
      .map((c, i) => ({ c, i }))
      .filter(({ i }) => !placed.has(i) && [...parentComponents[i]!].every((p) => placed.has(p)))
      .sort((a, b) => a.c[0]!.localeCompare(b.c[0]!));
    const next = ready[0]!; // the condensation of a graph is acyclic: something is always ready
    placed.add(next.i);
    order.push(...next.c);
  }
  return {
    copyOrder: order,
    cycles: components.filter((c) => c.length > 1),
    selfReferences: [...new Set(edges.filter((e) => e.from === e.to).map((e) => e.from))].sort(),
    edges,
  };
}

/** Tarjan's strongly connected components. */
function stronglyConnected(nodes: Set<string>, next: Map<string, Set<string>>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, idx.get(w)!));
      }
    }
    if (low.get(v) === idx.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      out.push(component);
    }
  };
  for (const n of [...nodes].sort()) if (!idx.has(n)) visit(n);
  return out;
}
