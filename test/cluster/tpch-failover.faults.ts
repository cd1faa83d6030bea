// Fault test (npm run test:cluster): TPC-H SF 0.01 loaded with COPY through a follower of a 3-node
// cluster; clients on every node loop over a few queries while the leader is killed with kill -9.
// Every query either returns PostgreSQL 15's answer or fails with a retryable error; after the failover
// (and the killed node's restart) all 22 queries give the right answers through every node.
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { Client } from 'pg';
import { compareAnswer } from '../../bench/tpch/compare-answers';
import { loadTpch } from '../../bench/tpch/load';
import { queryNames, querySql, rawText, render, runQueries } from '../../bench/tpch/run-queries';
import { TestCluster, startTestCluster } from '../helpers/cluster';
import { psqlAvailable } from '../helpers/test-server';
import { routedSession } from '../helpers/routed-cluster';
import { agreedLeader, connectTo, describeError, isRetryable, outputs, sleep, waitFor } from './fault-helpers';

const ANSWERS = path.resolve(__dirname, '../../../../shared/tpch/answers/sf0.01');
/** Queries the clients loop over during the kill: quick ones of different shapes (scan, joins, subquery). */
const LOOPED = ['q01', 'q03', 'q04', 'q06', 'q10', 'q12', 'q14', 'q19'];

interface Looper {
  correct: number;
  correctTimes: number[];
  retryable: number;
  wrong: string[];
  unexpected: string[];
  done: Promise<void>;
}

function expected(name: string): string {
  return fs.readFileSync(path.join(ANSWERS, `${name}.out`), 'utf8');
}

/** A client on `nodeId` looping over LOOPED until `running()` is false; `setup` runs on each new connection. */
function startLooper(cluster: TestCluster, nodeId: number, offset: number, running: () => boolean, setup: string | null = null): Looper {
  const l: Looper = { correct: 0, correctTimes: [], retryable: 0, wrong: [], unexpected: [], done: Promise.resolve() };
  l.done = (async () => {
    let client: Client | null = null;
    for (let i = offset; running(); i++) {
      const name = LOOPED[i % LOOPED.length];
      try {
        if (client === null) {
          client = await connectTo(cluster, nodeId, 30_000);
          if (setup !== null) await client.query(setup);
        }
        const result = await client.query({ text: querySql(name, 0.01), rowMode: 'array', types: rawText } as any);
        const problem = compareAnswer(name, expected(name), render(result).output);
        if (problem === null) {
          l.correct++;
          l.correctTimes.push(Date.now());
        } else l.wrong.push(`${name} via node ${nodeId}: ${problem.split('\n')[0]}`);
      } catch (err) {
        if (isRetryable(err)) l.retryable++;
        else l.unexpected.push(`${name} via node ${nodeId}: ${describeError(err)}`);
        await client?.end().catch(() => undefined);
        client = null;
        await sleep(100);
      }
    }
    await client?.end().catch(() => undefined);
  })();
  return l;
}

/** Prints the loopers' tally; every answer was PostgreSQL's or a retryable error. */
function expectOnlyRightOrRetryable(loopers: Looper[], c: TestCluster): void {
  const wrong = loopers.flatMap((l) => l.wrong);
  const unexpected = loopers.flatMap((l) => l.unexpected);
  console.log(`      answers: ${loopers.reduce((n, l) => n + l.correct, 0)} correct, ${loopers.reduce((n, l) => n + l.retryable, 0)} retryable errors, ${wrong.length} wrong, ${unexpected.length} other errors`);
  expect(wrong, 'wrong answers').to.deep.equal([]);
  expect(unexpected, `non-retryable errors\n${outputs(c)}`).to.deep.equal([]);
}

describe('cluster faults: kill -9 of the leader during a TPC-H SF 0.01 run', function () {
  this.timeout(180_000);
  let cluster: TestCluster | null = null;

  before(async function () {
    if (!psqlAvailable() || !fs.existsSync(ANSWERS)) this.skip();
    cluster = await startTestCluster({ nodes: 3, cluster: { etcd_lease_ttl: '2s' } });
    const leader = await agreedLeader(cluster, [1, 2, 3]);
    const follower = [1, 2, 3].find((id) => id !== leader)!;
    // COPY through a follower: relayed byte for byte to the leader.
    await loadTpch(cluster.node(follower).clientPort, '0.01', () => undefined);
  });

  after(async () => {
    await cluster?.stop();
  });

  it('queries in flight answer correctly or fail retryably; after the failover and the restart all 22 answer correctly through every node', async () => {
    const c = cluster!;
    const leader = await agreedLeader(c, [1, 2, 3]);
    let running = true;
    const loopers = [1, 2, 3, 1, 2, 3].map((node, i) => startLooper(c, node, i, () => running));
    let killedAt = 0;
    try {
      await waitFor('12 correct answers', async () => loopers.reduce((n, l) => n + l.correct, 0) >= 12, 60_000);
      killedAt = Date.now();
      await c.node(leader).kill('SIGKILL');
      const first = await waitFor(
        'a correct answer after the kill from a query started after it',
        async () => {
          const after = loopers.flatMap((l) => l.correctTimes.filter((t) => t > killedAt + 100));
          return after.length > 0 ? Math.min(...after) : undefined;
        },
        60_000,
        50,
      );
      console.log(`      kill -9 of leader ${leader} -> first correct answer ${first - killedAt} ms later`);
      await waitFor('12 more correct answers', async () => loopers.reduce((n, l) => n + l.correctTimes.filter((t) => t > killedAt).length, 0) >= 12, 60_000);
    } finally {
      running = false;
      await Promise.all(loopers.map((l) => l.done));
    }
    expectOnlyRightOrRetryable(loopers, c);

    await c.node(leader).restart();
    const newLeader = await agreedLeader(c, [1, 2, 3]);
    expect(newLeader).to.not.equal(leader);
    // All 22 through the restarted node (relayed), then through the new leader itself.
    for (const via of [leader, newLeader]) {
      const timings = await runQueries(c.node(via).clientPort, 0, () => undefined, { sf: 0.01 });
      const problems = timings.map((t) => (t.error !== null ? `${t.query}: error ${t.error}` : compareAnswer(t.query, expected(t.query), t.output) === null ? null : `${t.query}: wrong answer`)).filter((p) => p !== null);
      expect(problems, `through node ${via}`).to.deep.equal([]);
      expect(timings.map((t) => t.query)).to.deep.equal(queryNames());
    }
  });

  it('kill -9 of the follower that runs morsels of another follower\'s statements: that follower\'s answers stay right, and it serves them alone', async () => {
    const c = cluster!;
    const leader = await agreedLeader(c, [1, 2, 3]);
    const [coordinator, participant] = [1, 2, 3].filter((n) => n !== leader);
    // Every statement of these clients runs in parallel, so the coordinator hands ranges to the participant.
    const morselsOn = async (client: Client, node: number) =>
      Number((await client.query('SELECT coalesce(sum(morsels), 0)::int AS m FROM tessera_fragment_stats() WHERE node_id = $1', [node])).rows[0].m);
    // A session the coordinator routes to its own standby (not relayed whole to the leader).
    const probe = await routedSession(c, coordinator);
    const before = await morselsOn(probe, participant);
    let running = true;
    const loopers = [0, 1, 2].map((i) => startLooper(c, coordinator, i, () => running, 'SET parallel_min_rows = 0'));
    let killedAt = 0;
    try {
      await waitFor('12 correct answers', async () => loopers.reduce((n, l) => n + l.correct, 0) >= 12, 60_000);
      const handed = await morselsOn(probe, participant);
      killedAt = Date.now();
      await c.node(participant).kill('SIGKILL');
      await waitFor('12 more correct answers', async () => loopers.reduce((n, l) => n + l.correctTimes.filter((t) => t > killedAt).length, 0) >= 12, 60_000);
      expect(handed, `node ${participant} ran morsels for node ${coordinator} before the kill`).to.be.greaterThan(before);
    } finally {
      running = false;
      await Promise.all(loopers.map((l) => l.done));
      await probe.end().catch(() => undefined);
    }
    expectOnlyRightOrRetryable(loopers, c);
    await c.node(participant).restart();
  });
});
