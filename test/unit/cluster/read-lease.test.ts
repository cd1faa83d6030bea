// Read leases (src/cluster/read-lease.ts, replication.ts): a follower reads locally only on its
// leader's bounded word that commits wait for it; the leader keeps that word.
import { expect } from 'chai';
import { MemoryKv } from '../../../src/storage/kv-store';
import { Replica } from '../../../src/cluster/replica';
import { ReplicatedKv, serveReplica } from '../../../src/cluster/replication';
import { ReadLeaseHolder, serveReadLeases } from '../../../src/cluster/read-lease';
import { FakeNet, until } from '../../helpers/cluster-fakes';
import { MessageType } from '../../../src/cluster/message-types';

const put = (k: string, v: string): [string, Buffer] => [k, Buffer.from(v)];
const LEASE_MS = 300;

/** A leader (node 1) with followers 2 and 3 in sync, each holding a read lease. */
async function leaderWithLeases(readLeaseMs = LEASE_MS) {
  const net = new FakeNet();
  for (const id of [2, 3]) {
    const replica = new Replica(new MemoryKv());
    serveReplica(net.node(id), () => replica, () => 1);
  }
  const leader = new ReplicatedKv(new MemoryKv(), net.node(1), { term: 1, readLeaseMs, configuredNodes: 3 });
  serveReadLeases(net.node(1), (from) => leader.grantReadLease(from));
  const holders = new Map([2, 3].map((id) => [id, new ReadLeaseHolder(net.node(id), readLeaseMs, () => 1)]));
  leader.setFollowers([2, 3]);
  await until(() => leader.followerStates().every((f) => f.inSync));
  for (const h of holders.values()) h.renew();
  if (readLeaseMs > 0) await until(() => [...holders.values()].every((h) => h.valid()));
  return { net, leader, holders };
}

describe('cluster read leases', () => {
  it('a dropped follower is waited for until the lease it holds has run out, and no longer', async () => {
    const { net, leader, holders } = await leaderWithLeases();
    await leader.write([put('a', '1')]);
    const holder2 = holders.get(2)!;
    holder2.start();
    // Node 2 is cut off and the membership drops it (its lease revoked by an expel, say) while it still
    // holds the leader's word and, not hearing of the new epoch, would read its copy.
    net.cut.add(2);
    leader.setFollowers([3]);
    const t0 = performance.now();
    let validWhenAcknowledged: boolean | null = null;
    const write = leader.write([put('a', '2')]).then(() => {
      validWhenAcknowledged = holder2.valid();
    });
    await write;
    const waited = performance.now() - t0;
    holder2.close();
    // Node 2 never got 'a' = 2: had its lease still held when the commit was acknowledged, a client
    // routed there would have missed an acknowledged commit.
    expect(validWhenAcknowledged, 'node 2 still held its read lease when the commit was acknowledged').to.equal(false);
    expect(waited).to.be.greaterThan(LEASE_MS / 4);
    expect(waited).to.be.lessThan(LEASE_MS * 4);
    // Once it ran out, commits no longer wait for node 2 at all.
    const t1 = performance.now();
    await leader.write([put('a', '3')]);
    expect(performance.now() - t1).to.be.lessThan(LEASE_MS / 2);
    leader.stop(new Error('done'));
  });

  it('a follower that asks after being dropped is refused, and its lease ends at once', async () => {
    const { leader, holders } = await leaderWithLeases();
    expect(leader.grantReadLease(2)).to.deep.equal({ readMs: LEASE_MS, supported: true });
    leader.setFollowers([3]);
    expect(leader.grantReadLease(2)).to.deep.equal({ readMs: 0, supported: false });
    const holder2 = holders.get(2)!;
    holder2.renew();
    await until(() => !holder2.valid(), 200);
    // A node the leader does not count in sync (here: not a follower at all) gets nothing either.
    expect(leader.grantReadLease(4)).to.deep.equal({ readMs: 0, supported: false });
    leader.stop(new Error('done'));
  });

  it('a lease asked before it was dropped, answered after, is not taken', async () => {
    const { holders } = await leaderWithLeases();
    const holder3 = holders.get(3)!;
    holder3.drop();
    holder3.renew();
    // The answer to this request arrives after the drop below: it belongs to a leader no longer followed.
    holder3.drop();
    await new Promise((r) => setTimeout(r, 30));
    expect(holder3.valid()).to.equal(false);
  });

  it('with read_lease 0 nothing is granted and a dropped follower is not waited for', async () => {
    const { net, leader, holders } = await leaderWithLeases(0);
    expect(leader.grantReadLease(2)).to.deep.equal({ readMs: 0, supported: false });
    expect(leader.leads(), 'no leases: reads are not held back').to.equal(true);
    expect([...holders.values()].some((h) => h.valid())).to.equal(false);
    net.cut.add(2);
    leader.setFollowers([3]);
    const t0 = performance.now();
    await leader.write([put('a', '1')]);
    expect(performance.now() - t0).to.be.lessThan(100);
    leader.stop(new Error('done'));
  });

  it('a leader leads while a majority of the configured nodes promised within read_lease, and a follower not in sync promises too', async () => {
    const { net, leader, holders } = await leaderWithLeases();
    expect(leader.leads()).to.equal(true);
    // One of two followers is enough in a cluster of three.
    net.cut.add(2);
    await new Promise((r) => setTimeout(r, LEASE_MS + 20));
    expect(leader.leads(), 'before node 3 asked again').to.equal(false);
    holders.get(3)!.renew();
    await until(() => leader.leads(), 200);
    // Node 3 promises even while not counted in sync (it may be catching up): no read lease, but support.
    const lagging = new ReplicatedKv(new MemoryKv(), net.node(5), { term: 2, readLeaseMs: LEASE_MS, configuredNodes: 3 });
    lagging.setFollowers([4]);
    expect(lagging.grantReadLease(4)).to.deep.equal({ readMs: 0, supported: true });
    expect(lagging.leads()).to.equal(true);
    // Of two nodes, the other alone is no majority: a leader of two needs no promise.
    const pair = new ReplicatedKv(new MemoryKv(), net.node(6), { term: 2, readLeaseMs: LEASE_MS, configuredNodes: 2 });
    pair.setFollowers([7]);
    expect(pair.leads()).to.equal(true);
    pair.stop(new Error('done'));
    // Of five, two of the four others must have promised.
    const five = new ReplicatedKv(new MemoryKv(), net.node(8), { term: 2, readLeaseMs: LEASE_MS, configuredNodes: 5 });
    five.setFollowers([9, 10, 11, 12]);
    five.grantReadLease(9);
    expect(five.leads()).to.equal(false);
    five.grantReadLease(10);
    expect(five.leads()).to.equal(true);
    five.stop(new Error('done'));
    // A stopped leader leads nothing.
    lagging.stop(new Error('done'));
    expect(lagging.leads()).to.equal(false);
    leader.stop(new Error('done'));
  });

  it("a follower's promise outlasts the leader's count of it, survives a drop, and starts at the process's start", async () => {
    const net = new FakeNet();
    let leading = true;
    serveReadLeases(net.node(1), () => ({ readMs: leading ? LEASE_MS : 0, supported: leading }));
    const t0 = performance.now();
    const holder = new ReadLeaseHolder(net.node(2), LEASE_MS, () => 1);
    // A node that just started keeps the last promise it could have given before.
    expect(holder.promiseEnds()).to.be.at.least(t0 + LEASE_MS);
    await new Promise((r) => setTimeout(r, 50));
    const asked = performance.now();
    holder.renew();
    await until(() => holder.valid(), 200);
    expect(holder.promiseEnds()).to.be.at.least(asked + LEASE_MS);
    holder.drop();
    expect(holder.valid()).to.equal(false);
    expect(holder.promiseEnds(), 'a drop keeps the promise').to.be.at.least(asked + LEASE_MS);
    // An answer that counts no promise extends none.
    leading = false;
    const before = holder.promiseEnds();
    holder.renew();
    await new Promise((r) => setTimeout(r, 30));
    expect(holder.promiseEnds()).to.equal(before);
    expect(holder.valid()).to.equal(false);
  });

  it('a request hanging on a leader no longer followed does not hold back asking the next one', async () => {
    const net = new FakeNet();
    // Node 1 never answers (it died with the request in flight); node 2 leads now.
    net.node(1).handle(MessageType.replReadLease, () => new Promise<Uint8Array>(() => undefined));
    serveReadLeases(net.node(2), () => ({ readMs: LEASE_MS, supported: true }));
    let following = 1;
    const holder = new ReadLeaseHolder(net.node(3), LEASE_MS, () => following);
    holder.renew();
    await new Promise((r) => setTimeout(r, 10));
    following = 2;
    holder.drop();
    holder.renew();
    await until(() => holder.valid(), 200);
  });

  it('renewNow resolves once the answer is taken, after at most its wait when none comes, and at once with nobody to ask', async () => {
    const net = new FakeNet();
    let answering = true;
    // Node 1 answers with a lease while `answering`, else never (its event loop held).
    const granted = Buffer.alloc(5);
    granted.writeUInt32LE(LEASE_MS, 0);
    granted[4] = 1;
    net.node(1).handle(MessageType.replReadLease, () => (answering ? Promise.resolve(granted) : new Promise<Uint8Array>(() => undefined)));
    let following: number | null = 1;
    const holder = new ReadLeaseHolder(net.node(2), LEASE_MS, () => following);
    expect(holder.valid()).to.equal(false);
    await holder.renewNow(1000);
    expect(holder.valid(), 'the lease when renewNow resolved').to.equal(true);
    holder.drop();
    answering = false;
    const t0 = performance.now();
    await holder.renewNow(40);
    expect(performance.now() - t0).to.be.within(30, 2000);
    expect(holder.valid()).to.equal(false);
    following = null;
    holder.drop();
    const t1 = performance.now();
    await holder.renewNow(1000);
    expect(performance.now() - t1).to.be.lessThan(20);
  });

  it('renewNow asks again when the answer in flight grants a lease that ended while the event loop was held', async () => {
    const net = new FakeNet();
    serveReadLeases(net.node(1), () => ({ readMs: LEASE_MS, supported: true }));
    const holder = new ReadLeaseHolder(net.node(2), LEASE_MS, () => 1);
    // A renewal goes out (the timer's), then the loop is held past the lease before its answer is read.
    holder.renew();
    const held = performance.now();
    while (performance.now() - held < LEASE_MS + 50);
    // That answer counts from its sending, so it has already ended; a second request is needed.
    await holder.renewNow(1000);
    expect(holder.valid(), 'the lease once renewNow resolved').to.equal(true);
  });
});
