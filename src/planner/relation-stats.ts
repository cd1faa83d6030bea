// Estimated rows and per-column statistics of any plan's output, derived bottom-up from the tables'
// statistics: filters scale rows by their selectivity (and distinct counts with them), joins multiply
// by the key selectivity, aggregates produce about the product of their keys' distinct counts.
// `annotateEstimates` fills every node's estimatedRows for EXPLAIN.
import { Expr } from '../plan/expr';
import { PlanNode } from '../plan/plan';
import { ColumnStatistics, TableStatistics } from '../plan/statistics';
import { ColumnInfo, equiJoinSelectivity, scaleColumnStats, selectivity } from './cardinality';
import { foldConstant } from './fold-constant';

export interface RelationStats {
  rows: number;
  /** Per output column; null when unknown. */
  columns: (ColumnStatistics | null)[];
}

/** The table's statistics with its live row count (columns may be empty when never collected). */
export type StatsLookup = (tableId: number) => TableStatistics | null;

/** Rows assumed for a relation nothing is known about (PostgreSQL assumes 1000 too in places). */
const UNKNOWN_ROWS = 1000;
/** Groups per grouping column with no statistics (PostgreSQL's DEFAULT_NUM_DISTINCT). */
const DEFAULT_GROUPS = 200;

export function infoOf(columns: (ColumnStatistics | null)[]): ColumnInfo {
  return { stats: (i) => columns[i] ?? null };
}

/** The column an expression passes through unchanged (under casts), or -1. */
function passThrough(e: Expr): number {
  while (e.kind === 'cast') e = e.arg;
  return e.kind === 'column' ? e.index : -1;
}

function scaled(columns: (ColumnStatistics | null)[], from: number, to: number): (ColumnStatistics | null)[] {
  return columns.map((c) => scaleColumnStats(c, from, to));
}

/** Distinct combinations of `exprs` over a relation (capped by its rows). */
export function groupCount(exprs: Expr[], input: RelationStats): number {
  if (exprs.length === 0) return 1;
  let groups = 1;
  for (const e of exprs) {
    const k = passThrough(e);
    const s = k >= 0 ? input.columns[k] : null;
    groups *= s !== null ? Math.max(1, s.distinct) + (s.nullFraction > 0 ? 1 : 0) : DEFAULT_GROUPS;
    if (groups >= input.rows) break;
  }
  return Math.max(1, Math.min(input.rows, groups));
}

function limitValue(e: Expr | null): number | null {
  if (e === null) return null;
  const v = foldConstant(e);
  return typeof v === 'number' ? v : null;
}

/** Statistics of a plan's output; fills estimatedRows on nodes that have none. */
export function relationStats(plan: PlanNode, lookup: StatsLookup, memo = new Map<PlanNode, RelationStats>()): RelationStats {
  const known = memo.get(plan);
  if (known !== undefined) return known;
  const derived = derive(plan, lookup, memo);
  let s = derived;
  if (plan.estimatedRows !== undefined && plan.estimatedRows !== derived.rows) {
    // The join planner's estimate (from its join graph) stands; distinct counts follow it.
    s = { rows: plan.estimatedRows, columns: scaled(derived.columns, derived.rows, plan.estimatedRows) };
  }
  s.rows = Math.max(s.rows, plan.kind === 'aggregate' && plan.groupBy.length === 0 ? 1 : 0);
  if (plan.estimatedRows === undefined) plan.estimatedRows = s.rows;
  memo.set(plan, s);
  return s;
}

function derive(plan: PlanNode, lookup: StatsLookup, memo: Map<PlanNode, RelationStats>): RelationStats {
  const sub = (p: PlanNode) => relationStats(p, lookup, memo);
  switch (plan.kind) {
    case 'scan': {
      const t = lookup(plan.tableId);
      const total = t?.rowCount ?? plan.estimatedRows ?? UNKNOWN_ROWS;
      const columns = plan.columns.map((c) => t?.columns[c] ?? null);
      if (plan.withRowId) columns.push(null);
      if (plan.filter === null) return { rows: total, columns };
      const rows = Math.max(1, total * selectivity(plan.filter, infoOf(columns)));
      return { rows, columns: scaled(columns, total, rows) };
    }
    case 'values':
      return { rows: plan.rows.length, columns: plan.output.map(() => null) };
    case 'filter': {
      const input = sub(plan.input);
      const rows = Math.max(1, input.rows * selectivity(plan.predicate, infoOf(input.columns)));
      return { rows, columns: scaled(input.columns, input.rows, rows) };
    }
    case 'project': {
      const input = sub(plan.input);
      return { rows: input.rows, columns: plan.exprs.map((e) => (passThrough(e) >= 0 ? input.columns[passThrough(e)] : null)) };
    }
    case 'hashjoin':
    case 'nljoin': {
      const l = sub(plan.left);
      const r = sub(plan.right);
      const both = [...l.columns, ...r.columns];
      let sel = 1;
      if (plan.kind === 'hashjoin') {
        for (let i = 0; i < plan.leftKeys.length; i++) {
          const a = passThrough(plan.leftKeys[i]);
          const b = passThrough(plan.rightKeys[i]);
          sel *= equiJoinSelectivity(a >= 0 ? l.columns[a] : null, b >= 0 ? r.columns[b] : null);
        }
        // Composite keys are not independent: at least one match per row of the smaller side.
        if (plan.leftKeys.length > 1) sel = Math.max(sel, 1 / Math.max(l.rows, r.rows));
      }
      const residual = plan.kind === 'hashjoin' ? plan.residual : plan.condition;
      if (residual !== null) sel *= selectivity(residual, infoOf(both));
      const inner = Math.max(1, l.rows * r.rows * sel);
      switch (plan.joinType) {
        case 'semi':
        case 'anti': {
          // Fraction of left rows with a partner: how many of the left keys the right side covers.
          let matchFraction = 0.5;
          if (plan.kind === 'hashjoin' && plan.leftKeys.length === 1) {
            const a = passThrough(plan.leftKeys[0]);
            const b = passThrough(plan.rightKeys[0]);
            const la = a >= 0 ? l.columns[a] : null;
            const rb = b >= 0 ? r.columns[b] : null;
            if (la !== null && rb !== null) matchFraction = Math.min(1, rb.distinct / Math.max(1, la.distinct));
          }
          matchFraction = Math.min(0.9, Math.max(0.1, matchFraction));
          const rows = Math.max(1, l.rows * (plan.joinType === 'semi' ? matchFraction : 1 - matchFraction));
          return { rows, columns: scaled(l.columns, l.rows, rows) };
        }
        case 'left':
          return { rows: Math.max(inner, l.rows), columns: both };
        case 'right':
          return { rows: Math.max(inner, r.rows), columns: both };
        case 'full':
          return { rows: Math.max(inner, l.rows + r.rows), columns: both };
        default:
          return { rows: inner, columns: both.map((c) => (c === null ? null : { ...c, distinct: Math.min(c.distinct, inner) })) };
      }
    }
    case 'aggregate': {
      const input = sub(plan.input);
      const rows = groupCount(plan.groupBy, input);
      const keys = plan.groupBy.map((e) => {
        const k = passThrough(e);
        const c = k >= 0 ? input.columns[k] : null;
        return c === null ? null : { ...c, distinct: Math.min(c.distinct, rows) };
      });
      return { rows, columns: [...keys, ...plan.aggregates.map(() => null)] };
    }
    case 'sort': {
      const input = sub(plan.input);
      return plan.limit !== null ? { rows: Math.min(input.rows, plan.limit), columns: input.columns } : input;
    }
    case 'limit': {
      const input = sub(plan.input);
      const n = limitValue(plan.limit);
      const off = limitValue(plan.offset) ?? 0;
      return { rows: n === null ? Math.max(0, input.rows - off) : Math.min(n, Math.max(0, input.rows - off)), columns: input.columns };
    }
    case 'distinct': {
      const input = sub(plan.input);
      const exprs = plan.on ?? plan.output.map((c, i): Expr => ({ kind: 'column', index: i, type: c.type }));
      return { rows: groupCount(exprs, input), columns: input.columns };
    }
    case 'setop': {
      const l = sub(plan.left);
      const r = sub(plan.right);
      const rows = plan.op === 'union' ? l.rows + r.rows : plan.op === 'intersect' ? Math.min(l.rows, r.rows) : l.rows;
      return { rows, columns: plan.output.map(() => null) };
    }
    case 'with':
      for (const c of plan.ctes) sub(c.plan);
      return sub(plan.input);
    case 'ctescan':
      return { rows: plan.estimatedRows ?? UNKNOWN_ROWS, columns: plan.output.map(() => null) };
    case 'window': {
      const input = sub(plan.input);
      return { rows: input.rows, columns: [...input.columns, ...plan.calls.map(() => null)] };
    }
    case 'recursiveunion': {
      sub(plan.initial);
      sub(plan.recursive);
      return { rows: plan.estimatedRows ?? UNKNOWN_ROWS, columns: plan.output.map(() => null) };
    }
    case 'functionscan':
      return { rows: plan.estimatedRows ?? UNKNOWN_ROWS, columns: plan.output.map(() => null) };
    default:
      // Plan kinds without a model of their own: no statistics, the binder's estimate or a guess.
      return { rows: (plan as PlanNode).estimatedRows ?? UNKNOWN_ROWS, columns: (plan as PlanNode).output.map(() => null) };
  }
}

/** Fills estimatedRows on every node of the plan (for EXPLAIN). */
export function annotateEstimates(plan: PlanNode, lookup: StatsLookup): void {
  relationStats(plan, lookup);
}
