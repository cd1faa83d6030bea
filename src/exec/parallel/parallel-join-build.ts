// Partitioned parallel hash-join build: a join whose build side has at least
// parallel_join_build_rows rows (numeric keys) has its table built by the parallel workers and the
// main thread together (hash/partitioned-join-table.ts). The main thread hashes and partitions the
// rows (one pass), posts the shared arrays to the workers, claims partitions itself like them, and
// waits (Atomics.wait, checking for cancellation) until every partition is built. All synchronous,
// so the pull-based join above is unchanged; the probe then reads the shared table in place.
import { ExecContext } from '../context';
import { KeyColumn, KeyKind, NumKey, anyNullKey } from '../hash/key-hash';
import { BuildSync, JOIN_PARTITIONS, PARTICIPANT_STATS, PartitionedJoinState, buildPartition, claimPartitions, preparePartitionedJoin } from '../hash/partitioned-join-table';
import { ParallelStats } from '../expr/compiled';
import { JoinBuildTask } from './messages';
import { checkWorkersAlive, leaseWorkers, releaseWorkers } from './pool';

/**
 * Default of parallel_join_build_rows: below it a build stays on the main thread (KeyTable, whose
 * direct mode over dense integer keys builds faster than hashing and partitioning them).
 */
export const PARALLEL_JOIN_BUILD_ROWS = 1_000_000;
const WAIT_SLICE_MS = 50;

/** Counters for tests: builds done in parallel, and partitions built by workers. */
export const parallelJoinStats = { builds: 0, workerPartitions: 0 };

/** A table built in parallel, with the rows whose key has a NULL (null: none). */
export interface ParallelJoinTable {
  table: PartitionedJoinState;
  nullRows: Uint8Array | null;
  /** Who built which partitions (EXPLAIN ANALYZE); absent when built serially. */
  parallel?: ParallelStats;
}

const sharedCounter = (): Int32Array => new Int32Array(new SharedArrayBuffer(4));

/**
 * Builds the join table over `keys` (n rows) in parallel when it is worth it and workers are free;
 * null = build serially.
 */
export function buildJoinTableInParallel(keys: readonly KeyColumn[], kinds: readonly KeyKind[], n: number, ctx: ExecContext): ParallelJoinTable | null {
  const want = ctx.parallelWorkers ?? 0;
  if (want < 1 || ctx.morselsFor !== undefined || typeof SharedArrayBuffer === 'undefined') return null;
  if (n === 0 || n < (ctx.parallelJoinBuildRows ?? PARALLEL_JOIN_BUILD_ROWS) || !kinds.every((k) => k === 'num')) return null;
  const workers = leaseWorkers(want);
  if (workers.length === 0) return null;
  const perThread = new Float64Array(new SharedArrayBuffer(8 * PARTICIPANT_STATS * (workers.length + 1)));
  const sync: BuildSync = { counter: sharedCounter(), built: sharedCounter(), failed: sharedCounter(), byWorkers: sharedCounter(), perThread };
  try {
    const nullRows = anyNullKey(keys as readonly NumKey[], n);
    const table = preparePartitionedJoin(keys as readonly NumKey[], n, nullRows);
    workers.forEach((w, i) => w.post({ kind: 'joinbuild', table, sync, slot: i + 1 } satisfies JoinBuildTask));
    claimPartitions(table, sync, false, 0);
    for (let b = Atomics.load(sync.built, 0); b < JOIN_PARTITIONS; b = Atomics.load(sync.built, 0)) {
      // A worker that died inside a partition never finishes it: fail rather than wait for ever.
      if (Atomics.wait(sync.built, 0, b, WAIT_SLICE_MS) === 'timed-out') checkWorkersAlive(workers);
      ctx.checkCancel();
    }
    // A partition that failed (a bug, not bad data: building only compares numbers) leaves the build to the serial path.
    if (Atomics.load(sync.failed, 0) !== 0) return null;
    parallelJoinStats.builds++;
    parallelJoinStats.workerPartitions += Atomics.load(sync.byWorkers, 0);
    const participants = [null, ...workers.map((_, i) => i)].map((worker, k) => {
      const at = k * PARTICIPANT_STATS;
      return { worker, units: perThread[at], rows: perThread[at + 1], ms: perThread[at + 2] };
    });
    return { table, nullRows, parallel: { kind: 'build', planned: want, launched: workers.length, participants } };
  } finally {
    // Cancelled: no partition is claimed any more. Workers still inside one finish it (bounded
    // work); a task posted to them next waits in their queue until then.
    Atomics.store(sync.counter, 0, JOIN_PARTITIONS);
    releaseWorkers(workers);
  }
}

/** The shared table over numeric `keys`: built in parallel when buildJoinTableInParallel would, else here, partition by partition. */
export function buildSharedJoinTable(keys: readonly NumKey[], n: number, ctx: ExecContext): ParallelJoinTable {
  const parallel = buildJoinTableInParallel(keys, keys.map(() => 'num'), n, ctx);
  if (parallel !== null) return parallel;
  const nullRows = anyNullKey(keys, n);
  const table = preparePartitionedJoin(keys, n, nullRows);
  for (let p = 0; p < JOIN_PARTITIONS; p++) buildPartition(table, p);
  return { table, nullRows };
}
