// Request latencies as a fixed-size log-linear histogram (the idea of HdrHistogram, Tene: each power
// of two split into equal sub-buckets), so percentiles cost no per-request memory: 8 sub-buckets per
// power of two from 1 µs to ~2^31 µs (~36 min) bound the relative error of a percentile to ~1/16.

const SUB_BUCKETS = 8;
const SUB_BITS = 3;
const BUCKETS = 32 * SUB_BUCKETS;

export class LatencyHistogram {
  private readonly counts = new Uint32Array(BUCKETS);
  count = 0;

  /** Records one latency in milliseconds. */
  record(ms: number): void {
    this.counts[bucketOf(ms * 1000)]++;
    this.count++;
  }

  /** Latency (ms) at quantile q in [0, 1]: the middle of the bucket holding it; null when empty. */
  quantile(q: number): number | null {
    if (this.count === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.counts[b];
      if (seen >= rank) return (lowerBoundMicros(b) + lowerBoundMicros(b + 1)) / 2000;
    }
    return lowerBoundMicros(BUCKETS) / 1000;
  }

  /** Adds another histogram's counts (totals over peers). */
  add(other: LatencyHistogram): void {
    for (let b = 0; b < BUCKETS; b++) this.counts[b] += other.counts[b];
    this.count += other.count;
  }
}

/** Bucket of a latency in µs: below 8 µs one bucket per µs, then 8 per power of two. */
function bucketOf(micros: number): number {
  if (!(micros >= 1)) return 0;
  if (micros >= 2 ** 31) return BUCKETS - 1;
  const v = Math.floor(micros);
  if (v < SUB_BUCKETS) return v;
  const power = 31 - Math.clz32(v); // v in [2^power, 2^(power+1))
  const sub = (v >>> (power - SUB_BITS)) & (SUB_BUCKETS - 1);
  const b = (power - SUB_BITS + 1) * SUB_BUCKETS + sub;
  return b < BUCKETS ? b : BUCKETS - 1;
}

function lowerBoundMicros(b: number): number {
  if (b < SUB_BUCKETS) return b;
  const power = Math.floor(b / SUB_BUCKETS) + SUB_BITS - 1;
  const sub = b % SUB_BUCKETS;
  return 2 ** power + sub * 2 ** (power - SUB_BITS);
}
