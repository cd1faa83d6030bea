// tessera_commit_stats(): the commit queue's counters — group-commit batches and their commits,
// solo commits, the write pipeline's LMDB writes (how many, batches per write, total and longest
// ms), the time commits spent from queueing to their row locks' release (decision) and to their
// acknowledgement (durable), and the reads that waited for decided commits to become durable (see
// storage/write-pipeline.ts). One row, read when the statement is bound, like tessera_buffer_stats().
import { CommitQueueStats } from '../storage/api';
import { PlanNode } from '../plan/plan';
import { Types } from '../types/data-type';
import { SystemColumn, systemRowsPlan } from './system-rows';
import type { BindContext } from './bind-context';

export const COMMIT_STATS_FUNCTION = 'tessera_commit_stats';

const COLUMNS: SystemColumn<CommitQueueStats>[] = [
  { name: 'batches', type: Types.int8, value: (s) => s.batches },
  { name: 'commits', type: Types.int8, value: (s) => s.commits },
  { name: 'commits_per_batch', type: Types.float8, value: (s) => ratio(s.commits, s.batches) },
  { name: 'solo_commits', type: Types.int8, value: (s) => s.soloCommits },
  { name: 'writes', type: Types.int8, value: (s) => s.writes },
  { name: 'written_batches', type: Types.int8, value: (s) => s.writtenBatches },
  { name: 'batches_per_write', type: Types.float8, value: (s) => ratio(s.writtenBatches, s.writes) },
  { name: 'write_ms', type: Types.float8, value: (s) => round(s.writeMs) },
  { name: 'avg_write_ms', type: Types.float8, value: (s) => ratio(s.writeMs, s.writes) },
  { name: 'max_write_ms', type: Types.float8, value: (s) => round(s.maxWriteMs) },
  { name: 'acknowledged', type: Types.int8, value: (s) => s.acknowledged },
  { name: 'decide_ms', type: Types.float8, value: (s) => round(s.decideMs) },
  { name: 'avg_decide_ms', type: Types.float8, value: (s) => ratio(s.decideMs, s.acknowledged) },
  { name: 'commit_ms', type: Types.float8, value: (s) => round(s.waitMs) },
  { name: 'avg_commit_ms', type: Types.float8, value: (s) => ratio(s.waitMs, s.acknowledged) },
  { name: 'read_waits', type: Types.int8, value: (s) => s.readWaits },
  { name: 'read_wait_ms', type: Types.float8, value: (s) => round(s.readWaitMs) },
];

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function ratio(a: number, b: number): number | null {
  return b > 0 ? round(a / b) : null;
}

export function bindCommitStats(ctx: BindContext, argCount: number): PlanNode {
  const s = ctx.commitStats?.();
  return systemRowsPlan(COMMIT_STATS_FUNCTION, argCount, COLUMNS, s === undefined ? [] : [s]);
}
