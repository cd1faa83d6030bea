// Plan trees: plain serializable data (no closures), so they can be explained, cached for prepared
// statements, costed, and shipped to another node. The binder builds them, the planner rewrites
// them and picks physical operators, the executor runs them.
import { DataType } from '../types/data-type';
import { Expr } from './expr';
import { Scalar } from '../types/vector';

export interface OutputColumn {
  name: string;
  type: DataType;
  /** For RowDescription: the source table's OID and attribute number, or 0 when computed. */
  tableOid?: number;
  columnAttr?: number;
}

interface NodeBase {
  output: OutputColumn[];
  /** Planner's estimate of output rows (filled by the planner; the executor counts actuals). */
  estimatedRows?: number;
  /** The learned optimizer's view of this subplan (join planner's scans and joins), when it is enabled. */
  ml?: MlEstimate;
  /** The top join of a join problem whose learned order differs from the classic one: which ran (plan feedback). */
  mlChoice?: MlPlanChoice;
}

/** A join problem (by signature) and whether its learned order (or the classic one) was planned. */
export interface MlPlanChoice {
  signature: string;
  learned: boolean;
}

/** Features of a subplan for the learned cardinality model, its classic estimate and the model's (if any). */
export interface MlEstimate {
  features: Float64Array;
  classicRows: number;
  learnedRows: number | null;
}

/**
 * Reads columns `columns` (attribute indexes, 0-based) of a table's snapshot, skipping deleted rows.
 * With `withRowId`, one extra int8 column is appended holding each row's RowId (for UPDATE/DELETE).
 * `filter` (over the output columns) may be evaluated inside the scan.
 */
export interface ScanNode extends NodeBase {
  kind: 'scan';
  tableId: number;
  tableName: string;
  columns: number[];
  withRowId: boolean;
  filter: Expr | null;
  /**
   * Index Scan: read only the rows an index (CREATE INDEX, first column) finds for these bounds
   * (row-independent expressions: constants, parameters); `filter` still applies to every row read.
   * When the storage cannot use the index for the snapshot, the scan reads the whole table.
   */
  index?: IndexScanSpec;
}

export interface IndexScanSpec {
  indexId: number;
  indexName: string;
  /** Position in `columns`/output of the indexed column. */
  outputColumn: number;
  low: Expr | null;
  lowInclusive: boolean;
  high: Expr | null;
  highInclusive: boolean;
}
/** Literal rows (VALUES, or a SELECT with no FROM: one row of zero columns then a Project). */
export interface ValuesNode extends NodeBase {
  kind: 'values';
  rows: Expr[][];
  /**
   * unnest(array) in FROM: when set (and `rows` is empty), one row per element of this expression's
   * value, an array in its text form ({a,b}; Tessera has no array values), evaluated when the node
   * starts (so it may read outer values), converted from text to the one output column's type.
   */
  arrayElements?: Expr;
  /** Rows given as plain values of the output columns' types (system catalogs: many rows, no expressions); `rows` is then empty. */
  scalarRows?: Scalar[][];
}
export interface FilterNode extends NodeBase {
  kind: 'filter';
  input: PlanNode;
  predicate: Expr;
}
export interface ProjectNode extends NodeBase {
  kind: 'project';
  input: PlanNode;
  exprs: Expr[];
}

export type JoinType = 'inner' | 'left' | 'right' | 'full' | 'semi' | 'anti';

/**
 * Equi-join: builds a hash table on `right` keyed by `rightKeys`, probes with `left`'s `leftKeys`
 * (key pairs have the same type; NULL keys never match). `residual` is evaluated over left ++ right
 * columns for candidate pairs. Output: left columns then right columns (semi/anti: left only).
 */
export interface HashJoinNode extends NodeBase {
  kind: 'hashjoin';
  joinType: JoinType;
  left: PlanNode;
  right: PlanNode;
  leftKeys: Expr[];
  rightKeys: Expr[];
  residual: Expr | null;
  /** Semi/anti only: build the hash table on `left` (the output rows) and probe with `right`. */
  buildLeft?: boolean;
  /**
   * In a cluster (planner/join-distribution.ts): how a parallel fragment spreads this join over the
   * nodes — every node builds the whole build side (broadcast), or both sides are hash-partitioned
   * by key over the nodes (shuffle). Absent: no cluster, or a join too small to matter.
   */
  distribution?: 'broadcast' | 'shuffle';
}
/** Any join condition (or none: cross join). Output as HashJoinNode's. */
export interface NestedLoopJoinNode extends NodeBase {
  kind: 'nljoin';
  joinType: JoinType;
  left: PlanNode;
  right: PlanNode;
  condition: Expr | null;
}

export type AggregateFn =
  | 'count_star' // count(*) → int8
  | 'count' // count(x) → int8, non-NULL values
  | 'sum' // int2/int4 → int8, int8 → numeric, numeric → numeric, float → float8
  | 'avg' // integers/numeric → numeric (PostgreSQL's division scale), float → float8
  | 'min'
  | 'max'
  | 'bool_and'
  | 'bool_or'
  | 'string_agg' // (text, text delimiter const) → text
  | 'array_agg' // (x; bool as is, other types cast to text by the binder) → the array's text form '{a,b}' (arrays are kept as text)
  | 'stddev_samp'
  | 'var_samp';

export interface AggregateCall {
  fn: AggregateFn;
  args: Expr[];
  distinct: boolean;
  /** FILTER (WHERE …) over the input columns, or null. */
  filter: Expr | null;
  type: DataType;
  /** ORDER BY inside the call (string_agg(x, ',' ORDER BY y)): rows reach the aggregate in this order. */
  orderBy?: SortKey[];
}
/**
 * Groups by `groupBy` (NULLs group together) and computes `aggregates` per group.
 * Output: the group-by values, then one column per aggregate. With no groupBy, exactly one row
 * even on empty input (count = 0, others NULL).
 */
export interface AggregateNode extends NodeBase {
  kind: 'aggregate';
  input: PlanNode;
  groupBy: Expr[];
  aggregates: AggregateCall[];
}

export interface SortKey {
  expr: Expr;
  descending: boolean;
  nullsFirst: boolean;
}
/** Sorts by the keys; when `limit` is set only the first `limit` rows are needed (top-N). Output = input columns. */
export interface SortNode extends NodeBase {
  kind: 'sort';
  input: PlanNode;
  keys: SortKey[];
  limit: number | null;
}
/** LIMIT/OFFSET: expressions are constants or parameters (NULL limit = no limit). */
export interface LimitNode extends NodeBase {
  kind: 'limit';
  input: PlanNode;
  limit: Expr | null;
  offset: Expr | null;
}
/** Removes duplicate rows (NULLs equal each other), or with `on`, keeps the first row per ON key. */
export interface DistinctNode extends NodeBase {
  kind: 'distinct';
  input: PlanNode;
  on: Expr[] | null;
}
/** UNION / INTERSECT / EXCEPT [ALL]; both inputs have the output's column types. */
export interface SetOpNode extends NodeBase {
  kind: 'setop';
  op: 'union' | 'intersect' | 'except';
  all: boolean;
  left: PlanNode;
  right: PlanNode;
}
/** Runs each CTE's plan once (materialized) before `input`; CteScanNode reads them. */
export interface WithNode extends NodeBase {
  kind: 'with';
  ctes: { id: number; plan: PlanNode }[];
  input: PlanNode;
}
export interface CteScanNode extends NodeBase {
  kind: 'ctescan';
  cteId: number;
}

/** Window function ids; 'aggregate' runs `aggregate` (sum, count, …) over the frame. */
export type WindowFn =
  | 'row_number' | 'rank' | 'dense_rank' | 'percent_rank' | 'cume_dist' | 'ntile'
  | 'lag' | 'lead' | 'first_value' | 'last_value' | 'nth_value'
  | 'aggregate';

/** One end of a window frame; `offset` (a constant or parameter) for the n PRECEDING/FOLLOWING kinds. */
export interface FrameBound {
  kind: 'unbounded_preceding' | 'preceding' | 'current_row' | 'following' | 'unbounded_following';
  offset: Expr | null;
}
/** ROWS counts rows; GROUPS peer groups; RANGE compares the (single, numeric) ORDER BY key, or peers for CURRENT ROW. */
export interface WindowFrame {
  mode: 'rows' | 'range' | 'groups';
  start: FrameBound;
  end: FrameBound;
  /** EXCLUDE CURRENT ROW / GROUP (the row's peers) / TIES (its peers but itself) / NO OTHERS. */
  exclude: 'no_others' | 'current_row' | 'group' | 'ties';
}
export interface WindowCall {
  fn: WindowFn;
  /** For fn = 'aggregate': which aggregate (count_star, count, sum, avg, min, max, bool_and, bool_or). */
  aggregate: AggregateFn | null;
  /** Arguments over the input row (lag/lead: value, offset, default — already coerced). */
  args: Expr[];
  filter: Expr | null;
  partitionBy: Expr[];
  orderBy: SortKey[];
  frame: WindowFrame;
  type: DataType;
}
/**
 * Window functions: materializes the input, sorts it by each window's partition and order keys,
 * and computes every call per partition. Output: the input columns, then one column per call,
 * in the sort order of the last window (as PostgreSQL's stacked WindowAgg nodes).
 */
export interface WindowNode extends NodeBase {
  kind: 'window';
  input: PlanNode;
  calls: WindowCall[];
}
/**
 * WITH RECURSIVE's union: runs `initial`, then repeatedly `recursive` — whose WorkTableScan of
 * `cteId` reads the rows the previous round produced — until a round adds nothing. UNION (not ALL)
 * drops rows seen before. Output = all rows produced.
 */
export interface RecursiveUnionNode extends NodeBase {
  kind: 'recursiveunion';
  cteId: number;
  all: boolean;
  initial: PlanNode;
  recursive: PlanNode;
}
/** A set-returning function in FROM: generate_series over numbers or timestamps (args: start, stop[, step]). */
export interface FunctionScanNode extends NodeBase {
  kind: 'functionscan';
  fn: 'generate_series';
  args: Expr[];
  /** WITH ORDINALITY: a second int8 column numbering the rows from 1. */
  ordinality: boolean;
}

/**
 * Set-returning functions in the select list (PostgreSQL's ProjectSet): each input row is repeated
 * as often as the longest of its series (generate_series with `calls[j]` as arguments, evaluated on
 * that row); shorter series are padded with NULLs. Output: input columns, then one column per call.
 */
export interface ProjectSetNode extends NodeBase {
  kind: 'projectset';
  input: PlanNode;
  calls: Expr[][];
}

export type PlanNode =
  | ProjectSetNode
  | WindowNode
  | RecursiveUnionNode
  | FunctionScanNode
  | ScanNode
  | ValuesNode
  | FilterNode
  | ProjectNode
  | HashJoinNode
  | NestedLoopJoinNode
  | AggregateNode
  | SortNode
  | LimitNode
  | DistinctNode
  | SetOpNode
  | WithNode
  | CteScanNode;

/** Column index helpers shared by planner and executor. */
export function joinOutput(joinType: JoinType, left: OutputColumn[], right: OutputColumn[]): OutputColumn[] {
  return joinType === 'semi' || joinType === 'anti' ? left.slice() : left.concat(right);
}

/**
 * The fields holding each kind's input plans, in order; kinds not listed have none. One table for
 * reading the inputs (planChildren) and rebuilding a node with new ones (withChildren). A `with`
 * node's CTE plans come before its `input`.
 */
const INPUT_FIELDS: Partial<Record<PlanNode['kind'], readonly string[]>> = {
  filter: ['input'],
  project: ['input'],
  aggregate: ['input'],
  sort: ['input'],
  limit: ['input'],
  distinct: ['input'],
  window: ['input'],
  projectset: ['input'],
  with: ['input'],
  hashjoin: ['left', 'right'],
  nljoin: ['left', 'right'],
  setop: ['left', 'right'],
  recursiveunion: ['initial', 'recursive'],
};

/** A node's input plans (subquery plans inside its expressions excluded). */
export function planChildren(n: PlanNode): PlanNode[] {
  const fields = INPUT_FIELDS[n.kind] ?? [];
  const own = fields.map((f) => (n as unknown as Record<string, PlanNode>)[f]);
  return n.kind === 'with' ? [...n.ctes.map((c) => c.plan), ...own] : own;
}

/**
 * `n` with its inputs replaced by `children` (in planChildren's order); `n` itself when every
 * child is the same object (so callers that rebuild a path copy only the nodes that changed).
 */
export function withChildren(n: PlanNode, children: PlanNode[]): PlanNode {
  const old = planChildren(n);
  if (old.length !== children.length) throw new Error(`withChildren: ${n.kind} has ${old.length} inputs, got ${children.length}`);
  if (old.every((c, i) => c === children[i])) return n;
  const copy: Record<string, unknown> = { ...n };
  let i = 0;
  if (n.kind === 'with') copy.ctes = n.ctes.map((c) => ({ ...c, plan: children[i++] }));
  for (const f of INPUT_FIELDS[n.kind] ?? []) copy[f] = children[i++];
  return copy as unknown as PlanNode;
}
