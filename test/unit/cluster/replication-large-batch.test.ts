// A batch whose frame is larger than the interconnect's maxFrameBytes (256 MiB by default) cannot go in
// one frame (the receiver's frame decoder drops the connection): ReplicatedKv sends batches above its
// own maxFrameBytes (64 MiB by default) in parts. A COPY commits a table as one batch: SF 1 lineitem is
// ~150 MB, SF 10 lineitem ~1.5 GB. Shown here with a 1 MiB frame limit and a 2 MiB batch; before the
// parts, the batch was resent forever and the commit never completed.
import { expect } from 'chai';
import { Interconnect } from '../../../src/cluster/interconnect';
import type { NodeInfo } from '../../../src/cluster/cluster-types';
import { Replica } from '../../../src/cluster/replica';
import { ReplicatedKv, serveReplica } from '../../../src/cluster/replication';
import { MemoryKv } from '../../../src/storage/kv-store';
import { freePort } from '../../helpers/test-server';

const FRAME_LIMIT = 1024 * 1024;

describe('cluster replication of a batch larger than the interconnect frame limit', function () {
  this.timeout(20000);
  let ics: Interconnect[] = [];
  let leader: ReplicatedKv | null = null;

  after(async () => {
    leader?.stop(new Error('test over'));
    await Promise.all(ics.map((ic) => ic.close()));
  });

  it('acknowledges a 2 MiB write with a 1 MiB frame limit (the follower gets it in pieces)', async function () {
    const infos: NodeInfo[] = [];
    for (let id = 1; id <= 2; id++) infos.push({ id, host: '127.0.0.1', interconnectPort: await freePort(), clientPort: 0 });
    ics = infos.map((self) => new Interconnect({ self, peers: infos, heartbeatIntervalMs: 50, maxFrameBytes: FRAME_LIMIT }));
    await Promise.all(ics.map((ic) => ic.listen()));
    await Promise.all(ics.map((ic) => ic.waitConnected()));
    const follower = new Replica(new MemoryKv());
    serveReplica(ics[1], () => follower, () => 1);
    leader = new ReplicatedKv(new MemoryKv(), ics[0], { term: 1, minCopies: 2, requestTimeoutMs: 2000, maxFrameBytes: FRAME_LIMIT / 4 });
    leader.setFollowers([2]);
    const big = leader.write([['big/1', Buffer.alloc(2 * FRAME_LIMIT, 1)]]);
    const outcome = await Promise.race([big.then(() => 'acknowledged', (e: Error) => `failed: ${e.message}`), new Promise<string>((r) => setTimeout(() => r('still waiting after 8 s'), 8000))]);
    expect(outcome).to.equal('acknowledged');
    expect(follower.kv.get('big/1')?.length).to.equal(2 * FRAME_LIMIT);
    // Small batches after it still go (and in order).
    await leader.write([['small/1', Buffer.from('x')]]);
    expect(follower.position().seq).to.equal(2);
    expect(follower.kv.get('small/1')?.toString()).to.equal('x');
  });
});
