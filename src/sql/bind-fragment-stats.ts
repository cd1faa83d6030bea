// tessera_fragment_stats(): cluster parallel query on this node as coordinator — one row per other
// node that took morsels of its parallel fragments since the process started: requests (ranges of
// morsels) sent and the morsels in them, failed and 'behind' requests and the morsels then run
// locally, speculative local duplicates of its stragglers launched, won by the local copy, lost to
// the node's own answer (exec/parallel/remote-round.ts). No rows on a node that never used others.
import { PlanNode } from '../plan/plan';
import { remoteFragmentStats, NodeFragmentStats } from '../exec/parallel/remote-round';
import { Types } from '../types/data-type';
import { SystemColumn, systemRowsPlan } from './system-rows';

export const FRAGMENT_STATS_FUNCTION = 'tessera_fragment_stats';

const COLUMNS: SystemColumn<NodeFragmentStats>[] = [
  { name: 'node_id', type: Types.int4, value: (s) => s.node },
  { name: 'fragments', type: Types.int8, value: (s) => s.fragments },
  { name: 'morsels', type: Types.int8, value: (s) => s.morsels },
  { name: 'failures', type: Types.int8, value: (s) => s.failures },
  { name: 'behind', type: Types.int8, value: (s) => s.behind },
  { name: 'fallback_morsels', type: Types.int8, value: (s) => s.fallbackMorsels },
  { name: 'duplicates_launched', type: Types.int8, value: (s) => s.duplicatesLaunched },
  { name: 'duplicates_won', type: Types.int8, value: (s) => s.duplicatesWon },
  { name: 'duplicates_lost', type: Types.int8, value: (s) => s.duplicatesLost },
];

export function bindFragmentStats(argCount: number): PlanNode {
  return systemRowsPlan(FRAGMENT_STATS_FUNCTION, argCount, COLUMNS, [...remoteFragmentStats.values()].sort((a, b) => a.node - b.node));
}
