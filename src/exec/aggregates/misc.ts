// bool_and / bool_or, string_agg, and the sample variance / standard deviation.
import { DataType } from '../../types/data-type';
import { BoolVector, Decimal, Scalar, StringVector, Vector } from '../../types/vector';
import { newVector, vectorFromScalars } from '../../types/vector-ops';
import { NumericSumState, decimal, decimalDiv, decimalMul, decimalSub, numericMul } from '../../types/numeric';
import { decimalSqrtAtScale } from './decimal-sqrt';
import { Accumulator, growF64, growU8, liveRows, maskedNumericArg } from './accumulator';

export class BoolAccumulator implements Accumulator {
  private value = new Uint8Array(16);
  private has = new Uint8Array(16);
  constructor(
    private readonly type: DataType,
    private readonly and: boolean,
  ) {}
  resize(groupCount: number): void {
    this.value = growU8(this.value, groupCount);
    this.has = growU8(this.has, groupCount);
  }
  update(groups: Int32Array, args: readonly Vector[], n: number, mask: Uint8Array | null): void {
    const v = args[0] as BoolVector;
    const live = liveRows(v, n, mask);
    for (let i = 0; i < n; i++) {
      if (live !== null && live[i] === 0) continue;
      const g = groups[i];
      const x = v.values[i];
      if (this.has[g] === 0) {
        this.has[g] = 1;
        this.value[g] = x;
      } else this.value[g] = this.and ? this.value[g] & x : this.value[g] | x;
    }
  }
  finish(groupCount: number): Vector {
    const out = newVector(this.type, groupCount) as BoolVector;
    out.values.set(this.value.subarray(0, groupCount));
    let nulls: Uint8Array | null = null;
    for (let g = 0; g < groupCount; g++) if (this.has[g] === 0) (nulls ??= new Uint8Array(groupCount))[g] = 1;
    out.nulls = nulls;
    return out;
  }
}

/** string_agg(value, delimiter): each value after the first is preceded by its own row's delimiter (NULL delimiter = ''). */
export class StringAggAccumulator implements Accumulator {
  private acc: (string | undefined)[] = [];
  constructor(private readonly type: DataType) {}
  resize(groupCount: number): void {
    while (this.acc.length < groupCount) this.acc.push(undefined);
  }
  update(groups: Int32Array, args: readonly Vector[], n: number, mask: Uint8Array | null): void {
    const v = args[0] as StringVector;
    const d = args[1] as StringVector | undefined;
    const live = liveRows(v, n, mask);
    for (let i = 0; i < n; i++) {
      if (live !== null && live[i] === 0) continue;
      const g = groups[i];
      const s = v.dict[v.codes[i]];
      const prev = this.acc[g];
      if (prev === undefined) this.acc[g] = s;
      else {
        const sep = d === undefined || (d.nulls !== null && d.nulls[i] === 1) ? '' : d.dict[d.codes[i]];
        this.acc[g] = prev + sep + s;
      }
    }
  }
  finish(groupCount: number): Vector {
    const out: Scalar[] = new Array(groupCount);
    for (let g = 0; g < groupCount; g++) out[g] = this.acc[g] ?? null;
    return vectorFromScalars(this.type, out);
  }
}

/** var_samp / stddev_samp over float: Youngs-Cramer updates exactly as PostgreSQL's float8_accum. */
export class FloatVarianceAccumulator implements Accumulator {
  private n = new Float64Array(16);
  private sx = new Float64Array(16);
  private sxx = new Float64Array(16);
  constructor(
    private readonly type: DataType,
    private readonly stddev: boolean,
  ) {}
  resize(groupCount: number): void {
    this.n = growF64(this.n, groupCount);
    this.sx = growF64(this.sx, groupCount);
    this.sxx = growF64(this.sxx, groupCount);
  }
  update(groups: Int32Array, args: readonly Vector[], count: number, mask: Uint8Array | null): void {
    const x = (args[0] as { values: ArrayLike<number> }).values;
    const live = liveRows(args[0], count, mask);
    for (let i = 0; i < count; i++) {
      if (live !== null && live[i] === 0) continue;
      const g = groups[i];
      const v = x[i];
      const n0 = this.n[g];
      const n = n0 + 1;
      const sx = this.sx[g] + v;
      if (n0 > 0) {
        const tmp = v * n - sx;
        this.sxx[g] += (tmp * tmp) / (n * n0);
      } else this.sxx[g] = 0;
      this.n[g] = n;
      this.sx[g] = sx;
    }
  }
  finish(groupCount: number): Vector {
    const out: Scalar[] = new Array(groupCount);
    for (let g = 0; g < groupCount; g++) {
      const n = this.n[g];
      if (n <= 1) {
        out[g] = null;
        continue;
      }
      const variance = this.sxx[g] / (n - 1);
      out[g] = this.stddev ? Math.sqrt(variance) : variance;
    }
    return vectorFromScalars(this.type, out);
  }
}

/**
 * var_samp / stddev_samp over integers and numeric: exact sums of x and x², then as numeric.c's
 * numeric_stddev_internal: (N·Σx² − (Σx)²) / (N·(N−1)) at select_div_scale, square root at that scale.
 */
export class NumericVarianceAccumulator implements Accumulator {
  private readonly sum = new NumericSumState();
  private readonly sumSquares = new NumericSumState();
  constructor(
    private readonly type: DataType,
    private readonly stddev: boolean,
  ) {}
  resize(groupCount: number): void {
    this.sum.ensure(groupCount);
    this.sumSquares.ensure(groupCount);
  }
  update(groups: Int32Array, args: readonly Vector[], n: number, mask: Uint8Array | null): void {
    const v = maskedNumericArg(args[0], n, mask);
    this.sum.add(groups, v, n);
    this.sumSquares.add(groups, numericMul(v, v), n);
  }
  finish(groupCount: number): Vector {
    const out: (Decimal | null)[] = new Array(groupCount);
    for (let g = 0; g < groupCount; g++) {
      const count = this.sum.count(g);
      const sx = this.sum.result(g);
      const sxx = this.sumSquares.result(g);
      if (count <= 1 || sx === null || sxx === null) {
        out[g] = null;
        continue;
      }
      const n = decimal(BigInt(count), 0);
      const numerator = decimalSub(decimalMul(n, sxx), decimalMul(sx, sx));
      if (numerator.digits <= 0n) {
        out[g] = decimal(0n, 0);
        continue;
      }
      const variance = decimalDiv(numerator, decimal(BigInt(count) * BigInt(count - 1), 0));
      out[g] = this.stddev ? decimalSqrtAtScale(variance, variance.scale) : variance;
    }
    return vectorFromScalars(this.type, out);
  }
}
