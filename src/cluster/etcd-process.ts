// Starts a one-member etcd on loopback, for the local cluster launcher and the tests.
//
// Membership is agreed through etcd rather than a home-made protocol (issue 9): etcd runs Raft, keeps
// leases and gives linearizable compare-and-swap transactions. A local cluster needs only one etcd
// member; a production deployment would point the nodes at an existing etcd cluster instead.
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';

/** Where Debian's etcd-server package installs the binary (`apt-get install etcd-server`). */
export const ETCD_BINARY = process.env.TESSERA_ETCD ?? 'etcd';

export interface EtcdProcessOptions {
  /** etcd's data directory (created if missing). */
  dataDir: string;
  clientPort: number;
  peerPort: number;
  host?: string;
  /** How long to wait for /health to answer true (default 15 s). */
  startTimeoutMs?: number;
}

export interface EtcdProcess {
  /** http://host:clientPort, for the JSON gateway. */
  endpoint: string;
  pid: number;
  stop(): Promise<void>;
}

function healthy(endpoint: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(`${endpoint}/health`, { timeout: 1000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(res.statusCode === 200 && body.includes('"true"')));
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

export async function startEtcd(options: EtcdProcessOptions): Promise<EtcdProcess> {
  const host = options.host ?? '127.0.0.1';
  const client = `http://${host}:${options.clientPort}`;
  const peer = `http://${host}:${options.peerPort}`;
  fs.mkdirSync(options.dataDir, { recursive: true });
  const logFile = fs.openSync(`${options.dataDir}.log`, 'a');
  const child = spawn(
    ETCD_BINARY,
    [
      '--name', 'tessera',
      '--data-dir', options.dataDir,
      '--listen-client-urls', client,
      '--advertise-client-urls', client,
      '--listen-peer-urls', peer,
      '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `tessera=${peer}`,
      '--logger', 'zap',
      '--log-level', 'warn',
    ],
    { stdio: ['ignore', logFile, logFile] },
  );
  fs.closeSync(logFile);
  let spawnError: Error | null = null;
  child.once('error', (err) => (spawnError = err));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited(child);
    clearTimeout(timer);
  };
  const deadline = Date.now() + (options.startTimeoutMs ?? 15_000);
  for (;;) {
    if (spawnError !== null) {
      throw new Error(`cannot start etcd (${ETCD_BINARY}): ${(spawnError as Error).message}; install it with apt-get install etcd-server`);
    }
    if (child.exitCode !== null) throw new Error(`etcd exited with code ${child.exitCode}; see ${options.dataDir}.log`);
    if (await healthy(client)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`etcd did not become healthy within ${options.startTimeoutMs ?? 15_000} ms; see ${options.dataDir}.log`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { endpoint: client, pid: child.pid!, stop };
}
