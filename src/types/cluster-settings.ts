// The settings every node of a cluster must agree on, as conf/cluster.conf gives them. Here, below
// both, so the config layer (which reads them) and the cluster layer (which uses them) share one type.

export interface ClusterSettings {
  /** cluster_name. */
  name: string;
  /** etcd client URLs (http://host:port). */
  etcdEndpoints: string[];
  /** Copies of each chunk: its master plus the next nodes on the ring. */
  replicationFactor: number;
  /** etcd lease time-to-live of a node's membership key. */
  leaseTtlMs: number;
  heartbeatIntervalMs: number;
  /** Phi-accrual suspicion threshold. */
  phiThreshold: number;
  /** Heartbeat silence tolerated before phi starts to grow (GC and scheduling stalls). */
  acceptablePauseMs: number;
  /** Suspicion that lasts this long gets the suspected node expelled (its lease revoked). */
  expelAfterMs: number;
  /** How long a follower's standby may read locally on one word of its leader (read-lease.ts; 0: never). */
  readLeaseMs: number;
  /** How long a leader's event loop may stay busy while its etcd lease is still renewed (lease-renewer.ts). */
  leaderStallLimitMs: number;
  /** How long the interconnect holds messages to one destination before it writes them (0: no batching). */
  batchWindowMs: number;
  /** Messages to one destination that flush a batch before the window ends. */
  maxBatch: number;
}
