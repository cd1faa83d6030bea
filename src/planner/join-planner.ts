// Plans the inner joins of a FROM clause with its WHERE conjuncts: single-relation predicates are
// pushed into their relation, equality predicates between relations become hash-join keys, and the
// join order is chosen by estimated cost (join-order.ts) from the relations' statistics
// (relation-stats.ts, cardinality.ts), building each hash table on the smaller side.
// The result's columns are in the FROM clause's order, so the binder's column indexes stay valid.
import { Expr } from '../plan/expr';
import { PlanNode, joinOutput } from '../plan/plan';
import { ColumnStatistics } from '../plan/statistics';
import { Types } from '../types/data-type';
import { scaleColumnStats, selectivity } from './cardinality';
import { andAll, columnsUsed, hasSubquery, remapColumns, splitConjuncts } from './expr-utils';
import { JoinEdge, JoinFactor, JoinGraph, JoinTree, orderJoins } from './join-order';
import { RelationStats, StatsLookup, infoOf, relationStats } from './relation-stats';
import { CardinalityModel } from '../ml/learned-optimizer';
import { RelationInfo } from '../ml/featurize';
import { learnedJoinEstimates } from './learned-estimates';
import { ClassMember, EquivalenceClasses, RelationKeys } from './equivalence-classes';

export interface JoinRelation {
  plan: PlanNode;
  /** Estimated output rows before the pushed-down predicates. */
  estimatedRows: number;
}

interface Conjunct {
  expr: Expr;
  relations: Set<number>;
  used: boolean;
  /** For a restriction derived from an OR across relations: that OR. */
  source?: Conjunct;
  /** A derived restriction not worth applying. */
  dropped?: boolean;
}

interface Partial {
  plan: PlanNode;
  /** Canonical column index → position in plan's output. */
  position: Map<number, number>;
  relations: Set<number>;
  rows: number;
}

const noStatistics: StatsLookup = () => null;

/** Derived OR restrictions that keep more than this fraction of their relation are not applied. */
const DERIVED_MAX_SELECTIVITY = 0.25;

/**
 * Joins `relations` (columns concatenated in order form the canonical row) under `conjuncts`;
 * `lookup` gives the tables' statistics for estimating sizes.
 */
export function planInnerJoins(relations: JoinRelation[], conjuncts: Expr[], lookup: StatsLookup = noStatistics, model?: CardinalityModel): PlanNode {
  const offsets: number[] = [];
  let width = 0;
  for (const r of relations) {
    offsets.push(width);
    width += r.plan.output.length;
  }
  const relationOf = (col: number): number => {
    let lo = 0;
    for (let i = 0; i < offsets.length; i++) if (offsets[i] <= col) lo = i;
    return lo;
  };
  const conj: Conjunct[] = conjuncts.map((expr) => ({
    expr,
    relations: new Set([...columnsUsed(expr)].map(relationOf)),
    used: false,
  }));
  // An OR across relations implies, per relation, the OR of its own parts of each branch (TPC-H Q7's
  // (n1 = 'FRANCE' AND n2 = 'GERMANY') OR (n1 = 'GERMANY' AND n2 = 'FRANCE') filters n1 and n2 each).
  const derived = deriveRestrictions(conj, relationOf);

  // Push single-relation predicates down; estimate each relation's filtered rows and column statistics.
  const canonical: (ColumnStatistics | null)[] = [];
  const learning = model !== undefined && model.mode !== 'off' && lookup !== noStatistics && relations.length <= MAX_ORDERED;
  const relationInfos: RelationInfo[] = [];
  const relationKeys: { baseRows: number; unique: number[][] }[] = [];
  const baseStats: RelationStats[] = [];
  const parts: Partial[] = relations.map((r, i) => {
    const local: Expr[] = [];
    const base: RelationStats = lookup === noStatistics ? { rows: r.estimatedRows, columns: r.plan.output.map(() => null) } : relationStats(r.plan, lookup);
    for (const c of [...conj, ...derived]) {
      if (c.used || c.relations.size !== 1 || !c.relations.has(i)) continue;
      const e = remapColumns(c.expr, (col) => col - offsets[i]);
      c.used = true;
      // A derived restriction is an extra filter to evaluate: worth it only when it removes most rows.
      if (c.source !== undefined && selectivity(e, infoOf(base.columns)) > DERIVED_MAX_SELECTIVITY) {
        c.dropped = true;
        continue;
      }
      local.push(e);
    }
    const total = Math.max(1, base.rows);
    relationKeys.push({ baseRows: total, unique: uniqueColumns(r.plan, lookup) });
    const predicate = andAll(local);
    const rows = Math.max(1, predicate === null ? total : total * selectivity(predicate, infoOf(base.columns)));
    for (const c of base.columns) canonical.push(scaleColumnStats(c, total, rows));
    if (learning) {
      relationInfos.push(relationInfo(r.plan, total, rows, local, base, model!));
      baseStats.push(base);
    }
    const position = new Map<number, number>();
    for (let k = 0; k < r.plan.output.length; k++) position.set(offsets[i] + k, k);
    return { plan: addFilter(r.plan, local, rows), position, relations: new Set([i]), rows };
  });

  if (parts.length === 0) throw new Error('planInnerJoins needs at least one relation');
  // Constant predicates (no columns) apply on top.
  const constants = conj.filter((c) => !c.used && c.relations.size === 0);
  for (const c of constants) c.used = true;

  const graph = joinGraph(parts, conj, derived, canonical, relationKeys);
  const learned = learning ? learnedJoinEstimates(model!, graph, relationInfos, equiColumnEdges(conj, relations, offsets, relationOf, baseStats)) : null;
  // Relation sets are 32-bit masks: past 30 relations the FROM order stands.
  const tree = parts.length <= MAX_ORDERED ? (learned !== null ? learned.order() : orderJoins(graph)) : fromOrder(parts.length);
  if (learned !== null)
    parts.forEach((p, i) => {
      p.rows = graph.rows(1 << i);
      // Base tables' filtered scans are learned; derived relations (subqueries, VALUES, functions) only inside joins.
      if (relations[i].plan.kind === 'scan') learned.annotate(p.plan, 1 << i);
    });
  const acc = buildTree(tree, parts, conj, graph, learned?.annotate);
  learned?.markChoice(acc.plan);
  let plan = acc.plan;
  const leftover = conj.filter((c) => !c.used).map((c) => c.expr);
  const topFilters = [...constants.map((c) => c.expr), ...leftover];
  // Restore the canonical column order.
  const identity = [...Array(width).keys()].every((k) => acc.position.get(k) === k) && plan.output.length === width;
  if (!identity) {
    const exprs: Expr[] = [];
    const output = [];
    for (let k = 0; k < width; k++) {
      const p = acc.position.get(k)!;
      exprs.push({ kind: 'column', index: p, type: plan.output[p].type });
      output.push(plan.output[p]);
    }
    plan = { kind: 'project', input: plan, exprs, output, estimatedRows: acc.rows };
  }
  return addFilter(plan, topFilters, acc.rows);
}

const MAX_ORDERED = 30;

function fromOrder(n: number): JoinTree {
  let t: JoinTree = { leaf: 0, mask: 1 };
  for (let i = 1; i < n; i++) t = { left: t, right: { leaf: i, mask: 0 }, mask: 0 };
  return t;
}

function maskOf(relations: Iterable<number>): number {
  let m = 0;
  for (const r of relations) m |= 1 << r;
  return m;
}

/** Relations an equality's two sides read, when it can be a hash key (each side non-empty, disjoint). */
function equiSides(c: Conjunct, relationOf: (col: number) => number): [Set<number>, Set<number>] | null {
  if (!isEquiEdge(c) || c.relations.size < 2) return null;
  const [a, b] = (c.expr as { args: Expr[] }).args;
  const ra = new Set([...columnsUsed(a)].map(relationOf));
  const rb = new Set([...columnsUsed(b)].map(relationOf));
  if (ra.size === 0 || rb.size === 0 || [...ra].some((r) => rb.has(r))) return null;
  return [ra, rb];
}

function deriveRestrictions(conj: Conjunct[], relationOf: (col: number) => number): Conjunct[] {
  const out: Conjunct[] = [];
  for (const c of conj) {
    if (c.expr.kind !== 'or' || c.relations.size < 2 || hasSubquery(c.expr)) continue;
    const branches = c.expr.args.map((b) => splitConjuncts(b));
    for (const r of c.relations) {
      const perBranch = branches.map((b) => b.filter((e) => {
        const rels = new Set([...columnsUsed(e)].map(relationOf));
        return rels.size === 1 && rels.has(r);
      }));
      if (perBranch.some((p) => p.length === 0)) continue;
      out.push({ expr: { kind: 'or', args: perBranch.map((p) => andAll(p)!), type: Types.bool }, relations: new Set([r]), used: false, source: c });
    }
  }
  return out;
}

/**
 * The join graph for ordering: base rows after pushed-down filters; equalities between two
 * relations' columns by equivalence class (equivalence-classes.ts: a multi-column join to a
 * composite key counts as one key join, also around a cycle); every other predicate over several
 * relations with its own estimated selectivity. `keys`: per relation, its unfiltered rows and
 * unique column sets (positions in its output).
 */
function joinGraph(parts: Partial[], conj: Conjunct[], derived: Conjunct[], canonical: (ColumnStatistics | null)[], keys: { baseRows: number; unique: number[][] }[]): JoinGraph {
  const offsets: number[] = [];
  let w = 0;
  for (const p of parts) {
    offsets.push(w);
    w += p.plan.output.length;
  }
  const relationOf = (col: number): number => {
    let lo = 0;
    for (let i = 0; i < offsets.length; i++) if (offsets[i] <= col) lo = i;
    return lo;
  };
  const info = infoOf(canonical);
  const factors: JoinFactor[] = [];
  const edges: JoinEdge[] = [];
  const equalities: [ClassMember, ClassMember][] = [];
  const member = (col: number): ClassMember => {
    const relation = relationOf(col);
    const rows = parts[relation].rows;
    return { relation, column: col, distinct: Math.max(1, Math.min(rows, canonical[col]?.distinct ?? rows / 10)) };
  };
  for (const c of conj) {
    if (c.used || c.relations.size < 2) continue;
    const sides = equiSides(c, relationOf);
    if (sides !== null) edges.push({ a: maskOf(sides[0]), b: maskOf(sides[1]) });
    const [x, y] = c.expr.kind === 'call' && c.expr.fn === 'eq' && sides !== null ? c.expr.args : [null, null];
    if (x !== null && y !== null && x.kind === 'column' && y.kind === 'column' && c.relations.size === 2) {
      equalities.push([member(x.index), member(y.index)]);
      continue;
    }
    let sel = selectivity(c.expr, info);
    // What the derived single-relation filters already counted.
    for (const d of derived) if (d.source === c && d.dropped !== true) sel /= Math.max(1e-9, selectivity(d.expr, info));
    factors.push({ mask: maskOf(c.relations), selectivity: Math.min(1, sel) });
  }
  const relationKeys: RelationKeys[] = parts.map((p, i) => ({ baseRows: keys[i].baseRows, rows: p.rows, unique: keys[i].unique.map((k) => k.map((c) => c + offsets[i])) }));
  return new JoinGraph(
    parts.map((p) => p.rows),
    factors,
    edges,
    equalities.length === 0 ? null : EquivalenceClasses.fromEqualities(equalities, relationKeys),
  );
}

/** Builds the plan of a join tree (conjuncts are placed at the first join that has all their relations). */
function buildTree(tree: JoinTree, parts: Partial[], conj: Conjunct[], graph: JoinGraph, annotate?: (plan: PlanNode, mask: number) => void): Partial {
  if ('leaf' in tree) return parts[tree.leaf];
  const l = buildTree(tree.left, parts, conj, graph, annotate);
  const r = buildTree(tree.right, parts, conj, graph, annotate);
  const joined = joinPair(l, r, conj, graph.rows(tree.mask));
  if (annotate !== undefined && tree.mask !== 0) {
    // Planned with the learned rows; EXPLAIN's rows= stays the classic estimate (ml_rows= beside it).
    joined.plan.estimatedRows = graph.classicRows(tree.mask);
    annotate(joined.plan, tree.mask);
  }
  return joined;
}

/** The unique keys of a scanned table as positions in the scan's output (keys it does not read all of are left out). */
function uniqueColumns(plan: PlanNode, lookup: StatsLookup): number[][] {
  if (plan.kind !== 'scan') return [];
  const keys = lookup(plan.tableId)?.uniqueKeys ?? [];
  const out: number[][] = [];
  for (const key of keys) {
    const positions = key.map((attr) => plan.columns.indexOf(attr));
    if (positions.every((p) => p >= 0)) out.push(positions);
  }
  return out;
}

/** The learned model's view of a relation: its table, base rows and pushed-down predicates. */
function relationInfo(plan: PlanNode, baseRows: number, rows: number, local: Expr[], base: RelationStats, model: CardinalityModel): RelationInfo {
  const info = infoOf(base.columns);
  const conjuncts = local.flatMap((e) => splitConjuncts(e));
  const sample = conjuncts.length > 0 && plan.kind === 'scan' && plan.filter === null && !conjuncts.some(hasSubquery) ? model.sampleSelectivity(plan.tableId, plan.columns, conjuncts) : null;
  return {
    key: plan.kind === 'scan' ? plan.tableId : 0x7fff,
    baseRows,
    rows,
    sample: sample ?? undefined,
    predicates: local.flatMap((e) => splitConjuncts(e)).map((e) => {
      const first = [...columnsUsed(e)][0] ?? -1;
      const column = first < 0 ? -1 : plan.kind === 'scan' ? plan.columns[first] ?? first : first;
      return { expr: e, column, selectivity: selectivity(e, info) };
    }),
  };
}

/** Column = column equalities between two relations (relation indexes and their attribute numbers). */
function equiColumnEdges(conj: Conjunct[], relations: JoinRelation[], offsets: number[], relationOf: (col: number) => number, stats: RelationStats[]) {
  const attr = (rel: number, col: number): number => {
    const p = relations[rel].plan;
    const k = col - offsets[rel];
    return p.kind === 'scan' ? p.columns[k] ?? k : k;
  };
  const out = [];
  for (const c of conj) {
    if (c.relations.size !== 2 || c.expr.kind !== 'call' || c.expr.fn !== 'eq') continue;
    const [x, y] = c.expr.args;
    if (x.kind !== 'column' || y.kind !== 'column') continue;
    const a = relationOf(x.index);
    const b = relationOf(y.index);
    const distinct = (rel: number, col: number) => stats[rel]?.columns[col - offsets[rel]]?.distinct;
    out.push({ a, b, columnA: attr(a, x.index), columnB: attr(b, y.index), distinctA: distinct(a, x.index), distinctB: distinct(b, y.index) });
  }
  return out;
}

function addFilter(plan: PlanNode, predicates: Expr[], rows: number): PlanNode {
  const predicate = andAll(predicates);
  if (predicate === null) return plan;
  if (plan.kind === 'scan' && !hasSubquery(predicate)) {
    const filter = plan.filter === null ? predicate : andAll([plan.filter, predicate]);
    return { ...plan, filter, estimatedRows: rows };
  }
  return { kind: 'filter', input: plan, predicate, output: plan.output, estimatedRows: rows };
}

function isEquiEdge(c: Conjunct): boolean {
  return c.expr.kind === 'call' && c.expr.fn === 'eq' && !hasSubquery(c.expr);
}

/** Joins acc with part; the smaller estimated side becomes the hash table (right input). */
function joinPair(acc: Partial, part: Partial, conj: Conjunct[], rows: number): Partial {
  const [probe, build] = part.rows < acc.rows ? [acc, part] : [part, acc];
  const relations = new Set([...acc.relations, ...part.relations]);
  const position = new Map<number, number>();
  const probeWidth = probe.plan.output.length;
  for (const [k, p] of probe.position) position.set(k, p);
  for (const [k, p] of build.position) position.set(k, p + probeWidth);
  const leftKeys: Expr[] = [];
  const rightKeys: Expr[] = [];
  const residual: Expr[] = [];
  for (const c of conj) {
    if (c.used || c.relations.size < 2 || ![...c.relations].every((r) => relations.has(r))) continue;
    c.used = true;
    if (isEquiEdge(c)) {
      const [a, b] = (c.expr as { args: Expr[] }).args;
      const sideOf = (e: Expr): 'probe' | 'build' | 'both' => {
        const cols = [...columnsUsed(e)];
        if (cols.every((k) => probe.position.has(k))) return 'probe';
        if (cols.every((k) => build.position.has(k))) return 'build';
        return 'both';
      };
      const sa = sideOf(a);
      const sb = sideOf(b);
      if (sa === 'probe' && sb === 'build') {
        leftKeys.push(remapColumns(a, (k) => probe.position.get(k)!));
        rightKeys.push(remapColumns(b, (k) => build.position.get(k)!));
        continue;
      }
      if (sa === 'build' && sb === 'probe') {
        leftKeys.push(remapColumns(b, (k) => probe.position.get(k)!));
        rightKeys.push(remapColumns(a, (k) => build.position.get(k)!));
        continue;
      }
    }
    residual.push(remapColumns(c.expr, (k) => position.get(k)!));
  }
  const output = joinOutput('inner', probe.plan.output, build.plan.output);
  const plan: PlanNode =
    leftKeys.length > 0
      ? { kind: 'hashjoin', joinType: 'inner', left: probe.plan, right: build.plan, leftKeys, rightKeys, residual: andAll(residual), output, estimatedRows: rows }
      : { kind: 'nljoin', joinType: 'inner', left: probe.plan, right: build.plan, condition: andAll(residual), output, estimatedRows: rows };
  return { plan, position, relations, rows };
}

/**
 * Plans an explicit outer (or inner) join with its ON condition over left ++ right columns:
 * equalities across the sides become hash keys; for LEFT joins predicates on the right side alone
 * are pushed into the right input (and symmetrically for RIGHT joins).
 */
export function planExplicitJoin(joinType: 'inner' | 'left' | 'right' | 'full', left: PlanNode, right: PlanNode, condition: Expr | null, lookup: StatsLookup = noStatistics): PlanNode {
  const leftWidth = left.output.length;
  const output = joinOutput(joinType, left.output, right.output);
  const conjuncts = condition === null ? [] : splitAnd(condition);
  const leftKeys: Expr[] = [];
  const rightKeys: Expr[] = [];
  const residual: Expr[] = [];
  const pushRight: Expr[] = [];
  const pushLeft: Expr[] = [];
  for (const c of conjuncts) {
    const cols = [...columnsUsed(c)];
    const onlyLeft = cols.length > 0 && cols.every((k) => k < leftWidth);
    const onlyRight = cols.length > 0 && cols.every((k) => k >= leftWidth);
    if (onlyRight && (joinType === 'left' || joinType === 'inner') && !hasSubquery(c)) {
      pushRight.push(remapColumns(c, (k) => k - leftWidth));
      continue;
    }
    if (onlyLeft && (joinType === 'right' || joinType === 'inner') && !hasSubquery(c)) {
      pushLeft.push(c);
      continue;
    }
    if (c.kind === 'call' && c.fn === 'eq' && !hasSubquery(c)) {
      const [a, b] = c.args;
      const ca = [...columnsUsed(a)];
      const cb = [...columnsUsed(b)];
      const aLeft = ca.length > 0 && ca.every((k) => k < leftWidth);
      const aRight = ca.length > 0 && ca.every((k) => k >= leftWidth);
      const bLeft = cb.length > 0 && cb.every((k) => k < leftWidth);
      const bRight = cb.length > 0 && cb.every((k) => k >= leftWidth);
      if (aLeft && bRight) {
        leftKeys.push(a);
        rightKeys.push(remapColumns(b, (k) => k - leftWidth));
        continue;
      }
      if (aRight && bLeft) {
        leftKeys.push(b);
        rightKeys.push(remapColumns(a, (k) => k - leftWidth));
        continue;
      }
    }
    residual.push(c);
  }
  const filteredRows = (plan: PlanNode, preds: Expr[]): number => {
    if (lookup === noStatistics) return plan.estimatedRows ?? 1000;
    const base = relationStats(plan, lookup);
    const p = andAll(preds);
    return Math.max(1, p === null ? base.rows : base.rows * selectivity(p, infoOf(base.columns)));
  };
  const l = addFilter(left, pushLeft, filteredRows(left, pushLeft));
  const r = addFilter(right, pushRight, filteredRows(right, pushRight));
  if (leftKeys.length > 0 && lookup !== noStatistics && joinType !== 'full') {
    // The hash table goes on the right input: when the left one is much smaller, swap the inputs
    // (LEFT ↔ RIGHT) and restore the column order above the join.
    const lr = relationStats(l, lookup).rows;
    const rr = relationStats(r, lookup).rows;
    if (2 * lr < rr) {
      const nl = leftWidth;
      const nr = right.output.length;
      const swapped = joinType === 'left' ? 'right' : joinType === 'right' ? 'left' : 'inner';
      const res = andAll(residual);
      const join: PlanNode = {
        kind: 'hashjoin',
        joinType: swapped,
        left: r,
        right: l,
        leftKeys: rightKeys,
        rightKeys: leftKeys,
        residual: res === null ? null : remapColumns(res, (k) => (k < nl ? k + nr : k - nl)),
        output: joinOutput(swapped, r.output, l.output),
      };
      const exprs: Expr[] = output.map((c, k) => ({ kind: 'column', index: k < nl ? nr + k : k - nl, type: c.type }));
      return { kind: 'project', input: join, exprs, output };
    }
  }
  if (leftKeys.length > 0)
    return { kind: 'hashjoin', joinType, left: l, right: r, leftKeys, rightKeys, residual: andAll(residual), output };
  return { kind: 'nljoin', joinType, left: l, right: r, condition: andAll(residual), output };
}

function splitAnd(e: Expr): Expr[] {
  if (e.kind === 'and') return e.args.flatMap(splitAnd);
  return [e];
}

/**
 * A semi/anti join of `left` with `right` on the keys: the hash table goes on the smaller side
 * (buildLeft when the rows to keep are fewer than the rows to look in).
 */
export function planSemiJoin(
  joinType: 'semi' | 'anti',
  left: PlanNode,
  right: PlanNode,
  leftKeys: Expr[],
  rightKeys: Expr[],
  residual: Expr | null,
  lookup: StatsLookup,
): PlanNode {
  const l = relationStats(left, lookup).rows;
  const r = relationStats(right, lookup).rows;
  const node: PlanNode = { kind: 'hashjoin', joinType, left, right, leftKeys, rightKeys, residual, output: left.output, ...(2 * l < r ? { buildLeft: true } : {}) };
  relationStats(node, lookup);
  return node;
}
