// tessera_buffer_stats(): the buffer pool's counters — replacement policy, budget, resident bytes
// and chunks, hits, misses, evictions, and the prefetcher's read-ahead, used and wasted chunks —
// as a FROM item (also reachable as the relation tessera_buffer_pool). One row, read when the
// statement is bound, like tessera_storage_stats().
import { PlanNode } from '../plan/plan';
import { DataType, Types } from '../types/data-type';
import { SqlError, SqlState } from '../types/sql-error';
import { Scalar } from '../types/vector';
import type { BindContext } from './bind-context';

export const BUFFER_STATS_FUNCTION = 'tessera_buffer_stats';
export const BUFFER_STATS_RELATION = 'tessera_buffer_pool';

const COLUMNS: { name: string; type: DataType }[] = [
  { name: 'policy', type: Types.text },
  { name: 'capacity_bytes', type: Types.int8 },
  { name: 'resident_bytes', type: Types.int8 },
  { name: 'resident_chunks', type: Types.int8 },
  { name: 'pinned_chunks', type: Types.int8 },
  { name: 'hits', type: Types.int8 },
  { name: 'misses', type: Types.int8 },
  { name: 'evictions', type: Types.int8 },
  { name: 'hit_ratio', type: Types.float8 },
  { name: 'prefetched', type: Types.int8 },
  { name: 'prefetch_hits', type: Types.int8 },
  { name: 'prefetch_wasted', type: Types.int8 },
];

/** Whether a FROM item's relation name (unqualified or pg_catalog) is the buffer pool view. */
export function isBufferStatsRelation(schema: string | undefined, name: string): boolean {
  return name === BUFFER_STATS_RELATION && (schema === undefined || schema === 'pg_catalog');
}

export function bindBufferStats(ctx: BindContext, argCount: number): PlanNode {
  if (argCount > 0) throw new SqlError(SqlState.undefinedFunction, `function ${BUFFER_STATS_FUNCTION} with ${argCount} argument(s) does not exist`, { hint: 'It takes no arguments.' });
  const s = ctx.bufferStats?.();
  const rows =
    s === undefined
      ? []
      : [
          [s.policy, s.capacityBytes, s.residentBytes, s.residentChunks, s.pinnedChunks, s.hits, s.misses, s.evictions, s.hits + s.misses > 0 ? Math.round((s.hits / (s.hits + s.misses)) * 10000) / 10000 : null, s.prefetched, s.prefetchHits, s.prefetchWasted].map(
            (value: Scalar, i) => ({ kind: 'const' as const, value, type: COLUMNS[i].type }),
          ),
        ];
  return { kind: 'values', rows, output: COLUMNS.map((c) => ({ name: c.name, type: c.type })), estimatedRows: rows.length };
}
