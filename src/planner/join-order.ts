// Chooses the order of inner joins by cost over the join graph. Relations are bits of a mask; the
// estimated rows of any set of relations is the product of their (filtered) rows times the
// selectivity of every join predicate inside the set, so it does not depend on the order.
// Cost of a join = its output rows + the rows of its hash build side (the smaller input), summed
// over the tree. Up to DP_LIMIT relations: dynamic programming over connected subsets (every split
// must be joined by an equality, so no cross products); above it, greedy pairing of the cheapest
// connected pair. Components the join graph leaves unconnected are crossed at the end, smallest first.

import { EquivalenceClasses } from './equivalence-classes';

export type JoinTree = { leaf: number; mask: number } | { left: JoinTree; right: JoinTree; mask: number };

/** A join predicate's contribution: when every relation in `mask` is present, rows are multiplied by `selectivity`. */
export interface JoinFactor {
  mask: number;
  selectivity: number;
}

/** An equality usable as a hash key between a set of relations holding `a` and one holding `b`. */
export interface JoinEdge {
  a: number;
  b: number;
}

export const DP_LIMIT = 10;

export class JoinGraph {
  private readonly rowsMemo = new Map<number, number>();

  constructor(
    readonly baseRows: number[],
    readonly factors: JoinFactor[],
    readonly edges: JoinEdge[],
    /** Column = column equalities between relations, by equivalence class (their selectivity depends on the set). */
    readonly equalities: EquivalenceClasses | null = null,
  ) {}

  /**
   * The learned optimizer's estimate from a subset's classic one (null: plan with the classic rows),
   * and its cost constants per build, probe and output row (null: the classic output + build rows).
   */
  refine: ((mask: number, classicRows: number) => number) | null = null;
  costs: { build: number; probe: number; output: number } | null = null;
  private readonly refinedMemo = new Map<number, number>();

  /** Estimated rows of the join of the relations in mask (the learned estimate when refine is set). */
  rows(mask: number): number {
    if (this.refine === null) return this.classicRows(mask);
    let r = this.refinedMemo.get(mask);
    if (r === undefined) {
      r = Math.max(1, this.refine(mask, this.classicRows(mask)));
      this.refinedMemo.set(mask, r);
    }
    return r;
  }

  /** Rows from the relations' filtered rows and the join selectivities (independence). */
  classicRows(mask: number): number {
    let r = this.rowsMemo.get(mask);
    if (r !== undefined) return r;
    r = 1;
    for (let i = 0; i < this.baseRows.length; i++) if (mask & (1 << i)) r *= this.baseRows[i];
    for (const f of this.factors) if ((f.mask & mask) === f.mask) r *= f.selectivity;
    if (this.equalities !== null) r *= this.equalities.selectivity(mask);
    r = Math.max(1, r);
    this.rowsMemo.set(mask, r);
    return r;
  }

  /** Whether some equality joins the relations in x with those in y (hash keys exist). */
  connects(x: number, y: number): boolean {
    for (const e of this.edges) {
      if ((e.a & x) === e.a && (e.b & y) === e.b) return true;
      if ((e.a & y) === e.a && (e.b & x) === e.b) return true;
    }
    return false;
  }

  joinCost(x: number, y: number): number {
    const c = this.costs;
    if (c !== null) {
      const rx = this.rows(x);
      const ry = this.rows(y);
      return c.output * this.rows(x | y) + c.build * Math.min(rx, ry) + c.probe * Math.max(rx, ry);
    }
    return this.rows(x | y) + Math.min(this.rows(x), this.rows(y));
  }
}

interface Best {
  cost: number;
  tree: JoinTree;
}

/** The cheapest join tree over all relations of the graph. */
export function orderJoins(g: JoinGraph): JoinTree {
  const n = g.baseRows.length;
  const leaves: Best[] = [];
  for (let i = 0; i < n; i++) leaves.push({ cost: 0, tree: { leaf: i, mask: 1 << i } });
  const components = n <= DP_LIMIT ? dynamicProgramming(g, leaves) : greedy(g, leaves);
  // Unconnected components: cross products, smallest first.
  components.sort((x, y) => g.rows(x.tree.mask) - g.rows(y.tree.mask));
  let acc = components[0];
  for (let i = 1; i < components.length; i++) {
    const c = components[i];
    acc = { cost: acc.cost + c.cost + g.joinCost(acc.tree.mask, c.tree.mask), tree: { left: acc.tree, right: c.tree, mask: acc.tree.mask | c.tree.mask } };
  }
  return acc.tree;
}

/** Best plan per connected subset; returns the best plans of the maximal connected subsets (the components). */
function dynamicProgramming(g: JoinGraph, leaves: Best[]): Best[] {
  const n = leaves.length;
  const full = (1 << n) - 1;
  const best: (Best | undefined)[] = new Array(full + 1);
  for (let i = 0; i < n; i++) best[1 << i] = leaves[i];
  for (let mask = 1; mask <= full; mask++) {
    if ((mask & (mask - 1)) === 0) continue;
    let found: Best | undefined;
    const low = mask & -mask;
    // Each unordered split once: the part holding the lowest relation is `x`.
    for (let x = (mask - 1) & mask; x > 0; x = (x - 1) & mask) {
      if ((x & low) === 0) continue;
      const y = mask ^ x;
      const bx = best[x];
      const by = best[y];
      if (bx === undefined || by === undefined || !g.connects(x, y)) continue;
      const cost = bx.cost + by.cost + g.joinCost(x, y);
      if (found === undefined || cost < found.cost) found = { cost, tree: { left: bx.tree, right: by.tree, mask } };
    }
    best[mask] = found;
  }
  if (best[full] !== undefined) return [best[full]!];
  // Disconnected: take the largest planned subsets covering all relations, greedily.
  const masks = [];
  for (let m = 1; m <= full; m++) if (best[m] !== undefined) masks.push(m);
  masks.sort((a, b) => popcount(b) - popcount(a) || best[a]!.cost - best[b]!.cost);
  const out: Best[] = [];
  let covered = 0;
  for (const m of masks) {
    if ((m & covered) !== 0) continue;
    out.push(best[m]!);
    covered |= m;
  }
  return out;
}

function popcount(x: number): number {
  let c = 0;
  for (; x !== 0; x &= x - 1) c++;
  return c;
}

/** Repeatedly joins the connected pair of trees with the cheapest join; returns what cannot be joined. */
function greedy(g: JoinGraph, leaves: Best[]): Best[] {
  const trees = leaves.slice();
  for (;;) {
    let bi = -1;
    let bj = -1;
    let bestCost = Infinity;
    for (let i = 0; i < trees.length; i++)
      for (let j = i + 1; j < trees.length; j++) {
        const x = trees[i].tree.mask;
        const y = trees[j].tree.mask;
        if (!g.connects(x, y)) continue;
        const c = g.joinCost(x, y);
        if (c < bestCost) {
          bestCost = c;
          bi = i;
          bj = j;
        }
      }
    if (bi < 0) return trees;
    const joined: Best = { cost: trees[bi].cost + trees[bj].cost + bestCost, tree: { left: trees[bi].tree, right: trees[bj].tree, mask: trees[bi].tree.mask | trees[bj].tree.mask } };
    trees.splice(bj, 1);
    trees[bi] = joined;
  }
}
