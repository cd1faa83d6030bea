// tessera_interconnect_stats(): one row per peer of this node's cluster interconnect — messages sent
// and received, socket writes carrying them (batches) and messages per write, bytes, request round-trip
// p50/p99, and whether the failure detector suspects the peer. The engine does not know the cluster:
// the cluster layer hands the database a provider of these rows (Database.interconnectStats); without
// a cluster the function returns no rows.
import { PlanNode } from '../plan/plan';
import { Types } from '../types/data-type';
import { SystemColumn, systemRowsPlan } from './system-rows';
import type { BindContext } from './bind-context';

export const INTERCONNECT_STATS_FUNCTION = 'tessera_interconnect_stats';

/** One peer's counters, as the cluster layer reports them. */
export interface InterconnectStatsRow {
  peer: number;
  messagesSent: number;
  messagesReceived: number;
  batches: number;
  avgBatch: number | null;
  bytesSent: number;
  bytesReceived: number;
  p50Ms: number | null;
  p99Ms: number | null;
  suspected: boolean;
}

const COLUMNS: SystemColumn<InterconnectStatsRow>[] = [
  { name: 'peer_id', type: Types.int4, value: (s) => s.peer },
  { name: 'messages_sent', type: Types.int8, value: (s) => s.messagesSent },
  { name: 'messages_received', type: Types.int8, value: (s) => s.messagesReceived },
  { name: 'batches', type: Types.int8, value: (s) => s.batches },
  { name: 'avg_batch', type: Types.float8, value: (s) => round(s.avgBatch) },
  { name: 'bytes_sent', type: Types.int8, value: (s) => s.bytesSent },
  { name: 'bytes_received', type: Types.int8, value: (s) => s.bytesReceived },
  { name: 'p50_ms', type: Types.float8, value: (s) => round(s.p50Ms) },
  { name: 'p99_ms', type: Types.float8, value: (s) => round(s.p99Ms) },
  { name: 'suspected', type: Types.bool, value: (s) => s.suspected },
];

function round(x: number | null): number | null {
  return x === null ? null : Math.round(x * 1000) / 1000;
}

export function bindInterconnectStats(ctx: BindContext, argCount: number): PlanNode {
  return systemRowsPlan(INTERCONNECT_STATS_FUNCTION, argCount, COLUMNS, ctx.interconnectStats?.() ?? []);
}
