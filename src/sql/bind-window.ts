// Binds window function calls (`f(…) OVER (PARTITION BY … ORDER BY … frame)` and `OVER name` with
// the query's WINDOW clause) into WindowCalls. Like aggregates, a call is collected per query level
// and stands in the expression as a placeholder column (WIN_BASE + k) until the window node's
// output layout is known.
import { Expr } from '../plan/expr';
import { FrameBound, SortKey, WindowCall, WindowFn, WindowFrame } from '../plan/plan';
import { DataType, Types, dataType, withoutTypmod } from '../types/data-type';
import { SqlError, SqlState, notSupported } from '../types/sql-error';
import { columnsUsed, mapChildren } from '../planner/expr-utils';
import { ExprScope, bindExpr, bindTypedExpr } from './bind-expr';
import { coerce, commonTypeOf, isNumber, isUnknown } from './coerce';
import { AGGREGATES, resolveAggregate } from './functions';
import { CallCollector } from './call-collector';

/** Placeholder column indexes for window results (above the aggregates' AGG_BASE range). */
export const WIN_BASE = 1 << 26;

/** PostgreSQL's FRAMEOPTION_* bits of WindowDef.frameOptions. */
const F = {
  nondefault: 0x1,
  range: 0x2,
  rows: 0x4,
  groups: 0x8,
  startUnboundedPreceding: 0x20,
  endUnboundedPreceding: 0x40,
  startUnboundedFollowing: 0x80,
  endUnboundedFollowing: 0x100,
  startCurrentRow: 0x200,
  endCurrentRow: 0x400,
  startOffsetPreceding: 0x800,
  endOffsetPreceding: 0x1000,
  startOffsetFollowing: 0x2000,
  endOffsetFollowing: 0x4000,
  excludeCurrentRow: 0x8000,
  excludeGroup: 0x10000,
  excludeTies: 0x20000,
};

/** The window calls of one query level and its named windows (WINDOW clause). */
export class WindowCollector extends CallCollector<WindowCall> {
  readonly named = new Map<string, any>();

  constructor(windowClause: any[] | undefined) {
    super(WIN_BASE);
    for (const w of windowClause ?? []) this.named.set(w.WindowDef.name, w.WindowDef);
  }
}

function pos(node: any): number | undefined {
  return typeof node?.location === 'number' && node.location >= 0 ? node.location + 1 : undefined;
}

const RANKING: Record<string, { fn: WindowFn; type: DataType; args: number }> = {
  row_number: { fn: 'row_number', type: Types.int8, args: 0 },
  rank: { fn: 'rank', type: Types.int8, args: 0 },
  dense_rank: { fn: 'dense_rank', type: Types.int8, args: 0 },
  percent_rank: { fn: 'percent_rank', type: Types.float8, args: 0 },
  cume_dist: { fn: 'cume_dist', type: Types.float8, args: 0 },
};

/** The effective window definition: a named window, or an inline one possibly based on a named one. */
function resolveWindowDef(over: any, named: Map<string, any>, position?: number): any {
  const resolveNamed = (name: string): any => {
    const def = named.get(name);
    if (def === undefined) throw new SqlError(SqlState.undefinedObject, `window "${name}" does not exist`, { position });
    return def.refname === undefined ? def : merge(def, resolveNamed(def.refname), def.refname);
  };
  const merge = (w: any, base: any, refname: string): any => {
    if (w.partitionClause !== undefined) throw new SqlError(SqlState.windowingError, `cannot override PARTITION BY clause of window "${refname}"`, { position });
    if (w.orderClause !== undefined && base.orderClause !== undefined)
      throw new SqlError(SqlState.windowingError, `cannot override ORDER BY clause of window "${refname}"`, { position });
    if ((base.frameOptions & F.nondefault) !== 0) throw new SqlError(SqlState.windowingError, `cannot copy window "${refname}" because it has a frame clause`, { position });
    return { ...w, refname: undefined, partitionClause: base.partitionClause, orderClause: w.orderClause ?? base.orderClause };
  };
  if (over.name !== undefined) return resolveNamed(over.name);
  if (over.refname !== undefined) return merge(over, resolveNamed(over.refname), over.refname);
  return over;
}

function sortKey(s: any, expr: Expr): SortKey {
  const descending = s.sortby_dir === 'SORTBY_DESC';
  if (s.sortby_dir === 'SORTBY_USING') throw notSupported('ORDER BY USING');
  const nullsFirst = s.sortby_nulls === 'SORTBY_NULLS_FIRST' ? true : s.sortby_nulls === 'SORTBY_NULLS_LAST' ? false : descending;
  return { expr, descending, nullsFirst };
}

/** Binds `name(args) OVER …`. */
export function bindWindowCall(name: string, n: any, s: ExprScope): Expr {
  const position = pos(n);
  const windows = s.windows ?? null;
  if (windows === null) {
    if (s.clause === 'aggregate function calls') throw new SqlError(SqlState.groupingError, 'aggregate function calls cannot contain window function calls', { position });
    if (s.clause === 'window function calls') throw new SqlError(SqlState.windowingError, 'window function calls cannot be nested', { position });
    throw new SqlError(SqlState.windowingError, `window functions are not allowed in ${s.clause}`, { position });
  }
  const def = resolveWindowDef(n.over, windows.named, pos(n.over) ?? position);
  const defScope: ExprScope = { ...s, windows: null, clause: 'window definitions' };
  const partitionBy: Expr[] = (def.partitionClause ?? []).map((p: any) => bindTypedExpr(p, defScope));
  const orderBy: SortKey[] = (def.orderClause ?? []).map((o: any) => sortKey(o.SortBy, bindTypedExpr(o.SortBy.node, defScope)));
  const frame = bindFrame(def, orderBy, s);

  const argScope: ExprScope = { ...s, windows: null, clause: 'window function calls' };
  const rawArgs: any[] = n.args ?? [];
  const base = { partitionBy, orderBy, frame, filter: null as Expr | null };
  const ranking = RANKING[name];
  if (ranking !== undefined) {
    if (rawArgs.length !== ranking.args) throw noFunction(name, rawArgs.length, position);
    return windows.add({ fn: ranking.fn, aggregate: null, args: [], type: ranking.type, ...base });
  }
  if (n.agg_order !== undefined) throw new SqlError(SqlState.featureNotSupported, 'aggregate ORDER BY is not implemented for window functions', { position });
  if (n.agg_distinct) throw new SqlError(SqlState.featureNotSupported, 'DISTINCT is not implemented for window functions', { position });
  // Untyped literals and parameters take their type from the call (lag's default from its value),
  // else they resolve to text as elsewhere.
  const untyped = rawArgs.map((a) => bindExpr(a, argScope));
  const typed = (e: Expr) => (isUnknown(e.type) ? coerce(e, Types.text, s.ctx) : e);
  const args = untyped.map((e, i) => ((name === 'lag' || name === 'lead') && i > 0 ? e : typed(e)));
  const int4 = (e: Expr) => coerce(e, Types.int4, s.ctx);
  switch (name) {
    case 'ntile':
      if (args.length !== 1) throw noFunction(name, args.length, position);
      return windows.add({ fn: 'ntile', aggregate: null, args: [int4(args[0])], type: Types.int4, ...base });
    case 'lag':
    case 'lead': {
      if (args.length < 1 || args.length > 3) throw noFunction(name, args.length, position);
      const t = args.length === 3 ? commonTypeOf([args[0].type, args[2].type], name) : args[0].type;
      const type = t.typmod === -1 ? t : withoutTypmod(t);
      const bound = [coerce(args[0], type, s.ctx), ...(args.length >= 2 ? [int4(args[1])] : []), ...(args.length === 3 ? [coerce(args[2], type, s.ctx)] : [])];
      return windows.add({ fn: name, aggregate: null, args: bound, type, ...base });
    }
    case 'first_value':
    case 'last_value':
      if (args.length !== 1) throw noFunction(name, args.length, position);
      return windows.add({ fn: name, aggregate: null, args, type: args[0].type, ...base });
    case 'nth_value':
      if (args.length !== 2) throw noFunction(name, args.length, position);
      return windows.add({ fn: 'nth_value', aggregate: null, args: [args[0], int4(args[1])], type: args[0].type, ...base });
  }
  if (!AGGREGATES.has(name)) {
    throw new SqlError(SqlState.wrongObjectType, `OVER specified, but ${name} is not a window function nor an aggregate function`, { position });
  }
  let aggArgs = args;
  if (name === 'string_agg' && args.length === 2) aggArgs = args.map((a) => coerce(a, Types.text, s.ctx));
  const { fn, type } = resolveAggregate(name, aggArgs, n.agg_star === true, position);
  const filter = n.agg_filter !== undefined ? coerce(bindExpr(n.agg_filter, argScope), Types.bool, s.ctx) : null;
  return windows.add({ fn: 'aggregate', aggregate: fn, args: aggArgs, type, ...base, filter });
}

function noFunction(name: string, argc: number, position?: number): SqlError {
  return new SqlError(SqlState.undefinedFunction, `function ${name}(${new Array(argc).fill('?').join(', ')}) does not exist`, {
    position,
    hint: 'No function matches the given name and argument types. You might need to add explicit type casts.',
  });
}

function bindFrame(def: any, orderBy: SortKey[], s: ExprScope): WindowFrame {
  const o: number = def.frameOptions ?? 1058;
  const mode = (o & F.rows) !== 0 ? 'rows' : (o & F.groups) !== 0 ? 'groups' : 'range';
  const offsetScope: ExprScope = { ...s, windows: null, aggregates: null, clause: mode.toUpperCase() };
  const bound = (node: any, which: 'start' | 'end'): Expr | null => {
    if (node === undefined) return null;
    const e = bindExpr(node, offsetScope);
    if (columnsUsed(e).size > 0) throw new SqlError(SqlState.invalidColumnReference, `argument of ${mode.toUpperCase()} must not contain variables`, { position: pos(node) });
    if (mode !== 'range') return coerce(e, Types.int8, s.ctx);
    if (orderBy.length !== 1) throw new SqlError(SqlState.windowingError, 'RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column', { position: pos(node) });
    const keyType = orderBy[0].expr.type;
    if (keyType.name === 'date' || keyType.name === 'timestamp' || keyType.name === 'timestamptz') return coerce(e, Types.interval, s.ctx);
    if (!isNumber(keyType)) throw new SqlError(SqlState.featureNotSupported, `RANGE with offset PRECEDING/FOLLOWING is not supported for column type ${typeLabel(keyType)}`);
    void which;
    return coerce(e, keyType.name === 'int2' || keyType.name === 'int4' ? Types.int8 : keyType.name === 'float4' ? Types.float8 : keyType.typmod === -1 ? keyType : withoutTypmod(keyType), s.ctx);
  };
  const start: FrameBound =
    (o & F.startUnboundedPreceding) !== 0
      ? { kind: 'unbounded_preceding', offset: null }
      : (o & F.startOffsetPreceding) !== 0
        ? { kind: 'preceding', offset: bound(def.startOffset, 'start') }
        : (o & F.startOffsetFollowing) !== 0
          ? { kind: 'following', offset: bound(def.startOffset, 'start') }
          : { kind: 'current_row', offset: null };
  const end: FrameBound =
    (o & F.endUnboundedFollowing) !== 0
      ? { kind: 'unbounded_following', offset: null }
      : (o & F.endOffsetPreceding) !== 0
        ? { kind: 'preceding', offset: bound(def.endOffset, 'end') }
        : (o & F.endOffsetFollowing) !== 0
          ? { kind: 'following', offset: bound(def.endOffset, 'end') }
          : { kind: 'current_row', offset: null };
  const exclude = (o & F.excludeCurrentRow) !== 0 ? 'current_row' : (o & F.excludeGroup) !== 0 ? 'group' : (o & F.excludeTies) !== 0 ? 'ties' : 'no_others';
  return { mode, start, end, exclude };
}

function typeLabel(t: DataType): string {
  return t.name === 'varchar' ? 'character varying' : t.name === 'bpchar' ? 'character' : t.name;
}

/** Rewrites every expression inside a window call (after aggregation changes the input row). */
export function mapWindowCall(c: WindowCall, fn: (e: Expr) => Expr): WindowCall {
  return {
    ...c,
    args: c.args.map(fn),
    filter: c.filter === null ? null : fn(c.filter),
    partitionBy: c.partitionBy.map(fn),
    orderBy: c.orderBy.map((k) => ({ ...k, expr: fn(k.expr) })),
  };
}

/** Replaces window placeholders with the window node's output columns (after `width` input columns). */
export function resolveWindowRefs(e: Expr, width: number): Expr {
  if (e.kind === 'column') return e.index >= WIN_BASE ? { ...e, index: width + (e.index - WIN_BASE) } : e;
  if (e.kind === 'subquery') return { ...e, args: e.args.map((a) => resolveWindowRefs(a, width)), test: e.test === null ? null : resolveWindowRefs(e.test, width) };
  return mapChildren(e, (c) => resolveWindowRefs(c, width));
}
