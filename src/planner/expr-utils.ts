// Structural helpers over bound expressions: which input columns an expression reads, remapping
// column indexes when operators reorder their inputs, and splitting conjunctions.
import { Expr } from '../plan/expr';
import { Types } from '../types/data-type';
import { forEachChild } from '../plan/expr-children';

export { forEachChild };

/** Rebuilds `e` with each direct child replaced by fn(child). */
export function mapChildren(e: Expr, fn: (child: Expr) => Expr): Expr {
  switch (e.kind) {
    case 'call':
      return { ...e, args: e.args.map(fn) };
    case 'and':
    case 'or':
      return { ...e, args: e.args.map(fn) };
    case 'coalesce':
      return { ...e, args: e.args.map(fn) };
    case 'cast':
      return { ...e, arg: fn(e.arg) };
    case 'not':
      return { ...e, arg: fn(e.arg) };
    case 'isnull':
      return { ...e, arg: fn(e.arg) };
    case 'booltest':
      return { ...e, arg: fn(e.arg) };
    case 'case':
      return { ...e, whens: e.whens.map((w) => ({ when: fn(w.when), then: fn(w.then) })), else: e.else === null ? null : fn(e.else) };
    case 'inlist':
      return { ...e, arg: fn(e.arg), list: e.list.map(fn) };
    case 'subquery':
      return { ...e, args: e.args.map(fn), test: e.test === null ? null : fn(e.test) };
    default:
      return e;
  }
}

/** The input column indexes `e` reads (subquery args included). */
export function columnsUsed(e: Expr, out: Set<number> = new Set()): Set<number> {
  if (e.kind === 'column') out.add(e.index);
  else forEachChild(e, (c) => columnsUsed(c, out));
  return out;
}

/** Replaces every column index i by map(i). */
export function remapColumns(e: Expr, map: (index: number) => number): Expr {
  if (e.kind === 'column') return { kind: 'column', index: map(e.index), type: e.type };
  return mapChildren(e, (c) => remapColumns(c, map));
}

/** Whether `e` contains a subquery anywhere (such predicates are not pushed into scans). */
export function hasSubquery(e: Expr): boolean {
  if (e.kind === 'subquery') return true;
  let found = false;
  forEachChild(e, (c) => {
    if (!found && hasSubquery(c)) found = true;
  });
  return found;
}

/** Flattens nested ANDs into a list of conjuncts. */
export function splitConjuncts(e: Expr | null, out: Expr[] = []): Expr[] {
  if (e === null) return out;
  if (e.kind === 'and') for (const a of e.args) splitConjuncts(a, out);
  else out.push(e);
  return out;
}

export function andAll(conjuncts: Expr[]): Expr | null {
  if (conjuncts.length === 0) return null;
  if (conjuncts.length === 1) return conjuncts[0];
  return { kind: 'and', args: conjuncts, type: Types.bool };
}

/** A structural identity for an expression (or any plan data): equal trees, equal keys. */
export function exprKey(e: unknown): string {
  // Decimal constants hold bigint digits, which JSON cannot write on its own.
  return JSON.stringify(e, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
}
