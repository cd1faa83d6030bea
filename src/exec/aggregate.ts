// Hash aggregation: rows are mapped to group ids (a numeric map for one integer key, composite text
// keys otherwise), then each aggregate accumulates per group: counts and float/integer sums in typed
// arrays, exact numeric sums in NumericSumState, min/max/string_agg per group value.
import { AggregateCall, AggregateNode } from '../plan/plan';
import { DataType, Types } from '../types/data-type';
import { Batch, BoolVector, NumericVector, Scalar, Vector } from '../types/vector';
import { getScalar, vectorFromScalars } from '../types/vector-ops';
import { NumericSumState, decimal, decimalAdd, decimalDiv, decimalToString, numericAvg, numericFromInt, parseDecimal } from '../types/numeric';
import { ExecContext } from './context';
import { evalExpr } from './eval-expr';
import { compareScalars, keyOf } from './scalar-compare';

interface Accumulator {
  add(groups: Int32Array, args: Vector[], n: number, include: Uint8Array | null): void;
  result(groupCount: number): Vector;
}

function selected(include: Uint8Array | null, i: number, args: Vector[], strict: boolean): boolean {
  if (include !== null && include[i] === 0) return false;
  if (strict) for (const a of args) if (a.nulls !== null && a.nulls[i] === 1) return false;
  return true;
}

class CountAcc implements Accumulator {
  counts = new Float64Array(0);
  constructor(private readonly star: boolean) {}
  add(groups: Int32Array, args: Vector[], n: number, include: Uint8Array | null): void {
    for (let i = 0; i < n; i++) if (selected(include, i, args, !this.star)) this.counts[groups[i]]++;
  }
  grow(g: number): void {
    if (g <= this.counts.length) return;
    const c = new Float64Array(Math.max(g, this.counts.length * 2));
    c.set(this.counts);
    this.counts = c;
  }
  result(groupCount: number): Vector {
    return vectorFromScalars(Types.int8, Array.from(this.counts.subarray(0, groupCount)));
  }
}

class NumberSumAcc implements Accumulator {
  sums = new Float64Array(0);
  counts = new Float64Array(0);
  constructor(
    private readonly resultType: DataType,
    private readonly avg: boolean,
  ) {}
  grow(g: number): void {
    if (g <= this.sums.length) return;
    const cap = Math.max(g, this.sums.length * 2);
    const s = new Float64Array(cap);
    s.set(this.sums);
    const c = new Float64Array(cap);
    c.set(this.counts);
    this.sums = s;
    this.counts = c;
  }
  add(groups: Int32Array, args: Vector[], n: number, include: Uint8Array | null): void {
    const v = (args[0] as { values: ArrayLike<number> }).values;
    for (let i = 0; i < n; i++) {
      if (!selected(include, i, args, true)) continue;
      this.sums[groups[i]] += v[i];
      this.counts[groups[i]]++;
    }
  }
  result(groupCount: number): Vector {
    const out: Scalar[] = [];
    for (let g = 0; g < groupCount; g++) {
      if (this.counts[g] === 0) {
        out.push(null);
        continue;
      }
      const s = this.sums[g];
      if (this.resultType.name === 'numeric') {
        // Integer inputs: exact while the sum stays within 2^53.
        const d = decimal(BigInt(s), 0);
        out.push(this.avg ? numericAvg(d, this.counts[g]) : d);
      } else out.push(this.avg ? s / this.counts[g] : s);
    }
    return vectorFromScalars(this.resultType, out);
  }
}

class NumericSumAcc implements Accumulator {
  state = new NumericSumState();
  constructor(private readonly avg: boolean) {}
  grow(g: number): void {
    this.state.ensure(g);
  }
  add(groups: Int32Array, args: Vector[], n: number, include: Uint8Array | null): void {
    let v = args[0] as NumericVector;
    if (v.kind !== 'numeric') v = numericFromInt(v);
    if (include !== null) {
      const masked: NumericVector = { ...v, nulls: new Uint8Array(n) };
      for (let i = 0; i < n; i++) masked.nulls![i] = include[i] === 0 || (v.nulls !== null && v.nulls[i] === 1) ? 1 : 0;
      v = masked;
    }
    this.state.add(groups, v, n);
  }
  result(groupCount: number): Vector {
    const out: Scalar[] = [];
    for (let g = 0; g < groupCount; g++) {
      const s = this.state.result(g);
      out.push(s === null ? null : this.avg ? numericAvg(s, this.state.count(g)) : s);
    }
    return vectorFromScalars(Types.numeric, out);
  }
}

/** Per-group values kept as scalars (min, max, bool_and/or, string_agg, variance, DISTINCT). */
class ValueAcc implements Accumulator {
  values: Scalar[][] = [];
  seen: Set<string>[] = [];
  constructor(private readonly call: AggregateCall) {}
  grow(g: number): void {
    while (this.values.length < g) {
      this.values.push([]);
      this.seen.push(new Set());
    }
  }
  add(groups: Int32Array, args: Vector[], n: number, include: Uint8Array | null): void {
    const strict = this.call.fn !== 'count_star';
    for (let i = 0; i < n; i++) {
      if (!selected(include, i, args.slice(0, 1), strict)) continue;
      const v = getScalar(args[0], i);
      const g = groups[i];
      if (this.call.distinct) {
        const k = keyOf(v, args[0].type);
        if (this.seen[g].has(k)) continue;
        this.seen[g].add(k);
      }
      if (this.call.fn === 'string_agg') {
        const sep = getScalar(args[1], i);
        this.values[g].push([v, sep] as unknown as Scalar);
      } else this.values[g].push(v);
    }
  }
  result(groupCount: number): Vector {
    const t = this.call.type;
    const out: Scalar[] = [];
    const argType = this.call.args[0]?.type ?? Types.text;
    for (let g = 0; g < groupCount; g++) out.push(finish(this.call, this.values[g] ?? [], argType));
    return vectorFromScalars(t, out);
  }
}

function finish(call: AggregateCall, vals: Scalar[], argType: DataType): Scalar {
  switch (call.fn) {
    case 'count':
    case 'count_star':
      return vals.length;
    case 'min':
    case 'max': {
      let best: Scalar = null;
      for (const v of vals) if (best === null || (call.fn === 'min' ? compareScalars(v, best, argType) < 0 : compareScalars(v, best, argType) > 0)) best = v;
      return best;
    }
    case 'bool_and':
      return vals.length === 0 ? null : vals.every((v) => v === true);
    case 'bool_or':
      return vals.length === 0 ? null : vals.some((v) => v === true);
    case 'string_agg': {
      if (vals.length === 0) return null;
      let s = '';
      vals.forEach((pair, k) => {
        const [v, sep] = pair as unknown as [string, string | null];
        s += (k > 0 ? sep ?? '' : '') + v;
      });
      return s;
    }
    case 'sum':
    case 'avg': {
      if (vals.length === 0) return null;
      if (call.type.name === 'numeric') {
        let acc = decimal(0n, 0);
        for (const v of vals) acc = decimalAdd(acc, typeof v === 'number' ? parseDecimal(String(v))! : (v as never));
        return call.fn === 'avg' ? decimalDiv(acc, decimal(BigInt(vals.length), 0)) : acc;
      }
      let s = 0;
      for (const v of vals) s += v as number;
      return call.fn === 'avg' ? s / vals.length : s;
    }
    case 'stddev_samp':
    case 'var_samp': {
      if (vals.length < 2) return null;
      const xs = vals.map((v) => (typeof v === 'number' ? v : Number(decimalToString(v as never))));
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const variance = xs.reduce((a, b) => a + (b - mean) * (b - mean), 0) / (xs.length - 1);
      const r = call.fn === 'var_samp' ? variance : Math.sqrt(variance);
      if (call.type.name === 'numeric') return parseDecimal(r.toPrecision(16));
      return r;
    }
  }
}

function makeAccumulator(call: AggregateCall): Accumulator & { grow(g: number): void } {
  if (call.distinct || call.fn === 'min' || call.fn === 'max' || call.fn === 'bool_and' || call.fn === 'bool_or' || call.fn === 'string_agg' || call.fn === 'stddev_samp' || call.fn === 'var_samp')
    return new ValueAcc(call);
  if (call.fn === 'count_star' || call.fn === 'count') return new CountAcc(call.fn === 'count_star');
  const argType = call.args[0].type;
  if (argType.name === 'numeric' || argType.name === 'int8') return new NumericSumAcc(call.fn === 'avg');
  if (argType.name === 'interval') return new ValueAcc(call);
  return new NumberSumAcc(call.type, call.fn === 'avg');
}

export function runAggregate(node: AggregateNode, input: Batch[], ctx: ExecContext): Batch[] {
  const accs = node.aggregates.map(makeAccumulator);
  const groupIndex = new Map<number | string, number>();
  const groupValues: Scalar[][] = node.groupBy.map(() => []);
  let groupCount = node.groupBy.length === 0 ? 1 : 0;
  for (const a of accs) a.grow(Math.max(1, groupCount));
  for (const batch of input) {
    ctx.checkCancel();
    const n = batch.length;
    if (n === 0) continue;
    const keys = node.groupBy.map((g) => evalExpr(g, batch, ctx));
    const groups = new Int32Array(n);
    if (keys.length > 0) {
      const single = keys.length === 1 && (keys[0].kind === 'int32' || keys[0].kind === 'int64') ? keys[0] : null;
      for (let i = 0; i < n; i++) {
        let k: number | string;
        if (single !== null) k = single.nulls !== null && single.nulls[i] === 1 ? '\u0001N' : (single as { values: ArrayLike<number> }).values[i];
        else {
          k = '';
          for (let c = 0; c < keys.length; c++) k += (c > 0 ? '\u0000' : '') + keyOf(getScalar(keys[c], i), keys[c].type);
        }
        let g = groupIndex.get(k);
        if (g === undefined) {
          g = groupCount++;
          groupIndex.set(k, g);
          for (let c = 0; c < keys.length; c++) groupValues[c].push(getScalar(keys[c], i));
        }
        groups[i] = g;
      }
      for (const a of accs) a.grow(groupCount);
    }
    node.aggregates.forEach((call, ai) => {
      const args = call.args.map((a) => evalExpr(a, batch, ctx));
      let include: Uint8Array | null = null;
      if (call.filter !== null) {
        const f = evalExpr(call.filter, batch, ctx) as BoolVector;
        include = new Uint8Array(n);
        for (let i = 0; i < n; i++) include[i] = (f.nulls === null || f.nulls[i] === 0) && f.values[i] === 1 ? 1 : 0;
      }
      accs[ai].add(groups, args, n, include);
    });
  }
  if (groupCount === 0) return [];
  const columns: Vector[] = [
    ...node.groupBy.map((g, c) => vectorFromScalars(g.type, groupValues[c])),
    ...accs.map((a) => a.result(groupCount)),
  ];
  return [{ length: groupCount, columns }];
}
