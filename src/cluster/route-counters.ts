// What a follower's statement router did, for tessera_route_stats(): units (a simple query, or the
// extended-protocol messages up to Sync) answered by this node's standby engine or relayed to the
// leader, and whole sessions relayed untouched because the standby was missing or behind at connect.
// Of the units relayed to the leader, `fetchLimitUnits` were begun on the standby and handed over
// because their statement would have fetched more than standby_fetch_limit of chunks from the leader.
import type { RouteStatsRow } from '../sql/bind-route-stats';

export class RouteCounters {
  localUnits = 0;
  leaderUnits = 0;
  relayedSessions = 0;
  fetchLimitUnits = 0;

  /** The counters as tessera_route_stats() shows them (Database.routeStats). */
  rows(nodeId: number): RouteStatsRow[] {
    return [{ nodeId, localUnits: this.localUnits, leaderUnits: this.leaderUnits, relayedSessions: this.relayedSessions, fetchLimitUnits: this.fetchLimitUnits }];
  }
}
