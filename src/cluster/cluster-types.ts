// The types every cluster module shares: who a node is, and what the agreed membership says.
// Kept apart so the interconnect, membership and launcher code can be written (and tested) separately.

/** One node of the cluster, as listed in conf/cluster.conf and registered in etcd. */
export interface NodeInfo {
  /** Small positive integer, unique in the cluster, stable across restarts of that node. */
  id: number;
  /** Loopback or a routable address; both the interconnect and the client port listen on it. */
  host: string;
  /** TCP port of the node-to-node interconnect. */
  interconnectPort: number;
  /** TCP port for PostgreSQL clients (wire protocol). */
  clientPort: number;
}

/**
 * The membership agreed through the consensus store at one epoch. The epoch grows by one on every change
 * of the member set or of the leader; two nodes with the same epoch see the same members and leader.
 */
export interface ClusterView {
  epoch: number;
  /** Live members (each holds an unexpired lease), sorted by id. */
  members: NodeInfo[];
  /** The node that orders commits in this epoch (null while none is elected). */
  leader: number | null;
}
