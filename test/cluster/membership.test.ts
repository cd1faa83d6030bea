// Membership agreed through a real etcd: three Membership instances in one process.
import { expect } from 'chai';
import { ClusterView, NodeInfo } from '../../src/cluster/cluster-types';
import { EtcdClient, EtcdUnavailableError } from '../../src/cluster/etcd-client';
import { highestPositionCandidate, Membership, MembershipOptions } from '../../src/cluster/membership';
import { freePort } from '../helpers/test-server';
import { startPartitionProxy, startTestEtcd, TestEtcd, waitFor } from './etcd-helper';

const TTL_S = 2; // etcd's minimum with default election settings
const node = (id: number): NodeInfo => ({ id, host: '127.0.0.1', interconnectPort: 7000 + id, clientPort: 6000 + id });

/** A few nodes of one cluster, every view each node saw, and a sampler of who acts as leader. */
class Harness {
  readonly nodes = new Map<number, Membership>();
  readonly views = new Map<number, ClusterView[]>();
  readonly fences = new Map<number, string[]>();
  /** Most nodes that answered isLeader() true in one sample. */
  maxConcurrentLeaders = 0;
  private sampler: NodeJS.Timeout;

  constructor(private readonly endpoint: string, readonly cluster: string) {
    this.sampler = setInterval(() => {
      let leaders = 0;
      for (const m of this.nodes.values()) if (m.isLeader()) leaders++;
      this.maxConcurrentLeaders = Math.max(this.maxConcurrentLeaders, leaders);
    }, 5);
  }

  add(id: number, extra: Partial<MembershipOptions> = {}): Membership {
    const m = new Membership({
      endpoint: this.endpoint,
      cluster: this.cluster,
      self: node(id),
      leaseTtlSeconds: TTL_S,
      keepAliveIntervalMs: 300,
      ...extra,
    });
    this.nodes.set(id, m);
    this.views.set(id, []);
    this.fences.set(id, []);
    m.on('view', (v: ClusterView) => this.views.get(id)!.push(v));
    m.on('fenced', (reason: string) => this.fences.get(id)!.push(reason));
    return m;
  }

  /** Nodes 1, 2, 3 join one after the other; resolves with the view they all agree on. */
  async joinThree(): Promise<ClusterView> {
    for (const id of [1, 2, 3]) await this.add(id).join();
    await waitFor(() => this.agree([1, 2, 3], [1, 2, 3]), 5000, () => this.describe());
    return this.nodes.get(1)!.view()!;
  }

  /** True when every listed node's latest view has exactly these members (and, if given, this leader). */
  agree(ids: number[], members: number[], leader?: number): boolean {
    const vs = ids.map((id) => this.nodes.get(id)!.view());
    if (vs.some((v) => v === null)) return false;
    const first = vs[0]!;
    return vs.every(
      (v) =>
        v!.epoch === first.epoch &&
        JSON.stringify(v!.members.map((m) => m.id)) === JSON.stringify(members) &&
        v!.leader !== null &&
        v!.leader === first.leader &&
        (leader === undefined || v!.leader === leader),
    );
  }

  describe(): string {
    return JSON.stringify(
      [...this.nodes].map(([id, m]) => ({ id, view: m.view() && { ...m.view()!, members: m.view()!.members.map((x) => x.id) }, fenced: m.fenced(), err: m.lastError?.message })),
    );
  }

  /** Every node saw consecutive epochs, and any two nodes that saw the same epoch saw the same view. */
  checkHistories(): void {
    const byEpoch = new Map<number, string>();
    for (const [id, vs] of this.views) {
      // From its join on a node sees every epoch, in order, none skipped.
      for (let i = 1; i < vs.length; i++) expect(vs[i].epoch, `node ${id} epochs`).to.equal(vs[i - 1].epoch + 1);
      for (const v of vs) {
        const text = JSON.stringify(v);
        const other = byEpoch.get(v.epoch);
        if (other !== undefined) expect(text, `epoch ${v.epoch} seen by node ${id}`).to.equal(other);
        else byEpoch.set(v.epoch, text);
        if (v.leader !== null) expect(v.members.map((m) => m.id)).to.include(v.leader);
      }
    }
    expect(this.maxConcurrentLeaders, 'nodes acting as leader at one moment').to.be.at.most(1);
  }

  async stop(): Promise<void> {
    clearInterval(this.sampler);
    await Promise.all([...this.nodes.values()].map((m) => m.close()));
  }
}

describe('cluster: membership through etcd', function () {
  this.timeout(60_000);
  let etcd: TestEtcd;
  let h: Harness | null = null;
  let clusterNo = 0;
  const harness = () => (h = new Harness(etcd.endpoint, `test${++clusterNo}`));

  before(async () => {
    etcd = await startTestEtcd();
  });
  afterEach(async () => {
    await h?.stop();
    h = null;
  });
  after(async () => {
    await etcd?.stop();
  });

  it('three nodes agree on one view: same epoch, all members, one leader', async () => {
    const c = harness();
    const joined = await Promise.all([1, 2, 3].map((id) => c.add(id).join()));
    for (const [i, v] of joined.entries()) expect(v.members.map((m) => m.id)).to.include(i + 1);
    await waitFor(() => c.agree([1, 2, 3], [1, 2, 3]), 5000, () => c.describe());
    const v = c.nodes.get(1)!.view()!;
    expect(v.members).to.deep.equal([node(1), node(2), node(3)]);
    expect([1, 2, 3]).to.include(v.leader);
    const viaWait = await c.nodes.get(2)!.waitForView((x) => x.members.length === 3, 1000);
    expect(viaWait).to.deep.equal(v);
    const none = await c.nodes.get(2)!.waitForView((x) => x.members.length === 4, 100).then(() => null, (e) => e);
    expect(none.message).to.match(/node 2: no agreed view matching the condition within 100 ms/);
    const leaders = [1, 2, 3].filter((id) => c.nodes.get(id)!.isLeader());
    expect(leaders).to.deep.equal([v.leader]);
    for (const m of c.nodes.values()) expect(m.canServeWrites()).to.equal(true);
    c.checkHistories();
  });

  it('a node that leaves disappears at once and a new epoch (with a new leader if needed) is agreed', async () => {
    const c = harness();
    const before = await c.joinThree();
    const leaving = before.leader!;
    const rest = [1, 2, 3].filter((id) => id !== leaving);
    await c.nodes.get(leaving)!.leave();
    const ms = await waitFor(() => c.agree(rest, rest), 3000, () => c.describe());
    const after = c.nodes.get(rest[0])!.view()!;
    expect(after.epoch).to.be.greaterThan(before.epoch);
    expect(rest).to.include(after.leader);
    expect(c.nodes.get(leaving)!.canServeWrites()).to.equal(false);
    expect(ms, 'leave to agreed view, ms').to.be.below(2000);
    c.nodes.delete(leaving);
    c.checkHistories();
  });

  it('a paused leader (keep-alives stopped) is dropped within TTL + 1.5 s, fenced, and rejoins at a later epoch without two leaders', async () => {
    const c = harness();
    const before = await c.joinThree();
    const paused = before.leader!;
    const rest = [1, 2, 3].filter((id) => id !== paused);
    const p = c.nodes.get(paused)!;
    p.suspendForTest();
    const pausedAt = Date.now();
    // While paused it cannot hear anything, yet its own clock stops it acting as leader before the
    // lease can expire in etcd.
    await waitFor(() => !p.canServeWrites(), TTL_S * 1000, () => 'paused node still claims it can serve writes');
    expect(Date.now() - pausedAt).to.be.below(TTL_S * 1000);
    await waitFor(() => c.agree(rest, rest), TTL_S * 1000 + 1500, () => c.describe());
    const dropMs = Date.now() - pausedAt;
    const during = c.nodes.get(rest[0])!.view()!;
    expect(during.epoch).to.be.greaterThan(before.epoch);
    expect(rest).to.include(during.leader);
    expect(p.fenced(), 'a paused node cannot know yet').to.equal(false);
    expect(p.view()!.epoch).to.equal(before.epoch);

    p.resumeForTest();
    expect(p.fenced()).to.equal(true);
    expect(c.fences.get(paused)![0]).to.match(/no successful keep-alive/);
    expect(p.canServeWrites()).to.equal(false);
    await waitFor(() => c.agree([1, 2, 3], [1, 2, 3]), 5000, () => c.describe());
    const rejoined = p.view()!;
    expect(rejoined.epoch).to.be.greaterThan(during.epoch);
    expect(rejoined.leader, 'the leadership stays with the survivor').to.equal(during.leader);
    expect(p.fenced()).to.equal(false);
    expect(p.canServeWrites()).to.equal(true);
    // The paused node learns every epoch it missed, in order.
    const pv = c.views.get(paused)!.map((v) => v.epoch);
    expect(pv).to.include(during.epoch);
    c.checkHistories();
    console.log(`      paused leader dropped from the agreed view after ${dropMs} ms (TTL ${TTL_S} s)`);
  });

  it('a leader whose event loop is busy past the TTL keeps its lease (keep-alives from a worker thread); a busy follower loses its own', async () => {
    const c = harness();
    // Only node 1 may claim: it leads, 2 follows. Both run in this process, so one busy loop stalls both.
    const onlyOne = (ctx: { self: NodeInfo }) => ctx.self.id === 1;
    await c.add(1, { leaderStallLimitMs: 30_000, leaderCandidate: onlyOne }).join();
    await c.add(2, { leaderStallLimitMs: 30_000, leaderCandidate: onlyOne }).join();
    await waitFor(() => c.agree([1, 2], [1, 2], 1), 5000, () => c.describe());
    const before = c.nodes.get(1)!.view()!;
    const leader = c.nodes.get(1)!;
    const follower = c.nodes.get(2)!;
    // Busy for longer than the TTL: no timer, no I/O callback of this thread runs meanwhile.
    const until = Date.now() + TTL_S * 1000 + 1500;
    while (Date.now() < until) {
      /* spin */
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(leader.fenced(), c.describe()).to.equal(false);
    expect(leader.canServeWrites(), 'the leader still holds its lease').to.equal(true);
    expect(leader.isLeader()).to.equal(true);
    expect(c.fences.get(1)).to.deep.equal([]);
    // The follower's renewals stopped once its loop missed two keep-alives: its lease ran out.
    await waitFor(() => c.fences.get(2)!.length > 0, 2000, () => c.describe());
    expect(c.fences.get(2)![0]).to.match(/no successful keep-alive|gone/);
    await waitFor(() => c.agree([1, 2], [1, 2], 1) && follower.canServeWrites(), 5000, () => c.describe());
    expect(leader.view()!.epoch, 'the follower rejoined at a new epoch, under the same leader').to.be.greaterThan(before.epoch);
    c.checkHistories();
  });

  it('a node whose keep-alive thread dies is fenced when its lease runs out and rejoins with a new thread', async () => {
    const c = harness();
    await c.joinThree();
    const victim = c.nodes.get(2)!;
    const before = victim.view()!.epoch;
    await victim.killRenewalThreadForTest();
    await waitFor(() => c.fences.get(2)!.length > 0, TTL_S * 1000 + 1500, () => c.describe());
    expect(c.fences.get(2)![0]).to.match(/no successful keep-alive|gone|within the lease TTL/);
    await waitFor(() => c.agree([1, 2, 3], [1, 2, 3]) && victim.canServeWrites(), 5000, () => c.describe());
    expect(victim.view()!.epoch).to.be.greaterThan(before);
    // The new thread keeps the new lease: still held well past another TTL.
    await new Promise((r) => setTimeout(r, TTL_S * 1000 + 500));
    expect(victim.canServeWrites(), c.describe()).to.equal(true);
    expect(c.fences.get(2)!.length).to.equal(1);
    c.checkHistories();
  });

  it('a rejoin() makes a new epoch even though the member set is the same', async () => {
    const c = harness();
    for (const id of [1, 2]) await c.add(id).join();
    await waitFor(() => c.agree([1, 2], [1, 2]), 5000, () => c.describe());
    const e0 = c.nodes.get(1)!.view()!.epoch;
    const oldLease = c.nodes.get(2)!.lease();
    const v = await c.nodes.get(2)!.rejoin();
    expect(c.nodes.get(2)!.lease()).to.not.equal(oldLease);
    expect(v.epoch).to.be.greaterThan(e0);
    await waitFor(() => c.agree([1, 2], [1, 2]) && c.nodes.get(1)!.view()!.epoch >= v.epoch, 5000, () => c.describe());
    c.checkHistories();
  });

  it('leader claim rule: after the leader leaves, the survivor with the highest published position leads', async () => {
    const c = harness();
    const positions: Record<number, number> = { 1: 50, 2: 70, 3: 90 };
    for (const id of [1, 2, 3]) {
      const m = c.add(id, { leaderCandidate: highestPositionCandidate });
      await m.publishPosition(positions[id]);
      await m.join();
    }
    await waitFor(() => c.agree([1, 2, 3], [1, 2, 3]), 5000, () => c.describe());
    const first = c.nodes.get(1)!.view()!.leader!;
    expect(first, 'node 1 joined alone, so it was the highest live member').to.equal(1);
    await c.nodes.get(1)!.leave();
    c.nodes.delete(1);
    await waitFor(() => c.agree([2, 3], [2, 3]), 5000, () => c.describe());
    expect(c.nodes.get(2)!.view()!.leader).to.equal(3);
    // Positions move: node 2 overtakes, but a sitting leader is not deposed.
    await c.nodes.get(2)!.publishPosition(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(c.nodes.get(2)!.view()!.leader).to.equal(3);
    await c.nodes.get(3)!.leave();
    c.nodes.delete(3);
    await waitFor(() => c.agree([2], [2], 2), 5000, () => c.describe());
    c.checkHistories();
  });

  it('highestPositionCandidate: the max position wins, ties to the lowest id, unpublished ranks last', () => {
    const members = [node(1), node(2), node(3)];
    const may = (self: number, pos: [number, number][]) =>
      highestPositionCandidate({ self: node(self), members, positions: new Map(pos) });
    expect([1, 2, 3].filter((id) => may(id, [[1, 5], [2, 9], [3, 7]]))).to.deep.equal([2]);
    expect([1, 2, 3].filter((id) => may(id, [[1, 5], [2, 9], [3, 9]]))).to.deep.equal([2]);
    expect([1, 2, 3].filter((id) => may(id, [[3, 0]]))).to.deep.equal([3]);
    expect([1, 2, 3].filter((id) => may(id, []))).to.deep.equal([1]);
  });

  it('a leader cut off from etcd (partition) stops serving writes within the TTL while the others go on; healed, it rejoins', async () => {
    const proxy = await startPartitionProxy(etcd.endpoint);
    try {
      const c = harness();
      await c.add(3, { endpoint: proxy.endpoint }).join(); // joins first: leads
      for (const id of [1, 2]) await c.add(id).join();
      await waitFor(() => c.agree([1, 2, 3], [1, 2, 3], 3), 5000, () => c.describe());
      const before = c.nodes.get(1)!.view()!;
      const cut = c.nodes.get(3)!;
      proxy.cut();
      const cutAt = Date.now();
      await waitFor(() => cut.fenced(), TTL_S * 1000, () => c.describe());
      expect(cut.canServeWrites()).to.equal(false);
      expect(c.fences.get(3)![0]).to.match(/no successful keep-alive|no keep-alive answered/);
      await waitFor(() => c.agree([1, 2], [1, 2]), TTL_S * 1000 + 2000, () => c.describe());
      const during = c.nodes.get(1)!.view()!;
      expect(during.epoch).to.be.greaterThan(before.epoch);
      const droppedMs = Date.now() - cutAt;
      // Still cut off: its re-join attempts fail, it stays fenced, and it never saw the new epoch.
      await new Promise((r) => setTimeout(r, 500));
      expect(cut.fenced()).to.equal(true);
      expect(cut.view()!.epoch).to.equal(before.epoch);
      proxy.heal();
      await waitFor(() => c.agree([1, 2, 3], [1, 2, 3]) && !cut.fenced(), 10_000, () => c.describe());
      expect(cut.view()!.epoch).to.be.greaterThan(during.epoch);
      expect(cut.view()!.leader).to.equal(during.leader);
      expect(cut.canServeWrites()).to.equal(true);
      c.checkHistories();
      console.log(`      cut-off leader fenced itself, survivors agreed without it after ${droppedMs} ms (TTL ${TTL_S} s)`);
    } finally {
      await proxy.close();
    }
  });

  it('a node whose member key is deleted behind its back is fenced and rejoins at a new epoch', async () => {
    const c = harness();
    const before = await c.joinThree();
    const victim = before.members.find((m) => m.id !== before.leader)!.id;
    const admin = new EtcdClient(etcd.endpoint);
    try {
      expect(await admin.delete(`/tessera/${c.cluster}/members/${victim}`)).to.equal(1);
    } finally {
      admin.close();
    }
    await waitFor(() => c.fences.get(victim)!.length > 0, 3000, () => c.describe());
    expect(c.fences.get(victim)![0]).to.match(/member key .* (was deleted|is gone)/);
    await waitFor(() => c.agree([1, 2, 3], [1, 2, 3]) && c.nodes.get(victim)!.canServeWrites(), 5000, () => c.describe());
    expect(c.nodes.get(victim)!.view()!.epoch).to.be.greaterThan(before.epoch);
    expect(c.nodes.get(victim)!.view()!.leader).to.equal(before.leader);
    c.checkHistories();
  });

  it('a watch stream that dies silently is noticed by the periodic read and restarted: no epoch missed', async () => {
    const c = harness();
    for (const id of [1, 2, 3]) await c.add(id, { resyncIntervalMs: 200 }).join();
    await waitFor(() => c.agree([1, 2, 3], [1, 2, 3]), 5000, () => c.describe());
    const deaf = c.nodes.get(1)!;
    let restarts = 0;
    deaf.on('watch-restarted', () => restarts++);
    (deaf as any).watchHandle.cancel(); // the stream is gone, and nothing said so
    const leaving = c.nodes.get(1)!.view()!.leader === 3 ? 2 : 3;
    await c.nodes.get(leaving)!.leave();
    c.nodes.delete(leaving);
    const rest = [1, 2, 3].filter((id) => id !== leaving);
    await waitFor(() => c.agree(rest, rest), 3000, () => c.describe());
    expect(restarts).to.equal(1);
    c.checkHistories();
  });

  it('a node restarted after dying (its old lease still alive, holding the leader key) takes over at once', async () => {
    const c = harness();
    const before = await c.joinThree();
    const dead = before.leader!;
    await c.nodes.get(dead)!.close(); // like kill -9: the lease lives on in etcd for up to the TTL
    const diedAt = Date.now();
    c.add(dead); // the restarted process: same node id, new Membership
    const v = await c.nodes.get(dead)!.join();
    expect(Date.now() - diedAt, 'rejoined before the old lease could expire').to.be.below(TTL_S * 1000);
    expect(v.epoch).to.be.greaterThan(before.epoch);
    await waitFor(() => c.agree([1, 2, 3], [1, 2, 3]), 3000, () => c.describe());
    expect(Date.now() - diedAt, 'a leader again before the old lease could expire').to.be.below(TTL_S * 1000);
    c.checkHistories();
  });

  it('join() against an etcd that does not answer fails with a retryable error', async () => {
    const m = new Membership({ endpoint: `http://127.0.0.1:${await freePort()}`, cluster: 'none', self: node(9) });
    const err = await m.join().then(() => null, (e) => e);
    expect(err).to.be.instanceOf(EtcdUnavailableError);
    expect(err.retryable).to.equal(true);
    expect(m.canServeWrites()).to.equal(false);
  });

  it('when etcd is unreachable past the TTL every node fences itself, then re-joins by itself at a new epoch', async () => {
    const c = harness();
    const e0 = (await c.joinThree()).epoch;
    const restart = etcd.restart(TTL_S * 1000 + 500);
    await waitFor(() => [1, 2, 3].every((id) => !c.nodes.get(id)!.canServeWrites()), TTL_S * 1000 + 500, () => c.describe());
    await restart;
    await waitFor(() => [1, 2, 3].every((id) => c.nodes.get(id)!.fenced()) || c.agree([1, 2, 3], [1, 2, 3]), 5000, () => c.describe());
    for (const id of [1, 2, 3]) expect(c.fences.get(id)!.length, `node ${id} fenced`).to.be.at.least(1);
    await waitFor(() => c.agree([1, 2, 3], [1, 2, 3]) && c.nodes.get(1)!.view()!.epoch > e0 &&
      [1, 2, 3].every((id) => c.nodes.get(id)!.canServeWrites()), 10_000, () => c.describe());
    c.checkHistories();
  });
});
