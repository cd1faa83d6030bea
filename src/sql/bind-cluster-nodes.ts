// tessera_cluster_nodes(): one row per node of this node's cluster as the leader sees it — address,
// role in the agreed epoch, how far its copy of the store has got (the replicated batch number it has
// made durable), whether commits wait for it (in sync) and whether the failure detector suspects it.
// Like tessera_interconnect_stats(), the rows come from a provider the cluster layer sets on the
// database (Database.clusterNodes); without a cluster the function returns no rows.
import { PlanNode } from '../plan/plan';
import { Types } from '../types/data-type';
import { SystemColumn, systemRowsPlan } from './system-rows';
import type { BindContext } from './bind-context';

export const CLUSTER_NODES_FUNCTION = 'tessera_cluster_nodes';

export interface ClusterNodeRow {
  id: number;
  host: string;
  clientPort: number;
  interconnectPort: number;
  /** 'leader', 'follower', or 'absent' (configured, not in the agreed epoch). */
  role: string;
  epoch: number;
  /** Replicated batches durable on the node (the leader: written). */
  replicatedSeq: number | null;
  inSync: boolean | null;
  suspected: boolean;
}

const COLUMNS: SystemColumn<ClusterNodeRow>[] = [
  { name: 'node_id', type: Types.int4, value: (s) => s.id },
  { name: 'host', type: Types.text, value: (s) => s.host },
  { name: 'client_port', type: Types.int4, value: (s) => s.clientPort },
  { name: 'interconnect_port', type: Types.int4, value: (s) => s.interconnectPort },
  { name: 'role', type: Types.text, value: (s) => s.role },
  { name: 'epoch', type: Types.int8, value: (s) => s.epoch },
  { name: 'replicated_seq', type: Types.int8, value: (s) => s.replicatedSeq },
  { name: 'in_sync', type: Types.bool, value: (s) => s.inSync },
  { name: 'suspected', type: Types.bool, value: (s) => s.suspected },
];

export function bindClusterNodes(ctx: BindContext, argCount: number): PlanNode {
  return systemRowsPlan(CLUSTER_NODES_FUNCTION, argCount, COLUMNS, ctx.clusterNodes?.() ?? []);
}
