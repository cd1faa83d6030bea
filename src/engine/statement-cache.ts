// The session's cache of bound plans for simple-query strings that differ only in numeric literals
// (sql/literal-params.ts): the second time a string's shape comes back, its value literals become
// parameters $1…$n, and from then on a string of that shape skips parsing, binding and planning —
// the cached plan runs with the string's literals as parameter values, the way the extended
// protocol runs a prepared statement.
//
// Why the cached plan is the one the normal path would produce (and so gives the same rows and
// the same errors):
// - Same key ⇒ same tokens except numeric literal values ⇒ the same AST except those values
//   (parameterize checks this against the parser's own A_Consts when the entry is made).
// - A parameter has the type the binder gives the literal (bindConst of the same A_Const body);
//   a string whose literal would get another type (1 → 3000000000 → 1.5) does not use the entry.
// - When the entry is made, the plan bound with parameters must equal, node for node, the plan
//   the normal path bound for that same string, each parameter standing exactly where that plan
//   has the literal's constant (estimates aside). So the binder did nothing with those literals
//   but place them: a literal it folded into another value (a narrowing cast to the column type,
//   LIMIT's top-N, an ORDER BY position) leaves the shape uncached. The one fold allowed is a
//   widening cast that is exact for every value (int4 → int8, float8 or numeric; int8 → numeric),
//   where the plan casts the parameter instead. The executor compiles a parameter exactly as a
//   constant (exec/expr/compile.ts), so running the plan is running the literal plan.
// - Only single-table plans (scan, filter, project, sort, limit, VALUES) without subqueries, over
//   ordinary tables, built from an allow-list of AST nodes: index choice looks only at types there
//   and no estimate steers anything, so other literal values would not have bound another plan;
//   nothing read from the catalog or from data at bind time (system views, sequences, catalog
//   functions) can end up frozen in the plan.
// - It is used only while everything binding read is unchanged: the same TableDef objects for the
//   named relations in the catalog the session would bind against (DDL makes new ones), the same
//   settings (any SET, RESET or set_config), no DDL of its own transaction pending, and
//   plan_cache_mode is not force_custom_plan.
import { Types, DataType } from '../types/data-type';
import { Scalar } from '../types/vector';
import { bindConst } from '../sql/bind-expr';
import { BoundStatement } from '../sql/bound-statement';
import { KnownKey, LiteralScan, LiteralSlot, constBody, keyHash, knownKey, literalValue, parameterize, relationsOf, scanLiterals } from '../sql/literal-params';
import { CatalogView, TableDef } from '../storage/api';
import { SqlError, SqlState } from '../types/sql-error';
import { castScalar } from '../types/cast';
import { DEFAULT_FORMAT } from '../types/text-format';

/** Shapes (and first sightings) kept per session; the oldest quarter goes when full. */
const MAX_ENTRIES = 256;

/**
 * TESSERA_STATEMENT_CACHE=verify (tests): shapes are cached at their first sighting, and every use
 * of a cached plan first binds the string the normal way and fails (XX000) unless that plan is the
 * cached one with the string's literals for its parameters.
 */
export const statementCacheChecks = { verify: process.env.TESSERA_STATEMENT_CACHE === 'verify' };

export interface CachedStatement {
  /** The parameterized AST (its tag is what the aborted-transaction check looks at). */
  readonly ast: Record<string, any>;
  /** The bound plan, frozen: executions share it. */
  readonly bound: BoundStatement;
  readonly paramTypes: DataType[];
  readonly slots: LiteralSlot[];
  /** The relations the statement names, as resolved when it was bound. */
  readonly relations: { schema: string; name: string; def: TableDef }[];
  readonly settingsVersion: number;
}

/** A string's shape is cached (with this string's parameter values) or not yet. */
export type CacheLookup = { hit: CachedStatement; params: Scalar[] } | { hit: null; scan: LiteralScan; seenBefore: boolean };

/** What building an entry needs from the session. */
export interface CacheBuildContext {
  catalog: CatalogView;
  settingsVersion: number;
  /** Binds a (parameterized) statement AST with these parameter types, against the session's catalog. */
  bind(ast: Record<string, any>, paramTypes: DataType[]): BoundStatement;
}

export class StatementCache {
  private readonly entries = new Map<string, CachedStatement | 'seen' | 'uncacheable'>();
  /**
   * The key of each entry by its hash: a string of a known shape finds its key here and compares
   * it in place, instead of building its own key string and hashing it for the Map (every
   * statement pgbench sends). A colliding shape just builds its key.
   */
  private readonly keyByHash = new Map<number, KnownKey>();
  /** Executions that used a cached plan (for tests). */
  hits = 0;

  lookup(sql: string): CacheLookup | null {
    const scan = scanLiterals(sql);
    if (scan === null) return null;
    const known = this.keyByHash.get(scan.hash);
    const e = this.entries.get(known !== undefined && scan.matchesKnown(known) ? known.key : scan.key);
    if (e === 'uncacheable') return null;
    if (e === undefined || e === 'seen') return { hit: null, scan, seenBefore: e === 'seen' || statementCacheChecks.verify };
    const params = paramValues(e, sql, scan);
    return params === null ? null : { hit: e, params };
  }

  /** Whether a cached entry still binds as it did (the session calls it right before use). */
  static valid(e: CachedStatement, catalog: CatalogView, settingsVersion: number): boolean {
    if (e.settingsVersion !== settingsVersion) return false;
    for (const r of e.relations) if (catalog.findTable(r.schema, r.name) !== r.def) return false;
    return true;
  }

  /** First sighting of a shape: remembered, nothing built (one-off strings cost only the scan). */
  noteSeen(scan: LiteralScan): void {
    this.put(scan.key, 'seen');
  }

  /**
   * Second sighting: makes the entry from the string the normal path just bound (`literalBound`),
   * or marks the shape uncacheable. Never throws.
   */
  build(sql: string, scan: LiteralScan, ast: Record<string, any> | undefined, literalBound: BoundStatement, ctx: CacheBuildContext): void {
    let entry: CachedStatement | null = null;
    try {
      entry = makeEntry(sql, scan, ast, literalBound, ctx);
    } catch {
      entry = null; // binding with parameters failed where the literal binding did not
    }
    this.put(scan.key, entry ?? 'uncacheable');
  }

  /** Forgets the entry of a string's shape (it no longer binds as it did); the string's scan, for rebuilding it. */
  forget(sql: string): LiteralScan | null {
    const scan = scanLiterals(sql);
    if (scan !== null) this.remove(scan.key);
    return scan;
  }

  private put(key: string, value: CachedStatement | 'seen' | 'uncacheable'): void {
    if (!this.entries.has(key) && this.entries.size >= MAX_ENTRIES) {
      let n = MAX_ENTRIES / 4;
      for (const k of this.entries.keys()) {
        this.remove(k);
        if (--n === 0) break;
      }
    }
    this.entries.set(key, value);
    this.keyByHash.set(keyHash(key), knownKey(key));
  }

  private remove(key: string): void {
    this.entries.delete(key);
    const h = keyHash(key);
    if (this.keyByHash.get(h)?.key === key) this.keyByHash.delete(h);
  }
}

/** Verify mode: the plan the normal path bound for a string must be the cached one with the string's literals as parameters. */
export function verifyCachedPlan(e: CachedStatement, params: Scalar[], literalBound: () => BoundStatement, sql: string): void {
  let fresh: BoundStatement;
  try {
    fresh = literalBound();
  } catch (err) {
    throw new SqlError(SqlState.internalError, `statement cache: the cached plan ran where binding fails (${(err as Error).message}): ${sql}`);
  }
  if (!sameModuloParams(fresh, e.bound, params)) throw new SqlError(SqlState.internalError, `statement cache: cached plan differs from the plan bound now: ${sql}`);
}

/** The string's parameter values for an entry; null when a literal binds to another type or a fixed literal differs. */
function paramValues(e: CachedStatement, sql: string, scan: LiteralScan): Scalar[] | null {
  const params: Scalar[] = new Array(e.paramTypes.length);
  for (let i = 0; i < e.slots.length; i++) {
    const slot = e.slots[i];
    const lit = scan.literals[i];
    if (slot.param < 0) {
      if (sql.slice(slot.negated ? lit.minus : lit.start, lit.end) !== slot.text) return null;
      continue;
    }
    const small = e.paramTypes[slot.param] === Types.int4 ? smallInteger(sql, lit.start, lit.end) : -1;
    if (small >= 0) {
      // What binding the literal gives (an int4 constant), without making its AST node.
      params[slot.param] = (slot.negated ? -small : small) | 0;
      continue;
    }
    const c = bindConst(constBody(literalValue(sql, lit, slot.negated)));
    if (c.kind !== 'const' || c.type !== e.paramTypes[slot.param]) return null;
    params[slot.param] = c.value;
  }
  return params;
}

/** The value of sql[start, end) when it is at most 9 digits (an int4 literal), else -1. */
function smallInteger(sql: string, start: number, end: number): number {
  if (end - start > 9) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const d = sql.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return end > start ? v : -1;
}

function makeEntry(sql: string, scan: LiteralScan, ast: Record<string, any> | undefined, literalBound: BoundStatement, ctx: CacheBuildContext): CachedStatement | null {
  if (!astAllowed(ast)) return null;
  const p = parameterize(sql, scan, ast);
  if (p === null) return null;
  const paramTypes: DataType[] = [];
  const values: Scalar[] = [];
  for (let i = 0; i < p.slots.length; i++) {
    const slot = p.slots[i];
    if (slot.param < 0) continue;
    const c = bindConst(constBody(literalValue(sql, scan.literals[i], slot.negated)));
    if (c.kind !== 'const' || (c.type !== Types.int4 && c.type !== Types.int8 && c.type !== Types.numeric)) return null;
    paramTypes[slot.param] = c.type;
    values[slot.param] = c.value;
  }
  const relations = resolveRelations(p.relations, ctx.catalog);
  if (relations === null) return null;
  const bound = ctx.bind(p.ast, paramTypes.slice());
  if (!boundAllowed(bound)) return null;
  if (!sameModuloParams(literalBound, bound, values)) return null;
  deepFreeze(bound);
  return { ast: p.ast, bound, paramTypes, slots: p.slots, relations, settingsVersion: ctx.settingsVersion };
}

/** The named relations as tables of the catalog; null when one is not a table (a view, sequence, system relation or CTE). */
function resolveRelations(named: { schema: string | undefined; name: string }[], catalog: CatalogView): CachedStatement['relations'] | null {
  const relations: CachedStatement['relations'] = [];
  for (const r of named) {
    const schema = r.schema ?? 'public';
    const def = catalog.findTable(schema, r.name);
    if (def === undefined) return null;
    relations.push({ schema, name: r.name, def });
  }
  return relations;
}

/**
 * A prepared statement's (extended protocol) bound plan, kept for its later executions: binding
 * the same AST with the same parameter types against the same catalog and settings gives the same
 * plan, so only the checks that keep bind-time data out of it apply (the AST allow-list and plan
 * kinds); `valid` decides when it must be bound again. Null when it may not be kept.
 */
export function preparedEntry(ast: Record<string, any> | undefined, bound: BoundStatement, paramTypes: DataType[], catalog: CatalogView, settingsVersion: number): CachedStatement | null {
  if (ast === undefined || !astAllowed(ast) || !boundAllowed(bound)) return null;
  const relations = resolveRelations(relationsOf(ast), catalog);
  if (relations === null) return null;
  deepFreeze(bound);
  return { ast, bound, paramTypes, slots: [], relations, settingsVersion };
}

// ---- what may be cached ----

/** AST node tags a cached statement may contain (anything else: the normal path, always). */
const ALLOWED_TAGS = new Set([
  'TransactionStmt',
  'DefElem',
  'SelectStmt',
  'InsertStmt',
  'UpdateStmt',
  'DeleteStmt',
  'ResTarget',
  'ColumnRef',
  'String',
  'A_Star',
  'A_Const',
  'A_Expr',
  'BoolExpr',
  'NullTest',
  'BooleanTest',
  'RangeVar',
  'List',
  'SortBy',
  'TypeCast',
  'CaseExpr',
  'CaseWhen',
  'CoalesceExpr',
  'MinMaxExpr',
  'SQLValueFunction',
  'FuncCall',
  'ParamRef',
]);

/** Fields whose content is no expression of the allow-list (and whose nodes come without a tag). */
const DENIED_FIELDS = new Set(['withClause', 'intoClause', 'onConflictClause', 'lockingClause', 'windowClause', 'over', 'usingClause']);

/** Functions computed while executing, from their arguments only (no catalog, session or data read while binding). */
const PURE_FUNCTIONS = new Set(['now', 'random', 'abs', 'lower', 'upper', 'length', 'char_length', 'round', 'trunc', 'floor', 'ceil', 'ceiling', 'mod', 'substr', 'substring', 'btrim', 'ltrim', 'rtrim', 'concat', 'md5']);

function astAllowed(node: unknown): boolean {
  if (node === null || typeof node !== 'object') return true;
  if (Array.isArray(node)) return node.every(astAllowed);
  const o = node as Record<string, any>;
  for (const k in o) {
    const v = o[k];
    const first = k.charCodeAt(0);
    if (first >= 65 && first <= 90 && !ALLOWED_TAGS.has(k)) return false;
    if (DENIED_FIELDS.has(k)) return false;
    if (k === 'FuncCall') {
      const names: string[] = (v.funcname ?? []).map((s: any) => s.String?.sval);
      const name = names[names.length - 1];
      if ((names.length === 2 && names[0] !== 'pg_catalog') || names.length > 2 || !PURE_FUNCTIONS.has(name)) return false;
      if (v.agg_star || v.agg_distinct || v.over !== undefined || v.agg_filter !== undefined || v.agg_order !== undefined) return false;
    }
    // Casts to reg* types look names up in the catalog while binding.
    if (k === 'TypeCast' && (v.typeName?.names ?? []).some((s: any) => /^reg/.test(s.String?.sval ?? ''))) return false;
    if (!astAllowed(v)) return false;
  }
  return true;
}

/** Plan and expression kinds a cached plan may contain. */
const ALLOWED_KINDS = new Set(['scan', 'filter', 'project', 'sort', 'limit', 'column', 'const', 'param', 'call', 'cast', 'case', 'and', 'or', 'not', 'isnull', 'booltest', 'inlist', 'coalesce']);

function boundAllowed(b: BoundStatement): boolean {
  switch (b.kind) {
    case 'query':
      return kindsAllowed(b.plan, null);
    case 'insert':
      return (b.onConflict ?? null) === null && kindsAllowed(b.source, b.source) && (b.returning === null || kindsAllowed(b.returning.exprs, null));
    case 'update':
    case 'delete':
      return kindsAllowed(b.plan, null) && (b.returning === null || kindsAllowed(b.returning.exprs, null));
    case 'transaction':
      return true;
    default:
      return false;
  }
}

/** Every plan node and expression below is of an allowed kind (VALUES: the INSERT source, or SELECT without FROM). */
function kindsAllowed(node: unknown, insertSource: unknown): boolean {
  if (node === null || typeof node !== 'object' || ArrayBuffer.isView(node)) return true;
  if (Array.isArray(node)) return node.every((x) => kindsAllowed(x, insertSource));
  const o = node as Record<string, any>;
  if (typeof o.kind === 'string') {
    const fromless = o.kind === 'values' && o.rows.length === 1 && o.rows[0].length === 0;
    if (!ALLOWED_KINDS.has(o.kind) && !(o.kind === 'values' && (o === insertSource || fromless))) return false;
  }
  for (const k in o) if (k !== 'type' && k !== 'table' && !kindsAllowed(o[k], insertSource)) return false;
  return true;
}

// ---- the literal plan and the parameterized one are the same plan ----

/** Fields that only carry estimates (nothing in these plans executes differently by them). */
const ESTIMATES = new Set(['estimatedRows']);

/** `lit` (bound from the string) equals `par` (bound with parameters) where each parameter stands for a constant of its value and type. */
export function sameModuloParams(lit: unknown, par: unknown, values: Scalar[]): boolean {
  if (lit === par) return true;
  if (typeof lit !== typeof par || lit === null || par === null || typeof lit !== 'object') return false;
  if (ArrayBuffer.isView(lit) || ArrayBuffer.isView(par)) return false;
  if (Array.isArray(lit) !== Array.isArray(par)) return false;
  const l = lit as Record<string, any>;
  const p = par as Record<string, any>;
  if (p.kind === 'param' && l.kind === 'const') return l.type === p.type && sameModuloParams(l.value, values[p.index], []) && values[p.index] !== undefined;
  // A literal the binder widened to its context's type (int4 → int8 beside an int8 column): the
  // constant it folded must be what the cast of the parameter computes, and such casts never fail.
  if (p.kind === 'cast' && !p.explicit && p.arg.kind === 'param' && l.kind === 'const' && widening(p.arg.type, p.type) && sameModuloParams(l.type, p.type, [])) {
    const v = values[p.arg.index];
    return v !== undefined && v !== null && sameModuloParams(l.value, castScalar(v, p.arg.type, p.type, DEFAULT_FORMAT, false), []);
  }
  const lk = Object.keys(l).filter((k) => !ESTIMATES.has(k));
  const pk = Object.keys(p).filter((k) => !ESTIMATES.has(k));
  if (lk.length !== pk.length) return false;
  for (const k of lk) if (!(k in p) || !sameModuloParams(l[k], p[k], values)) return false;
  return true;
}

/** Casts that are exact for every value: int4 → int8, int4 → float8, and integers → numeric without a typmod. */
function widening(from: DataType, to: DataType): boolean {
  if (from !== Types.int4 && from !== Types.int8) return false;
  if (to.name === 'numeric') return to.typmod === -1 && to.elem === undefined;
  if (from !== Types.int4) return false;
  return (to.name === 'int8' || to.name === 'float8') && to.elem === undefined;
}

/** Freezes a plan tree so shared executions cannot change it (catalog objects and types are not ours to freeze). */
function deepFreeze(node: unknown): void {
  if (node === null || typeof node !== 'object' || ArrayBuffer.isView(node) || Object.isFrozen(node)) return;
  const o = node as Record<string, unknown>;
  for (const k in o) if (k !== 'table' && k !== 'type') deepFreeze(o[k]);
  Object.freeze(o);
}
