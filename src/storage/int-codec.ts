// One stream of numbers (a column's values, a string column's dictionary codes, a NULL map…) encoded
// by whichever of raw / constant / bit-packing / delta / run-length is smallest for this chunk.
// The choice is made from one pass of statistics (min, max, runs, delta range), not by trial
// encoding. Integer encodings apply only when every value is a safe integer (|v| ≤ 2^53 − 1, no
// −0); other float64 streams are stored raw or run-length encoded with raw run values.
//
// Stream layout: u8 tag, then
//   raw:      n values at the target's width (u8, i32 or f64)
//   constant: f64 value
//   bitpack:  f64 base (min), u8 width, packed (value − base)
//   delta:    f64 first, f64 minDelta, u8 width, packed (delta − minDelta) for the n − 1 deltas
//   decimal:  u8 digits k, a stream of the integers v × 10^k (each value is exactly that / 10^k)
//   rle:      u32 runs, run values (a float64 stream without rle), run lengths (an int32 stream without rle)
import { bitWidth, packBits, packedBytes, unpackBits } from './bit-pack';
import { ByteReader, ByteWriter } from './byte-io';

export const TAG_RAW = 1;
export const TAG_CONSTANT = 2;
export const TAG_BITPACK = 3;
export const TAG_DELTA = 4;
export const TAG_RLE = 5;
export const TAG_DECIMAL = 6;
export const TAG_NAMES: readonly string[] = ['?', 'raw', 'constant', 'bitpack', 'delta', 'rle', 'decimal'];
/** Most decimal digits a float64 stream is scaled by to make it integral (see decimalDigits). */
const MAX_DECIMAL_DIGITS = 6;

/** Where a stream decodes to; its element width is also the raw encoding's width. */
export type IntTarget = Float64Array | Int32Array | Uint8Array;

/** Encodes vals[0 .. n) for a target of elemBytes (1, 4 or 8) per value; returns the tag used. */
export function encodeInts(w: ByteWriter, vals: Float64Array, n: number, elemBytes: number, allowRle = true): number {
  if (n === 0) {
    w.u8(TAG_RAW);
    return TAG_RAW;
  }
  // Statistics in one pass.
  streamStats(vals, n);
  const integral = STATS[0] === 1;
  const min = STATS[1];
  const max = STATS[2];
  const runs = STATS[3];
  const maxRun = STATS[4];
  const minD = STATS[5];
  const maxD = STATS[6];

  // Estimated sizes; the smallest wins (ties go to the cheaper decoder, listed first).
  let tag = TAG_RAW;
  let best = n * elemBytes;
  if (runs === 1) {
    tag = TAG_CONSTANT;
    best = 8;
  }
  const valueWidth = integral && Number.isSafeInteger(max - min) ? bitWidth(max - min) : -1;
  if (valueWidth >= 0 && 9 + packedBytes(n, valueWidth) < best) {
    tag = TAG_BITPACK;
    best = 9 + packedBytes(n, valueWidth);
  }
  const deltaOk = integral && n > 1 && Number.isSafeInteger(minD) && Number.isSafeInteger(maxD) && Number.isSafeInteger(maxD - minD);
  const deltaWidth = deltaOk ? bitWidth(maxD - minD) : -1;
  if (deltaOk && 17 + packedBytes(n - 1, deltaWidth) < best) {
    tag = TAG_DELTA;
    best = 17 + packedBytes(n - 1, deltaWidth);
  }
  if (allowRle && runs > 1) {
    const runValueBytes = valueWidth >= 0 ? 9 + packedBytes(runs, valueWidth) : runs * 8;
    const rleBytes = 6 + runValueBytes + 9 + packedBytes(runs, bitWidth(maxRun - 1));
    if (rleBytes < best) {
      tag = TAG_RLE;
      best = rleBytes;
    }
  }

  // Floats with few decimals (prices, measurements) are integers once scaled, if the scaling is exact.
  if (!integral && elemBytes === 8 && allowRle && runs > 1) {
    const k = decimalDigits(vals, n);
    if (k > 0) {
      const scaled = new Float64Array(n);
      const exact = scaleExactly(vals, n, 10 ** k, scaled);
      const inner = new ByteWriter();
      if (exact) encodeInts(inner, scaled, n, 8, true);
      if (exact && inner.length + 1 < best) {
        w.u8(TAG_DECIMAL);
        w.u8(k);
        w.bytes(inner.finish());
        return TAG_DECIMAL;
      }
    }
  }

  w.u8(tag);
  switch (tag) {
    case TAG_RAW:
      writeRaw(w, vals, n, elemBytes);
      break;
    case TAG_CONSTANT:
      w.f64(vals[0]);
      break;
    case TAG_BITPACK:
      w.f64(min);
      w.u8(valueWidth);
      w.typed(packBits(vals, 0, n, min, valueWidth));
      break;
    case TAG_DELTA:
      w.f64(vals[0]);
      w.f64(minD);
      w.u8(deltaWidth);
      w.typed(packBits(deltasOf(vals, n), 0, n - 1, minD, deltaWidth));
      break;
    case TAG_RLE: {
      const runVals = new Float64Array(runs);
      const runLens = new Float64Array(runs);
      runsOf(vals, n, runVals, runLens);
      w.u32(runs);
      // Run values decode into a float64 scratch array, so their raw form is float64.
      encodeInts(w, runVals, runs, 8, false);
      encodeInts(w, runLens, runs, 4, false);
      break;
    }
  }
  return tag;
}

/**
 * streamStats' results: integral (1/0), min, max, runs, longest run, least and greatest delta (min,
 * max and deltas only while integral). A module array, not an object per call.
 */
const STATS = new Float64Array(7);

/**
 * The statistics encodeInts chooses from, in one pass over vals[0 .. n) (n ≥ 1). Its own function,
 * as the loops below: encodeInts branches differently per stream, and a loop compiled inside it on
 * stack replacement was discarded whenever another stream took a branch it had not seen.
 */
function streamStats(vals: Float64Array, n: number): void {
  let integral = true;
  let min = vals[0];
  let max = vals[0];
  let runs = 1;
  let run = 1;
  let maxRun = 1;
  let minD = Infinity;
  let maxD = -Infinity;
  let p = vals[0];
  if (!Number.isSafeInteger(p) || Object.is(p, -0)) integral = false;
  for (let i = 1; i < n; i++) {
    const v = vals[i];
    if (v === p && (v !== 0 || 1 / v === 1 / p)) {
      run++;
    } else {
      if (run > maxRun) maxRun = run;
      runs++;
      run = 1;
    }
    if (integral) {
      if (!Number.isSafeInteger(v) || (v === 0 && 1 / v < 0)) integral = false;
      else {
        if (v < min) min = v;
        if (v > max) max = v;
        const d = v - p;
        if (d < minD) minD = d;
        if (d > maxD) maxD = d;
      }
    }
    p = v;
  }
  if (run > maxRun) maxRun = run;
  STATS[0] = integral ? 1 : 0;
  STATS[1] = min;
  STATS[2] = max;
  STATS[3] = runs;
  STATS[4] = maxRun;
  STATS[5] = minD;
  STATS[6] = maxD;
}

/** scaled[i] = round(vals[i] × f); whether every one divides back to its value exactly. */
function scaleExactly(vals: Float64Array, n: number, f: number, scaled: Float64Array): boolean {
  let exact = true;
  for (let i = 0; i < n; i++) {
    const m = (scaled[i] = Math.round(vals[i] * f));
    if (m / f !== vals[i]) exact = false;
  }
  return exact;
}

/** The n − 1 differences vals[i] − vals[i − 1]. */
function deltasOf(vals: Float64Array, n: number): Float64Array {
  const deltas = new Float64Array(n - 1);
  for (let i = 1; i < n; i++) deltas[i - 1] = vals[i] - vals[i - 1];
  return deltas;
}

/** The runs of equal values (−0 and 0 differ) of vals[0 .. n): each one's value and length. */
function runsOf(vals: Float64Array, n: number, runVals: Float64Array, runLens: Float64Array): void {
  let r = 0;
  let start = 0;
  for (let i = 1; i <= n; i++) {
    if (i < n) {
      const v = vals[i];
      const q = vals[i - 1];
      if (v === q && (v !== 0 || 1 / v === 1 / q)) continue;
    }
    runVals[r] = vals[start];
    runLens[r] = i - start;
    r++;
    start = i;
  }
}

/** Values up to which writeRaw writes one at a time (a group commit's delta entries hold a row or a few). */
const RAW_LOOP_MAX = 64;

function writeRaw(w: ByteWriter, vals: Float64Array | Int32Array | Uint8Array, n: number, elemBytes: number): void {
  if (n <= RAW_LOOP_MAX) {
    // No typed arrays made for a few values (Int32Array.from's iterator cost most of a one-row delta entry).
    w.values(vals, n, elemBytes);
    return;
  }
  if (elemBytes === 8) {
    if (!(vals instanceof Float64Array)) {
      const wide = new Float64Array(n);
      wide.set(vals.subarray(0, n));
      vals = wide;
    }
    w.typed(vals.subarray(0, n));
    return;
  }
  // A native conversion (wrapping as ToInt32 / ToUint8 do).
  const out = elemBytes === 4 ? new Int32Array(n) : new Uint8Array(n);
  out.set(vals.subarray(0, n));
  w.typed(out);
}

/** The stream encodeInts writes when it picks no encoding: TAG_RAW, then the values at elemBytes each. */
export function encodeIntsRaw(w: ByteWriter, vals: Float64Array | Int32Array | Uint8Array, n: number, elemBytes: number): number {
  w.u8(TAG_RAW);
  if (n > 0) writeRaw(w, vals, n, elemBytes);
  return TAG_RAW;
}

/** Decodes a stream of n values written by encodeInts into out[0 .. n). */
export function decodeInts(r: ByteReader, out: IntTarget, n: number): void {
  const tag = r.u8();
  if (n === 0) return;
  switch (tag) {
    case TAG_RAW: {
      const bytes = r.bytes(n * out.BYTES_PER_ELEMENT);
      if (out instanceof Float64Array) out.set(new Float64Array(bytes.buffer));
      else if (out instanceof Int32Array) out.set(new Int32Array(bytes.buffer));
      else out.set(bytes);
      return;
    }
    case TAG_CONSTANT:
      out.fill(r.f64());
      return;
    case TAG_BITPACK: {
      const base = r.f64();
      const width = r.u8();
      unpackBits(readWords(r, n, width), n, width, base, out, 0);
      return;
    }
    case TAG_DELTA: {
      const first = r.f64();
      const minDelta = r.f64();
      const width = r.u8();
      out[0] = first;
      unpackBits(readWords(r, n - 1, width), n - 1, width, minDelta, out, 1);
      // Prefix sums; narrow targets wrap modulo 2^32 / 2^8 consistently, so the sums come out exact.
      if (out instanceof Float64Array) {
        for (let i = 1; i < n; i++) out[i] += out[i - 1];
      } else {
        let acc = first;
        for (let i = 1; i < n; i++) {
          acc += out[i];
          out[i] = acc;
          acc = out[i];
        }
      }
      return;
    }
    case TAG_RLE: {
      const runs = r.u32();
      const runVals = new Float64Array(runs);
      const runLens = new Int32Array(runs);
      decodeInts(r, runVals, runs);
      decodeInts(r, runLens, runs);
      let pos = 0;
      for (let i = 0; i < runs; i++) {
        const end = pos + runLens[i];
        out.fill(runVals[i], pos, end);
        pos = end;
      }
      if (pos !== n) throw new RangeError('run lengths do not add up to the row count');
      return;
    }
    case TAG_DECIMAL: {
      const f = 10 ** r.u8();
      const scaled = out instanceof Float64Array ? out : new Float64Array(n);
      decodeInts(r, scaled, n);
      for (let i = 0; i < n; i++) out[i] = scaled[i] / f;
      return;
    }
    default:
      throw new RangeError(`unknown stream encoding ${tag}`);
  }
}

/**
 * The fewest decimal digits k (1..MAX_DECIMAL_DIGITS) such that every value is exactly
 * round(v × 10^k) / 10^k with that integer safe, or 0 when there is none (NaN, ±Infinity, −0, or
 * values with more digits). The decoder computes the same division, so the values come back bit for bit.
 */
function decimalDigits(vals: Float64Array, n: number): number {
  let k = 1;
  let f = 10;
  for (let i = 0; i < n; i++) {
    const v = vals[i];
    if (v === 0 && 1 / v < 0) return 0;
    for (;;) {
      const m = Math.round(v * f);
      if (m / f === v && Number.isSafeInteger(m)) break;
      if (++k > MAX_DECIMAL_DIGITS || !Number.isFinite(v)) return 0;
      f = 10 ** k;
    }
  }
  return k;
}

function readWords(r: ByteReader, n: number, width: number): Uint32Array {
  const bytes = r.bytes(packedBytes(n, width));
  return new Uint32Array(bytes.buffer, 0, bytes.length / 4);
}
