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
