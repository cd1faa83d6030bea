// How a shuffled join's rows travel (shuffle-exec.ts runs the plans that make them): each row to
// the partition of its key's hash, computed over the key columns' typed arrays (hashKeys, the hash
// the owners' hash tables use too, remixed so the partitions are not residue classes of it); probe
// rows only when some participant's Bloom filter of build keys may hold their key; string columns
// with only the dictionary entries their rows use.
import { Batch, StringVector, Vector } from '../../types/vector';
import { gatherVector } from '../../types/vector-ops';
import { BloomFilter } from '../hash/bloom-filter';
import { KeyColumn, KeyKind, hashKeys, mix32, toKeyColumn } from '../hash/key-hash';

/** Mixed into the key hash before the partition is taken, so the owner's hash table (same hash) does not see only a residue class. */
const PARTITION_SEED = 0x3c6ef372;

/** The partition (0..n-1) of a key hash. */
function partitionOf(hash: number, n: number): number {
  return (mix32(hash ^ PARTITION_SEED) >>> 0) % n;
}

/**
 * The rows of `b` by partition of their keys (columns m… of the batch), keeping columns 0..m-1.
 * `select(hashes, rows, keys)` sees the key hashes and may return the rows to keep (null: all).
 */
export function partitionRows(b: Batch, m: number, kinds: KeyKind[], n: number, select: (hashes: Int32Array, rows: number, keys: KeyColumn[]) => Uint32Array | null): Batch[][] {
  const out: Batch[][] = Array.from({ length: n }, () => []);
  if (b.length === 0) return out;
  const cols = b.columns.slice(0, m);
  const keys = kinds.map((k, i) => toKeyColumn(b.columns[m + i], k));
  const hashes = new Int32Array(b.length);
  hashKeys(keys, b.length, hashes);
  const kept = select(hashes, b.length, keys);
  const count = kept === null ? b.length : kept.length;
  // Counting sort of the (kept) row numbers by partition: one pass to count, one to place.
  const part = new Int32Array(count);
  const start = new Int32Array(n + 1);
  for (let i = 0; i < count; i++) {
    const p = partitionOf(hashes[kept === null ? i : kept[i]], n);
    part[i] = p;
    start[p + 1]++;
  }
  for (let p = 0; p < n; p++) start[p + 1] += start[p];
  const fill = start.slice(0, n);
  const idx = new Int32Array(count);
  for (let i = 0; i < count; i++) idx[fill[part[i]]++] = kept === null ? i : kept[i];
  for (let p = 0; p < n; p++) {
    const rows = start[p + 1] - start[p];
    if (rows === 0) continue;
    const sel = idx.subarray(start[p], start[p + 1]);
    out[p].push({ length: rows, columns: cols.map((v) => gatherVector(v, sel, rows)) });
  }
  return out;
}

/** The rows (ascending) whose hash may be in one of `filters`, NULL keys excluded. */
export function inAnyFilter(filters: readonly BloomFilter[], hashes: Int32Array, nulls: Uint8Array | null, n: number): Uint32Array {
  const hit = new Uint8Array(n);
  const rows = new Uint32Array(n);
  for (const f of filters) {
    const k = f.selectHashes(hashes, nulls, null, n, rows);
    for (let i = 0; i < k; i++) hit[rows[i]] = 1;
  }
  let kept = 0;
  for (let r = 0; r < n; r++) if (hit[r] === 1) rows[kept++] = r;
  return rows.subarray(0, kept);
}

/**
 * `b` with each string column's dictionary cut down to the entries its rows use, when it holds
 * more entries than rows: a scan's vectors share their chunk's whole dictionary (all of
 * customer's names), which would otherwise travel with every message however few rows it has.
 */
export function compactStrings(b: Batch): Batch {
  let columns: Vector[] | null = null;
  b.columns.forEach((v, c) => {
    if (v.kind !== 'string' || v.dict.length <= v.length) return;
    (columns ??= [...b.columns])[c] = compactDict(v);
  });
  return columns === null ? b : { length: b.length, columns };
}

function compactDict(v: StringVector): StringVector {
  const n = v.length;
  const remap = new Int32Array(v.dict.length).fill(-1);
  const dict: string[] = [];
  const codes = new Int32Array(n);
  const nulls = v.nulls;
  for (let i = 0; i < n; i++) {
    if (nulls !== null && nulls[i] === 1) continue;
    const old = v.codes[i];
    let code = remap[old];
    if (code < 0) {
      code = remap[old] = dict.length;
      dict.push(v.dict[old]);
    }
    codes[i] = code;
  }
  return { kind: 'string', type: v.type, length: n, nulls, codes, dict };
}
