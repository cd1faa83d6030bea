// unnest(array) in FROM as the only item: over an array value, or over the text form of the
// array-valued catalog columns. The argument may read the enclosing query's
// columns (as in psql's \d+ query), so the elements are found when the node starts.
import { PlanNode } from '../plan/plan';
import { Types, withoutTypmod } from '../types/data-type';
import { notSupported } from '../types/sql-error';
import { BindContext, QueryLevel, Scope } from './bind-context';
import { bindExpr } from './bind-expr';
import { coerce } from './coerce';
import { resolveTypeName } from './type-names';

export function bindRangeFunction(n: any, ctx: BindContext, level: QueryLevel): { plan: PlanNode; scope: Scope; estimatedRows: number } {
  const fns: any[] = n.functions ?? [];
  const call = fns.length === 1 ? fns[0].List?.items?.[0]?.FuncCall : undefined;
  const names: string[] = call?.funcname?.map((f: any) => f.String.sval) ?? [];
  const name = names[names.length - 1];
  if (name === 'unnest' && n.ordinality) throw notSupported('unnest WITH ORDINALITY');
  if (call === undefined || name !== 'unnest' || (names.length === 2 && names[0] !== 'pg_catalog') || (call.args ?? []).length !== 1 || n.ordinality || n.is_rowsfrom)
    throw notSupported('functions in FROM other than unnest(array)');
  let argNode = call.args[0];
  let elementType = Types.text;
  const cast = argNode.TypeCast;
  if (cast !== undefined && (cast.typeName.arrayBounds ?? []).length > 0) {
    elementType = resolveTypeName({ ...cast.typeName, arrayBounds: undefined }).type;
    argNode = cast.arg;
  }
  let arg = bindExpr(argNode, { ctx, level, aggregates: null, clause: 'functions in FROM' });
  // A real array value gives its element type; catalog arrays kept as text take the cast's element type.
  if (arg.type.name === 'array' && cast !== undefined) arg = coerce(arg, resolveTypeName(cast.typeName).type, ctx, true);
  if (arg.type.name === 'array') elementType = withoutTypmod(arg.type.elem!);
  else arg = coerce(arg, Types.text, ctx);
  const alias: string = n.alias?.aliasname ?? 'unnest';
  const column: string = n.alias?.colnames?.[0]?.String.sval ?? n.alias?.aliasname ?? 'unnest';
  const plan: PlanNode = { kind: 'values', rows: [], arrayElements: arg, output: [{ name: column, type: elementType }], estimatedRows: 10 };
  const scope = new Scope();
  scope.add(alias, [{ name: column, type: elementType, tableOid: 0, columnAttr: 0 }]);
  return { plan, scope, estimatedRows: 10 };
}
