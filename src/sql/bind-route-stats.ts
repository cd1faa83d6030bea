// tessera_route_stats(): what this node's statement router did (cluster/statement-router.ts) — units
// answered by the node's own read-only copy, units relayed to the leader (of which those handed over
// because they would have fetched more than standby_fetch_limit), and sessions relayed whole
// because the copy was missing or behind at connect. Unlike the other tessera_* functions a follower
// answers it itself (the counters are the follower's). The cluster layer sets the provider
// (Database.routeStats); elsewhere the function returns no rows.
import { PlanNode } from '../plan/plan';
import { Types } from '../types/data-type';
import { SystemColumn, systemRowsPlan } from './system-rows';
import type { BindContext } from './bind-context';

export const ROUTE_STATS_FUNCTION = 'tessera_route_stats';

export interface RouteStatsRow {
  nodeId: number;
  localUnits: number;
  leaderUnits: number;
  relayedSessions: number;
  /** Of leaderUnits, those sent there because they would have fetched more than standby_fetch_limit. */
  fetchLimitUnits: number;
}

const COLUMNS: SystemColumn<RouteStatsRow>[] = [
  { name: 'node_id', type: Types.int4, value: (s) => s.nodeId },
  { name: 'local_units', type: Types.int8, value: (s) => s.localUnits },
  { name: 'leader_units', type: Types.int8, value: (s) => s.leaderUnits },
  { name: 'relayed_sessions', type: Types.int8, value: (s) => s.relayedSessions },
  { name: 'fetch_limit_units', type: Types.int8, value: (s) => s.fetchLimitUnits },
];

export function bindRouteStats(ctx: BindContext, argCount: number): PlanNode {
  return systemRowsPlan(ROUTE_STATS_FUNCTION, argCount, COLUMNS, ctx.routeStats?.() ?? []);
}
