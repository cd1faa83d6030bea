// Square root of a decimal rounded to a given scale (exact, via BigInt integer square root).
import { Decimal } from '../../types/vector';
import { decimal } from '../../types/numeric';

function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  if (x === 0n) x = 1n;
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) break;
    x = y;
  }
  while (x * x > n) x--;
  while ((x + 1n) * (x + 1n) <= n) x++;
  return x;
}

/** round(sqrt(d), scale) half away from zero; d must be >= 0. */
export function decimalSqrtAtScale(d: Decimal, scale: number): Decimal {
  const e = 2 * scale - d.scale;
  const x = e >= 0 ? d.digits * 10n ** BigInt(e) : d.digits / 10n ** BigInt(-e);
  // floor(sqrt(x) + 1/2) = floor((isqrt(4x) + 1) / 2)
  return decimal((isqrt(4n * x) + 1n) / 2n, scale);
}
