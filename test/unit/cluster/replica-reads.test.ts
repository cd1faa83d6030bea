// What readers of a follower's copy see (Replica.reads): the copy as of the replica's position,
// never a batch LMDB already shows (it commits, then flushes, then the write resolves) but the
// replica has not applied and its listener (the standby engine) has not heard of.
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Replica, ReplicaListener } from '../../../src/cluster/replica';
import { KvEntries, encodeBatch } from '../../../src/cluster/kv-batch';
import { LmdbKv, MemoryKv } from '../../../src/storage/kv-store';

function listenerOf(applied: (seq: number, entries: KvEntries) => void): ReplicaListener {
  return { applied, trimmed: () => undefined, replacing: async () => undefined, replaced: () => undefined };
}

describe('cluster replica: what readers of the copy see', function () {
  this.timeout(30000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-replica-reads-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  // On LMDB, where a batch is visible once it commits, before its write resolves (a Map is written at
  // once: nothing could be seen early, so it proves nothing here; the whole-copy case below uses one).
  it('LMDB: a batch rewriting a key shows in reads only once applied, in step with the listener', async () => {
    const kv = new LmdbKv(path.join(dir, `s${Date.now()}`), true);
    const replica = new Replica(kv);
    /** What the listener read when it heard of each batch, and whether reads ever ran ahead of it. */
    let heard = 0;
    let ahead = 0;
    let liveAhead = 0;
    replica.listen(listenerOf((seq) => {
      heard = seq;
      // The listener (a standby refreshing its state) reads the batch it hears of.
      expect(replica.reads.get('c/1/0/0')!.toString()).to.equal(`rows of batch ${seq}`);
    }));
    for (let seq = 1; seq <= 60; seq++) {
      let done = false;
      const applied = replica.append(encodeBatch(1, seq, [['c/1/0/0', Buffer.from(`rows of batch ${seq}`)], [`d/1/${seq}`, Buffer.from('x')]])).then(() => {
        done = true;
      });
      // Other work on the event loop while the batch is written (statements, fragment requests).
      while (!done) {
        await new Promise((r) => setImmediate(r));
        if (done) break;
        const seen = replica.reads.get('c/1/0/0')?.toString();
        if (seen !== (seq === 1 ? undefined : `rows of batch ${heard}`)) ahead++;
        if (replica.reads.keysWithPrefix('d/1/').length !== heard) ahead++;
        if (kv.get('c/1/0/0')?.toString() === `rows of batch ${seq}` && heard < seq) liveAhead++;
      }
      await applied;
      expect(heard).to.equal(seq);
    }
    console.log(`      60 batches; the store itself showed one before it was applied ${liveAhead} time(s), reads ${ahead}`);
    expect(ahead, 'reads showed a batch before it was applied').to.equal(0);
    // The store itself does show batches early (why reads exist): else this test would prove nothing.
    expect(liveAhead, 'the store showed no batch early: this test proves nothing').to.be.greaterThan(0);
    replica.release();
    await kv.close();
  });

  it('a whole copy: reads show the old store until the copy begins, nothing of the copy until it ends', async () => {
    const kv = new MemoryKv();
    const replica = new Replica(kv);
    await replica.append(encodeBatch(1, 1, [['c/1/0/0', Buffer.from('old')]]));
    await replica.beginSnapshot();
    expect(replica.reads.get('c/1/0/0')).to.equal(undefined);
    await replica.snapshotChunk([['c/1/0/0', Buffer.from('new')]]);
    expect(replica.reads.get('c/1/0/0')).to.equal(undefined);
    await replica.endSnapshot({ term: 2, seq: 7 });
    expect(replica.reads.get('c/1/0/0')!.toString()).to.equal('new');
    replica.release();
    expect(() => replica.reads.get('c/1/0/0')).to.throw(/released view/);
  });
});
