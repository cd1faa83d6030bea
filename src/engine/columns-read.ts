// The table columns a reading statement's plan reads, subquery plans inside expressions and CTEs
// included: what a cluster standby brings in before the statement runs (storage.prepareRead), so it
// fetches the chunks of these columns only, not of every column of the tables read. Each plan (the
// statement's, each subquery's, each CTE's) is pruned as the executor prunes it (needed-columns.ts);
// a scan reached some other way counts with all its columns. Computed once per bound statement
// (cached plans are executed many times).
import type { BoundStatement } from '../sql/bound-statement';
import type { PlanNode, ScanNode } from '../plan/plan';
import { neededColumns } from '../exec/needed-columns';
import { scanReadColumns } from '../exec/operators/scan';
import { forEachReachableObject } from '../plan/reachable-objects';

const known = new WeakMap<BoundStatement, ReadonlyMap<number, readonly number[]>>();

/** Per table id, the columns some scan of the statement reads. */
export function columnsRead(bound: BoundStatement): ReadonlyMap<number, readonly number[]> {
  let hit = known.get(bound);
  if (hit === undefined) {
    const plan = bound.kind === 'copyTo' ? bound.source : bound.kind === 'query' || bound.kind === 'explain' ? bound.plan : null;
    known.set(bound, (hit = plan === null ? new Map() : scannedColumns(plan)));
  }
  return hit;
}

function scannedColumns(plan: PlanNode): Map<number, number[]> {
  const { roots, scans } = plansAndScans(plan);
  const read = new Map<ScanNode, readonly boolean[]>();
  for (const root of roots) for (const [node, need] of neededColumns(root)) if (node.kind === 'scan') read.set(node, mergeNeeds(read.get(node), scanReadColumns(node, need)));
  const byTable = new Map<number, Set<number>>();
  for (const s of scans) {
    let set = byTable.get(s.tableId);
    if (set === undefined) byTable.set(s.tableId, (set = new Set()));
    const cols = read.get(s);
    s.columns.forEach((c, k) => {
      if (cols === undefined || cols[k]) set!.add(c);
    });
  }
  return new Map([...byTable].map(([id, cols]) => [id, [...cols].sort((a, b) => a - b)]));
}

function mergeNeeds(a: readonly boolean[] | undefined, b: readonly boolean[]): readonly boolean[] {
  return a === undefined ? b : b.map((x, i) => x || a[i] === true);
}

/** The plan roots executed on their own (the statement's, subqueries', CTEs'), and every scan anywhere under `plan`. */
function plansAndScans(plan: PlanNode): { roots: PlanNode[]; scans: ScanNode[] } {
  const roots: PlanNode[] = [plan];
  const scans: ScanNode[] = [];
  forEachReachableObject(plan, (o) => {
    if (o.kind === 'scan' && typeof o.tableId === 'number') scans.push(o as unknown as ScanNode);
    // A subquery's plan, and a CTE's, are pruned from their own roots.
    if (o.kind === 'subquery' && o.plan !== undefined) roots.push(o.plan as PlanNode);
    if (o.kind === 'with' && Array.isArray(o.ctes)) for (const cte of o.ctes as { plan: PlanNode }[]) roots.push(cte.plan);
  });
  return { roots, scans };
}
