// LIRS against LRU on the traces where they differ, with the hit counts asserted; LIRS invariants.
import { expect } from 'chai';
import { LirsPolicy } from '../../../src/buffer/lirs-policy';
import { LruPolicy } from '../../../src/buffer/lru-policy';
import { BufferPool } from '../../../src/buffer/buffer-pool';
import { ReplacementPolicy } from '../../../src/buffer/replacement-policy';

const CHUNK = 1000;

/** Replays key accesses through a pool; a miss loads the chunk. Returns hits. */
function replay(policy: ReplacementPolicy, trace: number[]): number {
  const pool = new BufferPool<number>(policy);
  for (const key of trace) if (pool.get(key) === undefined) pool.put(key, key, CHUNK);
  return pool.hits;
}

/** A hot set of 40 chunks touched between the chunks of a long one-pass scan. */
function scanWithHotSet(): number[] {
  const trace: number[] = [];
  let scanKey = 1000;
  for (let round = 0; round < 50; round++) {
    for (let h = 0; h < 40; h++) trace.push(h);
    for (let s = 0; s < 80; s++) trace.push(scanKey++);
  }
  return trace;
}

/** A loop over 110 chunks, repeated: slightly larger than a 100-chunk pool. */
function loopLargerThanPool(): number[] {
  const trace: number[] = [];
  for (let round = 0; round < 20; round++) for (let k = 0; k < 110; k++) trace.push(k);
  return trace;
}

describe('buffer replacement: LIRS vs LRU', () => {
  const capacity = 100 * CHUNK;

  it('keeps the hot set resident while a scan streams through (LRU loses it)', () => {
    const trace = scanWithHotSet();
    const lirs = replay(new LirsPolicy(capacity), trace);
    const lru = replay(new LruPolicy(capacity), trace);
    // 50 rounds x 40 hot accesses = 2000; the first round is cold.
    expect(lirs).to.equal(1960);
    expect(lru).to.equal(0);
    expect((lirs - lru) / trace.length).to.be.greaterThan(0.3);
  });

  it('keeps most of a loop slightly larger than the pool, where LRU hits nothing', () => {
    const trace = loopLargerThanPool();
    const lirs = replay(new LirsPolicy(capacity), trace);
    const lru = replay(new LruPolicy(capacity), trace);
    expect(lru).to.equal(0);
    expect(lirs).to.be.greaterThan(trace.length * 0.8);
  });

  it('holds its invariants: bottom of the stack is LIR, LIR bytes within their share, resident within capacity', () => {
    const policy = new LirsPolicy(capacity);
    const pool = new BufferPool<number>(policy);
    let seed = 42;
    const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let i = 0; i < 20000; i++) {
      const key = rand() < 0.7 ? Math.floor(rand() * 50) : 100 + Math.floor(rand() * 5000);
      if (pool.get(key) === undefined) pool.put(key, key, CHUNK);
      expect(policy.stackBottomIsLir()).to.equal(true);
      expect(policy.lirSetBytes).to.be.at.most(Math.floor(capacity * 0.99));
      expect(policy.residentBytes).to.be.at.most(capacity);
    }
  });

  it('never evicts a pinned chunk', () => {
    const pool = new BufferPool<number>(new LirsPolicy(3 * CHUNK));
    pool.put(1, 1, CHUNK);
    pool.pin(1);
    for (let k = 2; k < 50; k++) pool.put(k, k, CHUNK);
    expect(pool.get(1)).to.equal(1);
    pool.unpin(1);
  });
});
