// The commit queue's write pipeline (storage/write-pipeline.ts): one write at a time, every write
// queued meanwhile in the next one in queue order, queued entries readable through the overlay
// until written, durability by version, and a failed write of commits failing the store (58030).
import { expect } from 'chai';
import { WritePipeline } from '../../../src/storage/write-pipeline';
import { HeldKv } from '../../helpers/held-kv';

const buf = (s: string) => Buffer.from(s);
const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Follows a promise from now on: state() is 'pending', 'resolved' or the rejection's SQLSTATE (or message). */
function track(p: Promise<unknown>): { state(): string } {
  let state = 'pending';
  p.then(
    () => (state = 'resolved'),
    (e: { code?: string; message?: string }) => (state = e.code ?? e.message ?? 'rejected'),
  );
  return { state: () => state };
}

async function stateOf(p: Promise<unknown>): Promise<string> {
  const t = track(p);
  await tick();
  return t.state();
}

describe('write pipeline', () => {
  it('writes one batch at a time: batches queued while a write is in flight go together in the next one, in order', async () => {
    const kv = new HeldKv();
    const pipe = new WritePipeline(kv);
    kv.hold();
    const first = pipe.enqueue([['a/1', buf('one')]], 1, null);
    await tick();
    const second = pipe.enqueue([['a/2', buf('two')], ['a/1', buf('one again')]], 2, () => [['catalog', buf('c2')]]);
    const third = pipe.enqueue([['a/3', buf('three')], ['a/2', null]], 3, () => [['catalog', buf('c3')]]);
    await tick();
    // Only the first write has started; the later batches wait for it to finish.
    expect(kv.started).to.equal(1);
    expect(await stateOf(first)).to.equal('pending');
    // Until written, reads see the queued values (the overlay): the latest of each key.
    expect(pipe.get('a/1')?.toString()).to.equal('one again');
    expect(pipe.get('a/2')).to.equal(undefined);
    expect(pipe.keysWithPrefix('a/')).to.deep.equal(['a/1', 'a/3']);
    expect(kv.get('a/1')).to.equal(undefined);
    expect(pipe.durableAt(1)).to.not.equal(null);
    kv.release();
    await Promise.all([first, second, third]);
    expect(kv.writes).to.deep.equal([['a/1'], ['a/2', 'a/1', 'a/3', 'a/2', 'catalog']]);
    // Only the last queued batch's catalog is written.
    expect(kv.get('catalog')?.toString()).to.equal('c3');
    expect(kv.get('a/1')?.toString()).to.equal('one again');
    expect(kv.get('a/2')).to.equal(undefined);
    expect(pipe.durable).to.equal(3);
    expect(pipe.durableAt(3)).to.equal(null);
  });

  it('resolves a commit only once its write is done, and a durability wait once its version is durable', async () => {
    const kv = new HeldKv();
    const pipe = new WritePipeline(kv);
    kv.hold();
    const commit = pipe.enqueue([['a/1', buf('x')]], 7, null);
    const wait = pipe.durableAt(7)!;
    expect(await stateOf(commit)).to.equal('pending');
    expect(await stateOf(wait)).to.equal('pending');
    expect(await stateOf(pipe.idle())).to.equal('pending');
    kv.release();
    await commit;
    expect(await stateOf(wait)).to.equal('resolved');
    expect(await stateOf(pipe.idle())).to.equal('resolved');
  });

  it('is busy while a write is in flight or queued, and the next write starts only once the previous one is durable', async () => {
    const kv = new HeldKv();
    const pipe = new WritePipeline(kv);
    expect(pipe.busy).to.equal(false);
    kv.hold();
    const first = track(pipe.enqueue([['a/1', buf('x')]], 1, null));
    expect(pipe.busy).to.equal(true);
    await tick();
    const second = track(pipe.enqueue([['a/2', buf('y')]], 2, null));
    await tick();
    // lmdb-js resolves a write only once it is durable (see the file comment): nothing else starts before.
    expect(kv.started).to.equal(1);
    expect([first.state(), second.state()]).to.deep.equal(['pending', 'pending']);
    kv.release();
    await tick();
    await tick();
    expect([first.state(), second.state()]).to.deep.equal(['resolved', 'resolved']);
    expect(kv.writes).to.deep.equal([['a/1'], ['a/2']]);
    expect(pipe.busy).to.equal(false);
  });

  it('fails the store when a write of commits fails: those commits, the ones queued after them and every later one reject with 58030', async () => {
    const kv = new HeldKv();
    const pipe = new WritePipeline(kv);
    kv.hold();
    const first = track(pipe.enqueue([['a/1', buf('x')]], 1, null));
    await tick();
    const second = track(pipe.enqueue([['a/2', buf('y')]], 2, null));
    const reader = track(pipe.durableAt(2)!);
    kv.failNext(new Error('EIO: i/o error, fdatasync'));
    kv.release();
    await tick();
    expect(first.state()).to.equal('58030');
    expect(second.state()).to.equal('58030');
    expect(reader.state()).to.equal('58030');
    expect(pipe.failed?.message).to.match(/could not write committed data to disk: EIO/);
    expect(await stateOf(pipe.enqueue([['a/3', buf('z')]], 3, null))).to.equal('58030');
    expect(await stateOf(pipe.write([['x/1', buf('w')]]))).to.equal('58030');
    expect(kv.writes).to.deep.equal([]);
  });

  it("a store that stops because the node lost its cluster leadership (retryable 57P01) fails the commits with 57P01, not 58030", async () => {
    const kv = new HeldKv();
    const pipe = new WritePipeline(kv);
    kv.hold();
    const first = track(pipe.enqueue([['a/1', buf('x')]], 1, null));
    await tick();
    kv.failNext(Object.assign(new Error('this node is no longer the leader (lease lost); reconnect and retry'), { code: '57P01', retryable: true }));
    kv.release();
    await tick();
    expect(first.state()).to.equal('57P01');
    expect(pipe.failed?.message).to.equal('this node is no longer the leader (lease lost); reconnect and retry');
    expect(await stateOf(pipe.enqueue([['a/2', buf('z')]], 2, null))).to.equal('57P01');
  });

  it('a failed write that holds no commit (a spill, an index entry) fails alone, and the store goes on', async () => {
    const kv = new HeldKv();
    const pipe = new WritePipeline(kv);
    kv.failNext(new Error('ENOSPC'));
    expect(await stateOf(pipe.write([['s/1', buf('spill')]]))).to.equal('ENOSPC');
    expect(pipe.get('s/1')).to.equal(undefined);
    expect(pipe.failed).to.equal(null);
    await pipe.enqueue([['a/1', buf('x')]], 1, null);
    expect(kv.get('a/1')?.toString()).to.equal('x');
  });
});
