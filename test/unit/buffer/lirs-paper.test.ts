// LIRS checked against the paper (Jiang & Zhang, SIGMETRICS 2002): a block-counted model written
// straight from the paper's case list (section 3.3) must hit and miss exactly where the byte-sized
// LirsPolicy does, on random traces whose non-resident history stays within the policy's bound.
import { expect } from 'chai';
import { LirsPolicy } from '../../../src/buffer/lirs-policy';
import { BufferPool } from '../../../src/buffer/buffer-pool';

/** The paper's LIRS over unit blocks: Llirs LIR blocks, Lhirs resident HIR blocks. */
class PaperLirs {
  /** Stack S, bottom first. */
  private s: number[] = [];
  /** Queue Q of resident HIR blocks, front first. */
  private q: number[] = [];
  private lir = new Set<number>();
  private resident = new Set<number>();
  constructor(
    private readonly llirs: number,
    private readonly lhirs: number,
  ) {}
  private toTop(x: number): void {
    const i = this.s.indexOf(x);
    if (i >= 0) this.s.splice(i, 1);
    this.s.push(x);
  }
  private prune(): void {
    while (this.s.length > 0 && !this.lir.has(this.s[0])) this.s.shift();
  }
  private demoteBottom(): void {
    const b = this.s.shift()!;
    this.lir.delete(b);
    this.q.push(b);
    this.prune();
  }
  /** Returns true on a hit. */
  access(x: number): boolean {
    if (this.lir.has(x)) {
      this.toTop(x);
      this.prune();
      return true;
    }
    if (this.resident.has(x)) {
      const inS = this.s.includes(x);
      this.toTop(x);
      this.q.splice(this.q.indexOf(x), 1);
      if (inS) {
        this.lir.add(x);
        this.demoteBottom();
      } else this.q.push(x);
      return true;
    }
    // Miss. Warm-up: LIR set not full yet.
    if (this.lir.size < this.llirs) {
      this.lir.add(x);
      this.resident.add(x);
      this.toTop(x);
      return false;
    }
    if (this.resident.size >= this.llirs + this.lhirs) {
      const victim = this.q.shift()!;
      this.resident.delete(victim);
    }
    this.resident.add(x);
    const inS = this.s.includes(x);
    this.toTop(x);
    if (inS) {
      this.lir.add(x);
      this.demoteBottom();
    } else this.q.push(x);
    return false;
  }
}

describe('LIRS against the paper', () => {
  const UNIT = 1000;
  for (const [blocks, universe, seed] of [
    [100, 250, 1],
    [100, 300, 7],
    [200, 500, 3],
  ]) {
    it(`hits and misses as the paper's model does (${blocks} blocks, ${universe} keys)`, () => {
      const policy = new LirsPolicy(blocks * UNIT);
      const pool = new BufferPool<number>(policy);
      const llirs = Math.floor(blocks * 0.99);
      const model = new PaperLirs(llirs, blocks - llirs);
      let x = seed;
      const rand = () => (x = (x * 48271) % 2147483647) / 2147483647;
      let hits = 0;
      for (let i = 0; i < 30000; i++) {
        // A skewed mix: a hot set, a loop and random keys, so all four cases of the paper occur.
        const r = rand();
        const key = r < 0.5 ? Math.floor(rand() * 40) : r < 0.8 ? 40 + (i % 120) : Math.floor(rand() * universe);
        const expected = model.access(key);
        const got = pool.get(key) !== undefined;
        if (!got) pool.put(key, key, UNIT);
        expect(got, `access ${i} key ${key}`).to.equal(expected);
        if (got) hits++;
      }
      expect(hits).to.be.greaterThan(10000);
      expect(policy.stackBottomIsLir()).to.equal(true);
    });
  }
});

describe('LIRS with blocks of different sizes', () => {
  it('does not let blocks seen once into the LIR set after a large LIR block was demoted', () => {
    const policy = new LirsPolicy(10_000);
    const pool = new BufferPool<number>(policy);
    const touch = (k: number, bytes: number) => {
      if (pool.get(k) === undefined) pool.put(k, k, bytes);
    };
    // Warm-up: one 5000-byte block and 49 of 100 bytes fill the LIR share (9900 bytes).
    touch(1, 5000);
    for (let k = 2; k <= 50; k++) touch(k, 100);
    expect(policy.lirSetBytes).to.equal(9900);
    // Block 100 enters as HIR, is seen again while in the stack and becomes LIR: block 1, at the
    // bottom of the stack, is demoted, leaving 4900 bytes of the LIR share free.
    touch(100, 100);
    touch(100, 100);
    expect(policy.lirSetBytes).to.equal(5000);
    // A one-pass scan of small blocks: all stay HIR (the paper's LIR set only takes re-referenced blocks).
    for (let k = 1000; k < 1500; k++) touch(k, 100);
    expect(policy.lirSetBytes).to.equal(5000);
    for (let k = 2; k <= 50; k++) expect(pool.get(k), `hot block ${k}`).to.equal(k);
  });
});
