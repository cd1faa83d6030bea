// What the main thread and a parallel query worker send each other (structured clone: typed arrays
// on SharedArrayBuffers are shared, everything else is copied).
import { PlanNode, ScanNode } from '../../plan/plan';
import { TableDef } from '../../storage/api';
import { FormatSettings } from '../../types/text-format';
import { Batch, Scalar, Vector } from '../../types/vector';
import { PathStep } from './fragment';
import { BloomState } from '../hash/bloom-filter';
import { IntBitmapState } from '../hash/int-bitmap-filter';
import { KeyKind } from '../hash/key-hash';
import { BuildSync, PartitionedJoinState } from '../hash/partitioned-join-table';

/** A chunk as sent: a string vector's dictionary travels once per worker, by id (see WorkerHandle). */
export type SentVector = Vector | (Omit<Vector & { kind: 'string' }, 'dict'> & { dict: null; dictId: number });

export interface SentTable {
  tableId: number;
  def: TableDef;
  rowCounts: number[];
  deleted: (Uint8Array | null)[];
  liveRowCount: number;
  /** [column, one chunk per row group] for the columns some scan reads. */
  columns: [number, SentVector[]][];
}

/** What every runner of a fragment's partial plan gets: a local worker (WorkerTask) or another node (remote-types.ts). */
export interface FragmentBase {
  plan: PlanNode;
  /** Steps from `plan` to the driving scan. */
  path: PathStep[];
  params: Scalar[];
  format: FormatSettings;
  statementStartMicros: number;
  transactionStartMicros: number;
}

export interface WorkerTask extends FragmentBase {
  tables: SentTable[];
  /** Morsels of the driving scan as (group, start, end) triples. */
  morsels: Int32Array;
  /** Int32Array(1) on a SharedArrayBuffer: the next morsel to claim (Atomics.add), when `queues` is null. */
  counter: SharedArrayBuffer;
  /** Work-stealing queues over the morsels (morsel-queues.ts), and the one this worker owns. */
  queues: SharedArrayBuffer | null;
  queue: number;
  /** Int32Array(1): nonzero once the statement is cancelled. */
  cancel: SharedArrayBuffer;
  /** Dictionaries this worker has not seen yet; `clearDicts` drops the ones it kept first. */
  dicts: [number, string[]][];
  clearDicts: boolean;
  /** Hash joins of `plan` built by the main thread (shared-joins.ts); their build inputs are empty VALUES in `plan`. */
  joins: SentPrebuiltJoin[];
  /** Key-partitioned fragment (fragment.ts): this worker aggregates the groups of slice `part` of `parts` of the key range [lo, hi], over all morsels. */
  partition: { part: number; parts: number; lo: number; hi: number } | null;
}

/** A prebuilt hash join as sent: its node's path from the plan, build rows (shared chunks) and table. */
export interface SentPrebuiltJoin {
  path: PathStep[];
  length: number;
  columns: SentVector[];
  table: PartitionedJoinState;
  nullRows: Uint8Array | null;
}

/**
 * A filtered scan whose consumer stays on the main thread (parallel-scan.ts): the worker claims
 * morsels, evaluates the deleted rows, runtime filters and WHERE of each, and sets the kept rows'
 * bits in `selected` (SCAN_MORSEL_ROWS bits per morsel), their count in `counts` (-2: failed, the main
 * thread redoes the morsel). No reply message.
 */
export interface ScanTask {
  kind: 'scan';
  scan: ScanNode;
  /** Scan columns (positions in scan.columns) the filters read; the rest are absent in the worker. */
  read: boolean[];
  runtimeFilters: SentRuntimeFilter[];
  params: Scalar[];
  format: FormatSettings;
  statementStartMicros: number;
  transactionStartMicros: number;
  table: SentTable;
  morsels: Int32Array;
  counter: SharedArrayBuffer;
  cancel: SharedArrayBuffer;
  counts: SharedArrayBuffer;
  selected: SharedArrayBuffer;
  /** Float64Array: per participant (0: the main thread, then the workers) morsels, kept rows, ms (scan-task.ts). */
  stats: SharedArrayBuffer;
  /** This worker's participant number in `stats`. */
  slot: number;
  dicts: [number, string[]][];
  clearDicts: boolean;
}

/** Partitions of a parallel hash-join build to claim and build (parallel-join-build.ts); answers through shared memory only. */
export interface JoinBuildTask {
  kind: 'joinbuild';
  table: PartitionedJoinState;
  sync: BuildSync;
  /** This worker's participant number in sync.perThread. */
  slot: number;
}

export interface SentRuntimeFilter {
  keyIndexes: number[];
  scanColumns: number[];
  kinds: KeyKind[];
  bloom: BloomState | null;
  bitmap: IntBitmapState | null;
}

export interface WorkerError {
  code: string;
  message: string;
  detail?: string;
  hint?: string;
}

/**
 * A worker's partial rows, with for EXPLAIN ANALYZE the milliseconds it spent and the stats of the
 * fragment's plan nodes in the order of fragment-stats.ts.
 */
export type WorkerReply = { batches: Batch[]; morsels: number; stolen: number; elapsedMs: number; nodeStats: SentNodeStats[] } | { error: WorkerError };

/** A plan node's stats as a worker sends them: rows, loops, elapsed and startup milliseconds (null: the node did not run). */
export type SentNodeStats = [number, number, number, number] | null;

/** The node `path` leads to from `plan`. */
export function nodeAt(plan: PlanNode, path: readonly PathStep[]): PlanNode {
  let n = plan as unknown as Record<string, unknown>;
  for (const step of path) n = n[step] as Record<string, unknown>;
  return n as unknown as PlanNode;
}

export function drivingNode(plan: PlanNode, path: readonly PathStep[]): ScanNode {
  return nodeAt(plan, path) as ScanNode;
}
