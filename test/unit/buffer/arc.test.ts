// ARC checked against the paper (Megiddo & Modha, FAST 2003, figure 4): a page-counted model of
// ARC(c) must hit and miss exactly where the byte-sized ArcPolicy does with equal-sized chunks;
// the directory invariants hold with mixed sizes; pinned chunks are never evicted.
import { expect } from 'chai';
import { ArcPolicy } from '../../../src/buffer/arc-policy';
import { BufferPool } from '../../../src/buffer/buffer-pool';

/** ARC(c) over pages, case by case as in the paper's figure 4. Lists are LRU-first arrays. */
class PaperArc {
  t1: number[] = [];
  t2: number[] = [];
  b1: number[] = [];
  b2: number[] = [];
  p = 0;
  constructor(private readonly c: number) {}
  private static drop(list: number[], x: number): boolean {
    const i = list.indexOf(x);
    if (i < 0) return false;
    list.splice(i, 1);
    return true;
  }
  private replace(xInB2: boolean): void {
    if (this.t1.length >= 1 && ((xInB2 && this.t1.length === this.p) || this.t1.length > this.p)) this.b1.push(this.t1.shift()!);
    else this.b2.push(this.t2.shift()!);
  }
  access(x: number): boolean {
    if (PaperArc.drop(this.t1, x) || PaperArc.drop(this.t2, x)) {
      this.t2.push(x); // case I
      return true;
    }
    if (PaperArc.drop(this.b1, x)) {
      // case II (x was counted in B1 when δ1 was computed)
      const d = this.b1.length + 1 >= this.b2.length ? 1 : this.b2.length / (this.b1.length + 1);
      this.p = Math.min(this.p + d, this.c);
      this.replace(false);
      this.t2.push(x);
      return false;
    }
    if (PaperArc.drop(this.b2, x)) {
      // case III
      const d = this.b2.length + 1 >= this.b1.length ? 1 : this.b1.length / (this.b2.length + 1);
      this.p = Math.max(this.p - d, 0);
      this.replace(true);
      this.t2.push(x);
      return false;
    }
    // case IV
    const l1 = this.t1.length + this.b1.length;
    const total = l1 + this.t2.length + this.b2.length;
    if (l1 === this.c) {
      if (this.t1.length < this.c) {
        this.b1.shift();
        this.replace(false);
      } else this.t1.shift();
    } else if (total >= this.c) {
      if (total === 2 * this.c) this.b2.shift();
      this.replace(false);
    }
    this.t1.push(x);
    return false;
  }
}

function lcg(seed: number): () => number {
  let x = seed;
  return () => (x = (x * 48271) % 2147483647) / 2147483647;
}

describe('ARC against the paper', () => {
  const UNIT = 1000;
  for (const [c, universe, seed] of [
    [50, 200, 1],
    [100, 400, 5],
    [64, 1000, 9],
  ]) {
    it(`hits and misses as the paper's ARC(${c}) does over ${universe} keys`, () => {
      const policy = new ArcPolicy(c * UNIT);
      const pool = new BufferPool<number>(policy);
      const model = new PaperArc(c);
      const rand = lcg(seed);
      let hits = 0;
      for (let i = 0; i < 30000; i++) {
        // Phases that move p both ways: recency-heavy loops, then frequency-heavy hot keys.
        const phase = Math.floor(i / 5000) % 2;
        const r = rand();
        const key = phase === 0 ? (r < 0.6 ? i % Math.floor(c * 1.5) : Math.floor(rand() * universe)) : r < 0.7 ? Math.floor(rand() * c * 0.5) : Math.floor(rand() * universe);
        const expected = model.access(key);
        const got = pool.get(key) !== undefined;
        if (!got) pool.put(key, key, UNIT);
        expect(got, `access ${i} key ${key}`).to.equal(expected);
        if (got) hits++;
        const s = policy.sizes();
        expect(s.p / UNIT).to.be.closeTo(model.p, 1e-6);
      }
      expect(hits).to.be.greaterThan(3000);
    });
  }

  it('keeps its directory within c (T1+B1) and 2c (all lists), residents within c, with mixed sizes', () => {
    const cap = 100_000;
    const policy = new ArcPolicy(cap);
    const pool = new BufferPool<number>(policy);
    const rand = lcg(11);
    for (let i = 0; i < 20000; i++) {
      const key = rand() < 0.6 ? Math.floor(rand() * 60) : 100 + Math.floor(rand() * 3000);
      if (pool.get(key) === undefined) pool.put(key, key, 500 + (key % 7) * 400);
      const s = policy.sizes();
      expect(s.t1 + s.t2).to.be.at.most(cap);
      expect(s.t1 + s.b1).to.be.at.most(cap);
      expect(s.t1 + s.t2 + s.b1 + s.b2).to.be.at.most(2 * cap);
      expect(s.p).to.be.within(0, cap);
    }
  });

  it('lets a one-pass scan through T1 without flushing the frequently used T2', () => {
    const pool = new BufferPool<number>(new ArcPolicy(100 * 1000));
    for (let round = 0; round < 3; round++) for (let k = 0; k < 50; k++) if (pool.get(k) === undefined) pool.put(k, k, 1000);
    for (let k = 1000; k < 1500; k++) if (pool.get(k) === undefined) pool.put(k, k, 1000);
    let hot = 0;
    for (let k = 0; k < 50; k++) if (pool.get(k) !== undefined) hot++;
    expect(hot).to.equal(50);
  });

  it('never evicts a pinned chunk, even when it is the LRU block of both lists', () => {
    const pool = new BufferPool<number>(new ArcPolicy(3000));
    pool.put(1, 1, 1000);
    pool.pin(1);
    for (let k = 2; k < 60; k++) {
      if (pool.get(k) === undefined) pool.put(k, k, 1000);
      if (k % 3 === 0) pool.get(k);
    }
    expect(pool.has(1)).to.equal(true);
    pool.unpin(1);
    for (let k = 100; k < 110; k++) pool.put(k, k, 1000);
    expect(pool.has(1)).to.equal(false);
  });
});
