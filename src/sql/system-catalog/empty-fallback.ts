// Catalog queries over relations Tessera never has rows in (pg_policy, pg_statistic_ext,
// pg_publication…) sometimes use features Tessera lacks (arrays, ANY(array), generate_series in FROM).
// Such a query returns no rows whatever its select list computes, so when binding it fails only for
// a missing feature (0A000, 42883, 42704), it answers an empty result with text columns named as
// PostgreSQL would name them. Errors in any other query are reported as usual.
import { PlanNode } from '../../plan/plan';
import { Types } from '../../types/data-type';
import { SqlError, SqlState } from '../../types/sql-error';
import { figureColumnName } from '../bind-query';
import { AGGREGATES } from '../functions';
import { lookupSystemRelation } from './bind-system';

const MISSING_FEATURE = new Set<string>([SqlState.featureNotSupported, SqlState.undefinedFunction, SqlState.undefinedObject]);

/** Whether a FROM item certainly yields no rows (an always-empty system relation on a side that must match). */
function emptyFromItem(node: any): boolean {
  if (node.RangeVar !== undefined) return lookupSystemRelation(node.RangeVar.schemaname, node.RangeVar.relname)?.alwaysEmpty === true;
  const j = node.JoinExpr;
  if (j !== undefined) {
    const l = emptyFromItem(j.larg);
    const r = emptyFromItem(j.rarg);
    switch (j.jointype ?? 'JOIN_INNER') {
      case 'JOIN_INNER':
        return l || r;
      case 'JOIN_LEFT':
        return l;
      case 'JOIN_RIGHT':
        return r;
      default:
        return l && r;
    }
  }
  return false;
}

/** Whether a SELECT (or set operation) certainly yields no rows for that reason. */
function emptyQuery(stmt: any): boolean {
  if (stmt.op !== undefined && stmt.op !== 'SETOP_NONE') {
    const l = emptyQuery(stmt.larg);
    const r = emptyQuery(stmt.rarg);
    if (stmt.op === 'SETOP_UNION') return l && r;
    if (stmt.op === 'SETOP_INTERSECT') return l || r;
    return l;
  }
  // An aggregate without GROUP BY returns one row even over no input.
  if (stmt.groupClause === undefined && (stmt.targetList ?? []).some((t: any) => isAggregateCall(t.ResTarget?.val))) return false;
  return (stmt.fromClause ?? []).some(emptyFromItem);
}

function isAggregateCall(node: any): boolean {
  const names: any[] | undefined = node?.FuncCall?.funcname;
  return names !== undefined && AGGREGATES.has(names[names.length - 1].String.sval);
}

function firstLeaf(stmt: any): any {
  return stmt.op !== undefined && stmt.op !== 'SETOP_NONE' ? firstLeaf(stmt.larg) : stmt;
}

/** An empty result for `ast` when `err` is a missing feature in a query over an always-empty catalog relation; else null. */
export function emptyCatalogResult(ast: any, err: unknown): PlanNode | null {
  if (!(err instanceof SqlError) || !MISSING_FEATURE.has(err.code)) return null;
  const stmt = ast.SelectStmt ?? ast;
  if (!emptyQuery(stmt)) return null;
  const targets: any[] = firstLeaf(stmt).targetList ?? [];
  const output = targets.map((t) => ({ name: t.ResTarget.name ?? figureColumnName(t.ResTarget.val), type: Types.text }));
  return { kind: 'values', rows: [], output, estimatedRows: 0 };
}
