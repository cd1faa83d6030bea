// Binds libpg-query expression nodes into typed Expr trees over the current FROM scope.
import { exprKey } from '../planner/expr-utils';
import { AggregateCall, SortKey } from '../plan/plan';
import { Expr } from '../plan/expr';
import { DataType, OidType, Types, arrayType, dataType, formatType, hasArrayType, withoutTypmod } from '../types/data-type';
import { Decimal } from '../types/vector';
import { SqlError, SqlState, notSupported } from '../types/sql-error';
import { BindContext, QueryLevel, columnNotFound } from './bind-context';
import { coerce, commonTypeOf, isUnknown, requireType } from './coerce';
import { pgTypeByOid } from '../types/pg-types';
import { AGGREGATES, COMPARISON_OPS, bindBinaryOperator, bindComparison, bindFunctionCall, bindUnaryMinus, resolveAggregate } from './functions';
import { IntervalField, resolveTypeName } from './type-names';
import { bindSubquery } from './bind-query';
import { SEQUENCE_FUNCTIONS, bindSequenceCall, stripRegclass } from './bind-sequence';
import { arraySublinkQuery } from './system-catalog/array-sublink';
import { bindAnyAllArray, bindArrayConstructor, bindArrayFunction, bindArrayOperator, bindIndirection } from './bind-array';
import { rewriteAnyAll } from './system-catalog/any-array';
import { CATALOG_CAST_TYPES, bindCatalogCast, bindCatalogFunction } from './system-catalog/catalog-functions';
import { WindowCollector, bindWindowCall } from './bind-window';
import { CallCollector } from './call-collector';

/** Placeholder column indexes for aggregate results until the aggregate node's layout is known. */
export const AGG_BASE = 1 << 24;

/** Collects the aggregate calls of one query level (select list, HAVING, ORDER BY). */
export class AggregateCollector extends CallCollector<AggregateCall> {
  constructor() {
    super(AGG_BASE);
  }
}

export interface ExprScope {
  ctx: BindContext;
  level: QueryLevel;
  /** Null where aggregates are not allowed; `clause` names the place for the error. */
  aggregates: AggregateCollector | null;
  clause: string;
  /** Window calls of the level (select list and ORDER BY only); absent where they are not allowed. */
  windows?: WindowCollector | null;
}

function pos(node: any): number | undefined {
  return typeof node?.location === 'number' && node.location >= 0 ? node.location + 1 : undefined;
}

function stringConst(value: string): Expr {
  return { kind: 'const', value, type: Types.unknown };
}

/** Binds an untyped numeric literal as PostgreSQL does: int4, int8, or numeric. */
function numberConst(text: string): Expr {
  if (/^-?\d+$/.test(text)) {
    const n = Number(text);
    if (n >= -2147483648 && n <= 2147483647) return { kind: 'const', value: n, type: Types.int4 };
    if (Number.isSafeInteger(n)) return { kind: 'const', value: n, type: Types.int8 };
  }
  const neg = text.startsWith('-');
  const body = neg ? text.slice(1) : text;
  let [intPart, frac = ''] = body.toLowerCase().split('e')[0].split('.');
  const exp = body.toLowerCase().includes('e') ? Number(body.toLowerCase().split('e')[1]) : 0;
  let digits = BigInt((intPart || '0') + frac);
  let scale = frac.length - exp;
  if (scale < 0) {
    digits *= 10n ** BigInt(-scale);
    scale = 0;
  }
  const value: Decimal = { decimal: true, digits: neg ? -digits : digits, scale };
  return { kind: 'const', value, type: Types.numeric };
}

export function bindConst(node: any): Expr {
  if (node.isnull) return { kind: 'const', value: null, type: Types.unknown };
  if (node.ival !== undefined) return { kind: 'const', value: node.ival.ival ?? 0, type: Types.int4 };
  if (node.fval !== undefined) return numberConst(node.fval.fval);
  if (node.sval !== undefined) return stringConst(node.sval.sval ?? '');
  if (node.boolval !== undefined) return { kind: 'const', value: node.boolval.boolval === true, type: Types.bool };
  if (node.bsval !== undefined) throw notSupported('bit string literals');
  throw notSupported('this constant');
}

/** Binds an expression; the result may still have type 'unknown' (an untyped literal or parameter). */
export function bindExpr(node: any, s: ExprScope): Expr {
  const [tag] = Object.keys(node);
  const n = node[tag];
  switch (tag) {
    case 'A_Const':
      return bindConst(n);
    case 'ColumnRef':
      return bindColumnRef(n, s);
    case 'ParamRef': {
      const index = n.number - 1;
      if (index < 0) throw new SqlError(SqlState.undefinedParameter, `there is no parameter $${n.number}`, { position: pos(n) });
      while (s.ctx.paramTypes.length <= index) s.ctx.paramTypes.push(Types.unknown);
      return { kind: 'param', index, type: s.ctx.paramTypes[index] };
    }
    case 'A_Expr':
      return bindAExpr(n, s);
    case 'BoolExpr': {
      const args = n.args.map((a: any) => requireType(bindExpr(a, s), Types.bool, s.ctx, n.boolop === 'AND_EXPR' ? 'AND' : n.boolop === 'OR_EXPR' ? 'OR' : 'NOT'));
      if (n.boolop === 'NOT_EXPR') return { kind: 'not', arg: args[0], type: Types.bool };
      return { kind: n.boolop === 'AND_EXPR' ? 'and' : 'or', args, type: Types.bool };
    }
    case 'NullTest': {
      let arg = bindExpr(n.arg, s);
      if (isUnknown(arg.type)) arg = coerce(arg, Types.text, s.ctx);
      return { kind: 'isnull', arg, negated: n.nulltesttype === 'IS_NOT_NULL', type: Types.bool };
    }
    case 'BooleanTest': {
      const arg = requireType(bindExpr(n.arg, s), Types.bool, s.ctx, 'IS TRUE');
      const map: Record<string, [test: 'true' | 'false' | 'unknown', negated: boolean]> = {
        IS_TRUE: ['true', false],
        IS_NOT_TRUE: ['true', true],
        IS_FALSE: ['false', false],
        IS_NOT_FALSE: ['false', true],
        IS_UNKNOWN: ['unknown', false],
        IS_NOT_UNKNOWN: ['unknown', true],
      };
      const [test, negated] = map[n.booltesttype];
      return { kind: 'booltest', arg, test, negated, type: Types.bool };
    }
    case 'TypeCast':
      return bindTypeCast(n, s);
    case 'FuncCall':
      return bindFuncCall(n, s);
    case 'CaseExpr':
      return bindCase(n, s);
    case 'CoalesceExpr': {
      const args = n.args.map((a: any) => bindExpr(a, s));
      const t = commonTypeOf(args.map((a: Expr) => a.type), 'COALESCE');
      return { kind: 'coalesce', args: args.map((a: Expr) => coerce(a, t, s.ctx)), type: t };
    }
    case 'MinMaxExpr': {
      const args = n.args.map((a: any) => bindExpr(a, s));
      const t = commonTypeOf(args.map((a: Expr) => a.type), n.op === 'IS_GREATEST' ? 'GREATEST' : 'LEAST');
      return { kind: 'call', fn: n.op === 'IS_GREATEST' ? 'greatest' : 'least', args: args.map((a: Expr) => coerce(a, t, s.ctx)), type: t };
    }
    case 'SubLink':
      return bindSubLink(n, s);
    case 'SQLValueFunction':
      return bindSqlValueFunction(n, s.ctx);
    case 'NamedArgExpr':
      throw notSupported('named function arguments');
    case 'A_ArrayExpr':
      return bindArrayConstructor(n, (x) => bindExpr(x, s), s.ctx, null);
    case 'A_Indirection':
      return bindIndirection(n, (x) => bindExpr(x, s), s.ctx);
    case 'RowExpr':
      throw notSupported('row constructors');
    case 'CollateClause':
      return bindExpr(n.arg, s);
    default:
      throw notSupported(`expression ${tag}`);
  }
}

/** Binds and resolves to a concrete type (an untyped literal alone becomes text). */
export function bindTypedExpr(node: any, s: ExprScope): Expr {
  const e = bindExpr(node, s);
  return isUnknown(e.type) ? coerce(e, Types.text, s.ctx) : e;
}

function bindColumnRef(n: any, s: ExprScope): Expr {
  const fields: any[] = n.fields;
  if (fields.some((f) => f.A_Star !== undefined)) throw new SqlError(SqlState.syntaxError, 'row expansion via "*" is not supported here', { position: pos(n) });
  const names: string[] = fields.map((f) => f.String.sval);
  const name = names[names.length - 1];
  const qualifier = names.length >= 2 ? names[names.length - 2] : null;
  const position = pos(n);
  return resolveColumn(s.level, name, qualifier, position);
}

function resolveColumn(level: QueryLevel, name: string, qualifier: string | null, position?: number): Expr {
  const col = level.scope.lookup(name, qualifier, position);
  if (col !== undefined) return { kind: 'column', index: col.index, type: col.type };
  if (level.parent !== null) {
    let outer: Expr;
    try {
      outer = resolveColumn(level.parent, name, qualifier, position);
    } catch (err) {
      if (err instanceof SqlError && (err.code === SqlState.undefinedColumn || err.code === SqlState.undefinedTable) && qualifier === null)
        throw columnNotFound(name, qualifier, position);
      throw err;
    }
    return level.capture(outer);
  }
  if (qualifier !== null && level.scope.findRelation(qualifier) === undefined)
    throw new SqlError(SqlState.undefinedTable, `missing FROM-clause entry for table "${qualifier}"`, { position });
  throw columnNotFound(name, qualifier, position);
}

function opName(n: any): string {
  const names = n.name as any[];
  return names[names.length - 1].String.sval;
}

/** A system-catalog value kept as an array's text form under the array type's OID (not a real array). */
function isCatalogArray(t: DataType): boolean {
  return t.name !== 'array' && pgTypeByOid(t.oid)?.elem !== undefined;
}

function bindAExpr(n: any, s: ExprScope): Expr {
  const position = pos(n);
  switch (n.kind) {
    case 'AEXPR_OP': {
      const op = opName(n);
      if (n.lexpr === undefined) {
        const arg = bindExpr(n.rexpr, s);
        if (op === '-') return bindUnaryMinus(arg, s.ctx, position);
        if (op === '+') return arg;
        throw new SqlError(SqlState.undefinedFunction, `operator does not exist: ${op} ${formatType(arg.type)}`, { position });
      }
      const l = bindExpr(n.lexpr, s);
      const r = bindExpr(n.rexpr, s);
      if (l.type.name === 'array' || r.type.name === 'array') return bindArrayOperator(op, l, r, s.ctx, position);
      // System-catalog arrays live as their text form: only (in)equality means the same on that
      // text; any other operator (||, @>, &&…) would silently compute on the text, so || is done
      // as arrays and the rest are refused.
      const lArray = isCatalogArray(l.type);
      const rArray = isCatalogArray(r.type);
      if ((lArray || rArray) && op !== '=' && op !== '<>' && op !== '!=') {
        if (op !== '||') throw notSupported(`array operator ${op}`);
        if ((!lArray && !isUnknown(l.type)) || (!rArray && !isUnknown(r.type))) throw notSupported('array operator || with a non-array operand');
        return { kind: 'call', fn: 'array_cat', args: [coerce(l, Types.text, s.ctx), coerce(r, Types.text, s.ctx)], type: lArray ? l.type : r.type };
      }
      return bindBinaryOperator(op, l, r, s.ctx, position);
    }
    case 'AEXPR_LIKE':
    case 'AEXPR_ILIKE':
      return bindBinaryOperator(opName(n), bindExpr(n.lexpr, s), bindExpr(n.rexpr, s), s.ctx, position);
    case 'AEXPR_IN': {
      const arg = bindExpr(n.lexpr, s);
      const items: Expr[] = n.rexpr.List.items.map((i: any) => bindExpr(i, s));
      const t = commonTypeOf([arg.type, ...items.map((i) => i.type)], 'IN');
      return {
        kind: 'inlist',
        arg: coerce(arg, t, s.ctx),
        list: items.map((i) => coerce(i, t, s.ctx)),
        negated: opName(n) === '<>',
        type: Types.bool,
      };
    }
    case 'AEXPR_BETWEEN':
    case 'AEXPR_NOT_BETWEEN': {
      const arg = bindExpr(n.lexpr, s);
      const [lo, hi] = n.rexpr.List.items.map((i: any) => bindExpr(i, s));
      const t = commonTypeOf([arg.type, lo.type, hi.type], 'BETWEEN');
      const a = coerce(arg, t, s.ctx);
      const ge = bindComparison('ge', a, coerce(lo, t, s.ctx), s.ctx, '>=', position);
      const le = bindComparison('le', a, coerce(hi, t, s.ctx), s.ctx, '<=', position);
      const between: Expr = { kind: 'and', args: [ge, le], type: Types.bool };
      return n.kind === 'AEXPR_BETWEEN' ? between : { kind: 'not', arg: between, type: Types.bool };
    }
    case 'AEXPR_DISTINCT':
    case 'AEXPR_NOT_DISTINCT': {
      const l = bindExpr(n.lexpr, s);
      const r = bindExpr(n.rexpr, s);
      const eq = bindComparison('eq', l, r, s.ctx, '=', position);
      const [cl, cr] = (eq as { args: Expr[] }).args;
      // a IS NOT DISTINCT FROM b ≡ (a = b AND both non-null) OR (both null)
      const bothNull: Expr = { kind: 'and', args: [isNull(cl), isNull(cr)], type: Types.bool };
      const bothSet: Expr = { kind: 'and', args: [notNull(cl), notNull(cr), eq], type: Types.bool };
      const same: Expr = { kind: 'or', args: [bothSet, bothNull], type: Types.bool };
      const sameTotal: Expr = { kind: 'coalesce', args: [same, { kind: 'const', value: false, type: Types.bool }], type: Types.bool };
      return n.kind === 'AEXPR_NOT_DISTINCT' ? sameTotal : { kind: 'not', arg: sameTotal, type: Types.bool };
    }
    case 'AEXPR_NULLIF': {
      const l = bindExpr(n.lexpr, s);
      const r = bindExpr(n.rexpr, s);
      const t = commonTypeOf([l.type, r.type], 'NULLIF');
      return { kind: 'call', fn: 'nullif', args: [coerce(l, t, s.ctx), coerce(r, t, s.ctx)], type: t };
    }
    case 'AEXPR_OP_ANY':
    case 'AEXPR_OP_ALL':
      return bindAnyAllArray(n, (x) => bindExpr(x, s), s.ctx) ?? bindExpr(rewriteAnyAll(n), s);
    case 'AEXPR_SIMILAR':
      throw notSupported('SIMILAR TO');
    default:
      throw notSupported(`operator kind ${n.kind}`);
  }
}

function isNull(e: Expr): Expr {
  return { kind: 'isnull', arg: e, negated: false, type: Types.bool };
}
function notNull(e: Expr): Expr {
  return { kind: 'isnull', arg: e, negated: true, type: Types.bool };
}

function bindTypeCast(n: any, s: ExprScope): Expr {
  const typeNames: string[] = (n.typeName.names ?? []).map((x: any) => x.String.sval);
  const last = typeNames[typeNames.length - 1];
  if (CATALOG_CAST_TYPES.has(last) && (typeNames.length === 1 || typeNames[0] === 'pg_catalog') && (n.typeName.arrayBounds ?? []).length === 0) {
    // x::regclass::oid is the OID itself (regclass is only shown as a name).
    const inner = n.arg.TypeCast;
    const innerLast = inner?.typeName.names?.[inner.typeName.names.length - 1]?.String.sval;
    if (last === 'oid' && inner !== undefined && innerLast?.startsWith('reg')) return bindCatalogCast(innerLast, bindExpr(inner.arg, s), s.ctx, pos(n));
    return bindCatalogCast(last, bindExpr(n.arg, s), s.ctx, pos(n));
  }
  if ((n.typeName.arrayBounds ?? []).length > 0) {
    const target = resolveTypeName(n.typeName).type;
    const arg = n.arg.A_ArrayExpr !== undefined ? bindArrayConstructor(n.arg.A_ArrayExpr, (x) => bindExpr(x, s), s.ctx, target) : bindExpr(n.arg, s);
    return coerce(arg, target, s.ctx, true);
  }
  const resolved = resolveTypeName(n.typeName);
  const innerCast = n.arg.TypeCast?.typeName.names;
  const innerTarget = innerCast?.[innerCast.length - 1]?.String.sval;
  if (innerTarget !== undefined && innerTarget.startsWith('reg') && CATALOG_CAST_TYPES.has(innerTarget) && resolved.type.storage === 'string') {
    // 'name'::regclass::text: the literal's OID, shown as the object's name.
    const inner = bindCatalogCast(innerTarget, bindExpr(n.arg.TypeCast.arg, s), s.ctx, pos(n));
    const named = inner.type.oid === OidType.oid ? bindCatalogCast(innerTarget, inner, s.ctx, pos(n)) : inner;
    return coerce(named, resolved.type, s.ctx, true);
  }
  const arg = bindExpr(n.arg, s);
  if (resolved.type.name === 'interval' && resolved.intervalFields !== undefined && arg.kind === 'const' && typeof arg.value === 'string') {
    // `interval '90' day`: a bare number takes the unit of the qualifier.
    const unit = intervalUnit(resolved.intervalFields);
    const text = /^\s*[-+]?\d+(\.\d+)?\s*$/.test(arg.value) && unit !== null ? `${arg.value} ${unit}` : arg.value;
    return coerce({ kind: 'const', value: text, type: Types.unknown }, Types.interval, s.ctx, true);
  }
  return coerce(arg, resolved.type, s.ctx, true);
}

function intervalUnit(mask: number): string | null {
  if (mask & IntervalField.second) return 'second';
  if (mask & IntervalField.minute) return 'minute';
  if (mask & IntervalField.hour) return 'hour';
  if (mask & IntervalField.day) return 'day';
  if (mask & IntervalField.month) return 'month';
  if (mask & IntervalField.year) return 'year';
  return null;
}

function bindFuncCall(n: any, s: ExprScope): Expr {
  const names: string[] = n.funcname.map((f: any) => f.String.sval);
  const name = names[names.length - 1].toLowerCase();
  const position = pos(n);
  if (n.over !== undefined) return bindWindowCall(name, n, s);
  if (AGGREGATES.has(name) && (names.length === 1 || names[0] === 'pg_catalog')) return bindAggregate(name, n, s);
  if (n.agg_star || n.agg_distinct) throw new SqlError(SqlState.wrongObjectType, `${n.agg_star ? '*' : 'DISTINCT'} specified, but ${name} is not an aggregate function`, { position });
  const rawArgs: any[] = n.args ?? [];
  if (name === 'extract' || name === 'date_part' || name === 'date_trunc') {
    const field = bindExpr(rawArgs[0], s);
    if (field.kind === 'const' && typeof field.value === 'string') field.value = field.value.toLowerCase();
    const arg = bindExpr(rawArgs[1], s);
    return bindFunctionCall(name, [coerce(field, Types.text, s.ctx), arg], s.ctx, position);
  }
  if (name === 'position' && names[0] === 'pg_catalog') {
    // position(a IN b) arrives as position(b, a)
    const [hay, needle] = rawArgs.map((a) => bindExpr(a, s));
    return bindFunctionCall('position', [hay, needle], s.ctx, position);
  }
  if (name === 'coalesce') return bindExpr({ CoalesceExpr: { args: rawArgs } }, s);
  if (name === 'nullif' && rawArgs.length === 2) return bindExpr({ A_Expr: { kind: 'AEXPR_NULLIF', lexpr: rawArgs[0], rexpr: rawArgs[1], name: [] } }, s);
  if (name === 'greatest' || name === 'least')
    return bindExpr({ MinMaxExpr: { op: name === 'greatest' ? 'IS_GREATEST' : 'IS_LEAST', args: rawArgs } }, s);
  if (SEQUENCE_FUNCTIONS.has(name) && (names.length === 1 || names[0] === 'pg_catalog'))
    return bindSequenceCall(name, rawArgs.map((a, i) => bindExpr(i === 0 ? stripRegclass(a) : a, s)), s.ctx, position, pos(stripRegclass(rawArgs[0])?.A_Const));
  const args = rawArgs.map((a) => bindExpr(a, s));
  if (name === 'set_config' && args.length === 3 && (names.length === 1 || names[0] === 'pg_catalog'))
    return { kind: 'call', fn: 'set_config', args: [coerce(args[0], Types.text, s.ctx), coerce(args[1], Types.text, s.ctx), coerce(args[2], Types.bool, s.ctx)], type: Types.text };
  if (names.length === 1 || names[0] === 'pg_catalog') {
    const array = bindArrayFunction(name, args, s.ctx, position);
    if (array !== null) return array;
    const session = bindSessionFunction(name, args, s.ctx, position);
    if (session !== null) return session;
    const catalog = bindCatalogFunction(name, args, s.ctx);
    if (catalog !== null) return catalog;
  }
  return bindFunctionCall(name, args, s.ctx, position);
}

function bindAggregate(name: string, n: any, s: ExprScope): Expr {
  const position = pos(n);
  if (s.aggregates === null)
    throw new SqlError(SqlState.groupingError, `aggregate functions are not allowed in ${s.clause}`, { position });
  // Arguments of an aggregate are evaluated per input row: no nested aggregates there.
  const inner: ExprScope = { ...s, aggregates: null, windows: null, clause: 'aggregate function calls' };
  let args: Expr[] = (n.args ?? []).map((a: any) => bindTypedExpr(a, inner));
  if (name === 'string_agg' && args.length === 2) args = args.map((a) => coerce(a, Types.text, s.ctx));
  // array_agg over a type with an array type gives that real array (over arrays: one more dimension).
  // Other values (system-catalog types kept as another type) are written as their text output
  // under the array type's OID, as before arrays were values.
  let aggArrayType: DataType | null = null;
  if (name === 'array_agg' && args.length === 1) {
    const t = args[0].type;
    if (t.name === 'array') aggArrayType = withoutTypmod(t);
    else if (hasArrayType(t)) aggArrayType = arrayType(withoutTypmod(t));
    else {
      const arrayOid = pgTypeByOid(t.oid)?.arrayOid ?? 0;
      aggArrayType = arrayOid !== 0 ? Object.freeze({ ...Types.text, oid: arrayOid }) : null;
    }
  }
  const { fn, type } = resolveAggregate(name, args, n.agg_star === true, position);
  const filter = n.agg_filter !== undefined ? requireType(bindExpr(n.agg_filter, inner), Types.bool, s.ctx, 'FILTER') : null;
  const call: AggregateCall = { fn, args, distinct: n.agg_distinct === true, filter, type: aggArrayType ?? type };
  // Only order-sensitive aggregates need their input sorted; for the others ORDER BY changes nothing.
  if (n.agg_order !== undefined && (fn === 'string_agg' || fn === 'array_agg')) call.orderBy = n.agg_order.map((o: any) => aggregateSortKey(o.SortBy, bindTypedExpr(o.SortBy.node, inner)));
  if (call.distinct && call.orderBy !== undefined && call.orderBy.some((k) => !args.some((a) => exprKey(a) === exprKey(k.expr))))
    throw new SqlError(SqlState.invalidColumnReference, 'in an aggregate with DISTINCT, ORDER BY expressions must appear in argument list', { position });
  return s.aggregates.add(call);
}

function aggregateSortKey(sb: any, expr: Expr): SortKey {
  const descending = sb.sortby_dir === 'SORTBY_DESC';
  if (sb.sortby_dir === 'SORTBY_USING') throw notSupported('ORDER BY USING');
  const nullsFirst = sb.sortby_nulls === 'SORTBY_NULLS_FIRST' ? true : sb.sortby_nulls === 'SORTBY_NULLS_LAST' ? false : descending;
  return { expr, descending, nullsFirst };
}

function bindCase(n: any, s: ExprScope): Expr {
  const operand = n.arg !== undefined ? bindExpr(n.arg, s) : null;
  const conds: Expr[] = [];
  const results: Expr[] = [];
  for (const w of n.args) {
    const cw = w.CaseWhen;
    const cond = operand !== null ? bindComparison('eq', operand, bindExpr(cw.expr, s), s.ctx, '=', pos(cw)) : requireType(bindExpr(cw.expr, s), Types.bool, s.ctx, 'CASE/WHEN');
    conds.push(cond);
    results.push(bindExpr(cw.result, s));
  }
  const elseExpr = n.defresult !== undefined ? bindExpr(n.defresult, s) : null;
  const t = commonTypeOf([...results, ...(elseExpr ? [elseExpr] : [])].map((e) => e.type), 'CASE');
  return {
    kind: 'case',
    whens: conds.map((when, i) => ({ when, then: coerce(results[i], t, s.ctx) })),
    else: elseExpr === null ? null : coerce(elseExpr, t, s.ctx),
    type: t,
  };
}

function bindSubLink(n: any, s: ExprScope): Expr {
  const position = pos(n);
  if (n.subLinkType === 'ARRAY_SUBLINK') {
    const sub = n.subselect.SelectStmt ?? n.subselect;
    if (sub.sortClause !== undefined) {
      // Keep the ORDER BY order: aggregate over the subquery as a derived table, unless it is correlated.
      try {
        return bindSubLink({ ...n, subLinkType: 'EXPR_SUBLINK', subselect: arraySublinkQuery(n.subselect, true) }, s);
      } catch (err) {
        if (!(err instanceof SqlError && err.code === SqlState.featureNotSupported && /correlated/.test(err.message))) throw err;
      }
    }
    return bindSubLink({ ...n, subLinkType: 'EXPR_SUBLINK', subselect: arraySublinkQuery(n.subselect) }, s);
  }
  const sub = bindSubquery(n.subselect, s.ctx, s.level);
  const args = sub.captures;
  switch (n.subLinkType) {
    case 'EXISTS_SUBLINK':
      return { kind: 'subquery', mode: 'exists', plan: sub.plan, args, test: null, op: null, type: Types.bool };
    case 'EXPR_SUBLINK': {
      if (sub.plan.output.length !== 1) throw new SqlError(SqlState.syntaxError, 'subquery must return only one column', { position });
      const t = sub.plan.output[0].type;
      return { kind: 'subquery', mode: 'scalar', plan: sub.plan, args, test: null, op: null, type: isUnknown(t) ? Types.text : t };
    }
    case 'ANY_SUBLINK':
    case 'ALL_SUBLINK': {
      if (sub.plan.output.length !== 1) throw new SqlError(SqlState.syntaxError, 'subquery has too many columns', { position });
      const op = n.operName ? n.operName[n.operName.length - 1].String.sval : '=';
      const cmp = COMPARISON_OPS[op];
      if (cmp === undefined) throw notSupported(`${op} ANY/ALL (subquery)`);
      const test = bindExpr(n.testexpr, s);
      const inner = sub.plan.output[0].type;
      const t = commonTypeOf([test.type, inner], 'IN');
      const plan = inner === t ? sub.plan : castPlanOutput(sub.plan, t);
      return { kind: 'subquery', mode: n.subLinkType === 'ANY_SUBLINK' ? 'any' : 'all', plan, args, test: coerce(test, t, s.ctx), op: cmp, type: Types.bool };
    }
    default:
      throw notSupported(`subquery kind ${n.subLinkType}`);
  }
}

/** Wraps a one-column plan in a projection casting its column to `t`. */
function castPlanOutput(plan: import('../plan/plan').PlanNode, t: DataType): import('../plan/plan').PlanNode {
  const col: Expr = { kind: 'column', index: 0, type: plan.output[0].type };
  return { kind: 'project', input: plan, exprs: [{ kind: 'cast', arg: col, type: t }], output: [{ name: plan.output[0].name, type: t }] };
}

function bindSqlValueFunction(n: any, ctx: BindContext): Expr {
  switch (n.op) {
    case 'SVFOP_CURRENT_DATE':
      return { kind: 'call', fn: 'current_date', args: [], type: Types.date };
    case 'SVFOP_CURRENT_TIMESTAMP':
    case 'SVFOP_CURRENT_TIMESTAMP_N':
      return { kind: 'call', fn: 'now', args: [], type: Types.timestamptz };
    case 'SVFOP_LOCALTIMESTAMP':
    case 'SVFOP_LOCALTIMESTAMP_N':
      return { kind: 'call', fn: 'localtimestamp', args: [], type: Types.timestamp };
    case 'SVFOP_CURRENT_USER':
    case 'SVFOP_CURRENT_ROLE':
    case 'SVFOP_SESSION_USER':
    case 'SVFOP_USER':
      return { kind: 'const', value: ctx.sessionUser, type: Types.name };
    case 'SVFOP_CURRENT_CATALOG':
      return { kind: 'const', value: ctx.database, type: Types.name };
    case 'SVFOP_CURRENT_SCHEMA':
      return { kind: 'const', value: 'public', type: Types.name };
    default:
      throw notSupported(`SQL function ${n.op.replace('SVFOP_', '').toLowerCase()}`);
  }
}

/**
 * Functions answered from the session while binding (their value is fixed for the statement):
 * version(), current_database(), current_schema(), current_setting(), pg_backend_pid().
 */
function bindSessionFunction(name: string, args: Expr[], ctx: BindContext, position?: number): Expr | null {
  const text = (value: string): Expr => ({ kind: 'const', value, type: Types.text });
  switch (name) {
    case 'version':
      if (args.length !== 0) return null;
      return text(`PostgreSQL ${ctx.setting('server_version')} (Tessera ${TESSERA_VERSION}) on ${process.arch}-${process.platform}, compiled by TypeScript`);
    case 'current_database':
    case 'current_catalog':
      return args.length === 0 ? { kind: 'const', value: ctx.database, type: Types.name } : null;
    case 'current_schema':
      return args.length === 0 ? { kind: 'const', value: 'public', type: Types.name } : null;
    case 'current_user':
    case 'session_user':
      return args.length === 0 ? { kind: 'const', value: ctx.sessionUser, type: Types.name } : null;
    case 'pg_backend_pid':
      return args.length === 0 ? { kind: 'const', value: ctx.processId, type: Types.int4 } : null;
    case 'current_setting': {
      if (args.length < 1 || args.length > 2) return null;
      const nameArg = args[0];
      // A name computed per row (psql's \dconfig) is looked up among the session's settings (system-catalog).
      if (nameArg.kind !== 'const' || typeof nameArg.value !== 'string') return null;
      const missingOk = args[1]?.kind === 'const' && args[1].value === true;
      try {
        return text(ctx.setting(nameArg.value));
      } catch (err) {
        if (missingOk) return { kind: 'const', value: null, type: Types.text };
        throw err instanceof SqlError ? new SqlError(err.code, err.message, { position }) : err;
      }
    }
    default:
      return null;
  }
}

const TESSERA_VERSION = '0.1.0';

/** Column type for a result: typmods of computed values are dropped, as PostgreSQL reports -1 for them. */
export function resultType(e: Expr): DataType {
  if (e.kind === 'column' || e.kind === 'cast' || e.kind === 'const') return e.type;
  return e.type.typmod === -1 ? e.type : withoutTypmod(e.type);
}
