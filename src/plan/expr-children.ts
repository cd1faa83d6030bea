// The direct children of a bound expression, for walks below the planner (the executor's too).
import { Expr } from './expr';

/** Calls fn on every direct child expression (subquery plans are not entered; their args are). */
export function forEachChild(e: Expr, fn: (child: Expr) => void): void {
  switch (e.kind) {
    case 'call':
    case 'and':
    case 'or':
    case 'coalesce':
      e.args.forEach(fn);
      break;
    case 'cast':
    case 'not':
    case 'isnull':
    case 'booltest':
      fn(e.arg);
      break;
    case 'case':
      for (const w of e.whens) {
        fn(w.when);
        fn(w.then);
      }
      if (e.else !== null) fn(e.else);
      break;
    case 'inlist':
      fn(e.arg);
      e.list.forEach(fn);
      break;
    case 'subquery':
      e.args.forEach(fn);
      if (e.test !== null) fn(e.test);
      break;
    default:
      break;
  }
}
