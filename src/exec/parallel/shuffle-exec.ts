// A participant's parts of a shuffled join (shuffle-types.ts), over tables read through `tables`
// (the statement's snapshots on the coordinator, the node's own copy elsewhere): both sides of the
// join over its morsels, each row put in the partition of its key's hash; and, as owner of a
// partition, the fragment's partial plan with the join's inputs replaced by the rows received.
import { Expr } from '../../plan/expr';
import { CteScanNode, HashJoinNode, PlanNode, ProjectNode, ScanNode } from '../../plan/plan';
import { TableSnapshot } from '../../storage/api';
import { DataType } from '../../types/data-type';
import { Batch, Vector } from '../../types/vector';
import { gatherVector } from '../../types/vector-ops';
import { ExecContext, MorselSource } from '../context';
import { executePlan } from '../execute';
import { KeyKind, hashKeys, mix32, pairKind, toKeyColumn } from '../hash/key-hash';
import { concatBatches, placeholder } from '../vector-util';
import { replaceNode } from './fragment';
import { nodeAt } from './messages';
import { ShuffleJob, ShuffleParts } from './shuffle-types';

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

/** Participant `me`'s rows of both sides, by destination partition (only the columns the plan above the join reads). */
export function runShuffleSides(job: ShuffleJob, me: number, tables: Map<number, TableSnapshot>): ShuffleParts {
  const join = nodeAt(job.plan, job.join) as HashJoinNode;
  const probeScan = nodeAt(job.plan, job.path) as ScanNode;
  const buildScan = nodeAt(join.right, job.buildPath) as ScanNode;
  const n = job.nodes.length;
  const kinds = join.leftKeys.map((k, i) => pairKind(k.type, join.rightKeys[i].type));
  const side = (input: PlanNode, keys: Expr[], columns: number[], scan: ScanNode, morsels: Int32Array): Batch[][] => {
    // The shipped columns, then the key values (evaluated once, here; not shipped).
    const withKeys: ProjectNode = {
      kind: 'project',
      input,
      exprs: [...columns.map((c) => col(c, input.output[c].type)), ...keys],
      output: [...columns.map((c) => input.output[c]), ...keys.map((k, i) => ({ name: `key${i}`, type: k.type }))],
    };
    const batches = executePlan(withKeys, jobContext(job, tables, new Map([[scan, morsels]])));
    // One batch partitioned at once: a few large vectors per destination instead of thousands of
    // small ones (less to allocate, collect, serialize and join than one gather per scan batch).
    const all = concatBatches(batches, withKeys.output.map((o) => o.type));
    return partitionRows([all], columns.length, kinds, n);
  };
  return {
    probe: side(join.left, join.leftKeys, job.probeColumns, probeScan, job.probeMorsels[me]),
    build: side(join.right, join.rightKeys, job.buildColumns, buildScan, job.buildMorsels[me]),
  };
}

/** The partition (0..n-1) of each row's key hash. */
function partitionsOf(batch: Batch, m: number, kinds: KeyKind[], n: number): Int32Array {
  const len = batch.length;
  const hashes = new Int32Array(len);
  hashKeys(
    kinds.map((k, i) => toKeyColumn(batch.columns[m + i], k)),
    len,
    hashes,
  );
  for (let i = 0; i < len; i++) hashes[i] = (mix32(hashes[i] ^ PARTITION_SEED) >>> 0) % n;
  return hashes;
}

/** Rows of `batches` by partition of their keys (columns m… of each batch), keeping columns 0..m-1. */
export function partitionRows(batches: readonly Batch[], m: number, kinds: KeyKind[], n: number): Batch[][] {
  const out: Batch[][] = Array.from({ length: n }, () => []);
  for (const b of batches) {
    if (b.length === 0) continue;
    const cols = b.columns.slice(0, m);
    if (n === 1) {
      out[0].push({ length: b.length, columns: cols });
      continue;
    }
    const part = partitionsOf(b, m, kinds, n);
    // Counting sort of the row numbers by partition: one pass to count, one to place.
    const start = new Int32Array(n + 1);
    for (let i = 0; i < b.length; i++) start[part[i] + 1]++;
    for (let p = 0; p < n; p++) start[p + 1] += start[p];
    const fill = start.slice(0, n);
    const idx = new Int32Array(b.length);
    for (let i = 0; i < b.length; i++) idx[fill[part[i]]++] = i;
    for (let p = 0; p < n; p++) {
      const rows = start[p + 1] - start[p];
      if (rows === 0) continue;
      const sel = idx.subarray(start[p], start[p + 1]);
      out[p].push({ length: rows, columns: cols.map((v) => gatherVector(v, sel, rows)) });
    }
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
