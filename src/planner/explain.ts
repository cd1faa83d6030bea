// EXPLAIN: the plan tree as indented text lines, in the spirit of PostgreSQL's output
// ("->  Hash Join  (rows=…)"), with estimated rows and, for EXPLAIN ANALYZE, actual rows and time.
import { Expr } from '../plan/expr';
import { PlanNode } from '../plan/plan';
import { exprKey } from './expr-utils';

export interface ActualStats {
  rows: number;
  timeMs: number;
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
      return [`Hash Cond: (${cond})`, ...(node.residual !== null ? [`Join Filter: ${exprText(node.residual)}`] : [])];
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

function children(node: PlanNode): PlanNode[] {
  switch (node.kind) {
    case 'filter':
    case 'project':
    case 'aggregate':
    case 'sort':
    case 'limit':
    case 'distinct':
    case 'window':
      return [node.input];
    case 'recursiveunion':
      return [node.initial, node.recursive];
    case 'hashjoin':
    case 'nljoin':
    case 'setop':
      return [node.left, node.right];
    case 'with':
      return [...node.ctes.map((c) => c.plan), node.input];
    default:
      return [];
  }
}

/** The plan as lines; `actual` (when given, for EXPLAIN ANALYZE) maps nodes to their measured stats. */
export function explainLines(plan: PlanNode, actual?: Map<PlanNode, ActualStats>): string[] {
  const lines: string[] = [];
  const walk = (node: PlanNode, depth: number) => {
    const indent = depth === 0 ? '' : ' '.repeat(depth * 6 - 6) + '  ->  ';
    const est = node.estimatedRows !== undefined ? `rows=${Math.round(node.estimatedRows)}` : 'rows=?';
    const stats = actual?.get(node);
    const act = stats !== undefined ? ` (actual rows=${stats.rows} time=${stats.timeMs.toFixed(3)} ms)` : '';
    lines.push(`${indent}${nodeTitle(node)}  (${est})${act}`);
    const pad = ' '.repeat(depth === 0 ? 2 : depth * 6);
    for (const d of details(node)) lines.push(pad + d);
    for (const c of children(node)) walk(c, depth + 1);
  };
  walk(plan, 0);
  return lines;
}
