// The local cluster launcher (`npm run cluster -- --nodes 3`, src/cluster-launcher.ts) run as a user
// runs it, and the tests' startTestCluster (test/helpers/cluster.ts) that fault tests build on.
import { expect } from 'chai';
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { Client } from 'pg';
import { LEADER_ID_QUERY, TestCluster, startTestCluster } from '../helpers/cluster';
import { freePort } from '../helpers/test-server';

const LAUNCHER = path.resolve(__dirname, '../../src/cluster-launcher.js');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A base port with `count` free ports from it (the launcher lays its ports out contiguously). */
async function freeRange(count: number): Promise<number> {
  for (;;) {
    const base = await freePort();
    if (base + count > 65535) continue;
    let ok = true;
    for (let p = base; p < base + count && ok; p++) ok = await portFree(p);
    if (ok) return base;
  }
}

async function query(config: { host: string; port: number; user?: string; database?: string; connectionTimeoutMillis?: number }, sql: string): Promise<Record<string, unknown>[]> {
  const client = new Client({ user: 'postgres', database: 'postgres', connectionTimeoutMillis: 5000, ...config });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('cluster launcher (npm run cluster -- --nodes 3)', function () {
  this.timeout(60_000);
  let launcher: ChildProcess | null = null;
  let dir = '';
  let out = '';
  let pids: number[] = [];

  after(() => {
    // Whatever happened, leave nothing running.
    if (launcher !== null && launcher.exitCode === null) launcher.kill('SIGKILL');
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    if (dir !== '') fs.rmSync(dir, { recursive: true, force: true });
  });

  it('starts etcd and 3 nodes that all take clients (leader-only statements run on the leader), reports a node that dies, and SIGINT stops the rest', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-launcher-'));
    const base = await freeRange(8);
    const proc = spawn(process.execPath, [LAUNCHER, '--nodes', '3', '--base-port', String(base), '--dir', dir, '-c', 'unix_socket_directories='], { stdio: ['ignore', 'pipe', 'pipe'] });
    launcher = proc;
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exit = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    await waitFor(`the launcher's "cluster ready" line:\n${out}`, () => /cluster ready/.test(out) || proc.exitCode !== null, 40_000);
    expect(proc.exitCode, out).to.equal(null);

    // The table: one row per node with its pid, ports and psql command; etcd's pid above it.
    const rows = [...out.matchAll(/^(\d+)\s+(\d+)\s+127\.0\.0\.1:(\d+)\s+127\.0\.0\.1:(\d+)\s+(\S+)\s+psql -h 127\.0\.0\.1 -p (\d+) -U postgres$/gm)];
    expect(rows.map((r) => [Number(r[1]), Number(r[3]), Number(r[4]), r[5], Number(r[6])]), out).to.deep.equal(
      [1, 2, 3].map((id) => [id, base + id - 1, base + 3 + id - 1, path.join(dir, `node-${id}`), base + id - 1]),
    );
    const etcdPid = Number(/^etcd http:\/\/127\.0\.0\.1:(\d+) pid (\d+)/m.exec(out)?.[2]);
    expect(/^etcd http:\/\/127\.0\.0\.1:(\d+)/m.exec(out)?.[1]).to.equal(String(base + 6));
    pids = [...rows.map((r) => Number(r[2])), etcdPid];
    expect(pids.every(alive), out).to.equal(true);
    expect(fs.existsSync(path.join(dir, 'cluster.conf'))).to.equal(true);
    // Node output reaches the launcher's terminal, prefixed.
    expect(out).to.match(/^\[node 2\] tessera: ready to accept connections on 127\.0\.0\.1:\d+ \(data .*node-2\)$/m);

    // Every node takes clients; what only the leader can answer (tessera_* functions) runs on the leader,
    // the same node whichever port is used (a follower answers plain reads itself: statement-router.ts).
    const leaders = new Set<string>();
    for (const id of [1, 2, 3]) {
      const port = base + id - 1;
      expect(await query({ host: '127.0.0.1', port }, 'SELECT 1 AS one')).to.deep.equal([{ one: 1 }]);
      leaders.add((await query({ host: '127.0.0.1', port }, LEADER_ID_QUERY))[0].cluster_node_id as string);
      expect(await query({ host: '127.0.0.1', port }, 'SHOW cluster_name')).to.deep.equal([{ cluster_name: 'tessera' }]);
    }
    expect(leaders.size).to.equal(1);
    expect(['1', '2', '3']).to.include([...leaders][0]);
    // Fixed at start, as PostgreSQL's cluster_name: SET refuses it with 55P02.
    const err = await query({ host: '127.0.0.1', port: base }, 'SET cluster_node_id = 7').then(
      () => null,
      (e: { code?: string; message: string }) => e,
    );
    expect([err?.code, err?.message]).to.deep.equal(['55P02', 'parameter "cluster_node_id" cannot be changed without restarting the server']);

    // A node that dies is reported and left dead; the others go on serving.
    // (A follower: the leader's death would be a failover, which test/cluster's fault tests cover.)
    const victim = [3, 2, 1].find((id) => String(id) !== [...leaders][0])!;
    process.kill(pids[victim - 1], 'SIGKILL');
    await waitFor(`the report of node ${victim} dying`, () => /exited unexpectedly/.test(out), 10_000);
    expect(out).to.match(new RegExp(`^\\[launcher\\] node ${victim} \\(pid ${pids[victim - 1]}\\) exited unexpectedly \\(SIGKILL\\); not restarting it$`, 'm'));
    expect(await query({ host: '127.0.0.1', port: base + Number([...leaders][0]) - 1 }, 'SELECT 1 AS one')).to.deep.equal([{ one: 1 }]);

    proc.kill('SIGINT');
    expect(await exit, out).to.equal(0);
    expect(out).to.match(/\[launcher\] SIGINT: stopping 2 running node\(s\) and etcd/);
    expect(out).to.match(/\[launcher\] cluster stopped/);
    expect(pids.filter(alive), 'processes left running').to.deep.equal([]);
  });
});

describe('startTestCluster (test/helpers/cluster.ts)', function () {
  this.timeout(60_000);
  let cluster: TestCluster | null = null;
  after(async () => cluster?.stop());

  it('kills, pauses and restarts nodes on their data directories, and stop() leaves nothing behind', async () => {
    cluster = await startTestCluster({ nodes: 3 });
    const c = cluster;
    expect(c.nodes.map((n) => n.id)).to.deep.equal([1, 2, 3]);
    expect(new Set(c.nodes.flatMap((n) => [n.clientPort, n.interconnectPort])).size).to.equal(6);
    expect(c.etcd).to.not.equal(null);
    // Every node's sessions reach the one leader.
    const leader = Number((await query(c.clientConfig(1), LEADER_ID_QUERY))[0].cluster_node_id);
    for (const n of c.nodes) expect(await query(c.clientConfig(n.id), LEADER_ID_QUERY)).to.deep.equal([{ cluster_node_id: String(leader) }]);
    const [f1, f2] = c.nodes.map((n) => n.id).filter((id) => id !== leader);

    await query(c.clientConfig(f1), 'CREATE TABLE t (a int); INSERT INTO t VALUES (42)');
    const node2 = c.node(f1);
    const oldPid = node2.pid!;
    await node2.kill(); // SIGKILL
    expect([node2.running, alive(oldPid)]).to.deep.equal([false, false]);
    const refused = await query(c.clientConfig(f1), 'SELECT 1').then(
      () => 'answered',
      (e: Error) => e.message,
    );
    expect(refused).to.match(/ECONNREFUSED/);
    expect(await query(c.clientConfig(leader), 'SELECT 1 AS one')).to.deep.equal([{ one: 1 }]);
    await node2.restart();
    expect(node2.pid).to.not.equal(oldPid);
    expect(await query(c.clientConfig(f1), 'SELECT a FROM t')).to.deep.equal([{ a: 42 }]);
    expect(node2.output()).to.match(/ready to accept connections[^]*ready to accept connections/);

    // SIGSTOP: the node holds its port but answers nothing until SIGCONT.
    const node3 = c.node(f2);
    await node3.kill('SIGSTOP');
    const paused = await query({ ...c.clientConfig(f2), connectionTimeoutMillis: 500 }, 'SELECT 1').then(
      () => 'answered',
      (e: Error) => e.message,
    );
    expect(paused).to.match(/timeout/i);
    await node3.kill('SIGCONT');
    expect(await query(c.clientConfig(f2), 'SELECT 3 AS three')).to.deep.equal([{ three: 3 }]);

    const all = [...c.nodes.map((n) => n.pid!), c.etcd!.pid];
    await c.stop();
    expect(all.filter(alive)).to.deep.equal([]);
    expect(fs.existsSync(c.dir)).to.equal(false);
    await c.stop(); // twice is fine
  });
});
