// What an executing plan needs from its session. Exec imports only plan, storage contracts and types.
import { HashJoinNode, PlanNode, ScanNode } from '../plan/plan';
import { PartitionedJoinState } from './hash/partitioned-join-table';
import { TableSnapshot } from '../storage/api';
import { FormatSettings } from '../types/text-format';
import type { RemoteFragmentProvider } from './parallel/remote-types';
import { Batch, Scalar } from '../types/vector';

export interface ExecContext {
  /** Statement parameters ($1 = index 0), already in their types. */
  params: Scalar[];
  /** The table as this statement sees it (committed snapshot, or the transaction's own view). */
  snapshot(tableId: number): TableSnapshot;
  /** TimeZone, DateStyle and output settings, for casts and date arithmetic on timestamptz. */
  format: FormatSettings;
  /** Start of the statement, microseconds since 1970 (statement_timestamp()). */
  statementStartMicros: number;
  /** Start of the transaction, microseconds since 1970 (now(), current_date, localtimestamp). */
  transactionStartMicros: number;
  /** Throws SqlError 57014 when the statement was cancelled or timed out; called at least once per batch. */
  checkCancel(): void;
  /**
   * True once per time slice when the caller drives the plan asynchronously (scans then return
   * YIELD so the event loop can run: other sessions, CancelRequests); absent = never yield.
   */
  shouldYield?: () => boolean;
  /**
   * Materialized CTE results by CTE id, handed in by the caller (the rows RETURNING reads) and
   * filled by WithNode while the plan runs. executePlan copies the map, so the caller's is not changed.
   */
  ctes?: Map<number, Batch[]>;
  /**
   * set_config(name, value, is_local): changes the session's setting (value null = its default) and
   * returns the new value as SHOW prints it.
   */
  setConfig?: (name: string, value: string | null, isLocal: boolean) => string | null;
  /** work_mem in bytes and where operators that exceed it write temp files (absent: never spill). */
  workMem?: { bytes: number; dir: string };
  /** nextval/currval/setval/lastval, by the sequence's name as regclass text (the session resolves it). */
  sequences?: SequenceFunctions;
  /**
   * Worker threads a statement run by executePlanAsync may use (max_parallel_workers); absent or
   * 0 = serial. See parallel/run-parallel.ts for the plan shapes that run in parallel.
   */
  parallelWorkers?: number;
  /** Decoded bytes of the driving table handed to the workers per round (half the buffer pool); absent: all at once. */
  parallelRoundBytes?: number;
  /** Build-side rows from which a hash join's table is built by the workers in partitions (parallel_join_build_rows). */
  parallelJoinBuildRows?: number;
  /** Build-side rows from which a parallel fragment's hash join is built once and shared with its workers (parallel_shared_join_rows; 0: never). */
  parallelSharedJoinRows?: number;
  /** Driving-table rows below which a statement stays serial (parallel_min_rows). */
  parallelMinRows?: number;
  /** Other cluster nodes that take morsels of parallel fragments (cluster_parallel_query; absent: this node alone). */
  remoteFragments?: RemoteFragmentProvider;
  /** cluster_join_distribution: 'broadcast' makes every participant build every build side, whatever its size (benches, tests). */
  clusterJoinDistribution?: string;
  /**
   * Inside a parallel worker: the scan that drives the fragment takes its rows morsel by morsel
   * from the worker's own queue, stealing from the other workers' once it is empty; every other
   * scan reads the whole table.
   */
  morselsFor?: (node: ScanNode) => MorselSource | undefined;
  /**
   * Plan nodes to run as another plan: the aggregates of uncorrelated subqueries whose partial
   * aggregation ran on the parallel workers before the statement, run as the merge of their rows.
   */
  replacedNodes?: Map<PlanNode, PlanNode>;
  /**
   * Inside a parallel worker of a key-partitioned fragment (run-parallel.ts): `node` aggregates only
   * the rows whose single integer group key falls in slice `part` of `parts` of [lo, hi], so the
   * workers' groups are disjoint.
   */
  aggregatePartition?: { node: PlanNode; part: number; parts: number; lo: number; hi: number };
  /** Inside a parallel worker: the hash joins whose tables the main thread built (and shared) before the fragment started. */
  prebuiltJoin?: (node: HashJoinNode) => PrebuiltJoin | undefined;
}

/** A hash join's build rows and table, built once for every worker of a fragment (parallel/shared-joins.ts). */
export interface PrebuiltJoin {
  build: Batch;
  table: PartitionedJoinState;
  /** Build rows with a NULL key (null: none). */
  nullRows: Uint8Array | null;
}

/** Row ranges of one scan, handed out to the workers (work stealing: parallel/morsel-queues.ts). */
export interface MorselSource {
  /** The next unclaimed morsel: rows [start, end) of row group `group`; null when all are taken. */
  claim(): { group: number; start: number; end: number } | null;
}

export interface SequenceFunctions {
  nextval(name: string): number;
  currval(name: string): number;
  setval(name: string, value: number, isCalled: boolean): number;
  lastval(): number;
}
