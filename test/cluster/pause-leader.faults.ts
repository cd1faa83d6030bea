// Fault test (npm run test:cluster): SIGSTOP the leader past its lease TTL, then SIGCONT it. Meanwhile
// the others elect a new leader; the resumed node steps down (its log says so), acknowledges nothing
// from its old term, and rejoins as a follower. Writes through every node's port all land in one
// history: every acknowledged write is in the final data, on every node's copy.
import { expect } from 'chai';
import { TestCluster, startTestCluster } from '../helpers/cluster';
import { acksAfter, agreedLeader, compareCopies, firstAckAfter, leaderVia, missingOrDuplicated, outputs, queryOn, sleep, startWriter, waitFor, withRetry } from './fault-helpers';

const LEASE_MS = 2000;

describe('cluster faults: SIGSTOP of the leader past the lease TTL, then SIGCONT', function () {
  this.timeout(120_000);
  let cluster: TestCluster | null = null;

  before(async () => {
    cluster = await startTestCluster({ nodes: 3, cluster: { etcd_lease_ttl: `${LEASE_MS}ms` } });
    await agreedLeader(cluster, [1, 2, 3]);
    await withRetry(cluster, 1, (c) => c.query('CREATE TABLE t (id bigint, w int)'));
  });

  after(async () => {
    // A node left paused by a failed assertion would never act on SIGTERM.
    for (const n of cluster?.nodes ?? []) if (n.running) await n.kill('SIGCONT');
    await cluster?.stop();
  });

  it('a new leader is elected, the resumed one steps down and follows, and no write is acknowledged outside the one history', async () => {
    const c = cluster!;
    const old = await agreedLeader(c, [1, 2, 3]);
    const others = [1, 2, 3].filter((id) => id !== old);
    // Writers on every port: the paused leader's own, and relayed through each follower.
    const writers = [old, others[0], others[1], others[1]].map((node, i) => startWriter(c, 't', i + 1, node));
    // Who answers as leader, as each node's port says, every 150 ms (a paused node times out).
    const answers: { at: number; via: number; leader: number }[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        await Promise.all(
          [1, 2, 3].map(async (via) => {
            try {
              answers.push({ at: Date.now(), via, leader: await leaderVia(c, via, 1000) });
            } catch {
              // paused, electing, or refused: no answer
            }
          }),
        );
        await sleep(150);
      }
    })();
    let pausedAt = 0;
    let resumedAt = 0;
    let newLeader = 0;
    try {
      await waitFor('60 acknowledged inserts', async () => writers.reduce((n, w) => n + w.stats.acked.length, 0) >= 60, 30_000);
      pausedAt = Date.now();
      await c.node(old).kill('SIGSTOP');
      const firstAck = await firstAckAfter(writers, pausedAt, 'a commit acknowledged after the pause');
      newLeader = await agreedLeader(c, others, 30_000);
      const electedAt = Date.now();
      expect(newLeader).to.not.equal(old);
      console.log(`      SIGSTOP of leader ${old}: first commit acknowledged by node ${newLeader} ${firstAck - pausedAt} ms later (lease ttl ${LEASE_MS} ms)`);
      // Sessions relayed through the followers to the paused leader end with 57P01 once a new leader is
      // elected, so their clients go on well before their own 10 s query timeout.
      expect(firstAck - pausedAt).to.be.below(8000);
      await waitFor('acknowledged inserts on the new leader', async () => acksAfter(writers, electedAt) >= 30, 30_000);
      resumedAt = Date.now();
      await c.node(old).kill('SIGCONT');
      await waitFor(`node ${old} to log that it stepped down`, async () => /stepping down/.test(c.node(old).output()), 30_000);
      expect(await agreedLeader(c, [1, 2, 3], 30_000)).to.equal(newLeader);
      // The resumed node takes clients again (relayed to the new leader).
      await waitFor('acknowledged inserts through the resumed node', async () => writers[0].stats.ackTimes.some((t) => t > resumedAt), 30_000);
    } finally {
      polling = false;
      await poller;
      await Promise.all(writers.map((w) => w.stop()));
    }
    const kinds = new Map<string, number>();
    for (const w of writers) for (const [k, n] of w.stats.retryable) kinds.set(k, (kinds.get(k) ?? 0) + n);
    console.log(`      retryable errors seen by the writers: ${[...kinds].map(([k, n]) => `${k} ×${n}`).join(', ')}`);
    const unexpected = writers.flatMap((w) => w.stats.unexpected);
    expect(unexpected, `non-retryable errors:\n${unexpected.join('\n')}`).to.deep.equal([]);
    // Once the new leader was answering, no port ever named the old one as leader.
    const firstNew = answers.filter((a) => a.leader === newLeader).reduce((m, a) => Math.min(m, a.at), Infinity);
    const stale = answers.filter((a) => a.at > firstNew + LEASE_MS && a.leader !== newLeader);
    expect(stale, `answers naming another leader after node ${newLeader} took over`).to.deep.equal([]);
    const acked = writers.flatMap((w) => w.stats.acked);
    const rows = await queryOn(c, others[0], 'SELECT id FROM t');
    const { missing, duplicated } = missingOrDuplicated(acked, rows.map((r) => Number(r.id)));
    expect(missing, `acknowledged inserts lost\n${outputs(c)}`).to.deep.equal([]);
    expect(duplicated).to.deep.equal([]);
    const line = c.node(old).output().split('\n').find((l) => /stepping down/.test(l));
    console.log(`      node ${old} after SIGCONT: "${line?.trim()}"`);
    await compareCopies(c, newLeader, 't', acked);
  });
});
