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
import { Batch, Vector } from '../../types/vector';
import { ExecContext } from '../context';
import { executePlan } from '../execute';
import { BloomFilter, BloomState } from '../hash/bloom-filter';
import { KeyKind, anyNullKey, pairKind } from '../hash/key-hash';
import { concatBatches, placeholder } from '../vector-util';
import { replaceNode } from './fragment';
import { MorselList, fragmentContext } from './fragment-context';
import { nodeAt } from './messages';
import { inAnyFilter, partitionRows } from './shuffle-partition';
import { ShuffleJob } from './shuffle-types';

/** CTE ids under which the owner's plan reads the rows it received (the binder numbers CTEs from 0). */
const PROBE_CTE = -2001;
const BUILD_CTE = -2002;

/** The job's plan over `tables`, the scan `driving` (if any) reading `morsels`. */
function jobContext(job: ShuffleJob, tables: Map<number, TableSnapshot>, driving: ScanNode | null, morsels: Int32Array): ExecContext {
  return fragmentContext(job, tables, new MorselList(morsels), () => undefined, 'shuffled join', driving);
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
  const batches = executePlan(withKeys, jobContext(job, tables, scan, morsels));
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
 * the participants' build filters (`blooms`, one per participant; null: keep all) — an inner or
 * semi join drops them anyway, so they need not travel (a left join keeps them all).
 */
export function runShuffleProbe(job: ShuffleJob, me: number, tables: Map<number, TableSnapshot>, blooms: readonly BloomState[] | null): Batch[][] {
  const { join, kinds } = joinOf(job);
  const scan = nodeAt(job.plan, job.path) as ScanNode;
  const rows = sideRows(job, tables, join.left, join.leftKeys, job.probeColumns, scan, job.probeMorsels[me]);
  // A left join emits its unmatched probe rows too: none may stay home.
  const filters = blooms === null || join.joinType === 'left' ? null : blooms.map((b) => new BloomFilter(0, b));
  return partitionRows(rows, job.probeColumns.length, kinds, job.nodes.length, (hashes, n, keys) => (filters === null ? null : inAnyFilter(filters, hashes, anyNullKey(keys, n), n)));
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
  return executePlan(plan, { ...jobContext(job, tables, null, new Int32Array(0)), ctes });
}
