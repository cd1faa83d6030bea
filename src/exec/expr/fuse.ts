// Fuses a tree of fixed-width operations — integer/float arithmetic, comparisons, AND/OR/NOT,
// IS [NOT] NULL/TRUE…, CASE and COALESCE over int2/int4/int8/float/date/timestamp/bool values —
// into one generated loop (new Function), compiled once per expression shape and cached by its
// source. Each row is evaluated with real short-circuits, so AND/OR/CASE/COALESCE skip work and
// raise errors only on the rows that reach them, as PostgreSQL's per-row evaluation does. Anything
// else in the tree (string comparisons, numeric, subqueries…) becomes an input vector computed by
// its own kernel before the loop; such an input that can raise an error is not allowed below a
// short-circuit (the node then falls back to the per-vector kernels).
import { Expr } from '../../plan/expr';
import { memoizedForFrozen } from '../../plan/frozen-memo';
import { DataType, StorageKind } from '../../types/data-type';
import { SqlError, SqlState } from '../../types/sql-error';
import { Batch, Vector } from '../../types/vector';
import { newVector } from '../../types/vector-ops';
import { zeroMask } from '../vector-util';
import { CompiledExpr, ExprEnv } from './compiled';
import { compileExpr } from './compile';
import { INT_RANGE, checkFloat } from './kernels-arith';
import { compareFloat } from './kernels-compare';

/** Set to false to compare fused and unfused evaluation (tests). */
export const fuseSettings = { enabled: true };

const FIXED: ReadonlySet<StorageKind> = new Set(['bool', 'int32', 'int64', 'float64', 'timestamp']);
const isFixed = (t: DataType) => FIXED.has(t.storage);
const isFloat = (t: DataType) => t.name === 'float4' || t.name === 'float8';
const ARITH_TYPES = new Set(['int2', 'int4', 'int8', 'float4', 'float8']);

/** Whether a node can be a fused operation (its children are checked as the tree is walked). */
function fusableOp(e: Expr): boolean {
  switch (e.kind) {
    case 'and':
    case 'or':
    case 'not':
    case 'booltest':
      return true;
    case 'isnull':
      return isFixed(e.arg.type);
    case 'case':
    case 'coalesce':
      return isFixed(e.type);
    case 'call':
      switch (e.fn) {
        case 'eq':
        case 'ne':
        case 'lt':
        case 'le':
        case 'gt':
        case 'ge':
          return isFixed(e.args[0].type) && isFixed(e.args[1].type) && e.args[0].type.storage !== 'bool' === (e.args[1].type.storage !== 'bool');
        case 'add':
        case 'sub':
        case 'mul':
        case 'div':
        case 'mod':
          return ARITH_TYPES.has(e.type.name) && e.args.every((a) => a.type.name === e.type.name);
        case 'neg':
          return ARITH_TYPES.has(e.type.name) && e.args[0].type.name === e.type.name;
        default:
          return false;
      }
    default:
      return false;
  }
}

function dependsOnRow(e: Expr): boolean {
  switch (e.kind) {
    case 'column':
    case 'outer':
    case 'subquery':
      return true;
    case 'const':
    case 'param':
      return false;
    case 'call':
    case 'and':
    case 'or':
    case 'coalesce':
      return e.args.some(dependsOnRow);
    case 'cast':
    case 'not':
    case 'isnull':
    case 'booltest':
      return dependsOnRow(e.arg);
    case 'case':
      return e.whens.some((w) => dependsOnRow(w.when) || dependsOnRow(w.then)) || (e.else !== null && dependsOnRow(e.else));
    case 'inlist':
      return dependsOnRow(e.arg) || e.list.some(dependsOnRow);
  }
}

function countOps(e: Expr): number {
  if (!fusableOp(e) || !dependsOnRow(e)) return 0;
  let n = 1;
  for (const c of children(e)) n += countOps(c);
  return n;
}

function children(e: Expr): Expr[] {
  switch (e.kind) {
    case 'call':
    case 'and':
    case 'or':
    case 'coalesce':
      return e.args;
    case 'not':
    case 'isnull':
    case 'booltest':
      return [e.arg];
    case 'case':
      return [...e.whens.flatMap((w) => [w.when, w.then]), ...(e.else === null ? [] : [e.else])];
    default:
      return [];
  }
}

class NotFusable extends Error {}

interface Gen {
  code: string;
  /** Variable (or literal) holding the value (bools as 0/1) and the NULL flag (0/1). */
  v: string;
  u: string;
}

class Generator {
  readonly inputs: CompiledExpr[] = [];
  readonly consts: number[] = [];
  private temps = 0;
  readonly decls: string[] = [];
  usesFloatCmp = false;
  /** Some operation or input of the tree can raise an error (arithmetic, or an input kernel that can). */
  mayError = false;

  constructor(private readonly env: ExprEnv) {}

  private temp(): [string, string] {
    const k = this.temps++;
    this.decls.push(`t${k} = 0`, `u${k} = 0`);
    return [`t${k}`, `u${k}`];
  }

  private literal(x: number): string {
    if (Number.isInteger(x) && Math.abs(x) < 2 ** 31 && !Object.is(x, -0)) return String(x);
    this.consts.push(x);
    return `C[${this.consts.length - 1}]`;
  }

  /** A child computed outside the loop (its own kernel), read as an input vector. */
  private input(e: Expr, conditional: boolean): Gen {
    const c = compileExpr(e, this.env);
    if (c.isConst) {
      const val = c.value;
      if (val === null) return { code: '', v: '0', u: '1' };
      return { code: '', v: this.literal(typeof val === 'boolean' ? (val ? 1 : 0) : (val as number)), u: '0' };
    }
    if (conditional && c.canError) throw new NotFusable();
    if (c.canError) this.mayError = true;
    this.inputs.push(c);
    const k = this.inputs.length - 1;
    return { code: '', v: `v${k}[i]`, u: `n${k}[i]` };
  }

  gen(e: Expr, conditional: boolean): Gen {
    if (!fusableOp(e) || !dependsOnRow(e)) return this.input(e, conditional);
    const [t, u] = this.temp();
    switch (e.kind) {
      case 'not': {
        const a = this.gen(e.arg, conditional);
        return { code: `${a.code}${u} = ${a.u}; ${t} = ${a.u} ? 0 : ${a.v} ^ 1;\n`, v: t, u };
      }
      case 'isnull': {
        const a = this.gen(e.arg, conditional);
        return { code: `${a.code}${u} = 0; ${t} = ${a.u} ^ ${e.negated ? 1 : 0};\n`, v: t, u };
      }
      case 'booltest': {
        const a = this.gen(e.arg, conditional);
        const r = e.test === 'unknown' ? a.u : `(${a.u} ? 0 : ${e.test === 'true' ? a.v : `${a.v} ^ 1`})`;
        return { code: `${a.code}${u} = 0; ${t} = ${r} ^ ${e.negated ? 1 : 0};\n`, v: t, u };
      }
      case 'and':
      case 'or': {
        const stop = e.kind === 'and' ? 0 : 1;
        const first = this.gen(e.args[0], conditional);
        let code = `${first.code}${t} = ${first.v}; ${u} = ${first.u};\n`;
        let close = '';
        for (let k = 1; k < e.args.length; k++) {
          const a = this.gen(e.args[k], true);
          code += `if (${u} !== 0 || ${t} !== ${stop}) {\n${a.code}`;
          code += `if (${a.u} === 0 && ${a.v} === ${stop}) { ${t} = ${stop}; ${u} = 0; } else if (${u} | ${a.u}) { ${t} = 0; ${u} = 1; } else { ${t} = ${stop ^ 1}; ${u} = 0; }\n`;
          close += '}\n';
        }
        return { code: code + close, v: t, u };
      }
      case 'coalesce': {
        let code = '';
        let close = '';
        e.args.forEach((arg, k) => {
          const a = this.gen(arg, conditional || k > 0);
          code += `${a.code}if (${a.u} === 0) { ${t} = ${a.v}; ${u} = 0; } else {\n`;
          close += '}\n';
        });
        return { code: `${code}${t} = 0; ${u} = 1;\n${close}`, v: t, u };
      }
      case 'case': {
        let code = '';
        let close = '';
        e.whens.forEach((w, k) => {
          const c = this.gen(w.when, conditional || k > 0);
          const r = this.gen(w.then, true);
          code += `${c.code}if (${c.u} === 0 && ${c.v} === 1) {\n${r.code}${t} = ${r.v}; ${u} = ${r.u};\n} else {\n`;
          close += '}\n';
        });
        if (e.else !== null) {
          const r = this.gen(e.else, true);
          code += `${r.code}${t} = ${r.v}; ${u} = ${r.u};\n`;
        } else code += `${t} = 0; ${u} = 1;\n`;
        return { code: code + close, v: t, u };
      }
      case 'call':
        return this.call(e, t, u, conditional);
      default:
        throw new NotFusable();
    }
  }

  private call(e: Extract<Expr, { kind: 'call' }>, t: string, u: string, conditional: boolean): Gen {
    const a = this.gen(e.args[0], conditional);
    if (e.fn === 'neg' || e.fn === 'add' || e.fn === 'sub' || e.fn === 'mul' || e.fn === 'div' || e.fn === 'mod') this.mayError = true;
    if (e.fn === 'neg') {
      const range = INT_RANGE[e.type.name];
      const limit = range === undefined ? '' : range.hi === 9223372036854775807 ? `${t} >= 9223372036854775807` : `${t} > ${range.hi}`;
      const check = limit === '' ? '' : ` if (${limit}) throw E.range(${JSON.stringify(range.message)});`;
      return { code: `${a.code}${u} = ${a.u}; if (${u} === 0) { ${t} = -(${a.v});${check} ${t} = ${t} + 0; } else ${t} = 0;\n`, v: t, u };
    }
    const b = this.gen(e.args[1], conditional);
    const pre = `${a.code}${b.code}${u} = ${a.u} | ${b.u};\n`;
    const x = a.v;
    const y = b.v;
    switch (e.fn) {
      case 'eq':
      case 'ne':
      case 'lt':
      case 'le':
      case 'gt':
      case 'ge': {
        const op = { eq: '===', ne: '!==', lt: '<', le: '<=', gt: '>', ge: '>=' }[e.fn];
        if (isFloat(e.args[0].type) || isFloat(e.args[1].type)) {
          this.usesFloatCmp = true;
          return { code: `${pre}${t} = ${u} ? 0 : (F.cmp(${x}, ${y}) ${op} 0 ? 1 : 0);\n`, v: t, u };
        }
        return { code: `${pre}${t} = ${u} ? 0 : (${x} ${op} ${y} ? 1 : 0);\n`, v: t, u };
      }
      default:
        return { code: pre + this.arith(e.fn, e.type, x, y, t, u), v: t, u };
    }
  }

  private arith(fn: string, type: DataType, x: string, y: string, t: string, u: string): string {
    const op = { add: '+', sub: '-', mul: '*', div: '/', mod: '%' }[fn as 'add'];
    if (isFloat(type)) {
      const zero = fn === 'div' || fn === 'mod' ? `if (${y} === 0) throw E.divzero(); ` : '';
      const round = type.name === 'float4' ? `${t} = Math.fround(${t}); ` : '';
      return `if (${u} === 0) { ${zero}${t} = ${x} ${op} ${y}; ${round}if (${t} === Infinity || ${t} === -Infinity || ${t} === 0) E.checkFloat(${t}, ${x}, ${y}, ${JSON.stringify(fn)}); } else ${t} = 0;\n`;
    }
    const range = INT_RANGE[type.name];
    const msg = JSON.stringify(range.message);
    const int8 = type.name === 'int8';
    const out = int8 ? `${t} < -9223372036854775808 || ${t} >= 9223372036854775807` : `${t} < ${range.lo} || ${t} > ${range.hi}`;
    let body: string;
    switch (fn) {
      case 'div':
        body = `if (${y} === 0) throw E.divzero(); ${t} = Math.trunc(${x} / ${y}) + 0;`;
        break;
      case 'mod':
        body = `if (${y} === 0) throw E.divzero(); ${t} = (${x} % ${y}) + 0;`;
        break;
      default:
        body = `${t} = ${x} ${op} ${y} + 0;`;
    }
    return `if (${u} === 0) { ${body} if (${out}) throw E.range(${msg}); } else ${t} = 0;\n`;
  }
}

const HELPERS = {
  range: (message: string) => new SqlError(SqlState.numericValueOutOfRange, message),
  divzero: () => new SqlError(SqlState.divisionByZero, 'division by zero'),
  checkFloat: (v: number, p: number, q: number, fn: string) => checkFloat(v, p, q, fn as 'mul'),
};
const FLOAT = { cmp: compareFloat };

type Kernel = (n: number, V: ArrayLike<number>[], N: Uint8Array[], C: number[], out: { [i: number]: number }, onull: Uint8Array, E: typeof HELPERS, F: typeof FLOAT) => number;
const kernelCache = new Map<string, Kernel>();

/** Whether a tree is worth fusing (two operations or more), remembered for the frozen trees of cached plans. */
const worthFusing = memoizedForFrozen((e: Expr): boolean => fusableOp(e) && countOps(e) >= 2);

export function tryFuse(e: Expr, env: ExprEnv): CompiledExpr | null {
  if (!fuseSettings.enabled || !worthFusing(e)) return null;
  const g = new Generator(env);
  let root: Gen;
  try {
    root = g.gen(e, false);
  } catch (err) {
    if (err instanceof NotFusable) return null;
    throw err;
  }
  const loads = g.inputs.map((_, k) => `const v${k} = V[${k}], n${k} = N[${k}];`).join('\n');
  const decls = g.decls.length > 0 ? `let ${g.decls.join(', ')};\n` : '';
  const source = `${loads}\nlet anyNull = 0;\nfor (let i = 0; i < n; i++) {\n${decls}${root.code}out[i] = ${root.u} ? 0 : ${root.v}; onull[i] = ${root.u}; anyNull |= ${root.u};\n}\nreturn anyNull;`;
  let kernel = kernelCache.get(source);
  if (kernel === undefined) {
    kernel = new Function('n', 'V', 'N', 'C', 'out', 'onull', 'E', 'F', source) as Kernel;
    if (kernelCache.size > 2000) kernelCache.clear();
    kernelCache.set(source, kernel);
  }
  const k = kernel;
  const inputs = g.inputs;
  const consts = g.consts;
  const type = e.type;
  const fn = (batch: Batch): Vector => {
    const n = batch.length;
    const V: ArrayLike<number>[] = new Array(inputs.length);
    const N: Uint8Array[] = new Array(inputs.length);
    for (let j = 0; j < inputs.length; j++) {
      const v = inputs[j].eval(batch) as { values: ArrayLike<number>; nulls: Uint8Array | null };
      V[j] = v.values;
      N[j] = v.nulls ?? zeroMask(n);
    }
    const out = newVector(type, n) as { values: { [i: number]: number }; nulls: Uint8Array | null };
    const onull = new Uint8Array(n);
    const anyNull = k(n, V, N, consts, out.values, onull, HELPERS, FLOAT);
    out.nulls = anyNull ? onull : null;
    return out as unknown as Vector;
  };
  const columns = new Set<number>();
  for (const c of inputs) for (const x of c.columns) columns.add(x);
  return { type, eval: fn, isConst: false, value: null, canError: g.mayError, columns: [...columns].sort((a, b) => a - b) };
}
