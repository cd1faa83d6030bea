// The prefetcher: access-pattern detection (sequential forward/backward, strided, temporal) with
// its adaptive window, and read-ahead through a real storage (LMDB's background prefetch, then
// decoding into the pool on the next turn of the event loop) with prefetch hits and waste counted.
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AccessPattern } from '../../../src/storage/access-pattern';
import { makePool } from '../../../src/buffer/buffer-pool';
import { openStorage, ROW_GROUP_ROWS, Storage, TableDef } from '../../../src/storage';
import { Types } from '../../../src/types/data-type';
import { Int32Vector, Vector } from '../../../src/types/vector';

function feed(p: AccessPattern, groups: number[]): AccessPattern {
  for (const g of groups) p.record(g);
  return p;
}

const nextTurn = () => new Promise<void>((resolve) => setTimeout(resolve, 20));

/** Waits (turns of the event loop, up to 10 s: LMDB's background read may be slow under load) until `cond`. */
async function until(cond: () => boolean): Promise<boolean> {
  for (let waited = 0; waited < 10000 && !cond(); waited += 20) await nextTurn();
  return cond();
}

describe('prefetch: access-pattern detection', () => {
  it('detects sequential forward access and reads further ahead as read-ahead pays off', () => {
    const p = feed(new AccessPattern(), [0, 1]);
    expect(p.kind()).to.equal('none');
    expect(p.predict()).to.deep.equal([]);
    p.record(2);
    expect(p.kind()).to.equal('sequential');
    expect(p.predict()).to.deep.equal([3]);
    p.grow();
    p.grow();
    expect(p.predict()).to.deep.equal([3, 4, 5, 6]);
    for (let i = 0; i < 5; i++) p.grow();
    expect(p.window).to.equal(8);
    p.shrink();
    expect(p.predict()).to.deep.equal([3, 4, 5, 6]);
  });

  it('detects backward and strided access, and never predicts below group 0', () => {
    const back = feed(new AccessPattern(), [9, 8, 7]);
    expect(back.kind()).to.equal('backward');
    expect(back.predict()).to.deep.equal([6]);
    feed(back, [6, 5, 4, 3, 2, 1]);
    back.grow();
    expect(back.predict()).to.deep.equal([0]);
    const strided = feed(new AccessPattern(), [1, 4, 7]);
    expect(strided.kind()).to.equal('strided');
    strided.grow();
    expect(strided.predict()).to.deep.equal([10, 13]);
  });

  it('detects a repeating (temporal) run and follows the previous run while it agrees', () => {
    const p = feed(new AccessPattern(), [5, 2, 9, 1, 7]);
    expect(p.kind()).to.equal('none');
    p.restart();
    p.record(5);
    expect(p.kind()).to.equal('temporal');
    expect(p.predict()).to.deep.equal([2]);
    p.grow();
    p.record(2);
    expect(p.predict()).to.deep.equal([9, 1]);
    p.record(3);
    expect(p.kind()).to.equal('none');
    expect(p.predict()).to.deep.equal([]);
  });

  it('shrinks the window when an established pattern breaks', () => {
    const p = feed(new AccessPattern(), [0, 1, 2, 3]);
    p.grow();
    p.grow();
    expect(p.window).to.equal(4);
    p.record(40);
    expect(p.window).to.equal(2);
    expect(p.kind()).to.equal('none');
  });
});

const GROUPS = 8;

async function table(s: Storage): Promise<TableDef> {
  const t = s.begin();
  const def = t.createTable({ schema: 'public', name: 't', columns: [{ name: 'a', type: Types.int4, notNull: false, defaultSql: null }], primaryKey: null, primaryKeyName: null });
  const n = GROUPS * ROW_GROUP_ROWS;
  const values = new Int32Array(n);
  for (let i = 0; i < n; i++) values[i] = i;
  const v: Int32Vector = { kind: 'int32', type: Types.int4, length: n, nulls: null, values };
  t.append(def.id, [v]);
  await t.commit();
  return def;
}

describe('prefetch: read-ahead through the pool', function () {
  this.timeout(30000);
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-prefetch-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const onDisk of [true, false]) {
    it(`reads the next groups of a sequential scan ahead and counts hits and waste (${onDisk ? 'LMDB' : 'memory'})`, async () => {
      const pool = makePool<Vector>('lirs', 64 << 20);
      const s = await openStorage({ dir: onDisk ? dir : null, synchronousCommit: true, cache: pool });
      const def = await table(s);
      const key = (g: number) => (def.id * 4096) * 65536 + g;
      for (let g = 0; g < GROUPS; g++) pool.invalidate(key(g)); // cold pool: the commit had cached them
      const pattern = new AccessPattern();
      const scan = s.snapshot(def.id).openScan!([0], pattern);
      for (let g = 0; g < 3; g++) scan.load(g);
      expect(scan.counts).to.deep.equal({ hits: 0, reads: 3, prefetchHits: 0 });
      // Pattern seen at group 2: group 3 is asked for, and decoded on a later turn of the event loop.
      expect(pool.has(key(3))).to.equal(false);
      expect(await until(() => pool.has(key(3)))).to.equal(true);
      expect(pool.stats().prefetched).to.equal(1);
      const g3 = scan.load(3)[0] as Int32Vector;
      expect(g3.values[0]).to.equal(3 * ROW_GROUP_ROWS);
      expect(scan.counts).to.deep.equal({ hits: 1, reads: 3, prefetchHits: 1 });
      // The hit doubled the window: groups 4 and 5 come ahead.
      expect(pattern.window).to.equal(2);
      expect(await until(() => pool.has(key(4)) && pool.has(key(5)))).to.equal(true);
      scan.load(4);
      // The scan stops here: group 5 (and what group 4's load asked for) was read for nothing.
      await nextTurn();
      scan.close();
      const st = pool.stats();
      expect(st.prefetchHits).to.equal(2);
      expect(st.prefetchWasted).to.equal(st.prefetched - 2);
      expect(st.prefetchWasted).to.be.greaterThan(0);
      expect(st.pinnedChunks).to.equal(0);
      await s.close();
    });
  }

  it('does not read ahead chunks that are already resident (a warm pool costs nothing)', async () => {
    const pool = makePool<Vector>('lirs', 64 << 20);
    const s = await openStorage({ dir: null, synchronousCommit: true, cache: pool });
    const def = await table(s);
    const scan = s.snapshot(def.id).openScan!([0], new AccessPattern());
    for (let g = 0; g < GROUPS; g++) scan.load(g);
    await nextTurn();
    scan.close();
    expect(scan.counts).to.deep.equal({ hits: GROUPS, reads: 0, prefetchHits: 0 });
    expect(pool.stats().prefetched).to.equal(0);
    await s.close();
  });
});

describe('prefetch: staging of read-ahead chunks', () => {
  it('keeps read-ahead chunks outside the policy within its staging share, and hands them over on first use', () => {
    // 100 kB pool: 95 kB under LIRS, 5 kB of staging.
    const pool = makePool<number>('lirs', 100_000);
    expect(pool.stats().capacityBytes).to.equal(100_000);
    pool.putPrefetched(1, 1, 2000);
    pool.putPrefetched(2, 2, 2000);
    pool.putPrefetched(3, 3, 2000); // over the 5 kB staging share: refused
    expect([pool.has(1), pool.has(2), pool.has(3)]).to.deep.equal([true, true, false]);
    expect(pool.policy.residentBytes).to.equal(0);
    expect(pool.residentBytes).to.equal(4000);
    // First use: a hit, counted as a prefetch hit; the policy now holds it as a fresh load.
    expect(pool.get(1)).to.equal(1);
    expect(pool.policy.residentBytes).to.equal(2000);
    // The scan ended without using chunk 2: dropped and counted as wasted.
    pool.abandonPrefetched(2);
    expect(pool.has(2)).to.equal(false);
    const st = pool.stats();
    expect([st.prefetched, st.prefetchHits, st.prefetchWasted, st.residentBytes]).to.deep.equal([2, 1, 1, 2000]);
  });
});
