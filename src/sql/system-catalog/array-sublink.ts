// ARRAY(subquery), as psql's catalog queries use it (\du's "Member of"): the subquery rewritten
// to aggregate its one column with array_agg (an empty result is the empty array).
import { SqlError, SqlState, notSupported } from '../../types/sql-error';
import { parseSql } from '../parse';

const TEMPLATE = `SELECT coalesce(array_agg(__elem), '{}')`;

function substitute(node: any, elem: any): any {
  if (Array.isArray(node)) return node.map((x) => substitute(x, elem));
  if (node === null || typeof node !== 'object') return node;
  const ref = node.ColumnRef;
  if (ref !== undefined && ref.fields?.length === 1 && ref.fields[0].String?.sval === '__elem') return structuredClone(elem);
  const out: any = {};
  for (const [k, v] of Object.entries(node)) out[k] = substitute(v, elem);
  return out;
}

/**
 * The SelectStmt that computes ARRAY(`subselect`). With `ordered`, the subquery becomes a
 * derived table aggregated in its ORDER BY order (only possible when it is not correlated); else its
 * FROM/WHERE are aggregated directly and an ORDER BY is passed to string_agg.
 */
export function arraySublinkQuery(subselect: any, ordered = false): any {
  const sub = subselect.SelectStmt ?? subselect;
  if (sub.op !== undefined && sub.op !== 'SETOP_NONE') throw notSupported('ARRAY(subquery) over a set operation');
  if (sub.groupClause !== undefined || sub.distinctClause !== undefined || sub.limitCount !== undefined || sub.havingClause !== undefined || sub.valuesLists !== undefined)
    throw notSupported('ARRAY(subquery) with GROUP BY, DISTINCT, LIMIT or VALUES');
  const targets: any[] = sub.targetList ?? [];
  if (targets.length !== 1) throw new SqlError(SqlState.syntaxError, 'subquery must return only one column');
  const elem = targets[0].ResTarget.val;
  const template = parseSql(TEMPLATE)[0].ast!.SelectStmt;
  if (ordered) {
    const inner = { ...sub, targetList: [{ ResTarget: { ...targets[0].ResTarget, name: '__elem' } }] };
    const query = substitute(template, { ColumnRef: { fields: [{ String: { sval: '__a' } }, { String: { sval: '__elem' } }] } });
    query.fromClause = [{ RangeSubselect: { subquery: { SelectStmt: inner }, alias: { aliasname: '__a' } } }];
    return { SelectStmt: query };
  }
  const query = substitute(template, elem);
  const agg = query.targetList[0].ResTarget.val.CoalesceExpr.args[0].FuncCall;
  if (sub.sortClause !== undefined)
    agg.agg_order = sub.sortClause.map((s: any) => {
      const k = s.SortBy.node.A_Const?.ival?.ival;
      return k === 1 ? { SortBy: { ...s.SortBy, node: structuredClone(elem) } } : s;
    });
  query.fromClause = sub.fromClause;
  query.whereClause = sub.whereClause;
  query.withClause = sub.withClause;
  return { SelectStmt: query };
}
