// runRemoteRanges (exec/parallel/remote-round.ts) runs a straggling remote range's speculative
// duplicate on one of the statement's local workers. When the remote answer wins, that duplicate is
// still running on the worker; the round must not end before it does: the caller releases the
// workers as soon as it ends, and a worker handle has one reply slot (pool.ts), so the next task
// given to that worker would receive the old duplicate's reply (another statement's partial rows)
// and its own reply would be dropped with the morsels it claimed — a wrong answer. Under load this
// is how TPC-H Q19 once summed the wrong rows in test/unit/cluster/fragments.test.ts.
import { expect } from 'chai';
import { runRemoteRanges, remoteFragmentStats } from '../../../src/exec/parallel/remote-round';
import { RemoteFragmentReply, RemoteFragmentRequest } from '../../../src/exec/parallel/remote-types';
import { Batch } from '../../../src/types/vector';

describe('remote fragment rounds: local duplicates', () => {
  it('the round ends only once the duplicate it started on a local worker has finished, even when the remote copy won', async () => {
    const node = 901;
    let answerRemote: (r: RemoteFragmentReply) => void = () => undefined;
    let finishLocal: (b: Batch[]) => void = () => undefined;
    let localStarted = false;
    const remoteBatch = { length: 1, columns: [] } as unknown as Batch;
    const round = runRemoteRanges({
      provider: { participants: () => [], position: () => 0 },
      participants: [{ node, run: () => new Promise<RemoteFragmentReply>((resolve) => (answerRemote = resolve)) }],
      counter: new Int32Array(new SharedArrayBuffer(4)),
      // One morsel: the remote node claims it, the local workers' own tasks found nothing left.
      morsels: Int32Array.from([0, 0, 100]),
      drivingKeys: null,
      localSlots: 1,
      request: (morsels) => ({ morsels }) as unknown as RemoteFragmentRequest,
      runLocal: () => {
        localStarted = true;
        return new Promise<Batch[]>((resolve) => (finishLocal = resolve));
      },
      // The local tasks took 1 ms per morsel: the remote range is a straggler after the 50 ms floor.
      localDone: Promise.resolve([1]),
      stopped: () => false,
    });
    let ended = false;
    void round.then(() => (ended = true));
    const deadline = performance.now() + 5000;
    while (!localStarted && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(localStarted, 'a duplicate was started locally').to.equal(true);
    expect(remoteFragmentStats.get(node)?.duplicatesLaunched).to.equal(1);

    // The remote copy wins while the duplicate still runs on the worker.
    answerRemote({ kind: 'done', batches: [remoteBatch], morsels: 1, elapsedMs: 60 });
    await new Promise((r) => setTimeout(r, 100));
    expect(ended, 'the round ended while its duplicate still ran on a local worker').to.equal(false);

    finishLocal([{ length: 2, columns: [] } as unknown as Batch]);
    const batches = await round;
    // The remote answer came first and is kept; the duplicate's is dropped.
    expect(batches).to.deep.equal([remoteBatch]);
    expect(remoteFragmentStats.get(node)?.duplicatesLost).to.equal(1);
  });

  // The counters are the process's (tessera_fragment_stats()): not this fake node's.
  after(() => remoteFragmentStats.delete(901));
});
