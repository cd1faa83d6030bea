// One server process's part in a cluster: who it is, who the others are, and the settings the cluster
// agreed on in its cluster conf. main.ts (--cluster FILE --node-id N) calls startClusterNode once the
// database is open and before the client port listens, and close() after the client port has closed
// and before the database closes.
//
// For now it only records the node's identity and options: the interconnect (interconnect.ts) and the
// etcd membership (membership.ts) are started from here once they exist, so main.ts stays unchanged.
import { Database } from '../engine/database';
import { ClusterSettings } from '../types/cluster-settings';
import { NodeInfo } from './cluster-types';

export interface ClusterNodeOptions {
  /** This node (one of `nodes`). */
  self: NodeInfo;
  /** Every node the cluster conf lists, sorted by id (self included). */
  nodes: NodeInfo[];
  /** What conf/cluster.conf says for the whole cluster. */
  settings: ClusterSettings;
  /** Absolute path of this node's data directory. */
  dataDirectory: string;
  /** The node's open database (its local storage and buffer pool). */
  database: Database;
  /** Where the node reports what it does (default: console.log with a "tessera: " prefix). */
  log?: (line: string) => void;
}

export interface ClusterNode {
  readonly self: NodeInfo;
  readonly options: Readonly<ClusterNodeOptions>;
  /** True once close() has been called. */
  readonly closed: boolean;
  /** Leaves the cluster; idempotent. Call before closing the database. */
  close(): Promise<void>;
}

export async function startClusterNode(options: ClusterNodeOptions): Promise<ClusterNode> {
  const { self, nodes } = options;
  if (!nodes.some((n) => n.id === self.id)) throw new Error(`node ${self.id} is not one of the cluster's nodes (${nodes.map((n) => n.id).join(', ')})`);
  const { settings } = options;
  if (settings.replicationFactor < 1 || settings.replicationFactor > nodes.length) {
    throw new Error(`replication factor ${settings.replicationFactor} needs 1 .. ${nodes.length} nodes`);
  }
  const log = options.log ?? ((line: string) => console.log(`tessera: ${line}`));
  log(
    `cluster "${settings.name}" node ${self.id} of ${nodes.length} (interconnect ${self.host}:${self.interconnectPort}, etcd ${settings.etcdEndpoints.join(',')}); ` +
      'interconnect and membership are not started yet: this node serves its own data only',
  );
  let closed = false;
  return {
    self,
    options,
    get closed() {
      return closed;
    },
    close: async () => {
      closed = true;
    },
  };
}
