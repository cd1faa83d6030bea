// ln, exp and non-integer power of exact decimals, correct to a requested scale: the values are
// computed in BigInt fixed point with guard digits and rounded half away from zero, so numeric
// results match PostgreSQL's digit for digit (a float64 holds only ~16 of them).
import { Decimal } from './vector';
import { decimalRound } from './numeric';

const GUARD = 30;

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

/** d as a fixed-point integer with s fraction digits (truncated). */
function toFixed(d: Decimal, s: number): bigint {
  return s >= d.scale ? d.digits * pow10(s - d.scale) : d.digits / pow10(d.scale - s);
}

function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  // Newton's iteration from a power of two above the root decreases monotonically to floor(sqrt(n)).
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / 2));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** ln(y) for a fixed-point y (s digits) near 1: 2·atanh((y−1)/(y+1)). */
function lnNearOne(y: bigint, s: number, one: bigint): bigint {
  const z = ((y - one) * one) / (y + one);
  const z2 = (z * z) / one;
  let term = z;
  let sum = 0n;
  for (let k = 1n; term !== 0n; k += 2n) {
    sum += term / k;
    term = (term * z2) / one;
  }
  return 2n * sum;
}

/** ln(x) for fixed-point x > 0 with s fraction digits. */
function lnFixed(x: bigint, s: number): bigint {
  const one = pow10(s);
  // x = y · 10^k with y in [1, 10), then y is square-rooted r times toward 1: ln x = 2^r·ln y_r + k·ln 10.
  const digits = x.toString().length;
  const k = digits - 1 - s;
  let y = k >= 0 ? x / pow10(k) : x * pow10(-k);
  let r = 0;
  const limit = (one * 11n) / 10n;
  while (y > limit) {
    y = isqrt(y * one);
    r++;
  }
  let ln = lnNearOne(y, s, one) << BigInt(r);
  if (k !== 0) ln += BigInt(k) * ln10(s);
  return ln;
}

const ln10Cache = new Map<number, bigint>();
function ln10(s: number): bigint {
  let v = ln10Cache.get(s);
  if (v === undefined) {
    const one = pow10(s);
    let y = 10n * one;
    let r = 0;
    const limit = (one * 11n) / 10n;
    while (y > limit) {
      y = isqrt(y * one);
      r++;
    }
    v = lnNearOne(y, s, one) << BigInt(r);
    ln10Cache.set(s, v);
  }
  return v;
}

/** e^x for fixed-point x with s fraction digits (x ≥ 0). */
function expFixedPositive(x: bigint, s: number): bigint {
  const one = pow10(s);
  // Halve x until it is below 1/100, sum the Taylor series, then square back.
  let r = 0;
  let y = x;
  const small = one / 100n;
  while (y > small) {
    y >>= 1n;
    r++;
  }
  let term = one;
  let sum = 0n;
  for (let k = 1n; term !== 0n; k++) {
    sum += term;
    term = (term * y) / (one * k);
  }
  for (let i = 0; i < r; i++) sum = (sum * sum) / one;
  return sum;
}

function expFixed(x: bigint, s: number): bigint {
  if (x >= 0n) return expFixedPositive(x, s);
  const one = pow10(s);
  return (one * one) / expFixedPositive(-x, s);
}

/** Digits before the decimal point of |v| (at least 1). */
function intDigits(v: number): number {
  const a = Math.abs(v);
  return a < 1 ? 1 : Math.floor(Math.log10(a)) + 1;
}

/** ln(d) rounded to `scale` digits (d > 0). */
export function decimalLn(d: Decimal, scale: number): Decimal {
  const s = scale + GUARD;
  return decimalRound({ decimal: true, digits: lnFixed(toFixed(d, s + 10), s + 10) / pow10(10), scale: s }, scale);
}

/** e^d rounded to `scale` digits; `approx` is a float estimate of d (for the working precision). */
export function decimalExp(d: Decimal, scale: number, approx: number): Decimal {
  // Squaring back loses about log10(2^r) digits, and a large result (or the reciprocal of one)
  // needs its ~|d|·log10(e) integer digits as well.
  const s = scale + GUARD + Math.ceil(Math.log2(Math.abs(approx) * 100 + 1) * 0.31) + Math.ceil(Math.abs(approx) * 0.4343);
  return decimalRound({ decimal: true, digits: expFixed(toFixed(d, s), s), scale: s }, scale);
}

/** base^exponent for base > 0 rounded to `scale` digits: exp(exponent · ln base). */
export function decimalPower(base: Decimal, exponent: Decimal, scale: number, approxLog: number, approxExp: number): Decimal {
  // The product's error is scaled by |exponent| and by the result's size: carry enough digits for both.
  const extra = intDigits(approxExp) + Math.max(0, Math.ceil(Math.abs(approxLog) * 0.4343)) + 10;
  const s = scale + GUARD + extra;
  const lnb = lnFixed(toFixed(base, s), s);
  const product = (lnb * toFixed(exponent, s)) / pow10(s);
  const approx = Number(product / pow10(s));
  const se = s + Math.ceil(Math.log2(Math.abs(approx) * 100 + 1) * 0.31);
  const value = expFixed(product * pow10(se - s), se);
  return decimalRound({ decimal: true, digits: value, scale: se }, scale);
}

/** log_base(num) rounded to `scale` digits (both positive, base ≠ 1): ln(num) / ln(base). */
export function decimalLog(base: Decimal, num: Decimal, scale: number, extraDigits: number): Decimal {
  const s = scale + GUARD + Math.max(0, extraDigits);
  const lb = lnFixed(toFixed(base, s), s);
  const ln = lnFixed(toFixed(num, s), s);
  const q = (ln * pow10(s)) / lb;
  return decimalRound({ decimal: true, digits: q, scale: s }, scale);
}
