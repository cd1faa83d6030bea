// A local cluster for process-level tests: etcd plus N real server processes (`main.js --cluster
// FILE --node-id N`) on free loopback ports with data in a temporary directory. Fault tests kill,
// pause and restart nodes through it; stop() removes everything, and so does the test process's exit.
//
//   const cluster = await startTestCluster({ nodes: 3 });
//   const client = new Client(cluster.clientConfig(2)); …
//   await cluster.node(2).kill('SIGKILL'); await cluster.node(2).restart();
//   await cluster.stop();
import { ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ClusterConfig, ClusterNodeConfig, formatClusterConf, readClusterConfig } from '../../src/config/cluster-config';
import { NodeInfo } from '../../src/cluster/cluster-types';
import { EtcdProcess, startEtcd } from '../../src/cluster/etcd-process';
import { processExited, spawnNodeProcess, stopProcess, waitUntilServing } from '../../src/cluster-node-process';
import { freePort } from './test-server';

/**
 * The id of the node that runs a statement only the leader may run (tessera_* functions report the
 * leader's state, so a follower's statement router relays them); a plain SHOW cluster_node_id through
 * a follower is answered by the follower itself.
 */
export const LEADER_ID_QUERY = "SELECT current_setting('cluster_node_id') AS cluster_node_id FROM tessera_cluster_nodes() LIMIT 1";

export interface TestClusterOptions {
  /** Number of nodes, ids 1 .. nodes (default 3). */
  nodes?: number;
  /** Server settings for every node, as -c name=value (e.g. { buffer_pool_size: '64MB' }). */
  settings?: Record<string, string>;
  /** Cluster conf settings (e.g. { phi_threshold: 8, batch_window: '1ms', replication_factor: 2 }). */
  cluster?: Record<string, string | number>;
  /** Start etcd (default true); without it the conf still names an endpoint, where nothing listens. */
  etcd?: boolean;
  /** How long etcd and each node may take to serve (default 30000 ms). */
  startTimeoutMs?: number;
  /** Extra environment for the node processes. */
  env?: Record<string, string>;
}

export interface TestClusterNode extends NodeInfo {
  readonly dataDir: string;
  /** The current process (a new one after restart()); null before the first start. */
  readonly process: ChildProcess | null;
  readonly pid: number | undefined;
  /** The process exists and has not exited (a SIGSTOPped node is running). */
  readonly running: boolean;
  /** Everything the node printed, over all its restarts. */
  output(): string;
  /**
   * Sends a signal (default SIGKILL). SIGSTOP and SIGCONT return at once; any other signal waits
   * until the process has exited. The data directory stays for restart().
   */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Stops the node if it runs (SIGTERM, then SIGKILL), starts it again on the same ports and data directory, waits for SELECT 1. */
  restart(): Promise<void>;
  /** Clean stop (SIGTERM, SIGKILL after 10 s); the node can be restart()ed later. */
  stop(): Promise<void>;
}

export interface TestCluster {
  /** The temporary directory holding cluster.conf, node-<id>/ and etcd/ (removed by stop()). */
  readonly dir: string;
  readonly confFile: string;
  readonly config: ClusterConfig;
  readonly etcd: EtcdProcess | null;
  /** In id order (node(id) = nodes[id - 1]). */
  readonly nodes: TestClusterNode[];
  node(id: number): TestClusterNode;
  /** For `new pg.Client(...)` / `new pg.Pool(...)`: host, port, user postgres, database postgres. */
  clientConfig(id: number): { host: string; port: number; user: string; database: string };
  /** Stops every node and etcd and removes the directory; safe to call twice and after a failed start. */
  stop(): Promise<void>;
}

// Processes and directories left when the test process exits (a failed hook…) are killed and removed.
const liveChildren = new Set<ChildProcess>();
const liveEtcdPids = new Set<number>();
const tempDirs = new Set<string>();
process.on('exit', () => {
  for (const p of liveChildren) {
    p.kill('SIGCONT');
    p.kill('SIGKILL');
  }
  for (const pid of liveEtcdPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

/** `count` distinct free ports. */
async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

export async function startTestCluster(options: TestClusterOptions = {}): Promise<TestCluster> {
  const count = options.nodes ?? 3;
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-cluster-'));
  tempDirs.add(dir);
  const nodes: TestClusterNode[] = [];
  let etcd: EtcdProcess | null = null;
  let stopped = false;

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all(nodes.map((n) => n.stop()));
    if (etcd !== null) {
      await etcd.stop();
      liveEtcdPids.delete(etcd.pid);
    }
    fs.rmSync(dir, { recursive: true, force: true });
    tempDirs.delete(dir);
  };

  try {
    const ports = await freePorts(2 * count + 2);
    const list: ClusterNodeConfig[] = [];
    for (let i = 0; i < count; i++) {
      list.push({ id: i + 1, host: '127.0.0.1', clientPort: ports[i], interconnectPort: ports[count + i], dataDirectory: path.join(dir, `node-${i + 1}`) });
    }
    const confFile = path.join(dir, 'cluster.conf');
    fs.writeFileSync(
      confFile,
      formatClusterConf({
        etcd: 'local',
        nodes: list,
        settings: {
          etcd_client_port: ports[2 * count],
          etcd_peer_port: ports[2 * count + 1],
          etcd_data_directory: path.join(dir, 'etcd'),
          ...(count < 2 ? { replication_factor: 1 } : {}),
          ...options.cluster,
        },
      }),
    );
    const config = readClusterConfig(confFile);
    if (options.etcd !== false && config.localEtcd !== null) {
      const e = config.localEtcd;
      etcd = await startEtcd({ dataDir: e.dataDirectory, clientPort: e.clientPort, peerPort: e.peerPort, host: e.host, startTimeoutMs });
      liveEtcdPids.add(etcd.pid);
    }
    const settings: Record<string, string> = { unix_socket_directories: '', auth_method: 'trust', ...options.settings };
    const extraArgs = Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
    for (const n of config.nodes) nodes.push(makeNode(n, confFile, extraArgs, options.env, startTimeoutMs));
    await Promise.all(nodes.map((n) => n.restart()));
    return {
      dir,
      confFile,
      config,
      etcd,
      nodes,
      node: (id: number) => {
        const n = nodes.find((x) => x.id === id);
        if (n === undefined) throw new Error(`no node ${id} in this test cluster (1 .. ${count})`);
        return n;
      },
      clientConfig: (id: number) => {
        const n = config.nodes.find((x) => x.id === id);
        if (n === undefined) throw new Error(`no node ${id} in this test cluster (1 .. ${count})`);
        return { host: n.host, port: n.clientPort, user: 'postgres', database: 'postgres' };
      },
      stop,
    };
  } catch (err) {
    const outputs = nodes.map((n) => `--- node ${n.id}:\n${n.output()}`).join('\n');
    await stop();
    throw new Error(`${(err as Error).message}${outputs === '' ? '' : `\n${outputs}`}`);
  }
}

function makeNode(n: ClusterNodeConfig, confFile: string, extraArgs: string[], env: Record<string, string> | undefined, startTimeoutMs: number): TestClusterNode {
  let child: ChildProcess | null = null;
  let out = '';
  const isRunning = () => child !== null && child.exitCode === null && child.signalCode === null;
  const stopNode = async () => {
    if (child !== null) await stopProcess(child);
  };
  return {
    id: n.id,
    host: n.host,
    clientPort: n.clientPort,
    interconnectPort: n.interconnectPort,
    dataDir: n.dataDirectory,
    get process() {
      return child;
    },
    get pid() {
      return child?.pid;
    },
    get running() {
      return isRunning();
    },
    output: () => out,
    kill: async (signal: NodeJS.Signals = 'SIGKILL') => {
      if (!isRunning()) return;
      const proc = child!;
      proc.kill(signal);
      if (signal === 'SIGSTOP' || signal === 'SIGCONT') return;
      // A paused node acts on SIGTERM/SIGINT only once it runs again.
      proc.kill('SIGCONT');
      await processExited(proc);
    },
    restart: async () => {
      await stopNode();
      const proc = spawnNodeProcess({ confFile, nodeId: n.id, extraArgs, env: { ...process.env, ...env }, onLine: (line) => (out += `${line}\n`) });
      child = proc;
      liveChildren.add(proc);
      proc.once('exit', () => liveChildren.delete(proc));
      const exitedEarly = () => (proc.exitCode !== null || proc.signalCode !== null ? `node ${n.id} exited (${proc.signalCode ?? `code ${proc.exitCode}`}) before it served clients:\n${out}` : null);
      try {
        await waitUntilServing(n.host, n.clientPort, startTimeoutMs, exitedEarly);
      } catch (err) {
        proc.kill('SIGKILL');
        await processExited(proc);
        throw err;
      }
    },
    stop: stopNode,
  };
}
