// Slices of an integer key's range for a key-partitioned parallel aggregate (run-parallel.ts): worker
// p aggregates the groups whose key falls in slice p of [lo, hi]. Values outside the range (the
// statistics that gave it may be stale) belong to the first or last slice, NULL to the first, so
// every key has exactly one slice whatever the data.

/** The slice of `v` among `parts` slices of [lo, hi]; `isNull`: the key is NULL. */
export function keySlice(v: number, isNull: boolean, lo: number, hi: number, parts: number): number {
  if (isNull || v < lo) return 0;
  if (v > hi) return parts - 1;
  return Math.min(parts - 1, Math.floor(((v - lo) * parts) / (hi - lo + 1)));
}
