// EXPLAIN: the plan tree as indented text lines, in the spirit of PostgreSQL's output
// ("->  Hash Join  (rows=…)"), with estimated rows and, for EXPLAIN ANALYZE, actual rows and time.
import { Expr } from '../plan/expr';
import { PlanNode, planChildren } from '../plan/plan';
import { exprKey } from './expr-utils';
import { ParallelStats } from '../exec/expr/compiled';

/** What EXPLAIN ANALYZE reports per node: totals over every run (loop) of the node. */
export interface ActualStats {
  rows: number;
  loops: number;
  /** Time to the first row, summed over runs. */
  startupMs?: number;
  /** Time inside the node (its inputs included), summed over runs. */
  elapsedMs: number;
  /** Scans: chunks found in the buffer pool, and chunks read from storage (summed over runs). */
  bufferHits?: number;
  bufferReads?: number;
  /** Of the hits, chunks the prefetcher had read ahead. */
  prefetchHits?: number;
  /** Rows a hash aggregation wrote to disk (its groups exceeded work_mem). */
  spilledRows?: number;
  /** Work done by parallel workers: a partial aggregate, a filtered scan's morsels, a join's build partitions. */
  parallel?: ParallelStats;
}

/**
 * PostgreSQL's "Workers Planned/Launched" and per-worker lines for a node whose work parallel
 * workers shared; the main thread's share, where it had one, as "Leader". Rows per participant:
 * a scan's kept rows, an aggregate's partial groups, a build's rows in the partitions it built.
 */
function parallelLines(p: ParallelStats | undefined, timing: boolean): string[] {
  if (p === undefined) return [];
  const unit = p.kind === 'build' ? 'partitions' : 'morsels';
  const share = (x: ParallelStats['participants'][number]) =>
    `${x.worker === null ? 'Leader' : `Worker ${x.worker}`}:  ${unit}=${x.units} rows=${x.rows}${timing && x.ms !== undefined ? ` time=${ms(x.ms)}` : ''}`;
  const head = p.kind === 'build' ? 'Parallel Build: ' : '';
  return [`${head}Workers Planned: ${p.planned}`, `${head}Workers Launched: ${p.launched}`, ...p.participants.map(share)];
}

/** PostgreSQL's "Buffers: shared hit=… read=…" for a node that read chunks (nothing when it read none). */
function buffersLine(st: ActualStats | undefined): string | null {
  if (st === undefined) return null;
  const hit = st.bufferHits ?? 0;
  const read = st.bufferReads ?? 0;
  if (hit === 0 && read === 0) return null;
  const parts = [...(hit > 0 ? [`hit=${hit}`] : []), ...(read > 0 ? [`read=${read}`] : [])];
  const ahead = st.prefetchHits ?? 0;
  return `Buffers: shared ${parts.join(' ')}${ahead > 0 ? ` (prefetched=${ahead})` : ''}`;
}

function nodeTitle(node: PlanNode): string {
  switch (node.kind) {
    case 'scan':
      return node.index !== undefined ? `Index Scan using ${node.index.indexName} on ${node.tableName}` : `Seq Scan on ${node.tableName}`;
    case 'values':
      return 'Values Scan';
    case 'filter':
      return 'Filter';
    case 'project':
      return 'Project';
    case 'hashjoin':
      return `Hash ${node.buildLeft === true ? 'Right ' : ''}${joinWord(node.joinType)}`;
    case 'nljoin':
      return `Nested Loop ${joinWord(node.joinType)}`.trim();
    case 'aggregate':
      return node.groupBy.length > 0 ? 'HashAggregate' : 'Aggregate';
    case 'sort':
      return node.limit !== null ? `Top-N Sort (limit ${node.limit})` : 'Sort';
    case 'limit':
      return 'Limit';
    case 'distinct':
      return node.on !== null ? 'Unique On' : 'HashAggregate (distinct)';
    case 'setop':
      return node.op === 'union' ? (node.all ? 'Append' : 'HashSetOp Union') : `HashSetOp ${node.op === 'intersect' ? 'Intersect' : 'Except'}${node.all ? ' All' : ''}`;
    case 'with':
      return 'CTE Materialize';
    case 'ctescan':
      return `CTE Scan (cte ${node.cteId})`;
    case 'window':
      return 'WindowAgg';
    case 'recursiveunion':
      return 'Recursive Union';
    case 'functionscan':
      return `Function Scan on ${node.fn}`;
    case 'projectset':
      return 'ProjectSet';
  }
}

function joinWord(t: string): string {
  switch (t) {
    case 'inner':
      return 'Join';
    case 'left':
      return 'Left Join';
    case 'right':
      return 'Right Join';
    case 'full':
      return 'Full Join';
    case 'semi':
      return 'Semi Join';
    case 'anti':
      return 'Anti Join';
  }
  return 'Join';
}

/** A compact rendering of an expression for plan details (column references as $n). */
export function exprText(e: Expr): string {
  switch (e.kind) {
    case 'column':
      return `#${e.index}`;
    case 'const':
      return e.value === null ? 'NULL' : typeof e.value === 'object' ? exprKey(e.value) : JSON.stringify(e.value);
    case 'param':
      return `$${e.index + 1}`;
    case 'outer':
      return `outer.${e.slot}`;
    case 'call':
      return `${e.fn}(${e.args.map(exprText).join(', ')})`;
    case 'cast':
      return `${exprText(e.arg)}::${e.type.name}`;
    case 'and':
    case 'or':
      return `(${e.args.map(exprText).join(` ${e.kind.toUpperCase()} `)})`;
    case 'not':
      return `NOT ${exprText(e.arg)}`;
    case 'isnull':
      return `${exprText(e.arg)} IS ${e.negated ? 'NOT ' : ''}NULL`;
    case 'booltest':
      return `${exprText(e.arg)} IS ${e.negated ? 'NOT ' : ''}${e.test.toUpperCase()}`;
    case 'inlist':
      return `${exprText(e.arg)} ${e.negated ? 'NOT ' : ''}IN (${e.list.map(exprText).join(', ')})`;
    case 'case':
      return `CASE ${e.whens.map((w) => `WHEN ${exprText(w.when)} THEN ${exprText(w.then)}`).join(' ')}${e.else ? ` ELSE ${exprText(e.else)}` : ''} END`;
    case 'coalesce':
      return `COALESCE(${e.args.map(exprText).join(', ')})`;
    case 'subquery':
      return `(SubPlan ${e.mode}${e.args.length > 0 ? ' correlated' : ''})`;
  }
}

function details(node: PlanNode): string[] {
  switch (node.kind) {
    case 'scan': {
      const ix = node.index;
      const cond: string[] = [];
      if (ix !== undefined) {
        const col = `#${ix.outputColumn}`;
        if (ix.low !== null && ix.low === ix.high) cond.push(`${col} = ${exprText(ix.low)}`);
        else {
          if (ix.low !== null) cond.push(`${col} ${ix.lowInclusive ? '>=' : '>'} ${exprText(ix.low)}`);
          if (ix.high !== null) cond.push(`${col} ${ix.highInclusive ? '<=' : '<'} ${exprText(ix.high)}`);
        }
      }
      return [...(cond.length > 0 ? [`Index Cond: (${cond.join(' AND ')})`] : []), ...(node.filter !== null ? [`Filter: ${exprText(node.filter)}`] : [])];
    }
    case 'filter':
      return [`Filter: ${exprText(node.predicate)}`];
    case 'hashjoin': {
      const cond = node.leftKeys.map((k, i) => `${exprText(k)} = ${exprText(node.rightKeys[i])}`).join(' AND ');
      return [
        `Hash Cond: (${cond})`,
        ...(node.residual !== null ? [`Join Filter: ${exprText(node.residual)}`] : []),
        // In a cluster: how a parallel fragment spreads the join over the nodes (join-distribution.ts).
        ...(node.distribution !== undefined ? [`Distribution: ${node.distribution}`] : []),
      ];
    }
    case 'nljoin':
      return node.condition !== null ? [`Join Filter: ${exprText(node.condition)}`] : [];
    case 'aggregate':
      return node.groupBy.length > 0 ? [`Group Key: ${node.groupBy.map(exprText).join(', ')}`] : [];
    case 'sort':
      return [`Sort Key: ${node.keys.map((k) => `${exprText(k.expr)}${k.descending ? ' DESC' : ''}`).join(', ')}`];
    default:
      return [];
  }
}

const children = planChildren;

/** Subquery plans inside a node's own expressions (not its inputs), in the order they appear. */
function subPlans(node: PlanNode): PlanNode[] {
  const out: PlanNode[] = [];
  const skip = new Set(['input', 'left', 'right', 'initial', 'recursive', 'ctes', 'output']);
  const visit = (x: any): void => {
    if (Array.isArray(x)) return x.forEach(visit);
    if (x === null || typeof x !== 'object') return;
    if (x.kind === 'subquery') {
      out.push(x.plan);
      x.args.forEach(visit);
      if (x.test !== null) visit(x.test);
      return;
    }
    for (const k of Object.keys(x)) visit(x[k]);
  };
  for (const k of Object.keys(node)) if (!skip.has(k)) visit((node as any)[k]);
  return out;
}

/** The planner's row estimate, or one derived for display from the node's input (undefined when unknown). */
function estimate(node: PlanNode): number | undefined {
  if (node.estimatedRows !== undefined) return node.estimatedRows;
  switch (node.kind) {
    case 'project':
    case 'sort':
    case 'window':
    case 'distinct':
    case 'filter':
      return estimate(node.input);
    case 'with':
      return estimate(node.input);
    case 'values':
      return node.rows.length;
    case 'aggregate':
      return node.groupBy.length === 0 ? 1 : undefined;
    case 'limit': {
      const inner = estimate(node.input);
      const limit = node.limit?.kind === 'const' && typeof node.limit.value === 'number' ? node.limit.value : undefined;
      return limit === undefined ? inner : inner === undefined ? limit : Math.min(limit, inner);
    }
    default:
      return undefined;
  }
}

function ms(x: number): string {
  return x.toFixed(3);
}

/**
 * The plan as lines, in PostgreSQL's layout ("->  " children, details indented under their node).
 * With `actual` (EXPLAIN ANALYZE), each node also shows
 * "(actual time=startup..total rows=r loops=n)" — per-loop averages as PostgreSQL prints them —
 * or "(never executed)". COSTS OFF drops the estimates, TIMING OFF the times; BUFFERS (on by default
 * with ANALYZE, as in PostgreSQL 18) adds each scan's buffer-pool hits and reads.
 */
export function explainLines(plan: PlanNode, actual?: Map<PlanNode, ActualStats>, options: { costs: boolean; timing: boolean; buffers?: boolean } = { costs: true, timing: true }): string[] {
  const lines: string[] = [];
  let subPlanNo = 0;
  const walk = (node: PlanNode, depth: number, label: string | null) => {
    const pad = ' '.repeat(depth === 0 ? 0 : depth * 6 - 6);
    if (label !== null) lines.push(`${' '.repeat(Math.max(0, depth * 6 - 4))}${label}`);
    const indent = depth === 0 ? '' : pad + '  ->  ';
    const e = estimate(node);
    // With the learned optimizer enabled, join-planned nodes show its estimate beside the classic one.
    const ml = node.ml === undefined ? '' : ` ml_rows=${node.ml.learnedRows === null ? '?' : Math.round(node.ml.learnedRows)}`;
    const est = !options.costs ? '' : e !== undefined ? `  (rows=${Math.round(e)}${ml})` : '  (rows=?)';
    let act = '';
    if (actual !== undefined) {
      const st = actual.get(node);
      if (st === undefined || st.loops === 0) act = ' (never executed)';
      else {
        const loops = st.loops;
        const time = options.timing ? `time=${ms((st.startupMs ?? st.elapsedMs) / loops)}..${ms(st.elapsedMs / loops)} ` : '';
        act = ` (actual ${time}rows=${Math.round(st.rows / loops)} loops=${loops})`;
      }
    }
    const par = actual?.get(node)?.parallel;
    const prefix = par?.kind === 'aggregate' ? 'Finalize ' : par?.kind === 'scan' ? 'Parallel ' : '';
    lines.push(`${indent}${prefix}${nodeTitle(node)}${est}${act}`);
    const detailPad = ' '.repeat(depth === 0 ? 2 : depth * 6);
    for (const d of details(node)) lines.push(detailPad + d);
    for (const d of parallelLines(par, options.timing)) lines.push(detailPad + d);
    const spilled = actual?.get(node)?.spilledRows ?? 0;
    if (spilled > 0) lines.push(`${detailPad}Disk: ${spilled} rows spilled over work_mem`);
    if (actual !== undefined && options.buffers === true) {
      const b = buffersLine(actual.get(node));
      if (b !== null) lines.push(detailPad + b);
    }
    for (const sp of subPlans(node)) walk(sp, depth + 1, `SubPlan ${++subPlanNo}`);
    for (const c of children(node)) walk(c, depth + 1, null);
  };
  walk(plan, 0, null);
  return lines;
}
