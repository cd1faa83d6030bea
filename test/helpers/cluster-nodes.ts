// Three ClusterNodes in this test process (real etcd, interconnect and LMDB stores), for tests of the
// followers' standby engines: `leaders` holds the engine of the node leading now. stop() closes the
// nodes and etcd and removes the data, whatever state the test left them in.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ClusterNode } from '../../src/cluster/cluster-node';
import type { NodeInfo } from '../../src/cluster/cluster-types';
import { Database } from '../../src/engine/database';
import { ClusterSettings } from '../../src/types/cluster-settings';
import { TestEtcd, startTestEtcd } from '../cluster/etcd-helper';
import { freePort } from './test-server';
import type { Membership } from '../../src/cluster/membership';
import { until } from './cluster-fakes';

export interface InProcessNodes {
  nodes: Map<number, ClusterNode>;
  /** The engine of the node that leads now (set by onLeader, removed at step-down). */
  leaders: Map<number, Database>;
  stop(): Promise<void>;
}

/** Starts etcd and nodes 1-3 (replication_factor 2, 2 s leases); STANDBY_LOG=1 prints their logs. */
export async function startInProcessNodes(name: string, into?: { nodes: Map<number, ClusterNode>; leaders: Map<number, Database> }): Promise<InProcessNodes> {
  const etcd: TestEtcd = await startTestEtcd();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `tessera-${name}-`));
  const nodes = into?.nodes ?? new Map<number, ClusterNode>();
  const leaders = into?.leaders ?? new Map<number, Database>();
  const stop = async () => {
    for (const n of nodes.values()) await n.close().catch(() => undefined);
    await etcd.stop();
    fs.rmSync(root, { recursive: true, force: true });
  };
  try {
    const infos: NodeInfo[] = [];
    for (let id = 1; id <= 3; id++) infos.push({ id, host: '127.0.0.1', interconnectPort: await freePort(), clientPort: await freePort() });
    const settings: ClusterSettings = {
      name,
      etcdEndpoints: [etcd.endpoint],
      replicationFactor: 2,
      leaseTtlMs: 2000,
      heartbeatIntervalMs: 50,
      phiThreshold: 8,
      acceptablePauseMs: 2000,
      expelAfterMs: 500,
      readLeaseMs: 500,
      leaderStallLimitMs: 60_000,
      batchWindowMs: 1,
      maxBatch: 100,
    };
    for (const self of infos) {
      const dir = path.join(root, `n${self.id}`);
      fs.mkdirSync(dir);
      const node = new ClusterNode({
        self,
        nodes: infos,
        settings,
        dataDirectory: dir,
        synchronousCommit: false,
        openDatabase: (kv) => Database.open({ dir, kv }),
        onLeader: async (db) => {
          leaders.set(self.id, db);
        },
        onStepDown: async () => {
          leaders.delete(self.id);
        },
        log: process.env.STANDBY_LOG === '1' ? (l) => console.log(`[${self.id}] ${l}`) : () => undefined,
      });
      nodes.set(self.id, node);
    }
    await Promise.all([...nodes.values()].map((n) => n.start()));
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodes, leaders, stop };
}

/**
 * In-process nodes for a describe block: started before its tests; after them every membership the
 * tests suspended is resumed and the nodes stopped. `nodes` and `leaders` are filled as the cluster runs.
 */
export function inProcessSuite(name: string) {
  const nodes = new Map<number, ClusterNode>();
  const leaders = new Map<number, Database>();
  let cluster: InProcessNodes | undefined;
  const membership = (id: number) => (nodes.get(id) as unknown as { membership: Membership }).membership;
  /** The followers whose standby says it is in sync. */
  const followersInSync = () => [...nodes.keys()].filter((id) => !leaders.has(id) && nodes.get(id)!.standby()?.inSync() === true);
  before(async () => {
    cluster = await startInProcessNodes(name, { nodes, leaders });
  });
  after(async () => {
    for (const id of nodes.keys()) membership(id).resumeForTest();
    await cluster?.stop();
  });
  return {
    nodes,
    leaders,
    membership,
    followersInSync,
    /** Waits for one leader and two followers in sync. */
    ready: () => until(() => leaders.size === 1 && followersInSync().length === 2, 20000),
  };
}
