// The shape of a compiled expression and the environment it is compiled in.
import type { PlanNode } from '../../plan/plan';
import { DataType } from '../../types/data-type';
import { Batch, Scalar, Vector } from '../../types/vector';
import type { ExecContext } from '../context';

/** Evaluates an expression over every row of a batch (batches are compact: no selection). */
export type VectorFn = (batch: Batch) => Vector;

export interface CompiledExpr {
  readonly type: DataType;
  readonly eval: VectorFn;
  /** Constant for the whole statement (literals, parameters, and calls over them, folded at compile time). */
  readonly isConst: boolean;
  /** The value when isConst. */
  readonly value: Scalar;
  /**
   * Whether evaluating it may raise an error (division, overflow, casts, subqueries…). AND, OR and
   * CASE evaluate such arguments only on the rows that reach them, as PostgreSQL's per-row evaluation would.
   */
  readonly canError: boolean;
  /** Input column indexes it reads (to gather only those for a subset of rows). */
  readonly columns: readonly number[];
}

/** A plan prepared once (expressions compiled) that can be run many times with fresh operator state. */
export interface PreparedPlan {
  readonly node: PlanNode;
  /** Runs the plan to completion; each call starts from scratch. */
  run(): Batch[];
  /** Starts a run and returns its pull function (null when exhausted), to stop early (EXISTS). */
  open(): () => Batch | null;
}

/**
 * Where expressions are compiled: the statement's context, and the row of the enclosing query for
 * a correlated subquery's plan (OuterRefExpr slot k reads outer[k], set before each run).
 */
export interface ExprEnv {
  readonly ctx: ExecContext;
  outer: Scalar[];
  /** Materialized CTEs of this statement (shared by every environment of the statement). */
  readonly ctes: Map<number, Batch[]>;
  /** Actual rows per plan node (shared; EXPLAIN ANALYZE reads it). */
  readonly stats: Map<PlanNode, NodeStats>;
  /** Output columns of each plan node that some consumer reads (needed-columns.ts); absent = all. */
  readonly needed: Map<PlanNode, boolean[]>;
  /**
   * What must be released when the statement ends, however it ends: chunk readers of scans stopped
   * early (their pins), spill files of hash aggregation.
   */
  readonly closeAtEnd?: Set<{ close(): void }>;
  /** Compiles a subquery's plan in a child environment (provided by the executor, which owns plans). */
  prepareSubplan(plan: PlanNode, env: ExprEnv): PreparedPlan;
}

/** What the executor counts per plan node (summed over every run of a subplan). */
export interface NodeStats {
  /** Rows the node produced. */
  rows: number;
  batches: number;
  /** Times the node was started (a correlated subplan runs once per distinct outer row). */
  loops: number;
  /** Wall time inside the node, its inputs included, in milliseconds. */
  elapsedMs: number;
  /** Wall time until the node handed out its first batch (summed over runs that produced one). */
  startupMs?: number;
  /** Scans: buffer-pool chunk hits, chunks read from storage, hits on read-ahead chunks (summed over runs). */
  bufferHits?: number;
  bufferReads?: number;
  prefetchHits?: number;
  /** Hash aggregation: input rows written to spill partitions because the groups exceeded work_mem. */
  spilledRows?: number;
  /** Whether the last run was pulled to its end (a probe side left unread, or a run stopped early, is not). */
  ended?: boolean;
  /**
   * Scans: the joins whose runtime filters dropped rows here. Between this scan and such a join
   * the counted rows are fewer than the subplan's true rows (the learned optimizer skips them).
   */
  prunedBy?: Set<PlanNode>;
  /** Work of this node done by parallel workers (EXPLAIN ANALYZE's "Workers Launched" and per-worker lines). */
  parallel?: ParallelStats;
}

/**
 * How a node's work was shared out: a partial aggregate run by the workers ('aggregate'), a
 * filtered scan whose morsels the workers and the main thread split ('scan'), a hash join's table
 * built in partitions by both ('build'). Summed over the node's runs.
 */
export interface ParallelStats {
  kind: 'aggregate' | 'scan' | 'build';
  /** Workers asked for (max_parallel_workers), and workers that took part summed over runs. */
  planned: number;
  launched: number;
  /** The main thread (worker null), then each worker by its position among the leased ones. */
  participants: ParticipantStats[];
}

export interface ParticipantStats {
  worker: number | null;
  /** Morsels (scans, aggregates) or partitions (builds) this participant did. */
  units: number;
  /** Rows it produced: kept rows of a scan, partial groups of an aggregate, build rows of its partitions. */
  rows: number;
  /** Milliseconds it spent on them (absent: not measurable apart from other work). */
  ms?: number;
}

/** Adds one run's participants to `into` (matched by worker number). */
export function addParallelStats(s: NodeStats, run: ParallelStats): void {
  const into = (s.parallel ??= { kind: run.kind, planned: 0, launched: 0, participants: [] });
  into.planned = Math.max(into.planned, run.planned);
  into.launched += run.launched;
  for (const p of run.participants) {
    const q = into.participants.find((x) => x.worker === p.worker);
    if (q === undefined) into.participants.push({ ...p });
    else {
      q.units += p.units;
      q.rows += p.rows;
      if (p.ms !== undefined) q.ms = (q.ms ?? 0) + p.ms;
    }
  }
  into.participants.sort((a, b) => (a.worker ?? -1) - (b.worker ?? -1));
}
