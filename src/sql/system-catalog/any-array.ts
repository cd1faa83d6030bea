// `x op ANY (ARRAY[a, b])`, `x op ALL (…)` and `x op ANY ('{a,b}')` (array literals, possibly cast
// to an array type), as drivers' catalog queries write relkind = ANY (ARRAY['r','v']). Tessera has
// no array values, so only arrays written out in the query are accepted: they become the
// comparisons they stand for (= ANY is an IN list).
import { notSupported } from '../../types/sql-error';
import { parseArrayLiteral } from '../../types/pg-types';

/** The array's elements as expression AST nodes, or null when `node` is not an array written in the query. */
function arrayElements(node: any): any[] | null {
  if (node.A_ArrayExpr !== undefined) return node.A_ArrayExpr.elements ?? [];
  let n = node;
  let elementType: any = null;
  if (n.TypeCast !== undefined && (n.TypeCast.typeName.arrayBounds ?? []).length > 0) {
    elementType = { ...n.TypeCast.typeName, arrayBounds: undefined };
    n = n.TypeCast.arg;
    if (n.A_ArrayExpr !== undefined)
      return (n.A_ArrayExpr.elements ?? []).map((e: any) => ({ TypeCast: { arg: e, typeName: elementType } }));
  }
  const text: string | undefined = n.A_Const?.sval?.sval;
  if (text === undefined) return null;
  const items = parseArrayLiteral(text);
  if (items === null) return null;
  return items.map((item) => {
    const c = item === null ? { A_Const: { isnull: true } } : { A_Const: { sval: { sval: item } } };
    return elementType === null ? c : { TypeCast: { arg: c, typeName: elementType } };
  });
}

/**
 * Rewrites `lexpr op ANY|ALL (array)` into plain expression AST (an IN list, or comparisons joined
 * by OR for ANY / AND for ALL); 0A000 for arrays that are not written out in the query.
 */
export function rewriteAnyAll(n: any): any {
  const elements = arrayElements(n.rexpr);
  const op: string = n.name[n.name.length - 1].String.sval;
  const any = n.kind === 'AEXPR_OP_ANY';
  if (elements === null) {
    // An array value (a catalog column, current_schemas()): = ANY / <> ALL compare text forms at run time.
    if ((op === '=' && any) || (op === '<>' && !any)) {
      const has = { FuncCall: { funcname: [{ String: { sval: '__array_has' } }], args: [n.rexpr, n.lexpr] } };
      return any ? has : { BoolExpr: { boolop: 'NOT_EXPR', args: [has] } };
    }
    throw notSupported('ANY/ALL over array values with operators other than = ANY and <> ALL');
  }
  if (elements.length === 0) return { A_Const: { boolval: { boolval: !any } } };
  if (op === '=' && any) return { A_Expr: { kind: 'AEXPR_IN', name: [{ String: { sval: '=' } }], lexpr: n.lexpr, rexpr: { List: { items: elements } } } };
  if (op === '<>' && !any) return { A_Expr: { kind: 'AEXPR_IN', name: [{ String: { sval: '<>' } }], lexpr: n.lexpr, rexpr: { List: { items: elements } } } };
  const comparisons = elements.map((e) => ({ A_Expr: { kind: 'AEXPR_OP', name: n.name, lexpr: n.lexpr, rexpr: e } }));
  return comparisons.length === 1 ? comparisons[0] : { BoolExpr: { boolop: any ? 'OR_EXPR' : 'AND_EXPR', args: comparisons } };
}
