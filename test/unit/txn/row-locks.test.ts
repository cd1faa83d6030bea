// RowLocks: share locks (FOR SHARE) of different owners coexist and an exclusive request waits for
// all of them; an owner's own share lock does not hold back its exclusive one; a compaction's remap
// moves both kinds to the rows' new RowIds (counted by moveCount) and drops those of rows gone;
// a lock wait the remap happened during takes nothing under the stale RowIds; ROLLBACK TO
// SAVEPOINT releases what was taken after it, of either kind.
import { expect } from 'chai';
import { RowLocks } from '../../../src/txn/row-locks';

const noCancel = (): void => undefined;
const tick = () => new Promise((r) => setTimeout(r, 30));

describe('RowLocks', () => {
  it('share locks of different owners coexist; an exclusive lock waits for every one of them', async () => {
    const locks = new RowLocks();
    const [a, b, c] = [{}, {}, {}];
    expect(await locks.lock(a, 1, [5], noCancel, 'share')).to.equal(false);
    expect(await locks.lock(b, 1, [5], noCancel, 'share')).to.equal(false);
    expect(locks.tryLock(c, 1, 5, 'share')).to.equal(true);
    locks.releaseAll(c);
    expect(locks.tryLock(c, 1, 5)).to.equal(false);
    let got: boolean | null = null;
    const x = locks.lock(c, 1, [5], noCancel).then((w) => (got = w));
    await tick();
    locks.releaseAll(a);
    await tick();
    expect(got).to.equal(null);
    locks.releaseAll(b);
    await x;
    expect(got).to.equal(true);
    // Held exclusively now: a share request waits.
    expect(locks.tryLock(a, 1, 5, 'share')).to.equal(false);
    locks.releaseAll(c);
    expect(locks.size).to.equal(0);
  });

  it('lockNow takes every row at once when none is held by another owner, and none when one is', () => {
    const locks = new RowLocks();
    const [a, b] = [{}, {}];
    expect(locks.lockNow(a, 1, [5, 6])).to.equal(true);
    expect(locks.size).to.equal(2);
    // Its own rows again (and as share): nothing new is held.
    expect(locks.lockNow(a, 1, [6, 5], 'share')).to.equal(true);
    expect(locks.size).to.equal(2);
    // Row 6 is a's: b takes neither 7 nor 6, and tryLock shows 7 is still free.
    expect(locks.lockNow(b, 1, [7, 6])).to.equal(false);
    expect(locks.lockNow(b, 1, [6])).to.equal(false);
    expect(locks.size).to.equal(2);
    expect(locks.tryLock(b, 1, 7)).to.equal(true);
    locks.releaseAll(a);
    locks.releaseAll(b);
    // Share holders: another share request goes through at once, an exclusive one does not (and takes nothing).
    expect(locks.lockNow(a, 2, [1], 'share')).to.equal(true);
    expect(locks.lockNow(b, 2, [1], 'share')).to.equal(true);
    expect(locks.lockNow(b, 2, [2, 1])).to.equal(false);
    expect(locks.tryLock(a, 2, 2)).to.equal(true);
    locks.releaseAll(a);
    locks.releaseAll(b);
    expect(locks.size).to.equal(0);
  });

  it("an owner's own share lock becomes exclusive when no other holds the row", async () => {
    const locks = new RowLocks();
    const [a, b] = [{}, {}];
    await locks.lock(a, 1, [5, 6], noCancel, 'share');
    expect(await locks.lock(a, 1, [5], noCancel)).to.equal(false);
    expect(locks.tryLock(b, 1, 5, 'share')).to.equal(false);
    expect(locks.tryLock(b, 1, 6, 'share')).to.equal(true);
  });

  it('a remap moves share and exclusive locks to the new RowIds and drops those of rows gone', async () => {
    const locks = new RowLocks();
    const [a, b, c] = [{}, {}, {}];
    await locks.lock(a, 1, [0, 1], noCancel, 'share');
    await locks.lock(b, 1, [1], noCancel, 'share');
    await locks.lock(b, 1, [2], noCancel);
    await locks.lock(c, 2, [1], noCancel);
    expect(locks.moveCount(1)).to.equal(0);
    locks.remap(1, Float64Array.from([-1, 100, 101]));
    expect(locks.moveCount(1)).to.equal(1);
    expect(locks.moveCount(2)).to.equal(0);
    expect(locks.tryLock(c, 1, 0)).to.equal(true);
    expect(locks.tryLock(c, 1, 1)).to.equal(true);
    expect(locks.tryLock(c, 1, 100, 'share')).to.equal(true);
    expect(locks.tryLock(c, 1, 100)).to.equal(false);
    expect(locks.tryLock(c, 1, 101, 'share')).to.equal(false);
    // Another table's locks stay where they were.
    expect(locks.tryLock(a, 2, 1)).to.equal(false);
    locks.releaseAll(a);
    expect(locks.tryLock(c, 1, 100)).to.equal(false);
    locks.releaseAll(b);
    expect(locks.tryLock(c, 1, 100)).to.equal(true);
  });

  it('a lock wait during which the table was remapped stops there: no lock is taken under the stale RowIds', async () => {
    const locks = new RowLocks();
    const [a, b, c] = [{}, {}, {}];
    await locks.lock(a, 1, [1], noCancel);
    let got: boolean | null = null;
    const x = locks.lock(b, 1, [0, 1, 2], noCancel).then((w) => (got = w));
    await tick();
    locks.remap(1, Float64Array.from([10, 11, 12]));
    locks.releaseAll(a);
    await x;
    expect(got).to.equal(true);
    // b took RowId 0 before the wait (moved to 10 with it); 1 and 2 name nothing now and stay free.
    expect(locks.tryLock(c, 1, 1)).to.equal(true);
    expect(locks.tryLock(c, 1, 2)).to.equal(true);
    expect(locks.tryLock(c, 1, 10)).to.equal(false);
    expect(locks.tryLock(c, 1, 11)).to.equal(true);
  });

  it('releaseSince releases the share and exclusive locks taken after the mark only', async () => {
    const locks = new RowLocks();
    const [a, b] = [{}, {}];
    await locks.lock(a, 1, [1], noCancel, 'share');
    const mark = locks.mark();
    await locks.lock(a, 1, [2], noCancel, 'share');
    await locks.lock(a, 1, [3], noCancel);
    locks.releaseSince(a, mark);
    expect(locks.tryLock(b, 1, 1)).to.equal(false);
    expect(locks.tryLock(b, 1, 2)).to.equal(true);
    expect(locks.tryLock(b, 1, 3)).to.equal(true);
  });
});
