// Seeded synthetic data for the kernel benchmarks: int32 key columns in a few distributions, and
// strings of TPC-H-like lengths, all from one small PRNG so every run sees the same rows.
import { Types } from '../../src/types/data-type';
import { Int32Vector, StringVector } from '../../src/types/vector';

/** mulberry32: a 32-bit seeded generator, good enough for benchmark data and fully reproducible. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type IntDistribution = 'dense' | 'sparse' | 'skewed' | 'sorted';

/**
 * n int32 keys:
 *  - dense: a random permutation of 0 … n-1 (every key once, like a primary key)
 *  - sparse: uniform over the whole non-negative int32 range (almost all distinct, no locality)
 *  - skewed: Zipf-like over n/10 distinct keys (u^4 puts most rows on a few hot keys)
 *  - sorted: 0 … n-1 in order
 */
export function intKeys(n: number, dist: IntDistribution, seed = 1): Int32Array {
  const r = rng(seed);
  const out = new Int32Array(n);
  switch (dist) {
    case 'sorted':
      for (let i = 0; i < n; i++) out[i] = i;
      break;
    case 'dense':
      for (let i = 0; i < n; i++) out[i] = i;
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(r() * (i + 1));
        const t = out[i];
        out[i] = out[j];
        out[j] = t;
      }
      break;
    case 'sparse':
      for (let i = 0; i < n; i++) out[i] = Math.floor(r() * 2147483647);
      break;
    case 'skewed': {
      const distinct = Math.max(1, Math.floor(n / 10));
      for (let i = 0; i < n; i++) {
        const u = r();
        out[i] = Math.floor(u * u * u * u * distinct);
      }
      break;
    }
  }
  return out;
}

/** n ints uniform in [0, m). */
export function uniformInts(n: number, m: number, seed = 2): Int32Array {
  const r = rng(seed);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(r() * m);
  return out;
}

const WORDS = 'furiously quickly carefully blithely slyly ironic final regular special pending express bold even unusual silent packages deposits accounts requests instructions theodolites pinto beans foxes ideas dependencies excuses platelets asymptotes courts dolphins'.split(' ');

/**
 * n distinct strings of TPC-H-like shapes: 'name' like c_name ("Customer#000012345", 18 chars),
 * 'comment' like l_comment/o_comment (words, 10–79 chars), each made unique by a numeric suffix.
 */
export function strings(n: number, shape: 'name' | 'comment', seed = 3): string[] {
  const r = rng(seed);
  const out: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    if (shape === 'name') out[i] = 'Customer#' + String(i).padStart(9, '0');
    else {
      const len = 10 + Math.floor(r() * 70);
      let s = '';
      while (s.length < len) s += WORDS[Math.floor(r() * WORDS.length)] + ' ';
      out[i] = s.slice(0, len - 1 - String(i).length) + ' ' + i;
    }
  }
  // Strings built by + are ropes (ConsString) in V8; stored strings come from a decoder and are
  // flat. A round trip through UTF-8 makes them flat, so kernels see what a scan hands out.
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  for (let i = 0; i < n; i++) out[i] = dec.decode(enc.encode(out[i]));
  return out;
}

export function int32Vector(values: Int32Array): Int32Vector {
  return { kind: 'int32', type: Types.int4, length: values.length, nulls: null, values };
}

/** A text column of n rows over a dictionary (codes index dict), as a scan hands it out. */
export function stringVector(dict: string[], codes: Int32Array): StringVector {
  return { kind: 'string', type: Types.text, length: codes.length, nulls: null, codes, dict };
}
