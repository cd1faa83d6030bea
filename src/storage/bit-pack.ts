// Bit-packing of non-negative integers (value - base) into 32-bit words, for widths 0..53 bits.
// Widths up to 32 pack into one stream; wider values (up to 2^53) store their low 32 bits as whole
// words and pack the high bits separately, so no BigInt is needed. Loops run over typed arrays only.

const TWO_32 = 4294967296;

/** Bits needed for integers 0..range (range a safe integer ≥ 0); 0 for a constant. */
export function bitWidth(range: number): number {
  let w = 0;
  while (w < 53 && 2 ** w <= range) w++;
  return w;
}

/** Bytes packBits writes for n values of width w. */
export function packedBytes(n: number, w: number): number {
  if (w <= 32) return 4 * Math.ceil((n * w) / 32);
  return 4 * n + 4 * Math.ceil((n * (w - 32)) / 32);
}

/** Packs src[start + i] - base (each in 0 .. 2^w - 1, w ≤ 32) for i < n. */
function packNarrow(src: Float64Array, start: number, n: number, base: number, w: number, hiOnly: boolean): Uint32Array {
  const words = new Uint32Array(Math.ceil((n * w) / 32));
  if (w === 0) return words;
  let bit = 0;
  for (let i = 0; i < n; i++) {
    let x = src[start + i] - base;
    if (hiOnly) x = Math.floor(x / TWO_32);
    const u = x >>> 0;
    const wi = bit >>> 5;
    const off = bit & 31;
    words[wi] |= u << off;
    if (off + w > 32) words[wi + 1] |= u >>> (32 - off);
    bit += w;
  }
  return words;
}

/** The packed words of src[start .. start + n) - base at width w (see packedBytes for the size). */
export function packBits(src: Float64Array, start: number, n: number, base: number, w: number): Uint32Array {
  if (w <= 32) return packNarrow(src, start, n, base, w, false);
  const out = new Uint32Array(packedBytes(n, w) / 4);
  for (let i = 0; i < n; i++) {
    const x = src[start + i] - base;
    out[i] = x - Math.floor(x / TWO_32) * TWO_32;
  }
  out.set(packNarrow(src, start, n, base, w - 32, true), n);
  return out;
}

/** out[outStart + i] = base + (i-th packed value) for i < n. */
export function unpackBits(words: Uint32Array, n: number, w: number, base: number, out: Float64Array | Int32Array | Uint8Array, outStart: number): void {
  if (w === 0) {
    out.fill(base, outStart, outStart + n);
    return;
  }
  if (w <= 32) {
    const mask = w === 32 ? -1 : (1 << w) - 1;
    let bit = 0;
    for (let i = 0; i < n; i++) {
      const wi = bit >>> 5;
      const off = bit & 31;
      let v = words[wi] >>> off;
      if (off + w > 32) v |= words[wi + 1] << (32 - off);
      out[outStart + i] = base + ((v & mask) >>> 0);
      bit += w;
    }
    return;
  }
  const hw = w - 32;
  const mask = (1 << hw) - 1;
  let bit = 0;
  for (let i = 0; i < n; i++) {
    const wi = n + (bit >>> 5);
    const off = bit & 31;
    let v = words[wi] >>> off;
    if (off + hw > 32) v |= words[wi + 1] << (32 - off);
    out[outStart + i] = base + (v & mask) * TWO_32 + words[i];
    bit += hw;
  }
}
