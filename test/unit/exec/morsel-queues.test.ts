// The work-stealing morsel queues (parallel/morsel-queues.ts): an owner takes its own range in
// order, an empty queue steals the back half of the fullest one, and every morsel is claimed exactly
// once — by one thread, and by four real threads racing on the same shared memory with uneven work.
import { expect } from 'chai';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { MAX_QUEUED_MORSELS, MorselQueues } from '../../../src/exec/parallel/morsel-queues';

function drain(queues: MorselQueues, q: number): number[] {
  const out: number[] = [];
  for (let m = queues.claim(q); m >= 0; m = queues.claim(q)) out.push(m);
  return out;
}

describe('morsel queues (work stealing)', () => {
  it('splits the morsels into contiguous ranges, taken in order by their owners', () => {
    const queues = new MorselQueues(MorselQueues.share(10, 3));
    expect([queues.claim(0), queues.claim(0), queues.claim(1), queues.claim(2), queues.claim(0)]).to.deep.equal([0, 1, 3, 6, 2]);
    expect(queues.stolen).to.equal(0);
  });

  it('an empty queue steals the back half of the fullest queue, then works on from there', () => {
    const queues = new MorselQueues(MorselQueues.share(12, 2)); // [0, 6) and [6, 12)
    const mine = drain(queues, 0).slice(0, 6);
    expect(mine).to.deep.equal([0, 1, 2, 3, 4, 5]);
    // Queue 0 was emptied by its owner, then stole from queue 1: [9, 12) (half of 6), then [8, 9)…
    const fresh = new MorselQueues(MorselQueues.share(12, 2));
    for (let i = 0; i < 6; i++) fresh.claim(0);
    expect(fresh.claim(0)).to.equal(9);
    expect(fresh.stolen).to.equal(3);
    expect(fresh.claim(0)).to.equal(10);
    expect(fresh.claim(1)).to.equal(6); // the owner of queue 1 still starts at its front
    expect(fresh.claim(0)).to.equal(11);
    expect(fresh.claim(0)).to.equal(8); // the back half of [7, 9)
    expect(fresh.claim(1)).to.equal(7);
    expect(fresh.claim(1)).to.equal(-1);
    expect(fresh.claim(0)).to.equal(-1);
  });

  it('hands out every morsel exactly once from one thread, whatever the queue asked', () => {
    for (const [total, count] of [[0, 2], [1, 3], [7, 2], [100, 3], [1000, 7]]) {
      const queues = new MorselQueues(MorselQueues.share(total, count));
      const seen: number[] = [];
      for (let i = 0; ; i++) {
        const m = queues.claim(i % count);
        if (m < 0) {
          // One queue found nothing left anywhere: all the others are empty too.
          for (let q = 0; q < count; q++) expect(queues.claim(q)).to.equal(-1);
          break;
        }
        seen.push(m);
      }
      expect(seen.sort((a, b) => a - b)).to.deep.equal(Array.from({ length: total }, (_, i) => i));
    }
  });

  it('refuses more morsels than a queue word holds', () => {
    expect(() => MorselQueues.share(MAX_QUEUED_MORSELS + 1, 2)).to.throw(/exceed/);
  });

  it('four threads racing claim every morsel exactly once, the slow ones robbed by the fast ones', async function () {
    this.timeout(30000);
    const total = 4000;
    const buffer = MorselQueues.share(total, 4);
    // claimedBy[m] = the thread (1-based) that claimed morsel m; a second claim would be caught by the CAS below.
    const claimedBy = new Int32Array(new SharedArrayBuffer(4 * total));
    const doubles = new Int32Array(new SharedArrayBuffer(4));
    const ready = new Int32Array(new SharedArrayBuffer(4));
    const modulePath = path.resolve(__dirname, '../../../src/exec/parallel/morsel-queues.js');
    const code = `
      const { workerData, parentPort } = require('worker_threads');
      const { MorselQueues } = require(${JSON.stringify(modulePath)});
      const { buffer, claimedBy, doubles, ready, q, spin } = workerData;
      const queues = new MorselQueues(buffer);
      // Start together (threads start slowly on a loaded machine): all four are claiming at once.
      Atomics.add(ready, 0, 1);
      for (let r = Atomics.load(ready, 0); r < 4; r = Atomics.load(ready, 0)) Atomics.wait(ready, 0, r, 5);
      let own = 0;
      for (let m = queues.claim(q); m >= 0; m = queues.claim(q)) {
        if (Atomics.compareExchange(claimedBy, m, 0, q + 1) !== 0) Atomics.add(doubles, 0, 1);
        own++;
        let x = 0;
        for (let i = 0; i < spin; i++) x += i;  // uneven work per thread
        if (x < 0) own--;
      }
      parentPort.postMessage({ own, stolen: queues.stolen });
    `;
    const results = await Promise.all(
      [0, 1, 2, 3].map(
        (q) =>
          new Promise<{ own: number; stolen: number }>((resolve, reject) => {
            const w = new Worker(code, { eval: true, workerData: { buffer, claimedBy, doubles, ready, q, spin: q === 0 ? 200000 : 2000 } });
            w.once('message', resolve);
            w.once('error', reject);
          }),
      ),
    );
    expect(doubles[0], 'morsels claimed twice').to.equal(0);
    expect(Array.from(claimedBy).filter((t) => t === 0).length, 'morsels never claimed').to.equal(0);
    expect(results.reduce((n, r) => n + r.own, 0)).to.equal(total);
    // Thread 0 is a hundred times slower: the others took part of its range.
    expect(results[0].own).to.be.below(total / 4);
    expect(Array.from(claimedBy.subarray(0, total / 4)).some((t) => t !== 1), 'thread 0 robbed').to.equal(true);
  });
});
