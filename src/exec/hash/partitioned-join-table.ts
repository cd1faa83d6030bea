// A hash join's table built by several threads at once: the build rows are partitioned by the top
// bits of their key hash, and each partition — its own open-addressing slot range in one shared
// Int32Array — is built by whichever thread claims it (the main thread and the parallel workers,
// see parallel/parallel-join-build.ts). Everything lives in SharedArrayBuffers, so once built the
// table is probed by any thread without copying. Keys are numbers only (the 'num' key kind: the
// integer, date and float keys of nearly every large join); other keys use KeyTable.
//
// A slot holds (first build row, hash) of one distinct key; the key's rows are chained in input
// order through `next` (each row belongs to one partition, so the threads write disjoint entries).
// A partition inserts its rows backwards and prepends each to its key's chain, so the chains list
// rows in input order and the join's output is the serial one.
//
// One integer key over a dense enough range (primary keys: o_orderkey, p_partkey) takes direct
// mode instead, as KeyTable does: the first row of each value sits at value - base in one shared
// Int32Array, partitions are ranges of values (each thread writes its own part of the array), and
// neither side hashes — a probe is one array read.
import { NumKey, anyNullKey, hashKeys } from './key-hash';
import { DIRECT_MAX_SPAN, DIRECT_MIN_DENSITY, DIRECT_SMALL_SPAN } from './key-table';

/** Partitions: many more than threads, so a thread that finishes early claims more (balance). */
export const JOIN_PARTITIONS = 64;
const PARTITION_SHIFT = 32 - Math.log2(JOIN_PARTITIONS);

export interface PartitionedJoinState {
  n: number;
  /** Build key columns as float64 (shared). */
  keys: Float64Array[];
  /** Each build row's key hash (hashKeys over the original key columns). */
  hashes: Int32Array;
  /** Next row of the same key, -1 at a chain's end. */
  next: Int32Array;
  /** Rows grouped by partition, ascending within one; rows with a NULL key are left out (never match). */
  rows: Int32Array;
  /** Partition p's rows are rows[partStart[p] .. partStart[p+1]). */
  partStart: Int32Array;
  /** Slot pairs (first row or -1, hash) of every partition; partition p's start at slotStart[p] (in pairs). */
  slots: Int32Array;
  slotStart: Int32Array;
  slotMask: Int32Array;
  /** Distinct keys per partition, written by its builder. */
  distinct: Int32Array;
  /** Direct mode (see above): first row by value - directBase (-1: none), partitions of directWidth values; null otherwise. */
  direct: Int32Array | null;
  directBase: number;
  directWidth: number;
}

/** The range of a single integer key's non-NULL values when KeyTable's direct-mode limits allow it, else null. */
function directRange(keys: readonly NumKey[], n: number, nullRows: Uint8Array | null): { lo: number; span: number } | null {
  if (keys.length !== 1) return null;
  const vals = keys[0].values;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    if (nullRows !== null && nullRows[i] === 1) continue;
    const v = vals[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    if (!(v === Math.floor(v))) return null; // fractions, NaN (±Infinity: the span check below)
  }
  if (lo > hi) return null;
  const span = hi - lo + 1;
  if (span > DIRECT_MAX_SPAN || (span > DIRECT_SMALL_SPAN && span > DIRECT_MIN_DENSITY * n)) return null;
  return { lo, span };
}

function sharedInt32(n: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * Math.max(1, n)));
}

/** The shared arrays of a table over `keys` (n build rows), rows hashed and partitioned; no partition built yet. */
export function preparePartitionedJoin(keys: readonly NumKey[], n: number, nullRows: Uint8Array | null): PartitionedJoinState {
  const shared = keys.map((k) => {
    const v = new Float64Array(new SharedArrayBuffer(8 * Math.max(1, n)));
    v.set(k.values.subarray(0, n));
    return v;
  });
  const range = directRange(keys, n, nullRows);
  // Each row's partition; in direct mode `hashes` holds it (no hash is needed).
  const hashes = sharedInt32(n);
  let width = 0;
  if (range !== null) {
    width = Math.ceil(range.span / JOIN_PARTITIONS);
    const vals = keys[0].values;
    // Shifted so that `>>> PARTITION_SHIFT` below gives the partition, as for hashes.
    for (let i = 0; i < n; i++) hashes[i] = Math.floor((vals[i] - range.lo) / width) << PARTITION_SHIFT;
  } else hashKeys(keys, n, hashes);
  const counts = new Int32Array(JOIN_PARTITIONS + 1);
  for (let i = 0; i < n; i++) if (nullRows === null || nullRows[i] === 0) counts[(hashes[i] >>> PARTITION_SHIFT) + 1]++;
  const partStart = sharedInt32(JOIN_PARTITIONS + 1);
  for (let p = 0; p < JOIN_PARTITIONS; p++) partStart[p + 1] = partStart[p] + counts[p + 1];
  const fill = Int32Array.from(partStart.subarray(0, JOIN_PARTITIONS));
  const rows = sharedInt32(partStart[JOIN_PARTITIONS]);
  for (let i = 0; i < n; i++) if (nullRows === null || nullRows[i] === 0) rows[fill[hashes[i] >>> PARTITION_SHIFT]++] = i;
  const slotStart = sharedInt32(JOIN_PARTITIONS);
  const slotMask = sharedInt32(JOIN_PARTITIONS);
  let total = 0;
  for (let p = 0; p < JOIN_PARTITIONS && range === null; p++) {
    // Load at most one half, as KeyTable.
    let size = 16;
    while (size < 2 * (partStart[p + 1] - partStart[p])) size *= 2;
    slotStart[p] = total;
    slotMask[p] = size - 1;
    total += size;
  }
  return {
    n,
    keys: shared,
    hashes,
    next: sharedInt32(n),
    rows,
    partStart,
    slots: sharedInt32(2 * total),
    slotStart,
    slotMask,
    distinct: sharedInt32(JOIN_PARTITIONS),
    direct: range === null ? null : sharedInt32(range.span),
    directBase: range?.lo ?? 0,
    directWidth: width,
  };
}

/** Direct mode's buildPartition: partition p's values are [p * width, (p + 1) * width) above the base. */
function buildDirectPartition(t: PartitionedJoinState, direct: Int32Array, p: number): void {
  const { next, rows } = t;
  const vals = t.keys[0];
  const base = t.directBase;
  direct.fill(-1, Math.min(direct.length, p * t.directWidth), Math.min(direct.length, (p + 1) * t.directWidth));
  let distinct = 0;
  for (let j = t.partStart[p + 1] - 1; j >= t.partStart[p]; j--) {
    const r = rows[j];
    const d = vals[r] - base;
    const first = direct[d];
    if (first === -1) distinct++;
    next[r] = first;
    direct[d] = r;
  }
  t.distinct[p] = distinct;
}

/** Builds partition p (any thread; each partition exactly once). */
export function buildPartition(t: PartitionedJoinState, p: number): void {
  if (t.direct !== null) {
    buildDirectPartition(t, t.direct, p);
    return;
  }
  const { keys, hashes, next, rows, slots } = t;
  const base = t.slotStart[p];
  const mask = t.slotMask[p];
  slots.fill(-1, 2 * base, 2 * (base + mask + 1));
  const nk = keys.length;
  const k0 = keys[0];
  let distinct = 0;
  for (let j = t.partStart[p + 1] - 1; j >= t.partStart[p]; j--) {
    const r = rows[j];
    const h = hashes[r];
    let s = h & mask;
    for (;;) {
      const at = (base + s) << 1;
      const first = slots[at];
      if (first === -1) {
        slots[at] = r;
        slots[at + 1] = h;
        next[r] = -1;
        distinct++;
        break;
      }
      if (slots[at + 1] === h && sameKey(keys, nk, k0[first], k0[r], first, r)) {
        next[r] = first;
        slots[at] = r;
        break;
      }
      s = (s + 1) & mask;
    }
  }
  t.distinct[p] = distinct;
}

/** Build rows a and b have equal keys (a0, b0: their first key's values); NaN equals NaN as in KeyTable. */
function sameKey(keys: Float64Array[], nk: number, a0: number, b0: number, a: number, b: number): boolean {
  if (a0 !== b0 && (a0 === a0 || b0 === b0)) return false;
  for (let c = 1; c < nk; c++) {
    const x = keys[c][a];
    const y = keys[c][b];
    if (x !== y && (x === x || y === y)) return false;
  }
  return true;
}

/** Shared counters of one parallel build (each an Int32Array(1) on a SharedArrayBuffer). */
export interface BuildSync {
  /** The next partition to claim. */
  counter: Int32Array;
  /** Partitions finished (built or failed); notified for a thread waiting for all of them. */
  built: Int32Array;
  /** Nonzero once a partition failed (the table is then unusable). */
  failed: Int32Array;
  /** Partitions finished by workers (statistics; counted before `built`). */
  byWorkers: Int32Array;
  /**
   * EXPLAIN ANALYZE: per participant (0: the main thread, 1…: the workers) partitions built, their
   * rows and milliseconds spent, PARTICIPANT_STATS values each; absent when nobody asks.
   */
  perThread?: Float64Array;
}

/** Values per participant in BuildSync.perThread: partitions, rows, milliseconds. */
export const PARTICIPANT_STATS = 3;

/**
 * Claims partitions and builds them until none is left; `worker`: count them in byWorkers; `slot`:
 * this thread's entry in sync.perThread; `onClaim` runs after each claim (a test hook).
 */
export function claimPartitions(t: PartitionedJoinState, sync: BuildSync, worker: boolean, slot = 0, onClaim?: () => void): void {
  for (;;) {
    const p = Atomics.add(sync.counter, 0, 1);
    if (p >= JOIN_PARTITIONS) return;
    onClaim?.();
    const start = sync.perThread === undefined ? 0 : performance.now();
    try {
      buildPartition(t, p);
    } catch {
      Atomics.store(sync.failed, 0, 1);
    }
    const stats = sync.perThread;
    if (stats !== undefined) {
      const at = slot * PARTICIPANT_STATS;
      stats[at]++;
      stats[at + 1] += t.partStart[p + 1] - t.partStart[p];
      stats[at + 2] += performance.now() - start;
    }
    if (worker) Atomics.add(sync.byWorkers, 0, 1);
    Atomics.add(sync.built, 0, 1);
    Atomics.notify(sync.built, 0);
  }
}

/** Distinct keys of the built table. */
export function distinctKeys(t: PartitionedJoinState): number {
  let d = 0;
  for (let p = 0; p < JOIN_PARTITIONS; p++) d += t.distinct[p];
  return d;
}

/**
 * For each probe row, the first build row of its key (the head of its chain in `next`), -1 when
 * none matches; rows with a NULL key never match.
 */
export function findFirstRows(t: PartitionedJoinState, keys: readonly NumKey[], n: number, out: Int32Array): void {
  if (t.direct !== null) {
    findDirect(t.direct, t.directBase, keys[0], n, out);
    return;
  }
  const hashes = new Int32Array(n);
  hashKeys(keys, n, hashes);
  const nullRows = anyNullKey(keys, n);
  const { slots, slotStart, slotMask } = t;
  const stored = t.keys;
  const s0 = stored[0];
  const p0 = keys[0].values;
  const nk = keys.length;
  for (let i = 0; i < n; i++) {
    if (nullRows !== null && nullRows[i] === 1) {
      out[i] = -1;
      continue;
    }
    const h = hashes[i];
    const p = h >>> PARTITION_SHIFT;
    const base = slotStart[p];
    const mask = slotMask[p];
    let s = h & mask;
    let found = -1;
    for (;;) {
      const at = (base + s) << 1;
      const first = slots[at];
      if (first === -1) break;
      if (slots[at + 1] === h) {
        const a = p0[i];
        const b = s0[first];
        if ((a === b || (a !== a && b !== b)) && (nk === 1 || probeRestEqual(stored, keys, nk, first, i))) {
          found = first;
          break;
        }
      }
      s = (s + 1) & mask;
    }
    out[i] = found;
  }
}

function probeRestEqual(stored: Float64Array[], keys: readonly NumKey[], nk: number, row: number, i: number): boolean {
  for (let c = 1; c < nk; c++) {
    const a = keys[c].values[i];
    const b = stored[c][row];
    if (a !== b && (a === a || b === b)) return false;
  }
  return true;
}

function findDirect(direct: Int32Array, base: number, key: NumKey, n: number, out: Int32Array): void {
  const vals = key.values;
  const len = direct.length;
  for (let i = 0; i < n; i++) {
    const d = vals[i] - base;
    // False for NaN and out of range; (d | 0) === d rejects fractions.
    out[i] = d >= 0 && d < len && (d | 0) === d ? direct[d] : -1;
  }
  const nulls = key.nulls;
  if (nulls !== null) for (let i = 0; i < n; i++) if (nulls[i] === 1) out[i] = -1;
}
