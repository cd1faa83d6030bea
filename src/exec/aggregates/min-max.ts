// min and max. Fixed-width values (numbers, dates, timestamps, booleans) keep the best value per
// group in a Float64Array (float NaN sorts above every number, as in PostgreSQL); strings keep the
// best string (code-point order; bpchar compared without trailing spaces); numeric keeps scaled
// integers at the first batch's scale and falls back to exact decimals when scales differ or values
// are wide; intervals compare by span.
import { DataType } from '../../types/data-type';
import { Decimal, IntervalVector, NumericVector, Scalar, StringVector, Vector } from '../../types/vector';
import { newVector, vectorFromScalars } from '../../types/vector-ops';
import { decimal, decimalAt, decimalCompare, decimalRound } from '../../types/numeric';
import { comparableDict, compareStrings } from '../string-order';
import { Accumulator, growF64, growU8, liveRows } from './accumulator';

export class FixedMinMaxAccumulator implements Accumulator {
  private best = new Float64Array(16);
  private has = new Uint8Array(16);
  constructor(
    private readonly type: DataType,
    private readonly max: boolean,
  ) {}
  resize(groupCount: number): void {
    this.best = growF64(this.best, groupCount);
    this.has = growU8(this.has, groupCount);
  }
  update(groups: Int32Array, args: readonly Vector[], n: number, mask: Uint8Array | null): void {
    const x = (args[0] as { values: ArrayLike<number> }).values;
    const live = liveRows(args[0], n, mask);
    const best = this.best;
    const has = this.has;
    const max = this.max;
    for (let i = 0; i < n; i++) {
      if (live !== null && live[i] === 0) continue;
      const g = groups[i];
      const v = x[i];
      if (has[g] === 0) {
        has[g] = 1;
        best[g] = v;
        continue;
      }
      const b = best[g];
      // NaN is the largest float (float8_cmp).
      if (max ? v > b || (v !== v && b === b) : v < b || (b !== b && v === v)) best[g] = v;
    }
  }
  finish(groupCount: number): Vector {
    const out = newVector(this.type, groupCount) as { values: Float64Array | Int32Array | Uint8Array; nulls: Uint8Array | null };
    let nulls: Uint8Array | null = null;
    for (let g = 0; g < groupCount; g++) {
      if (this.has[g] === 0) (nulls ??= new Uint8Array(groupCount))[g] = 1;
      else out.values[g] = this.best[g];
    }
    out.nulls = nulls;
    return out as unknown as Vector;
  }
}

export class StringMinMaxAccumulator implements Accumulator {
  private best: (string | undefined)[] = [];
  /** The comparable form of each group's best (bpchar trimmed, arrays' order keys; else the string). */
  private bestKey: (string | undefined)[] = [];
  constructor(
    private readonly type: DataType,
    private readonly max: boolean,
  ) {}
  resize(groupCount: number): void {
    while (this.best.length < groupCount) {
      this.best.push(undefined);
      this.bestKey.push(undefined);
    }
  }
  update(groups: Int32Array, args: readonly Vector[], n: number, mask: Uint8Array | null): void {
    const v = args[0] as StringVector;
    const live = liveRows(v, n, mask);
    const best = this.best;
    const bestKey = this.bestKey;
    // One comparable form per dictionary entry (cached per dictionary), not per comparison.
    const keys = comparableDict(this.type, v.dict);
    const sign = this.max ? 1 : -1;
    for (let i = 0; i < n; i++) {
      if (live !== null && live[i] === 0) continue;
      const g = groups[i];
      const code = v.codes[i];
      const k = keys[code];
      const b = bestKey[g];
      if (b === undefined || (k !== b && compareStrings(k, b) * sign > 0)) {
        best[g] = v.dict[code];
        bestKey[g] = k;
      }
    }
  }
  finish(groupCount: number): Vector {
    const out: Scalar[] = new Array(groupCount);
    for (let g = 0; g < groupCount; g++) out[g] = this.best[g] ?? null;
    return vectorFromScalars(this.type, out);
  }
}

export class NumericMinMaxAccumulator implements Accumulator {
  /** Scaled integers at `scale`, NaN when the group's best is held in `exact`. */
  private best = new Float64Array(16);
  private has = new Uint8Array(16);
  private exact: (Decimal | undefined)[] = [];
  private scale = -1;
  constructor(
    private readonly type: DataType,
    private readonly max: boolean,
  ) {}
  resize(groupCount: number): void {
    this.best = growF64(this.best, groupCount);
    this.has = growU8(this.has, groupCount);
  }
  update(groups: Int32Array, args: readonly Vector[], n: number, mask: Uint8Array | null): void {
    const v = args[0] as NumericVector;
    const live = liveRows(v, n, mask);
    if (this.scale === -1) this.scale = v.scale;
    const fast = v.scale === this.scale && v.wide === null && v.dscale === null;
    const best = this.best;
    const has = this.has;
    const sign = this.max ? 1 : -1;
    for (let i = 0; i < n; i++) {
      if (live !== null && live[i] === 0) continue;
      const g = groups[i];
      const b = best[g];
      if (fast && (has[g] === 0 || b === b)) {
        const x = v.values[i];
        if (has[g] === 0 || (x - b) * sign > 0) {
          best[g] = x;
          has[g] = 1;
        }
        continue;
      }
      // Slow path: exact decimals at the row's display scale.
      const d = decimalRound(decimalAt(v, i), v.dscale !== null ? v.dscale[i] : v.scale);
      const cur = this.current(g);
      if (cur === null || decimalCompare(d, cur) * sign > 0) {
        best[g] = NaN;
        this.exact[g] = d;
        has[g] = 1;
      }
    }
  }
  private current(g: number): Decimal | null {
    if (this.has[g] === 0) return null;
    const b = this.best[g];
    return b === b ? decimal(BigInt(b), this.scale) : this.exact[g]!;
  }
  finish(groupCount: number): Vector {
    const out: Scalar[] = new Array(groupCount);
    for (let g = 0; g < groupCount; g++) out[g] = this.current(g);
    return vectorFromScalars(this.type, out);
  }
}

export class IntervalMinMaxAccumulator implements Accumulator {
  private span = new Float64Array(16);
  private best: (Scalar | undefined)[] = [];
  constructor(
    private readonly type: DataType,
    private readonly max: boolean,
  ) {}
  resize(groupCount: number): void {
    this.span = growF64(this.span, groupCount);
    while (this.best.length < groupCount) this.best.push(undefined);
  }
  update(groups: Int32Array, args: readonly Vector[], n: number, mask: Uint8Array | null): void {
    const v = args[0] as IntervalVector;
    const live = liveRows(v, n, mask);
    const sign = this.max ? 1 : -1;
    for (let i = 0; i < n; i++) {
      if (live !== null && live[i] === 0) continue;
      const g = groups[i];
      const s = v.months[i] * 2592e9 + v.days[i] * 864e8 + v.micros[i];
      if (this.best[g] === undefined || (s - this.span[g]) * sign > 0) {
        this.span[g] = s;
        this.best[g] = { months: v.months[i], days: v.days[i], micros: v.micros[i] };
      }
    }
  }
  finish(groupCount: number): Vector {
    const out: Scalar[] = new Array(groupCount);
    for (let g = 0; g < groupCount; g++) out[g] = this.best[g] ?? null;
    return vectorFromScalars(this.type, out);
  }
}
