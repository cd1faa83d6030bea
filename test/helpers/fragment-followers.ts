// Follower processes for cluster parallel query tests and benches (test/cluster/fragment-follower-process.ts):
// each holds an in-memory replica of node 1's store and serves fragments over it.
import { ChildProcess, fork } from 'child_process';
import * as path from 'path';
import type { NodeInfo } from '../../src/cluster/cluster-types';

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
