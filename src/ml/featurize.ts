// Featurization of a subplan (a set of joined relations with their pushed-down predicates) for the
// cardinality model, as a bag of parts: one row per relation and one per join edge inside the
// subset. The model maps each part to a correction in log space and sums them, so a subplan made
// of parts like those seen in training (a filtered lineitem, an orders–lineitem edge, an edge that
// closes a cycle over a composite key) is estimated well in combinations never seen together.
// Part features come from statistics and table samples, not from table names:
// - relation: base rows, classic selectivity of its predicates, the selectivity measured on the
//   table's sample (sees LIKE patterns, correlated and contradictory predicates), whether the
//   sample had no or few hits, how far the predicates are from independent on the sample, their kinds;
// - edge: the key columns' distinct counts and rows per key value on each side (key vs foreign-key
//   side), the filtered fraction of each side, and whether a spanning tree of the subset leaves it
//   out (a cycle, or a second key column between the same two relations).
// The model corrects a baseline: the classic estimate with each relation's sample selectivity in
// place of its classic one. A vector is MAX_PARTS rows of PART_WIDTH values; unused rows are zero.
import { Expr } from '../plan/expr';

export const PART_WIDTH = 16;
export const MAX_PARTS = 20;
/** Length of a subplan's vector: its parts' rows, then the log10 baseline/classic ratio. */
export const FEATURE_COUNT = MAX_PARTS * PART_WIDTH + 1;
/** Index of the feature holding log10(baseline / classic rows). */
export const BASELINE_RATIO_FEATURE = MAX_PARTS * PART_WIDTH;

/** Row layout: [0] 1 on a relation row, [1] 1 on an edge row, both on a group-by row (0 and 0: unused). */

/** One pushed-down predicate of a relation: its expression, the column it reads, its classic selectivity. */
export interface PredicateInfo {
  expr: Expr;
  /** Attribute number of the (first) column it reads, or -1. */
  column: number;
  selectivity: number;
}

export interface RelationInfo {
  /** Table id for a base table scan; another stable number for derived relations. */
  key: number;
  /** Rows before the pushed-down predicates (classic estimate). */
  baseRows: number;
  predicates: PredicateInfo[];
  /** Classic rows after the pushed-down predicates (absent: the product of the predicates' selectivities). */
  rows?: number;
  /** The pushed-down predicates evaluated on the table's sample (absent: no predicate or no sample). */
  sample?: { hits: number; n: number; expected?: number };
}

/** An equality between column `columnA` of relation `a` and column `columnB` of relation `b`. */
export interface EdgeInfo {
  a: number;
  b: number;
  columnA: number;
  columnB: number;
  /** Distinct values of the two columns in their unfiltered relations (statistics; absent: unknown). */
  distinctA?: number;
  distinctB?: number;
}

/** A GROUP BY over a featurized subplan: its keys and the classic estimate of its groups. */
export interface GroupInfo {
  keys: number;
  /** Classic estimate of the groups (product of the keys' distinct counts, capped by the input rows). */
  groups: number;
  /** Classic rows of the input. */
  inputRows: number;
  /** Distinct counts of the keys that are columns with statistics (others are left out). */
  keyDistinct: number[];
}

const log10 = (x: number) => Math.log10(Math.max(1e-12, x));

type Kind = 'eq' | 'range' | 'like' | 'in' | 'or' | 'other';

/** The predicate's kind, as the featurizer counts it. */
export function predicateKind(e: Expr): Kind {
  while (e.kind === 'not') e = e.arg;
  switch (e.kind) {
    case 'or':
      return 'or';
    case 'inlist':
      return 'in';
    case 'call':
      if (e.fn === 'eq' || e.fn === 'ne') return 'eq';
      if (e.fn === 'lt' || e.fn === 'le' || e.fn === 'gt' || e.fn === 'ge') return 'range';
      if (e.fn === 'like' || e.fn === 'ilike') return 'like';
      return 'other';
    case 'and':
      return e.args.length > 0 ? predicateKind(e.args[0]) : 'other';
    default:
      return 'other';
  }
}

/** Selectivity of a relation no row of which passes (log10 of it: -12, so every subplan holding it estimates 1 row). */
const EMPTY_SELECTIVITY = 1e-12;

/** Weight of the classic selectivity as a prior over the sample's hits (in sample rows). */
const PRIOR_ROWS = 2;

function classicSelectivity(r: RelationInfo): number {
  if (r.rows !== undefined) return Math.max(1e-12, Math.min(1, r.rows / Math.max(1, r.baseRows)));
  let s = 1;
  for (const p of r.predicates) s *= Math.max(1e-9, Math.min(1, p.selectivity));
  return s;
}

/**
 * The relation's selectivity from its sample, shrunk toward the classic one when hits are few; the
 * classic one without a sample. A sample holding every row of the table (nation, region, small
 * tables) measures it exactly, also when no row passes (contradictory predicates: the subplan is empty).
 */
export function sampleSelectivity(r: RelationInfo): number {
  const c = classicSelectivity(r);
  if (r.sample === undefined || r.sample.n === 0) return c;
  if (r.sample.n >= r.baseRows) return Math.max(EMPTY_SELECTIVITY, r.sample.hits / r.sample.n);
  return (r.sample.hits + PRIOR_ROWS * c) / (r.sample.n + PRIOR_ROWS);
}

/** The estimate the model corrects: the classic rows with each relation's sample selectivity in place of the classic one. */
export function baselineRows(features: Float64Array, classicRows: number, at = 0): number {
  return Math.max(1, classicRows * Math.pow(10, features[at + BASELINE_RATIO_FEATURE]));
}

/** Featurizes subsets of one join problem; relation rows are computed once. */
export class SubplanFeaturizer {
  private readonly relationRows: Float64Array[];
  /** log10(sample / classic selectivity) per relation. */
  private readonly ratios: number[];
  private readonly sampleSel: number[];

  constructor(
    readonly relations: RelationInfo[],
    readonly edges: EdgeInfo[],
  ) {
    this.sampleSel = relations.map((r) => sampleSelectivity(r));
    this.ratios = relations.map((r, i) => log10(this.sampleSel[i]) - log10(classicSelectivity(r)));
    this.relationRows = relations.map((r, i) => relationRow(r, this.sampleSel[i], this.ratios[i]));
  }

  /**
   * The vector of the subplan joining the relations in `mask` whose classic estimate is
   * `classicRows`, or null when it has more parts than a vector holds.
   */
  features(mask: number, classicRows: number): Float64Array | null {
    const x = new Float64Array(FEATURE_COUNT);
    let part = 0;
    let ratio = 0;
    for (let i = 0; i < this.relations.length; i++) {
      if ((mask & (1 << i)) === 0) continue;
      if (part >= MAX_PARTS) return null;
      x.set(this.relationRows[i], part++ * PART_WIDTH);
      ratio += this.ratios[i];
    }
    const inside = this.edges.filter((e) => (mask & (1 << e.a)) !== 0 && (mask & (1 << e.b)) !== 0);
    const dropped = droppedEdges(inside, this.relations);
    for (let k = 0; k < inside.length; k++) {
      if (part >= MAX_PARTS) return null;
      const e = inside[k];
      const parallel = inside.some((o, j) => j !== k && ((o.a === e.a && o.b === e.b) || (o.a === e.b && o.b === e.a)));
      this.edgeRow(e, dropped.has(k), parallel, x, part++ * PART_WIDTH);
    }
    x[BASELINE_RATIO_FEATURE] = ratio;
    void classicRows;
    return x;
  }

  private edgeRow(e: EdgeInfo, dropped: boolean, parallel: boolean, x: Float64Array, at: number): void {
    const ra = Math.max(1, this.relations[e.a].baseRows);
    const rb = Math.max(1, this.relations[e.b].baseRows);
    const da = Math.max(1, Math.min(ra, e.distinctA ?? ra));
    const db = Math.max(1, Math.min(rb, e.distinctB ?? rb));
    // Side one: fewer rows per key value (the key side of a key/foreign-key join).
    const aIsOne = ra / da <= rb / db;
    const [rOne, dOne, sOne, rMany, dMany, sMany] = aIsOne ? [ra, da, this.sampleSel[e.a], rb, db, this.sampleSel[e.b]] : [rb, db, this.sampleSel[e.b], ra, da, this.sampleSel[e.a]];
    x[at] = 0;
    x[at + 1] = 1;
    x[at + 2] = log10(Math.max(dOne, dMany)) / 8;
    x[at + 3] = (log10(Math.min(dOne, dMany)) - log10(Math.max(dOne, dMany))) / 4;
    x[at + 4] = log10(rOne / dOne) / 4;
    x[at + 5] = log10(rMany / dMany) / 4;
    x[at + 6] = dropped ? 1 : 0;
    x[at + 7] = log10(sOne) / 4;
    x[at + 8] = log10(sMany) / 4;
    x[at + 9] = parallel ? 1 : 0;
  }
}

function relationRow(r: RelationInfo, sampleSel: number, ratio: number): Float64Array {
  const v = new Float64Array(PART_WIDTH);
  v[0] = 1;
  v[1] = 0;
  v[2] = log10(Math.max(1, r.baseRows)) / 8;
  v[3] = log10(classicSelectivity(r)) / 4;
  v[4] = log10(sampleSel) / 4;
  v[5] = ratio / 4;
  if (r.sample !== undefined) {
    v[6] = r.sample.hits === 0 ? 1 : 0;
    v[7] = r.sample.hits > 0 && r.sample.hits < 10 ? 1 : 0;
    // Hits the predicates would have if independent (each evaluated alone on the sample).
    const expected = r.sample.expected ?? r.sample.hits;
    v[8] = log10((r.sample.hits + 0.5) / (expected + 0.5)) / 4;
    v[9] = r.sample.hits === 0 && expected >= 1 ? 1 : 0;
    v[15] = 1;
  }
  v[10] = r.predicates.length / 4;
  for (const p of r.predicates) {
    const k = predicateKind(p.expr);
    v[k === 'like' ? 11 : k === 'eq' ? 12 : k === 'range' ? 13 : 14] += 0.25;
  }
  return v;
}

/**
 * The edges of a subset that a spanning tree keeping the most selective edges (most distinct key
 * values) leaves out. The classic estimate multiplies every edge's selectivity; when a left-out
 * edge is implied by the others (a composite key reached two ways: lineitem–part–partsupp–
 * supplier) the true rows are larger; when its columns are independent (customer and supplier of
 * one nation) they are not. Which holds, the model learns from the key statistics on the edge.
 */
function droppedEdges(inside: EdgeInfo[], relations: RelationInfo[]): Set<number> {
  const out = new Set<number>();
  if (inside.length === 0) return out;
  const keyDistinct = (e: EdgeInfo) => {
    const ra = Math.max(1, relations[e.a].baseRows);
    const rb = Math.max(1, relations[e.b].baseRows);
    return Math.max(Math.min(ra, e.distinctA ?? ra), Math.min(rb, e.distinctB ?? rb), 1);
  };
  const order = inside.map((e, k) => ({ k, d: keyDistinct(e) })).sort((x, y) => y.d - x.d || x.k - y.k);
  const parent = relations.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
  for (const { k } of order) {
    const a = find(inside[k].a);
    const b = find(inside[k].b);
    if (a !== b) parent[a] = b;
    else out.add(k);
  }
  return out;
}

/**
 * The vector of an aggregation's output (its groups) over a subplan with vector `input`: the
 * input's parts plus a group row (kind: both flags set) with the keys' count and distinct counts,
 * the classic groups and input rows; or null when the vector is full. Its baseline is the classic
 * groups, at most the input's baseline rows (the groups cannot outnumber the rows the table
 * samples say come in).
 */
export function groupFeatures(input: Float64Array, inputClassicRows: number, g: GroupInfo): Float64Array | null {
  const parts = partOffsets(input);
  if (parts.length >= MAX_PARTS) return null;
  const x = Float64Array.from(input);
  const at = parts.length * PART_WIDTH;
  const groups = Math.max(1, g.groups);
  const rows = Math.max(1, g.inputRows);
  const product = g.keyDistinct.reduce((t, d) => t * Math.max(1, d), 1);
  x[at] = 1;
  x[at + 1] = 1;
  x[at + 2] = g.keys / 4;
  x[at + 3] = log10(groups) / 8;
  x[at + 4] = log10(rows) / 8;
  x[at + 5] = log10(groups / rows) / 4;
  x[at + 6] = log10(Math.max(1, ...g.keyDistinct)) / 8;
  x[at + 7] = g.keys === 0 ? 0 : g.keyDistinct.length / g.keys;
  x[at + 8] = log10(product / groups) / 8;
  x[at + 15] = 1;
  x[BASELINE_RATIO_FEATURE] = log10(Math.min(groups, baselineRows(input, inputClassicRows))) - log10(groups);
  return x;
}

/** The kind of part row at offset p: 0 relation, 1 join edge, 2 group-by. */
export function partKind(x: Float64Array, p: number): 0 | 1 | 2 {
  return x[p] === 1 && x[p + 1] === 1 ? 2 : x[p + 1] === 1 ? 1 : 0;
}

/** The part rows of a vector (rows whose kind is set), as offsets into x. */
export function partOffsets(x: Float64Array, at = 0): number[] {
  const out: number[] = [];
  for (let p = 0; p < MAX_PARTS; p++) if (x[at + p * PART_WIDTH] !== 0 || x[at + p * PART_WIDTH + 1] !== 0) out.push(at + p * PART_WIDTH);
  return out;
}
