// SELECT … FOR UPDATE / FOR NO KEY UPDATE / FOR SHARE / FOR KEY SHARE [OF t] [NOWAIT | SKIP LOCKED]
// over one table (over joins: bind-locking-join.ts): the rows the query would return are found
// (WHERE, then ORDER BY), row-locked by the engine (engine/locking-select.ts) until the
// transaction ends, and only then cut to
// LIMIT/OFFSET and projected, so that SKIP LOCKED counts the rows it could lock, as PostgreSQL's
// LockRows node sits below its Limit. The checks and their messages are PostgreSQL's
// (CheckSelectLocking in parser/analyze.c).
import { Expr } from '../plan/expr';
import { PlanNode, SortKey } from '../plan/plan';
import { Types } from '../types/data-type';
import { SqlError, SqlState, notSupported } from '../types/sql-error';
import { columnsUsed } from '../planner/expr-utils';
import { BindContext, QueryLevel } from './bind-context';
import { ExprScope, bindExpr } from './bind-expr';
import { bindReturning, findTableOrThrow, scanForUpdate } from './bind-dml';
import { bindTopQuery, outputIndex, sortKey } from './bind-query';
import { BoundStatement, Returning } from './bound-statement';
import { coerce } from './coerce';
import { bindLockingJoin } from './bind-locking-join';

const STRENGTHS: Record<string, string> = {
  LCS_FORUPDATE: 'FOR UPDATE',
  LCS_FORNOKEYUPDATE: 'FOR NO KEY UPDATE',
  LCS_FORSHARE: 'FOR SHARE',
  LCS_FORKEYSHARE: 'FOR KEY SHARE',
};

/** The strengths whose row locks several transactions hold together (PostgreSQL's FOR KEY SHARE conflicts with less still: taken as FOR SHARE here). */
export const SHARED = new Set(['LCS_FORSHARE', 'LCS_FORKEYSHARE']);

function pos(node: any): number | undefined {
  return typeof node?.location === 'number' && node.location >= 0 ? node.location + 1 : undefined;
}

/** A top-level SelectStmt with a locking clause. */
export function bindLockingSelect(ast: any, ctx: BindContext): Extract<BoundStatement, { kind: 'lockingSelect' | 'query' }> {
  const stmt = ast.SelectStmt;
  const clauses: any[] = stmt.lockingClause.map((c: any) => c.LockingClause);
  const lockName = STRENGTHS[clauses[0].strength] ?? 'FOR UPDATE';
  const refused = (what: string): SqlError => new SqlError(SqlState.featureNotSupported, `${lockName} is not allowed with ${what}`);
  if (stmt.op !== undefined && stmt.op !== 'SETOP_NONE') throw refused('UNION/INTERSECT/EXCEPT');
  if (stmt.valuesLists !== undefined) throw new SqlError(SqlState.featureNotSupported, `${lockName} cannot be applied to VALUES`);
  if (stmt.distinctClause !== undefined) throw refused('DISTINCT clause');
  if (stmt.groupClause !== undefined) throw refused('GROUP BY clause');
  if (stmt.havingClause !== undefined) throw refused('HAVING clause');
  // The query as a plain SELECT first: every other error is the one that SELECT would raise.
  const plain = bindTopQuery({ SelectStmt: { ...stmt, lockingClause: undefined } }, ctx);
  if (containsNode(plain, 'aggregate')) throw refused('aggregate functions');
  if (containsNode(plain, 'window')) throw refused('window functions');
  if (containsNode(plain, 'projectset')) throw refused('set-returning functions in the target list');

  const from: any[] = stmt.fromClause ?? [];
  // No table (SELECT 1 FOR UPDATE): nothing to lock, as in PostgreSQL.
  if (from.length === 0) return { kind: 'query', plan: plain };
  // The strictest wait policy of the clauses, as PostgreSQL combines them.
  const policies = clauses.map((c) => c.waitPolicy);
  const waitPolicy = policies.includes('LockWaitError') ? 'error' : policies.includes('LockWaitSkip') ? 'skip' : 'block';
  if (from.length > 1 || from[0].JoinExpr !== undefined) return bindLockingJoin(stmt, clauses, ctx, lockName, waitPolicy, SHARED, rowCountExpr);
  const rangeVar = from[0].RangeVar;
  if (rangeVar === undefined || stmt.withClause !== undefined || ctx.catalog.findTable(rangeVar.schemaname ?? 'public', rangeVar.relname) === undefined)
    throw notSupported(`SELECT … ${lockName} of anything but base tables (subqueries, views, WITH)`);
  const table = findTableOrThrow(ctx, rangeVar);
  const alias: string = rangeVar.alias?.aliasname ?? table.name;
  for (const c of clauses)
    for (const r of c.lockedRels ?? []) {
      const rel = r.RangeVar;
      if (rel.relname !== alias || (rel.schemaname !== undefined && rangeVar.alias !== undefined))
        throw new SqlError(SqlState.undefinedTable, `relation "${rel.relname}" in ${STRENGTHS[c.strength] ?? lockName} clause not found in FROM clause`, { position: pos(rel) });
    }
  const level = new QueryLevel(null);
  let rows = scanForUpdate({ relation: rangeVar, whereClause: stmt.whereClause }, table, ctx, level);
  const targets = bindReturning(stmt.targetList, table, ctx, alias, 'SELECT')!;
  const scope: ExprScope = { ctx, level, aggregates: null, clause: 'ORDER BY' };
  const keys: SortKey[] = (stmt.sortClause ?? []).map((item: any) => sortKey(item.SortBy, orderExpr(item.SortBy.node, targets, scope)));
  if (keys.length > 0) rows = { kind: 'sort', input: rows, keys, limit: null, output: rows.output };
  if (stmt.limitOption === 'LIMIT_OPTION_WITH_TIES') throw notSupported('FETCH … WITH TIES');
  const limit = rowCountExpr(stmt.limitCount, 'LIMIT', scope);
  const offset = rowCountExpr(stmt.limitOffset, 'OFFSET', scope);
  const width = table.columns.length;
  const share = clauses.every((c) => SHARED.has(c.strength));
  return { kind: 'lockingSelect', table, rows, width, locked: [{ table, column: width, share }], targets, limit, offset, lockName, waitPolicy };
}

/** An ORDER BY item: an output column's position or name (PostgreSQL looks those up first), else an expression over the table. */
function orderExpr(node: any, targets: Returning, scope: ExprScope): Expr {
  const i = outputIndex(node, targets.output);
  return i >= 0 ? targets.exprs[i] : bindExpr(node, scope);
}

function rowCountExpr(node: any, what: 'LIMIT' | 'OFFSET', scope: ExprScope): Expr | null {
  if (node === undefined) return null;
  const e = bindExpr(node, { ...scope, clause: what });
  if (columnsUsed(e).size > 0) throw new SqlError(SqlState.invalidColumnReference, `argument of ${what} must not contain variables`);
  return coerce(e, Types.int8, scope.ctx);
}

function containsNode(plan: PlanNode, kind: string): boolean {
  const stack: unknown[] = [plan];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object' || seen.has(v) || ArrayBuffer.isView(v)) continue;
    seen.add(v);
    const o = v as Record<string, unknown>;
    if (o.kind === kind) return true;
    if (Array.isArray(v)) for (const x of v) stack.push(x);
    else for (const k in o) stack.push(o[k]);
  }
  return false;
}
