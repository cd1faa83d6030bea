// Boolean logic with SQL's three-valued semantics, IS [NOT] NULL/TRUE/…, IN lists, COALESCE, CASE,
// NULLIF, GREATEST/LEAST. Arguments that can raise errors are evaluated only on the rows that reach
// them (AND/OR after the outcome is decided, CASE branches, later COALESCE arguments).
import { DataType } from '../../types/data-type';
import { Batch, BoolVector, Vector } from '../../types/vector';
import { boolVector, gatherBatch } from '../vector-util';
import { jsonbKeyDict, trimTrailingSpaces } from '../string-order';
import { jsonbOrderKey } from '../../types/json';
import { CompiledExpr, VectorFn } from './compiled';
import { compareVectors } from './kernels-compare';
import { Piece, assembleVector } from './assemble';

function neededColumns(exprs: readonly CompiledExpr[]): boolean[] {
  const needed: boolean[] = [];
  for (const e of exprs) for (const c of e.columns) needed[c] = true;
  return needed;
}

/** The batch restricted to rows (only the columns the expressions read are gathered). */
function subBatch(batch: Batch, rows: Uint32Array, needed: readonly boolean[]): Batch {
  return gatherBatch(batch, rows, rows.length, needed);
}

export function andOrKernel(kind: 'and' | 'or', args: CompiledExpr[]): VectorFn {
  const stop = kind === 'and' ? 0 : 1;
  const fns = args.map((a) => a.eval);
  const lazy = args.map((a, k) => k > 0 && a.canError);
  const needed = args.map((a) => neededColumns([a]));
  return (batch) => {
    const n = batch.length;
    const res = new Uint8Array(n).fill(stop ^ 1);
    let sawNull: Uint8Array | null = null;
    let undecided = n;
    for (let k = 0; k < fns.length && undecided > 0; k++) {
      let rows: Uint32Array | null = null;
      if (lazy[k] && undecided < n) {
        rows = new Uint32Array(undecided);
        let m = 0;
        for (let i = 0; i < n; i++) if (res[i] !== stop) rows[m++] = i;
      }
      const v = fns[k](rows === null ? batch : subBatch(batch, rows, needed[k])) as BoolVector;
      const vals = v.values;
      const vn = v.nulls;
      const m = rows === null ? n : rows.length;
      for (let j = 0; j < m; j++) {
        const i = rows === null ? j : rows[j];
        if (res[i] === stop) continue;
        if (vn !== null && vn[j] === 1) (sawNull ??= new Uint8Array(n))[i] = 1;
        else if (vals[j] === stop) {
          res[i] = stop;
          undecided--;
        }
      }
    }
    let nulls: Uint8Array | null = null;
    if (sawNull !== null)
      for (let i = 0; i < n; i++)
        if (res[i] !== stop && sawNull[i] === 1) {
          (nulls ??= new Uint8Array(n))[i] = 1;
          res[i] = 0;
        }
    return boolVector(n, res, nulls);
  };
}

export function notKernel(arg: CompiledExpr): VectorFn {
  const f = arg.eval;
  return (batch) => {
    const v = f(batch) as BoolVector;
    const n = v.length;
    const out = new Uint8Array(n);
    const x = v.values;
    for (let i = 0; i < n; i++) out[i] = x[i] ^ 1;
    return boolVector(n, out, v.nulls);
  };
}

export function isNullKernel(arg: CompiledExpr, negated: boolean): VectorFn {
  const f = arg.eval;
  return (batch) => {
    const v = f(batch);
    const n = batch.length;
    const out = new Uint8Array(n);
    if (v.nulls !== null) out.set(v.nulls.subarray(0, n));
    if (negated) for (let i = 0; i < n; i++) out[i] ^= 1;
    return boolVector(n, out, null);
  };
}

export function booltestKernel(arg: CompiledExpr, test: 'true' | 'false' | 'unknown', negated: boolean): VectorFn {
  const f = arg.eval;
  const flip = negated ? 1 : 0;
  return (batch) => {
    const v = f(batch) as BoolVector;
    const n = batch.length;
    const out = new Uint8Array(n);
    const vn = v.nulls;
    for (let i = 0; i < n; i++) {
      const isNull = vn !== null && vn[i] === 1;
      const r = test === 'unknown' ? isNull : !isNull && v.values[i] === (test === 'true' ? 1 : 0);
      out[i] = (r ? 1 : 0) ^ flip;
    }
    return boolVector(n, out, null);
  };
}

/** x [NOT] IN (list): NULL when x is NULL, or when nothing matched and the list has a NULL. */
export function inListKernel(arg: CompiledExpr, list: CompiledExpr[], negated: boolean): VectorFn {
  const fa = arg.eval;
  const yes = negated ? 0 : 1;
  const storage = arg.type.storage;
  if (list.every((x) => x.isConst) && (storage === 'int32' || storage === 'int64' || storage === 'float64' || storage === 'timestamp' || storage === 'bool' || storage === 'string')) {
    const listHasNull = list.some((x) => x.value === null);
    if (storage === 'string') {
      const bp = arg.type.name === 'bpchar' || list.some((x) => x.type.name === 'bpchar');
      const jb = arg.type.name === 'jsonb';
      const set = new Set(list.filter((x) => x.value !== null).map((x) => (bp ? trimTrailingSpaces(x.value as string) : jb ? jsonbOrderKey(x.value as string) : (x.value as string))));
      const perDict = new WeakMap<string[], Uint8Array>();
      return (batch) => {
        const v = fa(batch) as Extract<Vector, { kind: 'string' }>;
        let table = perDict.get(v.dict);
        if (table === undefined || table.length !== v.dict.length) {
          table = new Uint8Array(v.dict.length);
          const d = jb ? jsonbKeyDict(v.dict) : v.dict;
          for (let k = 0; k < d.length; k++) table[k] = set.has(bp ? trimTrailingSpaces(d[k]) : d[k]) ? 1 : 0;
          perDict.set(v.dict, table);
        }
        const n = v.length;
        const found = new Uint8Array(n);
        for (let i = 0; i < n; i++) found[i] = table[v.codes[i]];
        return inResult(found, v.nulls, listHasNull, yes, n);
      };
    }
    const set = new Set(list.filter((x) => x.value !== null).map((x) => (typeof x.value === 'boolean' ? (x.value ? 1 : 0) : (x.value as number))));
    return (batch) => {
      const v = fa(batch) as { values: ArrayLike<number>; nulls: Uint8Array | null; length: number };
      const n = v.length;
      const found = new Uint8Array(n);
      for (let i = 0; i < n; i++) found[i] = set.has(v.values[i]) ? 1 : 0;
      return inResult(found, v.nulls, listHasNull, yes, n);
    };
  }
  const fl = list.map((x) => x.eval);
  return (batch) => {
    const a = fa(batch);
    const n = batch.length;
    const found = new Uint8Array(n);
    let sawNull: Uint8Array | null = null;
    for (const f of fl) {
      const eq = compareVectors('eq', a, f(batch));
      for (let i = 0; i < n; i++) {
        if (eq.nulls !== null && eq.nulls[i] === 1) (sawNull ??= new Uint8Array(n))[i] = 1;
        else if (eq.values[i] === 1) found[i] = 1;
      }
    }
    const out = new Uint8Array(n);
    let nulls: Uint8Array | null = null;
    for (let i = 0; i < n; i++) {
      if ((a.nulls !== null && a.nulls[i] === 1) || (found[i] === 0 && sawNull !== null && sawNull[i] === 1)) (nulls ??= new Uint8Array(n))[i] = 1;
      else out[i] = found[i] === 1 ? yes : yes ^ 1;
    }
    return boolVector(n, out, nulls);
  };
}

function inResult(found: Uint8Array, argNulls: Uint8Array | null, listHasNull: boolean, yes: number, n: number): BoolVector {
  const out = new Uint8Array(n);
  let nulls: Uint8Array | null = null;
  for (let i = 0; i < n; i++) {
    if ((argNulls !== null && argNulls[i] === 1) || (found[i] === 0 && listHasNull)) (nulls ??= new Uint8Array(n))[i] = 1;
    else out[i] = found[i] === 1 ? yes : yes ^ 1;
  }
  return boolVector(n, out, nulls);
}

export function coalesceKernel(type: DataType, args: CompiledExpr[]): VectorFn {
  const fns = args.map((a) => a.eval);
  const needed = args.map((a) => neededColumns([a]));
  return (batch) => {
    const n = batch.length;
    const first = fns[0](batch);
    if (first.nulls === null || fns.length === 1) return retype(first, type);
    const pieces: Piece[] = [];
    // Rows still NULL, as indexes into the batch.
    let open = nullRows(first.nulls, n);
    const firstRows = nonNullRows(first.nulls, n);
    pieces.push({ vector: first, rows: firstRows, src: firstRows });
    for (let k = 1; k < fns.length && open.length > 0; k++) {
      const all = open.length === n;
      const v = fns[k](all ? batch : subBatch(batch, open, needed[k]));
      if (v.nulls === null) {
        pieces.push({ vector: v, rows: open, src: null });
        open = new Uint32Array(0);
        break;
      }
      const keep = nonNullRows(v.nulls, open.length);
      pieces.push({ vector: v, rows: keep.map((j) => open[j]), src: keep });
      open = nullRows(v.nulls, open.length).map((j) => open[j]);
    }
    return assembleVector(type, n, pieces);
  };
}

function retype(v: Vector, type: DataType): Vector {
  return v.type === type ? v : ({ ...v, type } as Vector);
}
function nullRows(nulls: Uint8Array, n: number): Uint32Array {
  let m = 0;
  for (let i = 0; i < n; i++) m += nulls[i];
  const out = new Uint32Array(m);
  m = 0;
  for (let i = 0; i < n; i++) if (nulls[i] === 1) out[m++] = i;
  return out;
}
function nonNullRows(nulls: Uint8Array | null, n: number): Uint32Array {
  const out = new Uint32Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) if (nulls === null || nulls[i] === 0) out[m++] = i;
  return out.subarray(0, m);
}

export function caseKernel(type: DataType, whens: { when: CompiledExpr; then: CompiledExpr }[], otherwise: CompiledExpr | null): VectorFn {
  const parts = whens.map((w) => ({ when: w.when.eval, then: w.then.eval, whenCols: neededColumns([w.when]), thenCols: neededColumns([w.then]) }));
  const elseFn = otherwise === null ? null : otherwise.eval;
  const elseCols = otherwise === null ? [] : neededColumns([otherwise]);
  return (batch) => {
    const n = batch.length;
    const pieces: Piece[] = [];
    // Rows not yet decided, as indexes into the batch (null = all rows).
    let remaining: Uint32Array | null = null;
    for (const p of parts) {
      const m: number = remaining === null ? n : remaining.length;
      if (m === 0) break;
      const cond = p.when(remaining === null ? batch : subBatch(batch, remaining, p.whenCols)) as BoolVector;
      const hit = new Uint32Array(m);
      const miss: Uint32Array = new Uint32Array(m);
      let h = 0;
      let s = 0;
      for (let j = 0; j < m; j++) {
        const i = remaining === null ? j : remaining[j];
        if (cond.values[j] === 1 && (cond.nulls === null || cond.nulls[j] === 0)) hit[h++] = i;
        else miss[s++] = i;
      }
      if (h > 0) {
        const rows = hit.subarray(0, h);
        const v = p.then(h === n ? batch : subBatch(batch, rows, p.thenCols));
        pieces.push({ vector: v, rows: h === n ? null : rows, src: null });
      }
      remaining = miss.subarray(0, s);
    }
    if (elseFn !== null && (remaining === null || remaining.length > 0)) {
      const v = elseFn(remaining === null ? batch : subBatch(batch, remaining, elseCols));
      pieces.push({ vector: v, rows: remaining, src: null });
    }
    if (pieces.length === 1 && pieces[0].rows === null) return retype(pieces[0].vector, type);
    return assembleVector(type, n, pieces);
  };
}

export function nullifKernel(type: DataType, a: CompiledExpr, b: CompiledExpr): VectorFn {
  const fa = a.eval;
  const fb = b.eval;
  return (batch) => {
    const x = fa(batch);
    const eq = compareVectors('eq', x, fb(batch));
    const n = batch.length;
    let nulls: Uint8Array | null = x.nulls === null ? null : x.nulls.slice(0, n);
    for (let i = 0; i < n; i++)
      if (eq.values[i] === 1 && (eq.nulls === null || eq.nulls[i] === 0)) (nulls ??= new Uint8Array(n))[i] = 1;
    return { ...x, type, nulls } as Vector;
  };
}

/** GREATEST/LEAST ignore NULLs; NULL only when every argument is. */
export function greatestLeastKernel(fn: 'greatest' | 'least', type: DataType, args: CompiledExpr[]): VectorFn {
  const fns = args.map((a) => a.eval);
  const op = fn === 'greatest' ? 'gt' : 'lt';
  return (batch) => {
    const n = batch.length;
    let cur = fns[0](batch);
    for (let k = 1; k < fns.length; k++) {
      const next = fns[k](batch);
      const better = compareVectors(op, next, cur);
      const take = new Uint32Array(n);
      const keep = new Uint32Array(n);
      let t = 0;
      let s = 0;
      for (let i = 0; i < n; i++) {
        const nextNull = next.nulls !== null && next.nulls[i] === 1;
        const curNull = cur.nulls !== null && cur.nulls[i] === 1;
        if (!nextNull && (curNull || better.values[i] === 1)) take[t++] = i;
        else keep[s++] = i;
      }
      cur = assembleVector(type, n, [
        { vector: cur, rows: keep.subarray(0, s), src: keep.subarray(0, s) },
        { vector: next, rows: take.subarray(0, t), src: take.subarray(0, t) },
      ]);
    }
    return retype(cur, type);
  };
}

