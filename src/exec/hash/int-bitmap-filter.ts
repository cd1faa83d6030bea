// An exact runtime filter for a single integer join key whose build-side values span a small range:
// one bit per value in [min, max]. No hashing, no false positives, and a probe side sorted or
// clustered by the key (lineitem by l_orderkey) reads the bitmap sequentially. Chosen over the
// Bloom filter when the bitmap is not much larger than the Bloom filter would be.

/** The bitmap may hold this many bits per distinct key (the Bloom filter spends 16). */
const MAX_BITS_PER_KEY = 32;
/** Ranges up to this many values get a bitmap whatever the key count (128 KiB). */
const SMALL_RANGE = 1 << 20;

export interface IntBitmapState {
  min: number;
  range: number;
  bits: Uint32Array;
}

export class IntBitmapFilter {
  private constructor(
    private readonly min: number,
    private readonly range: number,
    private readonly bits: Uint32Array,
  ) {}

  /** What a worker thread needs to test the same keys (fromState there). */
  state(): IntBitmapState {
    return { min: this.min, range: this.range, bits: this.bits };
  }
  static fromState(s: IntBitmapState): IntBitmapFilter {
    return new IntBitmapFilter(s.min, s.range, s.bits);
  }

  /**
   * A filter of the integer values of rows [0, n) whose ids entry is not negative (-1: a NULL key,
   * left out), or null when some value is not an integer or the range is too wide for a bitmap.
   */
  static build(values: ArrayLike<number>, ids: Int32Array, n: number, distinct: number): IntBitmapFilter | null {
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      if (ids[i] < 0) continue;
      const v = values[i];
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (min > max) return null;
    const range = max - min + 1;
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || (range > SMALL_RANGE && range > distinct * MAX_BITS_PER_KEY)) return null;
    for (let i = 0; i < n; i++) if (ids[i] >= 0 && !Number.isInteger(values[i])) return null;
    const bits = new Uint32Array(Math.ceil(range / 32));
    for (let i = 0; i < n; i++) {
      if (ids[i] < 0) continue;
      const d = values[i] - min;
      bits[d >>> 5] |= 1 << (d & 31);
    }
    return new IntBitmapFilter(min, range, bits);
  }

  /**
   * Keeps the rows whose value is in the set: rows[0..count) (or 0..count-1 when rows is null);
   * rows flagged in nulls are dropped. Writes them (ascending) to out, which may be rows, and returns
   * how many. Non-integer values (float keys) are never in it.
   */
  select(values: ArrayLike<number>, nulls: Uint8Array | null, rows: Uint32Array | null, count: number, out: Uint32Array): number {
    const min = this.min;
    const range = this.range;
    const bits = this.bits;
    let k = 0;
    for (let i = 0; i < count; i++) {
      const r = rows === null ? i : rows[i];
      const d = values[r] - min;
      // d >= 0 && d < range also rejects NaN; d | 0 !== d rejects fractions.
      if (d >= 0 && d < range && (d | 0) === d && (bits[d >>> 5] & (1 << (d & 31))) !== 0 && (nulls === null || nulls[r] === 0)) out[k++] = r;
    }
    return k;
  }
}
