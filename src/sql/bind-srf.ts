// Set-returning functions: generate_series(start, stop[, step]) as a FROM item (RangeFunction),
// and in a select list, where `SELECT generate_series(a, b), …` becomes a cross join of the query's
// rows with the series (arguments must not read the FROM row: no LATERAL evaluation yet).
import { Expr } from '../plan/expr';
import { FunctionScanNode, PlanNode } from '../plan/plan';
import { DataType, Types, formatType, withoutTypmod } from '../types/data-type';
import { SqlError, SqlState, notSupported } from '../types/sql-error';
import { BindContext, QueryLevel } from './bind-context';
import { bindExpr } from './bind-expr';
import { coerce, isDatetime, isInteger, isNumber, isUnknown } from './coerce';

function pos(node: any): number | undefined {
  return typeof node?.location === 'number' && node.location >= 0 ? node.location + 1 : undefined;
}

/** Whether an AST node is a call of a set-returning function we implement. */
export function isSetReturningCall(node: any): boolean {
  const f = node?.FuncCall;
  if (f === undefined || f.over !== undefined) return false;
  const names: string[] = f.funcname.map((x: any) => x.String.sval);
  const name = names[names.length - 1];
  return (name === 'generate_series' || name === 'unnest') && (names.length === 1 || names[0] === 'pg_catalog');
}

/** unnest(array) as a ProjectSet call: its one argument, which must be an array value. */
export function bindUnnestArgs(funcCall: any, scope: import('./bind-expr').ExprScope): Expr[] {
  const args: Expr[] = (funcCall.args ?? []).map((a: any) => bindExpr(a, scope));
  if (args.length !== 1 || args[0].type.name !== 'array')
    throw new SqlError(SqlState.undefinedFunction, `function unnest(${args.map((a) => formatType(a.type)).join(', ')}) does not exist`, {
      position: pos(funcCall),
      hint: 'No function matches the given name and argument types. You might need to add explicit type casts.',
    });
  return args;
}
/** The column type a ProjectSet call produces. */
export function setCallType(args: Expr[]): DataType {
  return args.length === 1 && args[0].type.name === 'array' ? withoutTypmod(args[0].type.elem!) : args[0].type;
}
function callName(funcCall: any): string {
  return funcCall.funcname[funcCall.funcname.length - 1].String.sval;
}

/** Binds generate_series(…) into a FunctionScan whose single column is named `column`. */
export function bindSeriesScan(funcCall: any, ctx: BindContext, level: QueryLevel, column: string, ordinality: boolean): FunctionScanNode {
  const position = pos(funcCall);
  const names: string[] = funcCall.funcname.map((x: any) => x.String.sval);
  const name = names[names.length - 1];
  if (name !== 'generate_series') throw notSupported(`function ${name} in FROM`);
  // Arguments see no FROM columns of this level (no LATERAL); outer-query references are not supported either.
  const sub = new QueryLevel(level);
  const args: Expr[] = (funcCall.args ?? []).map((a: any) => bindExpr(a, { ctx, level: sub, aggregates: null, clause: 'functions in FROM' }));
  if (sub.captures.length > 0) throw notSupported('generate_series arguments that reference other FROM items or outer queries (LATERAL)');
  const type = seriesType(args, position);
  const argTypes: DataType[] = type.storage === 'timestamp' ? [type, type, Types.interval] : [type, type, type];
  const bound = args.map((a, i) => coerce(a, argTypes[i], ctx));
  const output = [{ name: column, type }];
  if (ordinality) output.push({ name: 'ordinality', type: Types.int8 });
  return { kind: 'functionscan', fn: 'generate_series', args: bound, ordinality, output, estimatedRows: 1000 };
}

function seriesType(args: Expr[], position?: number): DataType {
  const missing = () =>
    new SqlError(SqlState.undefinedFunction, `function generate_series(${args.map((a) => formatType(a.type)).join(', ')}) does not exist`, {
      position,
      hint: 'No function matches the given name and argument types. You might need to add explicit type casts.',
    });
  if (args.length < 2 || args.length > 3) throw missing();
  if (args.every((x) => isUnknown(x.type)))
    throw new SqlError(SqlState.ambiguousFunction, `function generate_series(${args.map(() => 'unknown').join(', ')}) is not unique`, {
      position,
      hint: 'Could not choose a best candidate function. You might need to add explicit type casts.',
    });
  const [a, b] = args;
  const step = args[2];
  const datetime = [a, b].some((x) => isDatetime(x.type)) || (step !== undefined && step.type.name === 'interval');
  if (datetime) {
    if (step === undefined || !(step.type.name === 'interval' || isUnknown(step.type))) throw missing();
    if (![a, b].every((x) => isDatetime(x.type) || isUnknown(x.type))) throw missing();
    // timestamp only when both are timestamp; dates and literals resolve to timestamptz (the preferred type).
    return a.type.name === 'timestamp' && b.type.name === 'timestamp' ? Types.timestamp : Types.timestamptz;
  }
  if (!args.every((x) => isNumber(x.type) || isUnknown(x.type))) throw missing();
  if (args.some((x) => x.type.name === 'numeric' || x.type.name === 'float4' || x.type.name === 'float8')) {
    if (args.some((x) => x.type.name === 'float4' || x.type.name === 'float8')) throw notSupported('generate_series over double precision');
    return Types.numeric;
  }
  if (args.some((x) => x.type.name === 'int8')) return Types.int8;
  if (args.every((x) => isInteger(x.type) || isUnknown(x.type))) return Types.int4;
  return Types.numeric;
}

/** generate_series arguments bound over a scope (they may read its columns), coerced to the series signature. */
export function bindSeriesArgs(funcCall: any, scope: import('./bind-expr').ExprScope): Expr[] {
  const args: Expr[] = (funcCall.args ?? []).map((a: any) => bindExpr(a, scope));
  const type = seriesType(args, pos(funcCall));
  const argTypes: DataType[] = type.storage === 'timestamp' ? [type, type, Types.interval] : [type, type, type];
  return args.map((a, i) => coerce(a, argTypes[i], scope.ctx));
}

/**
 * `SELECT generate_series(a, b) …`: a ProjectSet repeats each row of the query once per series value
 * and each call becomes a reference to its value column (a hidden relation of the level's scope), so
 * it may sit inside a larger expression; several calls run in lockstep as PostgreSQL's.
 */
export function expandSelectListSeries(targetList: any[], plan: PlanNode, ctx: BindContext, level: QueryLevel): { plan: PlanNode; targetList: any[]; expanded: boolean } {
  const found: any[] = [];
  const find = (x: any): void => {
    if (Array.isArray(x)) return x.forEach(find);
    if (x === null || typeof x !== 'object' || x.SubLink !== undefined) return;
    if (isSetReturningCall(x)) {
      found.push(x);
      return;
    }
    Object.values(x).forEach(find);
  };
  find(targetList);
  if (found.length === 0) return { plan, targetList, expanded: false };
  const width = plan.output.length;
  const calls: Expr[][] = [];
  const refs = new Map<any, any>();
  found.forEach((node, j) => {
    const call = node.FuncCall;
    const scope = { ctx, level, aggregates: null, clause: 'set-returning function arguments' };
    const bound = callName(call) === 'unnest' ? bindUnnestArgs(call, scope) : bindSeriesArgs(call, scope);
    const type = setCallType(bound);
    calls.push(bound);
    const name = `${HIDDEN}${j}`;
    const rel = level.scope.add(name, [{ name, type, tableOid: 0, columnAttr: 0 }]);
    // The series columns follow every column of the FROM plan (which may be wider than the scope).
    rel.columns[0].index = width + j;
    rel.hiddenUnqualified = new Set([name]);
    refs.set(node, { ColumnRef: { fields: [{ String: { sval: name } }, { String: { sval: name } }], location: call.location } });
  });
  level.scope.width = width + found.length;
  plan = {
    kind: 'projectset',
    input: plan,
    calls,
    output: [...plan.output, ...calls.map((c, j) => ({ name: `${HIDDEN}${j}`, type: setCallType(c) }))],
    estimatedRows: (plan.estimatedRows ?? 1) * 1000,
  };
  const replace = (x: any): any => {
    const r = refs.get(x);
    if (r !== undefined) return r;
    if (Array.isArray(x)) return x.map(replace);
    if (x === null || typeof x !== 'object' || x.SubLink !== undefined) return x;
    const out: any = {};
    for (const k of Object.keys(x)) out[k] = replace(x[k]);
    return out;
  };
  const out = targetList.map((t) => {
    const rt = t.ResTarget;
    if (rt === undefined || rt.name !== undefined || !refs.has(rt.val)) return replace(t);
    // A bare call keeps its name, as PostgreSQL names the column after the function.
    return { ResTarget: { ...rt, name: callName(rt.val.FuncCall), val: refs.get(rt.val) } };
  });
  return { plan, targetList: out, expanded: true };
}

const HIDDEN = '?series';
