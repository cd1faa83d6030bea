// Review of the cluster's durability (src/cluster/replication.ts, replica.ts, cluster-node.ts): every
// node of a 3-node cluster is killed (kill -9) while sessions on all three commit, then the nodes come
// back in reverse order. Every acknowledged commit must be there, and once the followers are in sync
// every node's store must hold exactly the leader's entries (a follower may keep a marker naming the
// bytes' hash where the leader has a chunk's bytes).
import { expect } from 'chai';
import { Client } from 'pg';
import { TestCluster, startTestCluster } from '../helpers/cluster';
import { LmdbKv } from '../../src/storage/kv-store';
import { chunkResourceOfKey } from '../../src/cluster/placement';
import { isChunkMarker, loadChunkHasher, markerHash } from '../../src/storage/chunk-marker';

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, ms: number, probe: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    let why = '';
    const v = await probe().catch((err) => {
      why = (err as Error).message;
      return null;
    });
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${why === '' ? '' : ` (last: ${why})`}`);
    await delay(100);
  }
}

/** Every entry of a node's store (read while the node is stopped with SIGSTOP). */
async function storeOf(dir: string): Promise<Map<string, Buffer>> {
  const kv = new LmdbKv(dir, false);
  try {
    const out = new Map<string, Buffer>();
    for (const [k, v] of kv.entries()) out.set(k, Buffer.from(v));
    return out;
  } finally {
    await kv.close();
  }
}

/**
 * Freezes every node (SIGSTOP) and compares their stores; a batch the leader wrote after the caller's
 * check may not have reached the others yet: then they run a moment and are looked at again.
 */
async function expectStoresEqual(c: TestCluster): Promise<void> {
  const hasher = await loadChunkHasher();
  let diff = '';
  for (let attempt = 0; attempt < 10; attempt++) {
    for (const n of c.nodes) await n.kill('SIGSTOP');
    const stores = await Promise.all(c.nodes.map((n) => storeOf(n.dataDir)));
    const pos = stores.map((s) => s.get('r/pos')?.toString('hex'));
    if (pos.every((p) => p === pos[0])) {
      const problems: string[] = [];
      const keys = new Set(stores.flatMap((s) => [...s.keys()]));
      for (const k of keys) {
        const vals = stores.map((s) => s.get(k));
        const isChunk = chunkResourceOfKey(k) !== null;
        const full = vals.find((v) => v !== undefined && !(isChunk && isChunkMarker(v))) ?? vals[0];
        for (let i = 0; i < stores.length; i++) {
          const v = vals[i];
          const marker = v !== undefined && isChunk && isChunkMarker(v);
          // A marker names the bytes it replaced (an empty one, of an older store, names none).
          if (marker && full !== undefined && markerHash(v) !== null && markerHash(v) !== hasher.hash(full)) problems.push(`node ${i + 1}: ${k} (marker of other bytes)`);
          if (marker) continue;
          if (v === undefined || full === undefined || !v.equals(full)) problems.push(`node ${i + 1}: ${k}`);
        }
      }
      diff = problems.slice(0, 10).join(', ');
      for (const n of c.nodes) await n.kill('SIGCONT');
      expect(diff, `stores differ (${problems.length} entries)`).to.equal('');
      return;
    }
    for (const n of c.nodes) await n.kill('SIGCONT');
    await delay(300);
  }
  throw new Error('the nodes never stood at the same position');
}

/** Waits until the leader (asked through node `via`) sees every node in sync at its position. */
async function waitInSync(c: TestCluster, via: number): Promise<void> {
  let last = '';
  await until('every node in sync', 40_000, async () => {
    const check = new Client({ ...c.clientConfig(via), connectionTimeoutMillis: 3000 });
    check.on('error', () => undefined);
    await check.connect();
    try {
      const rows = (await check.query('SELECT node_id, role, replicated_seq AS seq, in_sync FROM tessera_cluster_nodes()')).rows;
      last = JSON.stringify(rows);
      return rows.length === c.nodes.length && rows.every((r) => r.in_sync === true && r.seq === rows[0].seq) ? rows : null;
    } finally {
      await check.end().catch(() => undefined);
    }
  }).catch((err) => {
    throw new Error(`${(err as Error).message}: ${last}`);
  });
}

describe('cluster review: kill -9 of every node during commits, restart in reverse order', function () {
  this.timeout(120_000);
  let cluster: TestCluster | null = null;

  after(async () => {
    for (const n of cluster?.nodes ?? []) if (n.running) await n.kill('SIGCONT').catch(() => undefined);
    await cluster?.stop();
  });

  it('keeps every acknowledged commit, and every store ends equal to the leader\'s', async () => {
    cluster = await startTestCluster({ nodes: 3 });
    const c = cluster;
    const setup = new Client(c.clientConfig(1));
    setup.on('error', () => undefined);
    await setup.connect();
    await setup.query('CREATE TABLE acked (id int PRIMARY KEY, pad text)');
    await setup.end();

    const acked: number[] = [];
    let stop = false;
    const writer = async (node: number) => {
      const cl = new Client(c.clientConfig(node));
      cl.on('error', () => undefined);
      await cl.connect();
      for (let i = node * 1_000_000; !stop; i++) {
        try {
          await cl.query('INSERT INTO acked VALUES ($1, repeat($2, 300))', [i, String(node)]);
          acked.push(i);
        } catch {
          break;
        }
      }
      await cl.end().catch(() => undefined);
    };
    const writers = [1, 2, 3].map(writer);
    await until('100 acknowledged commits', 60_000, async () => (acked.length >= 100 ? true : null));
    await Promise.all(c.nodes.map((n) => n.kill('SIGKILL')));
    stop = true;
    await Promise.all(writers);

    // Back in reverse order: node 3 alone cannot elect; node 2 makes a majority; node 1 joins last.
    await Promise.all([c.node(3).restart(), delay(700).then(() => c.node(2).restart()), delay(1400).then(() => c.node(1).restart())]);

    const check = new Client(c.clientConfig(1));
    check.on('error', () => undefined);
    await check.connect();
    try {
      const have = new Set((await check.query('SELECT id FROM acked')).rows.map((r) => r.id as number));
      const lost = acked.filter((id) => !have.has(id));
      expect(lost, `${lost.length} of ${acked.length} acknowledged commits lost`).to.deep.equal([]);
    } finally {
      await check.end().catch(() => undefined);
    }

    await waitInSync(c, 1);
    await expectStoresEqual(c);
  });

  it('a leader paused past its lease while committing comes back as a follower with exactly the new leader\'s store', async () => {
    await cluster?.stop();
    cluster = await startTestCluster({ nodes: 3 });
    const c = cluster;
    const setup = new Client(c.clientConfig(1));
    setup.on('error', () => undefined);
    await setup.connect();
    await setup.query('CREATE TABLE paused (id int PRIMARY KEY, pad text)');
    const leaderId = (await setup.query("SELECT node_id FROM tessera_cluster_nodes() WHERE role = 'leader'")).rows[0].node_id as number;
    await setup.end();
    const others = [1, 2, 3].filter((n) => n !== leaderId);

    const acked: number[] = [];
    let stop = false;
    // Sessions on the leader itself: their commits are in flight when it stops.
    const writer = async (k: number) => {
      for (let i = k * 1_000_000; !stop; ) {
        const cl = new Client({ ...c.clientConfig(k === 0 ? leaderId : others[k % 2]), connectionTimeoutMillis: 3000, query_timeout: 60_000 });
        cl.on('error', () => undefined);
        try {
          await cl.connect();
          for (; !stop; i++) {
            await cl.query('INSERT INTO paused VALUES ($1, repeat($2, 300))', [i, String(k)]);
            acked.push(i);
          }
        } catch {
          i++;
          await delay(100);
        } finally {
          await cl.end().catch(() => undefined);
        }
      }
    };
    const writers = [0, 1, 2].map(writer);
    try {
      await until('50 acknowledged commits', 30_000, async () => (acked.length >= 50 ? true : null));
      await c.node(leaderId).kill('SIGSTOP');
      const before = acked.length;
      // The others elect a new leader and go on committing (sessions relayed to the paused leader are
      // ended by their follower and reconnect).
      await until('commits on a new leader', 15_000, async () => (acked.length >= before + 50 ? true : null));
      await c.node(leaderId).kill('SIGCONT');
      await until('more commits after the old leader is back', 30_000, async () => (acked.length >= before + 100 ? true : null));
    } finally {
      stop = true;
      await c.node(leaderId).kill('SIGCONT');
      await Promise.all(writers);
    }

    const check = new Client(c.clientConfig(others[0]));
    check.on('error', () => undefined);
    await check.connect();
    try {
      const have = new Set((await check.query('SELECT id FROM paused')).rows.map((r) => r.id as number));
      const lost = acked.filter((id) => !have.has(id));
      expect(lost, `${lost.length} of ${acked.length} acknowledged commits lost`).to.deep.equal([]);
      const leaders = (await check.query("SELECT node_id FROM tessera_cluster_nodes() WHERE role = 'leader'")).rows;
      expect(leaders.map((r) => r.node_id)).to.not.include(leaderId);
    } finally {
      await check.end().catch(() => undefined);
    }
    await waitInSync(c, others[0]);
    await expectStoresEqual(c);
  });
});
