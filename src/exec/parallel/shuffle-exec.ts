// A participant's parts of a shuffled join (shuffle-types.ts), over tables read through `tables`
// (the statement's snapshots on the coordinator, the node's own copy elsewhere): both sides of the
// join over its morsels, each row put in the partition of its key's hash — the build side first,
// with a Bloom filter of its keys sent to every participant, so probe rows whose key no build row
// has stay home (as a hash join's runtime filter drops them on a single node); and, as owner
// of a partition, the fragment's partial plan with the join's inputs replaced by the rows received.
import { Expr } from '../../plan/expr';
import { CteScanNode, HashJoinNode, PlanNode, ProjectNode, ScanNode } from '../../plan/plan';
import { TableSnapshot } from '../../storage/api';
import { DataType } from '../../types/data-type';
import { Batch, StringVector, Vector } from '../../types/vector';
import { gatherVector } from '../../types/vector-ops';
import { ExecContext, MorselSource } from '../context';
import { executePlan } from '../execute';
import { BloomFilter, BloomState } from '../hash/bloom-filter';
import { KeyColumn, KeyKind, anyNullKey, hashKeys, mix32, pairKind, toKeyColumn } from '../hash/key-hash';
import { concatBatches, placeholder } from '../vector-util';
import { replaceNode } from './fragment';
import { nodeAt } from './messages';
import { ShuffleJob } from './shuffle-types';

/** CTE ids under which the owner's plan reads the rows it received (the binder numbers CTEs from 0). */
const PROBE_CTE = -2001;
const BUILD_CTE = -2002;
/** Mixed into the key hash before the partition is taken, so the owner's hash table (same hash) does not see only a residue class. */
const PARTITION_SEED = 0x3c6ef372;

function morselSource(m: Int32Array): MorselSource {
  let next = 0;
  return {
    claim: () => {
      if (next * 3 >= m.length) return null;
      const i = next++;
      return { group: m[i * 3], start: m[i * 3 + 1], end: m[i * 3 + 2] };
    },
  };
}

function jobContext(job: ShuffleJob, tables: Map<number, TableSnapshot>, morsels: Map<ScanNode, Int32Array>, ctes?: Map<number, Batch[]>): ExecContext {
  return {
    params: job.params,
    snapshot: (id) => {
      const s = tables.get(id);
      if (s === undefined) throw new Error(`shuffled join: table ${id} was not sent`);
      return s;
    },
    format: job.format,
    statementStartMicros: job.statementStartMicros,
    transactionStartMicros: job.transactionStartMicros,
    checkCancel: () => undefined,
    ctes,
    morselsFor: (node) => {
      const m = morsels.get(node);
      return m === undefined ? undefined : morselSource(m);
    },
  };
}

const col = (index: number, type: DataType): Expr => ({ kind: 'column', index, type });

/** The join of the job, and the kinds its key pairs hash as (both sides alike). */
function joinOf(job: ShuffleJob): { join: HashJoinNode; kinds: KeyKind[] } {
  const join = nodeAt(job.plan, job.join) as HashJoinNode;
  return { join, kinds: join.leftKeys.map((k, i) => pairKind(k.type, join.rightKeys[i].type)) };
}

/** One side's rows over participant `me`'s morsels of `scan`: the shipped columns, then the key values (evaluated once, here; not shipped), as one batch. */
function sideRows(job: ShuffleJob, tables: Map<number, TableSnapshot>, input: PlanNode, keys: Expr[], columns: number[], scan: ScanNode, morsels: Int32Array): Batch {
  const withKeys: ProjectNode = {
    kind: 'project',
    input,
    exprs: [...columns.map((c) => col(c, input.output[c].type)), ...keys],
    output: [...columns.map((c) => input.output[c]), ...keys.map((k, i) => ({ name: `key${i}`, type: k.type }))],
  };
  const batches = executePlan(withKeys, jobContext(job, tables, new Map([[scan, morsels]])));
  // One batch partitioned at once: a few large vectors per destination instead of thousands of
  // small ones (less to allocate, collect, serialize and join than one gather per scan batch).
  return concatBatches(batches, withKeys.output.map((o) => o.type));
}

/**
 * Participant `me`'s build rows by destination partition, and a Bloom filter of their keys, sized
 * for the rows it has (so a small build side sends a small filter, whatever the estimates said).
 */
export function runShuffleBuild(job: ShuffleJob, me: number, tables: Map<number, TableSnapshot>): { parts: Batch[][]; bloom: BloomState } {
  const { join, kinds } = joinOf(job);
  const scan = nodeAt(join.right, job.buildPath) as ScanNode;
  const rows = sideRows(job, tables, join.right, join.rightKeys, job.buildColumns, scan, job.buildMorsels[me]);
  const bloom = new BloomFilter(rows.length);
  const parts = partitionRows(rows, job.buildColumns.length, kinds, job.nodes.length, (hashes, n) => {
    bloom.addAll(hashes, n, null);
    return null;
  });
  return { parts, bloom: bloom.state() };
}

/**
 * Participant `me`'s probe rows by destination partition, without the rows whose key is in none of
 * the participants' build filters (`blooms`, one per participant; null: keep all) — an inner join
 * drops them anyway, so they need not travel.
 */
export function runShuffleProbe(job: ShuffleJob, me: number, tables: Map<number, TableSnapshot>, blooms: readonly BloomState[] | null): Batch[][] {
  const { join, kinds } = joinOf(job);
  const scan = nodeAt(job.plan, job.path) as ScanNode;
  const rows = sideRows(job, tables, join.left, join.leftKeys, job.probeColumns, scan, job.probeMorsels[me]);
  const filters = blooms === null ? null : blooms.map((b) => new BloomFilter(0, b));
  return partitionRows(rows, job.probeColumns.length, kinds, job.nodes.length, (hashes, n, keys) => (filters === null ? null : inAnyFilter(filters, hashes, anyNullKey(keys, n), n)));
}

/** The rows (ascending) whose hash may be in one of `filters`, NULL keys excluded. */
function inAnyFilter(filters: readonly BloomFilter[], hashes: Int32Array, nulls: Uint8Array | null, n: number): Uint32Array {
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

/** Received rows (shipped columns only) as the side's full output: the columns nobody reads as NULL placeholders. */
function widen(batches: readonly Batch[], output: readonly { type: DataType }[], columns: readonly number[]): Batch[] {
  return batches.map((b) => {
    const full: Vector[] = output.map((o) => placeholder(o.type, b.length));
    columns.forEach((c, k) => (full[c] = b.columns[k]));
    return { length: b.length, columns: full };
  });
}

/** As owner of a partition: the fragment's partial plan over the rows received for it. */
export function runShuffleOwner(job: ShuffleJob, probe: readonly Batch[], build: readonly Batch[], tables: Map<number, TableSnapshot>): Batch[] {
  const join = nodeAt(job.plan, job.join) as HashJoinNode;
  const left: CteScanNode = { kind: 'ctescan', cteId: PROBE_CTE, output: join.left.output };
  const right: CteScanNode = { kind: 'ctescan', cteId: BUILD_CTE, output: join.right.output };
  const plan = replaceNode(job.plan, join, { ...join, left, right });
  const ctes = new Map([
    [PROBE_CTE, widen(probe, join.left.output, job.probeColumns)],
    [BUILD_CTE, widen(build, join.right.output, job.buildColumns)],
  ]);
  return executePlan(plan, jobContext(job, tables, new Map(), ctes));
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
