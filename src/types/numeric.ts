// Exact decimal arithmetic with PostgreSQL's numeric semantics. Vectors hold scaled integers in
// Float64Array (exact while |v| <= 2^53); rows that would leave that range take the BigInt path
// (NumericVector.wide). Division follows numeric.c's select_div_scale.
import { DataType, Types, numericPrecision, numericScale } from './data-type';
import { SqlError, SqlState } from './sql-error';
import { Decimal, NumericVector, Vector } from './vector';
import { newVector, pow10 } from './vector-ops';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
/** numeric.c: NUMERIC_MIN_SIG_DIGITS and DEC_DIGITS (base-10000 digits). */
const MIN_SIG_DIGITS = 16;
const DEC_DIGITS = 4;

export function decimal(digits: bigint, scale: number): Decimal {
  return { decimal: true, digits, scale };
}

const BIG_POW10: bigint[] = [];
export function bigPow10(n: number): bigint {
  if (n < 64) {
    let v = BIG_POW10[n];
    if (v === undefined) v = BIG_POW10[n] = 10n ** BigInt(n);
    return v;
  }
  return 10n ** BigInt(n);
}

/** Parses PostgreSQL numeric input ('12.30', '-1e3', ' 5 ', 'NaN' unsupported). */
export function parseDecimal(text: string): Decimal | null {
  const m = /^\s*([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/.exec(text);
  if (m === null || (m[2] === '' && (m[3] === undefined || m[3] === ''))) return null;
  const frac = m[3] ?? '';
  let digits = BigInt((m[2] || '0') + frac);
  let scale = frac.length;
  const exp = m[4] !== undefined ? Number(m[4]) : 0;
  scale -= exp;
  if (scale < 0) {
    digits *= bigPow10(-scale);
    scale = 0;
  }
  if (m[1] === '-') digits = -digits;
  return decimal(digits, scale);
}

export function decimalToString(d: Decimal): string {
  const neg = d.digits < 0n;
  let s = (neg ? -d.digits : d.digits).toString();
  if (d.scale > 0) {
    if (s.length <= d.scale) s = '0'.repeat(d.scale - s.length + 1) + s;
    s = s.slice(0, s.length - d.scale) + '.' + s.slice(s.length - d.scale);
  }
  return neg ? '-' + s : s;
}

export function rescaleDigits(digits: bigint, from: number, to: number): bigint {
  if (to === from) return digits;
  if (to > from) return digits * bigPow10(to - from);
  return roundDiv(digits, bigPow10(from - to));
}

/** Rounds n/d half away from zero (PostgreSQL's numeric rounding). */
export function roundDiv(n: bigint, d: bigint): bigint {
  if (d < 0n) {
    n = -n;
    d = -d;
  }
  const q = n / d;
  const r = n - q * d;
  if (2n * (r < 0n ? -r : r) >= d) return n < 0n ? q - 1n : q + 1n;
  return q;
}

export function decimalRound(d: Decimal, scale: number): Decimal {
  return decimal(rescaleDigits(d.digits, d.scale, scale), scale);
}
export function decimalTrunc(d: Decimal, scale: number): Decimal {
  if (scale >= d.scale) return decimal(d.digits * bigPow10(scale - d.scale), scale);
  return decimal(d.digits / bigPow10(d.scale - scale), scale);
}
export function decimalAdd(a: Decimal, b: Decimal): Decimal {
  const s = Math.max(a.scale, b.scale);
  return decimal(a.digits * bigPow10(s - a.scale) + b.digits * bigPow10(s - b.scale), s);
}
export function decimalSub(a: Decimal, b: Decimal): Decimal {
  return decimalAdd(a, decimal(-b.digits, b.scale));
}
export function decimalMul(a: Decimal, b: Decimal): Decimal {
  return decimal(a.digits * b.digits, a.scale + b.scale);
}
export function decimalCompare(a: Decimal, b: Decimal): number {
  const s = Math.max(a.scale, b.scale);
  const x = a.digits * bigPow10(s - a.scale);
  const y = b.digits * bigPow10(s - b.scale);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Weight and first base-10000 digit of |d|, as numeric.c sees the value. */
function weightAndFirstDigit(d: Decimal): { weight: number; first: number } {
  const abs = d.digits < 0n ? -d.digits : d.digits;
  if (abs === 0n) return { weight: 0, first: 0 };
  const s = abs.toString();
  const intLen = s.length - d.scale;
  if (intLen > 0) {
    const groups = Math.ceil(intLen / DEC_DIGITS);
    const lead = intLen - (groups - 1) * DEC_DIGITS;
    return { weight: groups - 1, first: Number(s.slice(0, lead)) };
  }
  // Fraction only: pad to the decimal point, then group from it.
  const frac = '0'.repeat(-intLen) + s;
  const padded = frac + '0'.repeat((DEC_DIGITS - (frac.length % DEC_DIGITS)) % DEC_DIGITS);
  for (let g = 0; g * DEC_DIGITS < padded.length; g++) {
    const v = Number(padded.slice(g * DEC_DIGITS, g * DEC_DIGITS + DEC_DIGITS));
    if (v !== 0) return { weight: -(g + 1), first: v };
  }
  return { weight: 0, first: 0 };
}

/** The result scale PostgreSQL chooses for a / b (numeric.c select_div_scale). */
export function divScale(a: Decimal, b: Decimal): number {
  const wa = weightAndFirstDigit(a);
  const wb = weightAndFirstDigit(b);
  let qweight = wa.weight - wb.weight;
  if (wa.first <= wb.first) qweight--;
  let rscale = MIN_SIG_DIGITS - qweight * DEC_DIGITS;
  rscale = Math.max(rscale, a.scale, b.scale, 0);
  return Math.min(rscale, 1000);
}

export function decimalDiv(a: Decimal, b: Decimal): Decimal {
  if (b.digits === 0n) throw new SqlError(SqlState.divisionByZero, 'division by zero');
  const rscale = divScale(a, b);
  // q = (a/10^sa) / (b/10^sb) * 10^rscale
  const e = b.scale + rscale - a.scale;
  const n = e >= 0 ? a.digits * bigPow10(e) : a.digits;
  const d = e >= 0 ? b.digits : b.digits * bigPow10(-e);
  return decimal(roundDiv(n, d), rscale);
}

export function decimalMod(a: Decimal, b: Decimal): Decimal {
  if (b.digits === 0n) throw new SqlError(SqlState.divisionByZero, 'division by zero');
  const s = Math.max(a.scale, b.scale);
  const x = a.digits * bigPow10(s - a.scale);
  const y = b.digits * bigPow10(s - b.scale);
  return decimal(x % y, s);
}

export function decimalFromNumber(x: number, scale: number): Decimal {
  return parseDecimal(x.toFixed(Math.min(scale, 100)))!;
}
export function decimalToNumber(d: Decimal): number {
  return Number(decimalToString(d));
}

/** Checks a value against numeric(p,s) after rounding to s (22003 'numeric field overflow'). */
export function fitTypmod(d: Decimal, type: DataType): Decimal {
  const scale = numericScale(type);
  if (scale < 0) return d;
  const r = decimalRound(d, scale);
  const precision = numericPrecision(type);
  const abs = r.digits < 0n ? -r.digits : r.digits;
  if (abs !== 0n && abs.toString().length > precision) {
    const maxInt = precision - scale;
    throw new SqlError(SqlState.numericValueOutOfRange, 'numeric field overflow', {
      detail: `A field with precision ${precision}, scale ${scale} must round to an absolute value less than ${maxInt === 0 ? '1' : `10^${maxInt}`}.`,
    });
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// Vector kernels. Row values are read as scaled integers at the vector's scale.

/** Row `i` of a numeric vector as a Decimal at the vector's scale (slow path). */
export function decimalAt(v: NumericVector, i: number): Decimal {
  const w = v.wide !== null ? v.wide[i] : undefined;
  return decimal(w !== undefined ? w : BigInt(v.values[i]), v.scale);
}

function displayScale(v: NumericVector, i: number): number {
  return v.dscale !== null ? v.dscale[i] : v.scale;
}

function mergeNulls(a: Vector, b: Vector, n: number): Uint8Array | null {
  if (a.nulls === null && b.nulls === null) return null;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (a.nulls !== null ? a.nulls[i] : 0) | (b.nulls !== null ? b.nulls[i] : 0);
  return out;
}

function setWide(out: NumericVector, i: number, digits: bigint): void {
  if (digits <= 9007199254740991n && digits >= -9007199254740991n) {
    out.values[i] = Number(digits);
    return;
  }
  out.values[i] = NaN;
  (out.wide ??= new Array(out.length))[i] = digits;
}

export function numericAdd(a: NumericVector, b: NumericVector, type: DataType = Types.numeric): NumericVector {
  return addSub(a, b, type, 1);
}
export function numericSub(a: NumericVector, b: NumericVector, type: DataType = Types.numeric): NumericVector {
  return addSub(a, b, type, -1);
}

function addSub(a: NumericVector, b: NumericVector, type: DataType, sign: 1 | -1): NumericVector {
  const n = a.length;
  const scale = Math.max(a.scale, b.scale);
  const out = newVector(type, n, scale) as NumericVector;
  out.nulls = mergeNulls(a, b, n);
  const fa = pow10(scale - a.scale);
  const fb = pow10(scale - b.scale);
  const av = a.values;
  const bv = b.values;
  const ov = out.values;
  for (let i = 0; i < n; i++) {
    const x = av[i] * fa;
    const y = bv[i] * fb;
    const r = sign === 1 ? x + y : x - y;
    if (r <= MAX_SAFE && r >= -MAX_SAFE && x <= MAX_SAFE && x >= -MAX_SAFE && y <= MAX_SAFE && y >= -MAX_SAFE) ov[i] = r;
    else if (out.nulls === null || out.nulls[i] === 0) {
      const da = rescaleDigits(decimalAt(a, i).digits, a.scale, scale);
      const db = rescaleDigits(decimalAt(b, i).digits, b.scale, scale);
      setWide(out, i, sign === 1 ? da + db : da - db);
    }
  }
  if (a.dscale !== null || b.dscale !== null) {
    out.dscale = new Uint8Array(n);
    for (let i = 0; i < n; i++) out.dscale[i] = Math.max(displayScale(a, i), displayScale(b, i));
  }
  return out;
}

export function numericMul(a: NumericVector, b: NumericVector, type: DataType = Types.numeric): NumericVector {
  const n = a.length;
  const scale = a.scale + b.scale;
  const out = newVector(type, n, scale) as NumericVector;
  out.nulls = mergeNulls(a, b, n);
  const av = a.values;
  const bv = b.values;
  const ov = out.values;
  for (let i = 0; i < n; i++) {
    const r = av[i] * bv[i];
    if (r <= MAX_SAFE && r >= -MAX_SAFE) ov[i] = r;
    else if (out.nulls === null || out.nulls[i] === 0) setWide(out, i, decimalAt(a, i).digits * decimalAt(b, i).digits);
  }
  if (a.dscale !== null || b.dscale !== null) {
    out.dscale = new Uint8Array(n);
    for (let i = 0; i < n; i++) out.dscale[i] = displayScale(a, i) + displayScale(b, i);
  }
  return out;
}

/** Row-wise division with each row's own result scale (the vector takes the largest). */
export function numericDiv(a: NumericVector, b: NumericVector, type: DataType = Types.numeric): NumericVector {
  const n = a.length;
  const nulls = mergeNulls(a, b, n);
  const results: (Decimal | null)[] = new Array(n);
  let scale = 0;
  for (let i = 0; i < n; i++) {
    if (nulls !== null && nulls[i] === 1) {
      results[i] = null;
      continue;
    }
    const x = decimal(decimalAt(a, i).digits, a.scale);
    const y = decimal(decimalAt(b, i).digits, b.scale);
    // Display scales feed select_div_scale; values keep their stored scale.
    const q = decimalDivWithScales(x, displayScale(a, i), y, displayScale(b, i));
    results[i] = q;
    if (q.scale > scale) scale = q.scale;
  }
  return fromDecimals(results, type, scale);
}

function decimalDivWithScales(x: Decimal, xs: number, y: Decimal, ys: number): Decimal {
  return decimalDiv(decimalRound(x, xs), decimalRound(y, ys));
}

export function numericMod(a: NumericVector, b: NumericVector, type: DataType = Types.numeric): NumericVector {
  const n = a.length;
  const nulls = mergeNulls(a, b, n);
  const results: (Decimal | null)[] = new Array(n);
  let scale = 0;
  for (let i = 0; i < n; i++) {
    if (nulls !== null && nulls[i] === 1) results[i] = null;
    else {
      const r = decimalMod(decimalAt(a, i), decimalAt(b, i));
      results[i] = r;
      scale = Math.max(scale, r.scale);
    }
  }
  return fromDecimals(results, type, scale);
}

/** Builds a vector from per-row decimals (rows keep their own display scale). */
export function fromDecimals(values: (Decimal | null)[], type: DataType, scale: number): NumericVector {
  const n = values.length;
  const out = newVector(type, n, scale) as NumericVector;
  let varying = false;
  for (let i = 0; i < n; i++) {
    const d = values[i];
    if (d === null) {
      (out.nulls ??= new Uint8Array(n))[i] = 1;
      continue;
    }
    if (d.scale !== scale) varying = true;
    setWide(out, i, d.digits * bigPow10(scale - d.scale));
  }
  if (varying) {
    out.dscale = new Uint8Array(n).fill(scale);
    for (let i = 0; i < n; i++) if (values[i] !== null) out.dscale[i] = values[i]!.scale;
  }
  return out;
}

export function numericNeg(a: NumericVector): NumericVector {
  const out: NumericVector = { ...a, values: new Float64Array(a.length), wide: a.wide === null ? null : a.wide.map((w) => (w === undefined ? undefined : -w)) };
  for (let i = 0; i < a.length; i++) out.values[i] = -a.values[i];
  return out;
}

export function numericAbs(a: NumericVector): NumericVector {
  const out: NumericVector = { ...a, values: new Float64Array(a.length), wide: a.wide === null ? null : a.wide.map((w) => (w === undefined ? undefined : w < 0n ? -w : w)) };
  for (let i = 0; i < a.length; i++) out.values[i] = Math.abs(a.values[i]);
  return out;
}

/** -1/0/1 per row (NULL rows: 0; callers apply the null mask). */
export function numericCompare(a: NumericVector, b: NumericVector, out: Int8Array): void {
  const scale = Math.max(a.scale, b.scale);
  const fa = pow10(scale - a.scale);
  const fb = pow10(scale - b.scale);
  for (let i = 0; i < a.length; i++) {
    const x = a.values[i] * fa;
    const y = b.values[i] * fb;
    if (x <= MAX_SAFE && x >= -MAX_SAFE && y <= MAX_SAFE && y >= -MAX_SAFE) out[i] = x < y ? -1 : x > y ? 1 : 0;
    else out[i] = decimalCompare(decimalAt(a, i), decimalAt(b, i));
  }
}

/** Applies a per-row decimal function (slow path for rounding functions). */
function mapDecimals(a: NumericVector, fn: (d: Decimal) => Decimal, type: DataType): NumericVector {
  const results: (Decimal | null)[] = new Array(a.length);
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    if (a.nulls !== null && a.nulls[i] === 1) results[i] = null;
    else {
      const r = fn(decimalRound(decimalAt(a, i), displayScale(a, i)));
      results[i] = r;
      scale = Math.max(scale, r.scale);
    }
  }
  return fromDecimals(results, type, scale);
}

export function numericRound(a: NumericVector, digits: number): NumericVector {
  return mapDecimals(a, (d) => roundToDigits(d, digits), Types.numeric);
}
export function numericTrunc(a: NumericVector, digits: number): NumericVector {
  return mapDecimals(a, (d) => (digits >= 0 ? decimalTrunc(d, digits) : decimal((d.digits / bigPow10(d.scale - digits)) * bigPow10(-digits), 0)), Types.numeric);
}
function roundToDigits(d: Decimal, digits: number): Decimal {
  if (digits >= 0) return decimalRound(d, digits);
  return decimal(roundDiv(d.digits, bigPow10(d.scale - digits)) * bigPow10(-digits), 0);
}
export function numericCeil(a: NumericVector): NumericVector {
  return mapDecimals(a, (d) => {
    const t = decimalTrunc(d, 0);
    return decimalCompare(t, d) < 0 ? decimal(t.digits + 1n, 0) : t;
  }, Types.numeric);
}
export function numericFloor(a: NumericVector): NumericVector {
  return mapDecimals(a, (d) => {
    const t = decimalTrunc(d, 0);
    return decimalCompare(t, d) > 0 ? decimal(t.digits - 1n, 0) : t;
  }, Types.numeric);
}

/** Integers (int2/int4/int8) as numeric scale 0. */
export function numericFromInt(v: Vector, type: DataType = Types.numeric): NumericVector {
  const out = newVector(type, v.length, 0) as NumericVector;
  out.nulls = v.nulls;
  const src = (v as { values: ArrayLike<number> }).values;
  for (let i = 0; i < v.length; i++) out.values[i] = src[i];
  return out;
}

export function numericToFloat(v: NumericVector): Float64Array {
  const out = new Float64Array(v.length);
  const f = pow10(v.scale);
  for (let i = 0; i < v.length; i++) {
    const w = v.wide !== null ? v.wide[i] : undefined;
    out[i] = w !== undefined ? Number(decimalToString(decimal(w, v.scale))) : v.values[i] / f;
  }
  return out;
}

/** Rounds to the column's declared scale and checks its precision (numeric(p,s) assignment/cast). */
export function numericRescale(v: NumericVector, type: DataType): NumericVector {
  const scale = numericScale(type);
  if (scale < 0) return { ...v, type };
  const results: (Decimal | null)[] = new Array(v.length);
  for (let i = 0; i < v.length; i++) results[i] = v.nulls !== null && v.nulls[i] === 1 ? null : fitTypmod(decimalAt(v, i), type);
  const out = fromDecimals(results, type, scale);
  out.dscale = null;
  return out;
}

/**
 * Exact per-group sums without BigInt per row: each group keeps a low limb (|lo| < 2^52, carried
 * into a high limb counting units of 2^52) at a fixed scale.
 */
export class NumericSumState {
  private lo = new Float64Array(16);
  private hi = new Float64Array(16);
  private counts = new Float64Array(16);
  private wideSums: (bigint | undefined)[] = [];
  scale = -1;
  /** Largest display scale seen (the sum's display scale). */
  dscale = 0;

  ensure(groups: number): void {
    if (groups <= this.lo.length) return;
    let cap = this.lo.length;
    while (cap < groups) cap *= 2;
    const grow = (a: Float64Array) => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    this.lo = grow(this.lo);
    this.hi = grow(this.hi);
    this.counts = grow(this.counts);
  }

  add(groupIdx: Int32Array, v: NumericVector, n: number): void {
    if (this.scale === -1) this.scale = v.scale;
    if (v.scale > this.scale) this.rescaleTo(v.scale);
    this.dscale = Math.max(this.dscale, v.scale);
    if (v.dscale !== null) for (let i = 0; i < n; i++) if (v.nulls === null || v.nulls[i] === 0) this.dscale = Math.max(this.dscale, v.dscale[i]);
    const factor = pow10(this.scale - v.scale);
    const LIMB = 4503599627370496; // 2^52
    const vals = v.values;
    const nulls = v.nulls;
    for (let i = 0; i < n; i++) {
      if (nulls !== null && nulls[i] === 1) continue;
      const g = groupIdx[i];
      this.counts[g]++;
      let x = vals[i] * factor;
      if (!(x <= MAX_SAFE && x >= -MAX_SAFE)) {
        const digits = rescaleDigits(decimalAt(v, i).digits, v.scale, this.scale);
        this.wideSums[g] = (this.wideSums[g] ?? 0n) + digits;
        continue;
      }
      // A value of 2^52 or more (a partial sum being merged) moves its high part to hi first, so
      // lo + x below stays under 2^53 and exact.
      if (x >= LIMB || x <= -LIMB) {
        const high = Math.trunc(x / LIMB);
        x -= high * LIMB;
        this.hi[g] += high;
      }
      let lo = this.lo[g] + x;
      if (lo >= LIMB || lo <= -LIMB) {
        const carry = Math.trunc(lo / LIMB);
        lo -= carry * LIMB;
        this.hi[g] += carry;
      }
      this.lo[g] = lo;
    }
  }

  private rescaleTo(scale: number): void {
    const results: bigint[] = [];
    for (let g = 0; g < this.lo.length; g++) results.push(this.exact(g) * bigPow10(scale - this.scale));
    this.scale = scale;
    this.lo.fill(0);
    this.hi.fill(0);
    this.wideSums = results;
  }

  private exact(g: number): bigint {
    return BigInt(this.hi[g]) * 4503599627370496n + BigInt(this.lo[g]) + (this.wideSums[g] ?? 0n);
  }

  count(g: number): number {
    return this.counts[g];
  }

  /** The group's sum at the display scale, or null when it saw no value. */
  result(g: number): Decimal | null {
    if (g >= this.counts.length || this.counts[g] === 0) return null;
    return decimalRound(decimal(this.exact(g), this.scale), this.dscale);
  }
}

/** avg(numeric) = sum / count with numeric division's result scale. */
export function numericAvg(sum: Decimal, count: number): Decimal {
  return decimalDiv(sum, decimal(BigInt(count), 0));
}
