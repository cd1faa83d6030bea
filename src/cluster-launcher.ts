#!/usr/bin/env node
// `npm run cluster -- --nodes 3`: a local cluster on loopback for trying cluster mode and for tests.
// Writes a cluster conf (or uses --config), starts etcd when the conf says `etcd = local`, starts one
// server process per node (`main.js --cluster FILE --node-id N`), waits until each answers SELECT 1,
// prints how to connect, and on SIGINT/SIGTERM stops the nodes, then etcd. A node that dies is
// reported, not restarted: the cluster is for seeing what happens.
import { ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { ClusterConfig, ClusterNodeConfig, formatClusterConf, readClusterConfig } from './config/cluster-config';
import { ConfigError } from './config/conf-file';
import { EtcdProcess, startEtcd } from './cluster/etcd-process';
import { processExited, spawnNodeProcess, stopProcess, waitUntilServing } from './cluster-node-process';

const USAGE = `Usage: npm run cluster -- [options]
  --nodes N            generate a cluster of N nodes on 127.0.0.1 into DIR/cluster.conf (default 3
                       when --config is not given)
  --base-port P        first port of the generated cluster (default 5433): client ports P .. P+N-1,
                       interconnect ports P+N .. P+2N-1, etcd client P+2N and peer P+2N+1
  --dir DIR            where node data (DIR/node-<id>), etcd data (DIR/etcd) and the generated
                       cluster.conf go (default ./data/cluster)
  --config FILE        start the cluster FILE describes instead (e.g. conf/cluster.conf)
  -c NAME=VALUE        a server setting passed to every node (e.g. -c buffer_pool_size=64MB)
  --start-timeout MS   how long to wait for etcd and each node (default 60000)
  -h, --help           show this help
Node output goes to this terminal, each line prefixed [node <id>]; etcd's to DIR/etcd.log
(or <etcd_data_directory>.log). Ctrl-C (SIGINT) or SIGTERM stops every node, then etcd.`;

interface LauncherArgs {
  nodes: number | null;
  basePort: number;
  dir: string;
  config: string | null;
  nodeSettings: string[];
  startTimeoutMs: number;
  help: boolean;
}

function parseArgs(argv: string[]): LauncherArgs {
  const out: LauncherArgs = { nodes: null, basePort: 5433, dir: path.resolve('data/cluster'), config: null, nodeSettings: [], startTimeoutMs: 60_000, help: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].startsWith('--') && argv[i].includes('=') ? [argv[i].slice(0, argv[i].indexOf('=')), argv[i].slice(argv[i].indexOf('=') + 1)] : [argv[i], undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new ConfigError(`option ${flag} requires a value\n${USAGE}`);
      return v;
    };
    const int = (min: number, max: number): number => {
      const v = value();
      const n = Number(v);
      if (!/^\d+$/.test(v) || n < min || n > max) throw new ConfigError(`option ${flag} ${v}: expected an integer ${min} .. ${max}`);
      return n;
    };
    if (flag === '--nodes') out.nodes = int(1, 64);
    else if (flag === '--base-port') out.basePort = int(1, 65535);
    else if (flag === '--dir') out.dir = path.resolve(value());
    else if (flag === '--config') out.config = path.resolve(value());
    else if (flag === '-c') out.nodeSettings.push(value());
    else if (flag === '--start-timeout') out.startTimeoutMs = int(1, 3_600_000);
    else if (flag === '-h' || flag === '--help') out.help = true;
    else throw new ConfigError(`unknown option "${argv[i]}"\n${USAGE}`);
  }
  if (out.nodes !== null && out.config !== null) throw new ConfigError('give either --nodes or --config, not both');
  return out;
}

/** Lays out N loopback nodes from the base port (see USAGE) and writes DIR/cluster.conf. */
function writeLoopbackConf(nodes: number, basePort: number, dir: string): string {
  if (basePort + 2 * nodes + 1 > 65535) throw new ConfigError(`--base-port ${basePort} leaves no room for ${2 * nodes + 2} ports`);
  const list: ClusterNodeConfig[] = [];
  for (let i = 0; i < nodes; i++) {
    list.push({ id: i + 1, host: '127.0.0.1', clientPort: basePort + i, interconnectPort: basePort + nodes + i, dataDirectory: path.join(dir, `node-${i + 1}`) });
  }
  const text = formatClusterConf({
    etcd: 'local',
    nodes: list,
    // A one-node cluster cannot keep two copies.
    settings: { etcd_client_port: basePort + 2 * nodes, etcd_peer_port: basePort + 2 * nodes + 1, etcd_data_directory: path.join(dir, 'etcd'), ...(nodes < 2 ? { replication_factor: 1 } : {}) },
  });
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'cluster.conf');
  fs.writeFileSync(file, text);
  return file;
}

function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

/** Refuse to start over something already listening (a cluster left running, a PostgreSQL on 5433…). */
async function checkPortsFree(config: ClusterConfig): Promise<void> {
  const wanted: [string, number, string][] = [];
  for (const n of config.nodes) wanted.push([n.host, n.clientPort, `node ${n.id} client port`], [n.host, n.interconnectPort, `node ${n.id} interconnect port`]);
  if (config.localEtcd !== null) wanted.push([config.localEtcd.host, config.localEtcd.clientPort, 'etcd client port'], [config.localEtcd.host, config.localEtcd.peerPort, 'etcd peer port']);
  for (const [host, port, what] of wanted) {
    if (!(await portFree(host, port))) throw new ConfigError(`${what} ${host}:${port} is in use (another cluster still running? choose --base-port)`);
  }
}

interface RunningNode {
  config: ClusterNodeConfig;
  child: ChildProcess;
}

function printTable(config: ClusterConfig, etcd: EtcdProcess | null, nodes: RunningNode[]): void {
  const rows = nodes.map((n) => [
    String(n.config.id),
    String(n.child.pid),
    `${n.config.host}:${n.config.clientPort}`,
    `${n.config.host}:${n.config.interconnectPort}`,
    n.config.dataDirectory,
    `psql -h ${n.config.host} -p ${n.config.clientPort} -U postgres`,
  ]);
  const header = ['node', 'pid', 'client', 'interconnect', 'data directory', 'connect with'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  console.log(`cluster "${config.name}" (${config.file}), ${nodes.length} node(s), replication factor ${config.replicationFactor}`);
  console.log(etcd !== null ? `etcd ${etcd.endpoint} pid ${etcd.pid} (data ${config.localEtcd!.dataDirectory})` : `etcd ${config.etcdEndpoints.join(',')} (not started here)`);
  console.log(line(header));
  for (const r of rows) console.log(line(r));
  console.log('cluster ready: connect to any node; reads run on the node you connect to, writes on the leader, which replicates every commit. Ctrl-C stops the cluster.');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const confFile = args.config ?? writeLoopbackConf(args.nodes ?? 3, args.basePort, args.dir);
  const config = readClusterConfig(confFile);
  await checkPortsFree(config);

  let etcd: EtcdProcess | null = null;
  // Set while etcd starts, so a signal then still stops the etcd that is coming up.
  let etcdStarting: Promise<EtcdProcess> | null = null;
  const running: RunningNode[] = [];
  let stopping = false;
  const stopAll = async () => {
    stopping = true;
    await Promise.all(running.map((n) => stopProcess(n.child)));
    const e = etcd ?? (await etcdStarting?.catch(() => null)) ?? null;
    await e?.stop();
  };
  // Whatever ends this process (an exception included) takes the nodes with it.
  process.on('exit', () => {
    for (const n of running) if (n.child.exitCode === null && n.child.signalCode === null) n.child.kill('SIGKILL');
  });
  let stopRequested: string | null = null;
  const onSignal = (signal: string) => {
    if (stopRequested !== null) return;
    stopRequested = signal;
    const live = running.filter((n) => n.child.exitCode === null && n.child.signalCode === null).length;
    console.log(`[launcher] ${signal}: stopping ${live} running node(s)${etcd !== null ? ' and etcd' : ''}`);
    void stopAll().then(
      () => {
        console.log('[launcher] cluster stopped');
        process.exit(0);
      },
      (err) => {
        console.error(`[launcher] error while stopping: ${(err as Error).stack ?? err}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  try {
    if (config.localEtcd !== null) {
      const e = config.localEtcd;
      etcdStarting = startEtcd({ dataDir: e.dataDirectory, clientPort: e.clientPort, peerPort: e.peerPort, host: e.host, startTimeoutMs: args.startTimeoutMs });
      etcd = await etcdStarting;
      console.log(`[launcher] etcd ready at ${etcd.endpoint} (log ${e.dataDirectory}.log)`);
    }
    const extraArgs = args.nodeSettings.flatMap((s) => ['-c', s]);
    for (const n of config.nodes) {
      if (stopRequested !== null) return;
      const child = spawnNodeProcess({
        confFile,
        nodeId: n.id,
        extraArgs,
        detached: true,
        onLine: (line, isErr) => (isErr ? process.stderr : process.stdout).write(`[node ${n.id}] ${line}\n`),
      });
      running.push({ config: n, child });
      child.once('exit', (code, signal) => {
        if (stopping) return;
        console.error(`[launcher] node ${n.id} (pid ${child.pid}) exited unexpectedly (${signal ?? `code ${code}`}); not restarting it`);
        if (running.every((r) => r.child.exitCode !== null || r.child.signalCode !== null)) {
          console.error('[launcher] no node left running: stopping etcd');
          void stopAll().then(() => process.exit(1));
        }
      });
    }
    // Nodes start in parallel; wait for each to serve.
    await Promise.all(
      running.map(({ config: n, child }) =>
        waitUntilServing(n.host, n.clientPort, args.startTimeoutMs, () =>
          child.exitCode !== null || child.signalCode !== null ? `node ${n.id} exited (${child.signalCode ?? `code ${child.exitCode}`}) before it served clients` : null,
        ),
      ),
    );
  } catch (err) {
    if (stopRequested !== null) return;
    console.error(`[launcher] ${(err as Error).message}; stopping the cluster`);
    await stopAll();
    process.exit(1);
  }
  if (stopRequested !== null) return;
  printTable(config, etcd, running);
  // Runs until a signal stops the cluster or the last node dies (both exit from their handlers).
  await Promise.all(running.map((n) => processExited(n.child)));
}

main().catch((err) => {
  const known = err instanceof ConfigError;
  console.error(`[launcher] ${known ? (err as Error).message : ((err as Error)?.stack ?? err)}`);
  process.exit(1);
});
