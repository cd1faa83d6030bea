// Featurization of a subplan (a set of joined relations with their pushed-down predicates) into a
// fixed-length vector for the cardinality model. Relations are placed in TABLE_SLOTS slots by their
// table id; each slot holds how many of its relations are present, their base rows, the classic
// selectivity of their predicates, the predicates' kinds and the selectivity per (hashed) column.
// Join edges are counted in hashed buckets by the (table, column) pairs they equate. Globals: the
// classic estimate's log (the model learns a correction to it), sizes of the join graph, group-by
// keys. All values are scaled to roughly [-1, 1].
import { Expr } from '../plan/expr';

export const TABLE_SLOTS = 8;
const KINDS = ['eq', 'range', 'like', 'in', 'or', 'other'] as const;
type Kind = (typeof KINDS)[number];
const COLUMN_BUCKETS = 4;
const PER_SLOT = 3 + KINDS.length + COLUMN_BUCKETS;
export const EDGE_BUCKETS = 16;
const GLOBALS = 7;
export const FEATURE_COUNT = TABLE_SLOTS * PER_SLOT + EDGE_BUCKETS + GLOBALS;
const EDGE_BASE = TABLE_SLOTS * PER_SLOT;
const GLOBAL_BASE = EDGE_BASE + EDGE_BUCKETS;

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
}

/** An equality between column `columnA` of relation `a` and column `columnB` of relation `b`. */
export interface EdgeInfo {
  a: number;
  b: number;
  columnA: number;
  columnB: number;
}

export interface GroupInfo {
  keys: number;
  /** Classic estimate of the groups (product of the keys' distinct counts, capped). */
  groups: number;
}

const log10 = (x: number) => Math.log10(Math.max(1e-12, x));

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

function slotOf(key: number): number {
  return ((key % TABLE_SLOTS) + TABLE_SLOTS) % TABLE_SLOTS;
}

function edgeBucket(keyA: number, colA: number, keyB: number, colB: number): number {
  let x = keyA * 131 + colA;
  let y = keyB * 131 + colB;
  if (x > y) [x, y] = [y, x];
  const h = Math.imul(x * 2654435761 + y, 0x9e3779b1) >>> 0;
  return (h >>> 7) % EDGE_BUCKETS;
}

/**
 * Featurizes subsets of one join problem: each relation's slot contribution is computed once,
 * and a subset's vector is the sum of its members' plus its edges and globals.
 */
export class SubplanFeaturizer {
  private readonly contributions: Float64Array[];
  private readonly predicateCounts: number[];

  constructor(
    readonly relations: RelationInfo[],
    readonly edges: EdgeInfo[],
  ) {
    this.contributions = relations.map((r) => relationVector(r));
    this.predicateCounts = relations.map((r) => r.predicates.length);
  }

  /** The vector of the subplan joining the relations in `mask` whose classic estimate is `classicRows`. */
  features(mask: number, classicRows: number, group?: GroupInfo): Float64Array {
    const x = new Float64Array(FEATURE_COUNT);
    let relations = 0;
    let predicates = 0;
    for (let i = 0; i < this.relations.length; i++) {
      if ((mask & (1 << i)) === 0) continue;
      relations++;
      predicates += this.predicateCounts[i];
      const c = this.contributions[i];
      for (let k = 0; k < c.length; k++) x[k] += c[k];
    }
    let edges = 0;
    for (const e of this.edges) {
      if ((mask & (1 << e.a)) === 0 || (mask & (1 << e.b)) === 0) continue;
      edges++;
      x[EDGE_BASE + edgeBucket(this.relations[e.a].key, e.columnA, this.relations[e.b].key, e.columnB)] += 1;
    }
    x[GLOBAL_BASE] = log10(classicRows) / 8;
    x[GLOBAL_BASE + 1] = relations / 8;
    x[GLOBAL_BASE + 2] = edges / 8;
    x[GLOBAL_BASE + 3] = predicates / 8;
    x[GLOBAL_BASE + 4] = group === undefined ? 0 : group.keys / 4;
    x[GLOBAL_BASE + 5] = group === undefined ? 0 : log10(group.groups) / 8;
    x[GLOBAL_BASE + 6] = 1;
    return x;
  }
}

function relationVector(r: RelationInfo): Float64Array {
  const v = new Float64Array(EDGE_BASE);
  const base = slotOf(r.key) * PER_SLOT;
  v[base] = 1;
  v[base + 1] = log10(Math.max(1, r.baseRows)) / 8;
  for (const p of r.predicates) {
    const ls = log10(Math.max(1e-9, Math.min(1, p.selectivity))) / 4;
    v[base + 2] += ls;
    v[base + 3 + KINDS.indexOf(predicateKind(p.expr))] += 1;
    const bucket = p.column < 0 ? 0 : p.column % COLUMN_BUCKETS;
    v[base + 3 + KINDS.length + bucket] += ls;
  }
  return v;
}

/**
 * The structural parts of a subplan's vector: per present table slot its predicate kinds and the
 * column buckets it filters, and each join-edge bucket. The model answers only for subplans made
 * of parts it was trained on (in any combination); on anything else it is uncertain and abstains.
 */
export function structureKeys(x: Float64Array, at = 0): string[] {
  const keys: string[] = [];
  for (let slot = 0; slot < TABLE_SLOTS; slot++) {
    const b = at + slot * PER_SLOT;
    if (x[b] === 0) continue;
    let k = `t${slot}:${x[b]}`;
    for (let i = 0; i < KINDS.length; i++) k += `:${x[b + 3 + i]}`;
    for (let i = 0; i < COLUMN_BUCKETS; i++) k += x[b + 3 + KINDS.length + i] !== 0 ? '1' : '0';
    keys.push(k);
  }
  for (let e = 0; e < EDGE_BUCKETS; e++) if (x[at + EDGE_BASE + e] !== 0) keys.push(`e${e}:${x[at + EDGE_BASE + e]}`);
  return keys;
}
