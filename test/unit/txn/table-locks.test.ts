// TableLocks: share locks coexist, exclusive waits for every other holder, a share request queues
// behind a waiting exclusive one (no starvation of DROP by a stream of readers) unless its owner
// already holds the table, upgrades, cycles fail with 40P01, and a cancelled wait leaves no trace.
import { expect } from 'chai';
import { TableLocks } from '../../../src/txn/table-locks';

const noCancel = (): void => undefined;
/** TableLocks.lock answers false at once when it need not wait: a promise either way here. */
const lock = (locks: TableLocks, ...args: Parameters<TableLocks['lock']>): Promise<boolean> => Promise.resolve(locks.lock(...args));
const tick = () => new Promise((r) => setTimeout(r, 5));

describe('TableLocks', () => {
  it('share locks of different owners coexist; exclusive waits for all of them', async () => {
    const locks = new TableLocks();
    const [a, b, c] = [{}, {}, {}];
    expect(await lock(locks, a, [1], 'share', noCancel)).to.equal(false);
    expect(await lock(locks, b, [1], 'share', noCancel)).to.equal(false);
    let got = false;
    const x = lock(locks, c, [1], 'exclusive', noCancel).then((w) => (got = w));
    await tick();
    locks.releaseAll(a);
    await tick();
    expect(got).to.equal(false);
    locks.releaseAll(b);
    await x;
    expect(got).to.equal(true);
    expect(locks.heldBy(c, 1)).to.equal('exclusive');
  });

  it('a new share request waits behind a waiting exclusive one, an existing holder does not', async () => {
    const locks = new TableLocks();
    const [reader, dropper, late] = [{}, {}, {}];
    await lock(locks, reader, [1], 'share', noCancel);
    const order: string[] = [];
    const drop = lock(locks, dropper, [1], 'exclusive', noCancel).then(() => order.push('drop'));
    await tick();
    const lateRead = lock(locks, late, [1], 'share', noCancel).then(() => order.push('late'));
    // The holder's next statement is not queued behind the DROP that waits for it.
    expect(await lock(locks, reader, [1], 'share', noCancel)).to.equal(false);
    await tick();
    expect(order).to.deep.equal([]);
    locks.releaseAll(reader);
    await drop;
    await tick();
    expect(order).to.deep.equal(['drop']);
    locks.releaseAll(dropper);
    await lateRead;
    expect(order).to.deep.equal(['drop', 'late']);
  });

  it('the only holder upgrades to exclusive at once', async () => {
    const locks = new TableLocks();
    const a = {};
    await lock(locks, a, [3], 'share', noCancel);
    expect(await lock(locks, a, [3], 'exclusive', noCancel)).to.equal(false);
    expect(locks.heldBy(a, 3)).to.equal('exclusive');
  });

  it('a wait that closes a cycle fails with 40P01; a cancelled wait leaves the queue', async () => {
    const locks = new TableLocks();
    const [a, b] = [{}, {}];
    await lock(locks, a, [1], 'share', noCancel);
    await lock(locks, b, [2], 'share', noCancel);
    const aWaits = lock(locks, a, [2], 'exclusive', noCancel).then(() => 'ok', (e) => e.code);
    await tick();
    const bWaits = await lock(locks, b, [1], 'exclusive', noCancel).then(() => 'ok', (e) => e.code);
    expect(bWaits).to.equal('40P01');
    locks.releaseAll(b);
    expect(await aWaits).to.equal('ok');
    let cancel = false;
    const c = {};
    const waiting = lock(locks, c, [2], 'share', () => {
      if (cancel) throw Object.assign(new Error('canceled'), { code: '57014' });
    }).then(() => 'ok', (e) => e.code);
    await tick();
    cancel = true;
    expect(await waiting).to.equal('57014');
    expect(locks.waiting).to.equal(0);
    locks.releaseAll(a);
    expect(await lock(locks, {}, [1, 2], 'exclusive', noCancel)).to.equal(false);
  });
});
