// Every object reachable from a plan, each visited once: plans are small trees of plain objects, and
// some readers need what sits anywhere in them (a scan inside a subquery inside an expression, a
// CTE's plan), not only along the plan's children. Typed arrays are skipped (values, not structure).

/** Calls `visit` with every object (arrays excluded) reachable from `root`, once each. */
export function forEachReachableObject(root: unknown, visit: (o: Record<string, unknown>) => void): void {
  const seen = new Set<object>();
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object' || seen.has(v) || ArrayBuffer.isView(v)) continue;
    seen.add(v);
    if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
      continue;
    }
    const o = v as Record<string, unknown>;
    visit(o);
    for (const k in o) stack.push(o[k]);
  }
}
