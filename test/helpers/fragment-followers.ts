// Follower processes for cluster parallel query tests and benches (test/cluster/fragment-follower-process.ts):
// each holds an in-memory replica of node 1's store and serves fragments over it.
import { ChildProcess, fork } from 'child_process';
import * as path from 'path';
import type { NodeInfo } from '../../src/cluster/cluster-types';
import { Database } from '../../src/engine/database';
import { EmbeddedDatabase } from '../../src/embedded/embedded-database';
import { Interconnect } from '../../src/cluster/interconnect';
import { ReplicatedKv } from '../../src/cluster/replication';
import { MemoryKv } from '../../src/storage/kv-store';
import { freePort } from './test-server';

/** Starts follower `self` of the cluster `peers` (the leader is node 1); resolves once it listens. */
export async function startFragmentFollower(self: NodeInfo, peers: NodeInfo[]): Promise<ChildProcess> {
  const child = fork(path.join(__dirname, '../cluster/fragment-follower-process.js'), [JSON.stringify(self), JSON.stringify(peers)], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve();
    });
    child.once('exit', (code, signal) => reject(new Error(`follower ${self.id} exited (${code ?? signal})`)));
  });
  return child;
}

/** Kills a follower for good (SIGCONT first, in case it is stopped). */
export function killFollower(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGCONT');
  child.kill('SIGKILL');
}

export interface LeaderWithFollowers {
  ic: Interconnect;
  kv: ReplicatedKv;
  database: Database;
  db: EmbeddedDatabase;
  /** Kills the followers and closes the leader's interconnect (the caller closes `db`). */
  stop(): Promise<void>;
}

/**
 * A leader in this process (node 1: an in-memory Database over a ReplicatedKv with `settings`) and
 * follower processes 2 and 3 replicating it (the cluster benches' setup); nothing is left running
 * if it fails.
 */
export async function startLeaderWithFollowers(settings: [string, string][]): Promise<LeaderWithFollowers> {
  const infos: NodeInfo[] = [];
  for (let id = 1; id <= 3; id++) infos.push({ id, host: '127.0.0.1', interconnectPort: await freePort(), clientPort: 0 });
  const followers = [await startFragmentFollower(infos[1], infos), await startFragmentFollower(infos[2], infos)];
  const ic = new Interconnect({ self: infos[0], peers: infos, acceptablePauseMs: 10_000, requestTimeoutMs: 60_000 });
  const stop = async (): Promise<void> => {
    for (const f of followers) f.kill('SIGTERM');
    await ic.close();
  };
  try {
    await ic.listen();
    await ic.waitConnected();
    const kv = new ReplicatedKv(new MemoryKv(), ic, { term: 1 });
    kv.setFollowers([2, 3]);
    const database = await Database.open({ dir: ':memory:', kv, settings: new Map(settings) });
    const db = new (EmbeddedDatabase as unknown as new (d: Database) => EmbeddedDatabase)(database);
    return { ic, kv, database, db, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
