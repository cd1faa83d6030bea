// One etcd per test file: on free loopback ports, in a temporary directory removed afterwards.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EtcdProcess, startEtcd } from '../../src/cluster/etcd-process';
import { freePort } from '../helpers/test-server';

export interface TestEtcd {
  endpoint: string;
  pid(): number;
  /** Stops etcd and starts it again on the same ports and data (clients see a broken connection). */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestEtcd(): Promise<TestEtcd> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-etcd-'));
  const options = { dataDir: path.join(dir, 'data'), clientPort: await freePort(), peerPort: await freePort() };
  let proc: EtcdProcess;
  try {
    proc = await startEtcd(options);
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    endpoint: proc.endpoint,
    pid: () => proc.pid,
    restart: async (downMs = 0) => {
      await proc.stop();
      await new Promise((r) => setTimeout(r, downMs));
      proc = await startEtcd(options);
    },
    stop: async () => {
      await proc.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls cond every 20 ms until it holds; throws what() after timeoutMs. Returns the ms waited. */
export async function waitFor(cond: () => boolean, timeoutMs: number, what: () => string): Promise<number> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - start;
}

/**
 * A TCP proxy in front of etcd that can cut one node off (a network partition): while cut, every
 * connection is dropped and new ones are accepted but never answered, as with a black-holed route.
 */
export interface PartitionProxy {
  endpoint: string;
  cut(): void;
  heal(): void;
  close(): Promise<void>;
}

export async function startPartitionProxy(target: string): Promise<PartitionProxy> {
  const net = await import('net');
  const url = new URL(target);
  const sockets = new Set<import('net').Socket>();
  let cut = false;
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    if (cut) return; // black hole: accepted, never answered
    const upstream = net.connect(Number(url.port), url.hostname);
    sockets.add(upstream);
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as import('net').AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    cut: () => {
      cut = true;
      for (const s of sockets) s.destroy();
    },
    heal: () => {
      cut = false;
      for (const s of sockets) s.destroy(); // black-holed connections: the client retries on new ones
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
