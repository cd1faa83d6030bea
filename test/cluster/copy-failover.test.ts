// The leader dies while a follower is being sent a whole copy of its store (three ClusterNodes in this
// process: real etcd, interconnect and LMDB stores). The other follower dropped (trimmed) its bytes of
// the chunks the copy-receiving follower holds long ago; before h-salvage the copy started by deleting
// them, the survivor found no live holder for them and refused to lead until the dead leader came
// back. Now the copy keeps them (Replica.beginSnapshot) and the survivor gathers them by their hash.
import { expect } from 'chai';
import { ClusterNode } from '../../src/cluster/cluster-node';
import { MessageType } from '../../src/cluster/message-types';
import { Replica } from '../../src/cluster/replica';
import { ReplicatedKv } from '../../src/cluster/replication';
import { Standby } from '../../src/cluster/standby';
import { encodePosition } from '../../src/cluster/kv-batch';
import { Database } from '../../src/engine/database';
import { until } from '../helpers/cluster-fakes';
import { embedded } from '../helpers/standby-cluster';
import { InProcessNodes, startInProcessNodes } from '../helpers/cluster-nodes';

type Handler = (from: number, payload: Buffer) => Uint8Array | Promise<Uint8Array>;

/** A node's private parts this test reaches into (the replica, the leader's replication, its request handlers). */
interface Inside {
  replica: Replica;
  replicated: ReplicatedKv | null;
  interconnect: { requestHandlers: Map<number, Handler> };
}
const inside = (n: ClusterNode) => n as unknown as Inside;

describe('cluster: the leader dies while a follower is being sent a whole copy', function () {
  this.timeout(90_000);
  let cluster: InProcessNodes | undefined;
  let nodes = new Map<number, ClusterNode>();
  let leaders = new Map<number, Database>();
  /** Ends the copy pieces the test holds back (they fail). */
  let unblock: (err: Error) => void = () => undefined;

  before(async () => {
    cluster = await startInProcessNodes('salvage-copy');
    ({ nodes, leaders } = cluster);
  });

  after(async () => {
    unblock(new Error('held back by the test'));
    await cluster?.stop();
  });

  it('the other follower leads at once, gathering the chunks only the copy-receiving follower and the dead leader held; the copy then completes from the new leader', async () => {
    const followers = () => [...nodes.keys()].filter((id) => !leaders.has(id) && nodes.get(id)!.standby() !== null);
    await until(() => leaders.size === 1 && followers().length === 2 && followers().every((id) => nodes.get(id)!.standby()!.inSync()), 30_000);
    const oldLeader = [...leaders.keys()][0];
    const leader = embedded(leaders.get(oldLeader)!);
    await leader.query('CREATE TABLE big (g int, k int)');
    await leader.query('INSERT INTO big SELECT i % 10, i FROM generate_series(1, 600000) i');
    const sql = 'SELECT count(*)::int AS n, sum(k)::text AS s, count(DISTINCT g)::int AS d FROM big';
    const want = (await leader.query(sql)).rows;
    expect(want).to.deep.equal([{ n: 600000, s: '180000300000', d: 10 }]);
    // Both followers trimmed: each keeps markers of the chunks the other follower and the leader hold.
    const markers = (id: number) => inside(nodes.get(id)!).replica.markerKeys().length;
    await until(() => followers().every((id) => markers(id) > 0), 30_000);
    const [copied, survivor] = followers();

    // The copy-receiving follower answers the leader's position query as a node that wrote batches the
    // leader never had (a former leader's history), so the leader sends it a whole copy; the copy's
    // pieces after its start are held back, so the copy is under way when the leader dies.
    const handlers = inside(nodes.get(copied)!).interconnect.requestHandlers;
    const position = handlers.get(MessageType.replPosition)!;
    const snapshot = handlers.get(MessageType.replSnapshot)!;
    const held = new Promise<never>((_, reject) => (unblock = reject));
    held.catch(() => undefined);
    let diverge = true;
    let begun = false;
    handlers.set(MessageType.replPosition, (from, payload) => (diverge && from === oldLeader ? encodePosition({ term: 999, seq: 1e9 }) : position(from, payload)));
    handlers.set(MessageType.replSnapshot, async (from, payload) => {
      if (from === oldLeader && payload[0] !== 0) return held;
      const out = await snapshot(from, payload);
      if (from === oldLeader) begun = true;
      return out;
    });
    const replication = inside(nodes.get(oldLeader)!).replicated!;
    const follower = (replication as unknown as { followers: Map<number, unknown> }).followers.get(copied);
    (replication as unknown as { startRecovery(f: unknown): void }).startRecovery(follower);
    await until(() => begun, 20_000);
    diverge = false;
    const replica = inside(nodes.get(copied)!).replica;
    expect(replica.receivingCopy).to.equal(true);
    expect(replica.position().seq).to.equal(0);
    expect(replica.salvagedKeys().length).to.be.greaterThan(0);

    // The leader dies (its lease goes with it). The survivor has the highest position and leads.
    const died = Date.now();
    await nodes.get(oldLeader)!.close();
    nodes.delete(oldLeader);
    await until(() => leaders.has(survivor), 30_000).catch((e) => {
      throw new Error(`${(e as Error).message}: node ${survivor} did not become leader (with the copy to node ${copied} under way)`);
    });
    console.log(`      node ${survivor} leads ${Date.now() - died} ms after leader ${oldLeader} closed, with node ${copied} mid-copy`);
    expect((await embedded(leaders.get(survivor)!).query(sql)).rows).to.deep.equal(want);

    // The new leader sends the copy-receiving follower a copy of its own; it ends with nothing kept.
    await until(() => nodes.get(copied)!.standby()?.inSync() === true, 30_000);
    const after = inside(nodes.get(copied)!).replica;
    expect(after.receivingCopy).to.equal(false);
    expect(after.salvagedKeys()).to.deep.equal([]);
    const standby = nodes.get(copied)!.standby() as Standby;
    expect((await embedded(standby.database).query(sql)).rows).to.deep.equal(want);
  });
});
