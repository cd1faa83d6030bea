// Belady's optimal replacement (MIN) for equal-sized chunks: on a miss with the pool full, evict the
// resident chunk whose next use lies furthest ahead. No policy can hit more often on the same trace,
// so it bounds what the hit-rate benchmark's targets can ask of LIRS.
/** Hit rate of MIN on `keys` with room for `capacity` chunks. */
export function beladyHitRate(keys: readonly number[], capacity: number): number {
  const n = keys.length;
  const nextUse = new Int32Array(n);
  const last = new Map<number, number>();
  for (let i = n - 1; i >= 0; i--) {
    nextUse[i] = last.get(keys[i]) ?? n + i; // never again: beyond the end, distinct per access
    last.set(keys[i], i);
  }
  // Max-heap of (next use, key) with lazy deletion: an entry is stale when its key's next use moved.
  const heap: number[] = [];
  const heapKey: number[] = [];
  const residentNext = new Map<number, number>();
  const push = (t: number, k: number) => {
    let i = heap.length;
    heap.push(t);
    heapKey.push(k);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (heap[p] >= heap[i]) break;
      [heap[p], heap[i]] = [heap[i], heap[p]];
      [heapKey[p], heapKey[i]] = [heapKey[i], heapKey[p]];
      i = p;
    }
  };
  const pop = (): number => {
    const k = heapKey[0];
    const t = heap.pop()!;
    const kk = heapKey.pop()!;
    if (heap.length > 0) {
      heap[0] = t;
      heapKey[0] = kk;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && heap[l] > heap[m]) m = l;
        if (r < heap.length && heap[r] > heap[m]) m = r;
        if (m === i) break;
        [heap[m], heap[i]] = [heap[i], heap[m]];
        [heapKey[m], heapKey[i]] = [heapKey[i], heapKey[m]];
        i = m;
      }
    }
    return k;
  };
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    if (residentNext.has(k)) hits++;
    else if (residentNext.size >= capacity) {
      for (;;) {
        const t = heap[0];
        const victim = pop();
        if (residentNext.get(victim) === t) {
          residentNext.delete(victim);
          break;
        }
      }
    }
    residentNext.set(k, nextUse[i]);
    push(nextUse[i], k);
  }
  return hits / n;
}
