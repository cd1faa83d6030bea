// A follower process for test/cluster/fragments-process.test.ts and bench/cluster/fragments.ts: an
// interconnect, a replica of the leader's store in memory (the leader is node 1), and the fragment
// service over it. Prints "ready" once listening; exits on SIGTERM or when its parent goes away.
//
//   node dist/test/cluster/fragment-follower-process.js '<self NodeInfo JSON>' '<peers NodeInfo[] JSON>'
import { Interconnect } from '../../src/cluster/interconnect';
import { Replica } from '../../src/cluster/replica';
import { serveReplica } from '../../src/cluster/replication';
import { serveFragments } from '../../src/cluster/fragment-service';
import { MemoryKv } from '../../src/storage/kv-store';
import type { NodeInfo } from '../../src/cluster/cluster-types';

async function main(): Promise<void> {
  const self = JSON.parse(process.argv[2]) as NodeInfo;
  const peers = JSON.parse(process.argv[3]) as NodeInfo[];
  // Loading the leader and running fragments stall event loops for a while: no suspicion from that.
  const ic = new Interconnect({ self, peers, acceptablePauseMs: 10_000, requestTimeoutMs: 60_000 });
  const replica = new Replica(new MemoryKv());
  serveReplica(ic, () => replica, () => 1);
  serveFragments(ic, () => replica);
  await ic.listen();
  console.log('ready');
  const stop = (): void => {
    void ic.close().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('disconnect', stop);
}

void main();
