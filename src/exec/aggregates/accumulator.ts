// Per-aggregate state over dense group ids, in typed arrays grown by doubling. An accumulator sees
// whole vectors: row i of a batch belongs to group groups[i]; mask (FILTER, DISTINCT) says which
// rows count. Strict aggregates skip NULL inputs; a group that saw no input yields NULL (count: 0).
import { NumericVector, Vector } from '../../types/vector';
import { numericFromInt } from '../../types/numeric';

export interface Accumulator {
  /** Makes room for groups [0, groupCount). */
  resize(groupCount: number): void;
  /** Adds rows [0, n); rows with mask[i] === 0 are skipped. */
  update(groups: Int32Array, args: readonly Vector[], n: number, mask: Uint8Array | null): void;
  /** The value per group [0, groupCount). */
  finish(groupCount: number): Vector;
}

export function growF64(a: Float64Array, n: number): Float64Array<ArrayBuffer> {
  if (n <= a.length) return a as Float64Array<ArrayBuffer>;
  const b = new Float64Array(Math.max(n, a.length * 2, 16));
  b.set(a);
  return b;
}
export function growU8(a: Uint8Array, n: number): Uint8Array<ArrayBuffer> {
  if (n <= a.length) return a as Uint8Array<ArrayBuffer>;
  const b = new Uint8Array(Math.max(n, a.length * 2, 16));
  b.set(a);
  return b;
}
export function growI32(a: Int32Array, n: number): Int32Array<ArrayBuffer> {
  if (n <= a.length) return a as Int32Array<ArrayBuffer>;
  const b = new Int32Array(Math.max(n, a.length * 2, 16));
  b.set(a);
  return b;
}

/** 1 for rows that count: mask allows it and (for strict aggregates) the argument is not NULL. */
export function liveRows(arg: Vector | null, n: number, mask: Uint8Array | null): Uint8Array | null {
  const nulls = arg === null ? null : arg.nulls;
  if (nulls === null) return mask;
  const out = new Uint8Array(n);
  if (mask === null) for (let i = 0; i < n; i++) out[i] = nulls[i] ^ 1;
  else for (let i = 0; i < n; i++) out[i] = mask[i] & (nulls[i] ^ 1);
  return out;
}

/**
 * The argument of an exact numeric aggregate as a numeric vector (integers widened), with rows the
 * mask excludes turned into NULLs so the (strict) sum states skip them.
 */
export function maskedNumericArg(arg: Vector, n: number, mask: Uint8Array | null): NumericVector {
  const v = arg.kind === 'numeric' ? (arg as NumericVector) : numericFromInt(arg);
  if (mask === null) return v;
  const nulls = new Uint8Array(n);
  for (let i = 0; i < n; i++) nulls[i] = mask[i] === 0 || (v.nulls !== null && v.nulls[i] === 1) ? 1 : 0;
  return { ...v, nulls };
}
