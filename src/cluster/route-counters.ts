// What a follower's statement router did, for tessera_route_stats(): units (a simple query, or the
// extended-protocol messages up to Sync) answered by this node's standby engine or relayed to the
// leader, and whole sessions relayed untouched because the standby was missing or behind at connect.
export class RouteCounters {
  localUnits = 0;
  leaderUnits = 0;
  relayedSessions = 0;
}
