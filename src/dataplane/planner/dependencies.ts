// Foreign-key graph of the selected tables: the copy and validation order (parents first) and the
// cycles, which need deferred or post-load constraints.
import type { TableModel } from '../../engines/model';

export interface DependencyReport {
  copyOrder: string[];
  cycles: string[][];
  edges: { from: string; to: string; foreignKey: string }[];
}

/** Edges run child -> parent; only FKs between selected tables of the same schema count. */
export function analyzeDependencies(tables: TableModel[], schema: string): DependencyReport {
  const names = new Set(tables.map((t) => t.name));
  const edges = tables.flatMap((t) =>
    t.foreignKeys
      .filter((fk) => fk.referencedSchema === schema && names.has(fk.referencedTable))
      .map((fk) => ({ from: t.name, to: fk.referencedTable, foreignKey: fk.name })),
  );
  const parents = new Map<string, Set<string>>([...names].map((n) => [n, new Set<string>()]));
  for (const e of edges) if (e.from !== e.to) parents.get(e.from)?.add(e.to);

  const cycles = stronglyConnected(names, parents).filter(
    (c) => c.length > 1 || edges.some((e) => e.from === c[0] && e.to === c[0]),
  );
  const inCycle = new Set(cycles.flat());

  // Kahn's algorithm over tables outside cycles, smallest name first for a stable order.
  const order: string[] = [];
  const placed = new Set<string>();
  const pending = [...names].filter((n) => !inCycle.has(n)).sort();
  let progress = true;
  while (progress) {
    progress = false;
    for (const n of pending) {
      if (placed.has(n)) continue;
      const waiting = [...(parents.get(n) ?? [])].some((p) => !placed.has(p) && !inCycle.has(p));
      if (!waiting) {
        order.push(n);
        placed.add(n);
        progress = true;
        break;
      }
    }
  }
  // Tables in cycles (and anything depending on them) go last, in name order: their FKs are
  // created after the load, so the order among them does not matter for correctness.
  for (const n of [...names].sort()) if (!placed.has(n)) order.push(n);
  return { copyOrder: order, cycles: cycles.map((c) => [...c].sort()), edges };
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
