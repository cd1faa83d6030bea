// sum and avg. Integer sums into int8 and float sums use Float64Array per group; exact numeric
// sums (sum(int8), sum/avg(numeric), avg(int)) use NumericSumState, and avg divides with
// numeric's result scale (numericAvg). Interval sums add the three fields.
import { DataType } from '../../types/data-type';
import { Decimal, Float64Vector, IntervalVector, Scalar, Vector } from '../../types/vector';
import { newVector, vectorFromScalars } from '../../types/vector-ops';
import { NumericSumState, numericAvg } from '../../types/numeric';
import { outOfRange, scaleInterval } from '../expr/kernels-arith';
import { Accumulator, growF64, liveRows, maskedNumericArg } from './accumulator';

/** sum(int2/int4) → int8, sum/avg(float) → float. */
export class FloatSumAccumulator implements Accumulator {
  private sums = new Float64Array(16);
  private counts = new Float64Array(16);
  constructor(
    private readonly type: DataType,
    private readonly avg: boolean,
  ) {}
  resize(groupCount: number): void {
    this.sums = growF64(this.sums, groupCount);
    this.counts = growF64(this.counts, groupCount);
  }
  update(groups: Int32Array, args: readonly Vector[], n: number, mask: Uint8Array | null): void {
    const x = (args[0] as { values: ArrayLike<number> }).values;
    const live = liveRows(args[0], n, mask);
    const sums = this.sums;
    const counts = this.counts;
    if (live === null)
      for (let i = 0; i < n; i++) {
        const g = groups[i];
        sums[g] += x[i];
        counts[g]++;
      }
    else
      for (let i = 0; i < n; i++) {
        if (live[i] === 0) continue;
        const g = groups[i];
        sums[g] += x[i];
        counts[g]++;
      }
  }
  finish(groupCount: number): Vector {
    const out = newVector(this.type, groupCount) as Float64Vector;
    const nulls = new Uint8Array(groupCount);
    let any = false;
    const int8 = this.type.name === 'int8';
    for (let g = 0; g < groupCount; g++) {
      const c = this.counts[g];
      if (c === 0) {
        nulls[g] = 1;
        any = true;
        continue;
      }
      let v = this.avg ? this.sums[g] / c : this.sums[g];
      if (int8 && (v >= 9223372036854775807 || v < -9223372036854775808)) throw outOfRange('bigint out of range');
      if (this.type.name === 'float4') v = Math.fround(v);
      out.values[g] = v;
    }
    out.nulls = any ? nulls : null;
    return out;
  }
}

/** Exact sums: sum(int8|numeric) → numeric, avg(int|numeric) → numeric. */
export class NumericSumAccumulator implements Accumulator {
  private readonly state = new NumericSumState();
  constructor(
    private readonly type: DataType,
    private readonly avg: boolean,
  ) {}
  resize(groupCount: number): void {
    this.state.ensure(groupCount);
  }
  update(groups: Int32Array, args: readonly Vector[], n: number, mask: Uint8Array | null): void {
    const v = maskedNumericArg(args[0], n, mask);
    this.state.add(groups, v, n);
  }
  finish(groupCount: number): Vector {
    const out: (Decimal | null)[] = new Array(groupCount);
    for (let g = 0; g < groupCount; g++) {
      const s = this.state.result(g);
      out[g] = s === null ? null : this.avg ? numericAvg(s, this.state.count(g)) : s;
    }
    return vectorFromScalars(this.type, out);
  }
}

/** sum/avg(interval). */
export class IntervalSumAccumulator implements Accumulator {
  private months = new Float64Array(16);
  private days = new Float64Array(16);
  private micros = new Float64Array(16);
  private counts = new Float64Array(16);
  constructor(
    private readonly type: DataType,
    private readonly avg: boolean,
  ) {}
  resize(groupCount: number): void {
    this.months = growF64(this.months, groupCount);
    this.days = growF64(this.days, groupCount);
    this.micros = growF64(this.micros, groupCount);
    this.counts = growF64(this.counts, groupCount);
  }
  update(groups: Int32Array, args: readonly Vector[], n: number, mask: Uint8Array | null): void {
    const v = args[0] as IntervalVector;
    const live = liveRows(v, n, mask);
    for (let i = 0; i < n; i++) {
      if (live !== null && live[i] === 0) continue;
      const g = groups[i];
      this.months[g] += v.months[i];
      this.days[g] += v.days[i];
      this.micros[g] += v.micros[i];
      this.counts[g]++;
    }
  }
  finish(groupCount: number): Vector {
    const out: Scalar[] = new Array(groupCount);
    for (let g = 0; g < groupCount; g++) {
      const c = this.counts[g];
      if (c === 0) {
        out[g] = null;
        continue;
      }
      const sum = { months: this.months[g], days: this.days[g], micros: this.micros[g] };
      out[g] = this.avg ? scaleInterval(sum, 1 / c) : sum;
    }
    return vectorFromScalars(this.type, out);
  }
}
