// ClusterNode's standby engines (src/cluster/standby.ts) with real membership (etcd), interconnect and
// LMDB stores, three nodes in this process: each follower's standby() sees the leader's writes right
// after they are acknowledged and names itself; the standby of a follower that is promoted is closed
// before it leads, and the remaining follower's standby follows the new leader.
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ClusterNode } from '../../src/cluster/cluster-node';
import type { NodeInfo } from '../../src/cluster/cluster-types';
import { Database } from '../../src/engine/database';
import { EmbeddedDatabase } from '../../src/embedded/embedded-database';
import { ClusterSettings } from '../../src/types/cluster-settings';
import { freePort } from '../helpers/test-server';
import { until } from '../helpers/cluster-fakes';
import { embedded } from '../helpers/standby-cluster';
import { TestEtcd, startTestEtcd } from './etcd-helper';

describe('cluster nodes: standby engines on the followers', function () {
  this.timeout(60000);
  let etcd: TestEtcd;
  let root: string;
  const nodes = new Map<number, ClusterNode>();
  const leaders = new Map<number, Database>();

  before(async () => {
    etcd = await startTestEtcd();
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-standby-node-'));
    const infos: NodeInfo[] = [];
    for (let id = 1; id <= 3; id++) infos.push({ id, host: '127.0.0.1', interconnectPort: await freePort(), clientPort: await freePort() });
    const settings: ClusterSettings = {
      name: 'standby-test',
      etcdEndpoints: [etcd.endpoint],
      replicationFactor: 2,
      leaseTtlMs: 2000,
      heartbeatIntervalMs: 50,
      phiThreshold: 8,
      acceptablePauseMs: 2000,
      expelAfterMs: 500,
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
        log: process.env.STANDBY_LOG === "1" ? (l) => console.log(`[${self.id}] ${l}`) : () => undefined,
      });
      nodes.set(self.id, node);
    }
    await Promise.all([...nodes.values()].map((n) => n.start()));
  });

  after(async () => {
    for (const n of nodes.values()) await n.close().catch(() => undefined);
    await etcd?.stop();
    if (root !== undefined) fs.rmSync(root, { recursive: true, force: true });
  });

  const leaderId = () => [...leaders.keys()][0];
  const followers = () => [...nodes.keys()].filter((id) => !leaders.has(id) && nodes.get(id)!.standby() !== null);
  const on = (id: number): EmbeddedDatabase => embedded(nodes.get(id)!.standby()!.database);

  it('every follower has a standby in sync that sees each acknowledged write, and says which node it is', async () => {
    const ready = () => leaders.size === 1 && followers().length === 2 && followers().every((id) => nodes.get(id)!.standby()!.inSync());
    await until(ready, 20000).catch((e) => {
      throw new Error(`${e.message}: leaders ${[...leaders.keys()]}, standbys ${[...nodes].map(([id, n]) => `${id}:${n.standby() === null ? 'none' : n.standby()!.inSync()}`)}`);
    });
    const leader = embedded(leaders.get(leaderId())!);
    expect(nodes.get(leaderId())!.standby()).to.equal(null);
    await leader.query('CREATE TABLE t (id int, v text)');
    for (let i = 1; i <= 5; i++) {
      await leader.query(`INSERT INTO t SELECT g, 'r${i}' FROM generate_series(${i * 1000 - 999}, ${i * 1000}) g`);
      for (const id of followers()) expect((await on(id).query('SELECT count(*)::int AS n, max(v) AS v FROM t')).rows, `node ${id}`).to.deep.equal([{ n: i * 1000, v: `r${i}` }]);
    }
    for (const id of [...nodes.keys()]) {
      const db = leaders.get(id) !== undefined ? leader : on(id);
      expect((await db.query('SHOW cluster_node_id')).rows).to.deep.equal([{ cluster_node_id: String(id) }]);
    }
  });

  it('a promoted follower closes its standby first; the other follower follows the new leader', async () => {
    const old = leaderId();
    const [a, b] = followers();
    const standbyA = nodes.get(a)!.standby()!;
    const standbyB = nodes.get(b)!.standby()!;
    await nodes.get(old)!.close();
    await until(() => leaders.size === 1 && leaderId() !== old, 20000);
    const promoted = leaderId();
    const other = promoted === a ? b : a;
    const closedStandby = promoted === a ? standbyA : standbyB;
    expect(nodes.get(promoted)!.standby()).to.equal(null);
    // The promoted node's standby engine was closed: a connection still holding it is refused.
    const err = await embedded(closedStandby.database)
      .query('SELECT 1')
      .then(
        () => null,
        (e: { code?: string }) => e,
      );
    expect(err?.code, 'a query on the closed standby').to.equal('57P01');
    expect(closedStandby.inSync()).to.equal(false);
    const leader = embedded(leaders.get(promoted)!);
    await leader.query("INSERT INTO t VALUES (0, 'after')");
    // Only two nodes are left: the commit waits for the remaining follower (replication_factor 2).
    await until(() => nodes.get(other)!.standby()?.inSync() === true, 20000);
    expect((await on(other).query("SELECT count(*)::int AS n FROM t WHERE v = 'after'")).rows).to.deep.equal([{ n: 1 }]);
    expect((await on(other).query('SELECT count(*)::int AS n FROM t')).rows).to.deep.equal([{ n: 5001 }]);
  });
});
