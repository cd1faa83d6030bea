// The Global Resource Directory's hash ring (src/cluster/hash-ring.ts): deterministic placement,
// replica sets, minimal movement on join/leave, balance at 256 virtual nodes, and its errors.
import { expect } from 'chai';
import { chunkResource, hash32, HashRing } from '../../../src/cluster/hash-ring';

const RESOURCES: string[] = [];
for (let t = 0; t < 20; t++) for (let g = 0; g < 1000; g++) RESOURCES.push(chunkResource(`t${t}`, g));

function nodeIds(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `node-${i}`);
}

describe('cluster: hash ring', () => {
  it('builds resource ids and hashes them to fixed 32-bit values', () => {
    expect(chunkResource('lineitem', 7)).to.equal('chunk/lineitem/7');
    // Pinned values (checked against an independent Python FNV-1a + fmix32): changing the hash would
    // move nearly every resource between releases, so a change must be deliberate.
    expect(hash32('')).to.equal(2872998923);
    expect(hash32('chunk/a/1')).to.equal(2044001273);
    expect(hash32('node-0#0')).to.equal(1440314732);
    expect(hash32('chunk/a/1')).to.not.equal(hash32('chunk/a/2'));
  });

  it('places deterministically, independent of the order members are listed in', () => {
    const a = new HashRing(nodeIds(10));
    const b = new HashRing(nodeIds(10));
    const c = new HashRing(nodeIds(10).reverse());
    for (const r of RESOURCES) {
      expect(a.masterOf(r)).to.equal(b.masterOf(r));
      expect(c.masterOf(r)).to.equal(a.masterOf(r));
    }
    expect(a.size).to.equal(2560);
    expect(new HashRing([1, 2, 3]).masterOf('chunk/x/0')).to.be.oneOf([1, 2, 3]);
  });

  it('gives distinct replicas, master first, in clockwise order', () => {
    const ring = new HashRing(nodeIds(10));
    const without = new Map(nodeIds(10).map((id) => [id, ring.withoutNode(id)] as const));
    for (const r of RESOURCES.slice(0, 2000)) {
      const reps = ring.replicasOf(r, 3);
      expect(reps).to.have.length(3);
      expect(new Set(reps).size).to.equal(3);
      expect(reps[0]).to.equal(ring.masterOf(r));
      // Ordered: the 2-replica set is a prefix of the 3-replica set.
      expect(ring.replicasOf(r, 2)).to.deep.equal(reps.slice(0, 2));
      // Clockwise: without the master, the resource falls to the second replica.
      expect(without.get(reps[0] as string)!.masterOf(r)).to.equal(reps[1]);
    }
  });

  it('returns every node once when asked for more replicas than nodes', () => {
    const ring = new HashRing(nodeIds(4));
    const reps = ring.replicasOf('chunk/t/1', 9);
    expect([...reps].sort()).to.deep.equal(nodeIds(4).sort());
    expect(ring.replicasOf('chunk/t/1', 0)).to.deep.equal([]);
  });

  it('on a join moves resources only to the new node, about 1/N of them', () => {
    const before = new HashRing(nodeIds(10));
    const after = before.withNode('node-new');
    expect(before.nodes).to.have.length(10); // the old epoch's ring is unchanged
    let moved = 0;
    for (const r of RESOURCES) {
      if (after.masterOf(r) !== before.masterOf(r)) {
        moved++;
        expect(after.masterOf(r)).to.equal('node-new');
      }
    }
    const frac = moved / RESOURCES.length;
    expect(frac).to.be.within(1 / 11 - 0.03, 1 / 11 + 0.03);
  });

  it('on a leave moves only the leaving node\'s resources', () => {
    const before = new HashRing(nodeIds(10));
    const after = before.withoutNode('node-3');
    let moved = 0, owned = 0;
    for (const r of RESOURCES) {
      const was = before.masterOf(r);
      if (was === 'node-3') owned++;
      if (after.masterOf(r) !== was) {
        moved++;
        expect(was).to.equal('node-3');
      }
    }
    expect(moved).to.equal(owned);
    expect(moved / RESOURCES.length).to.be.within(0.1 - 0.03, 0.1 + 0.03);
  });

  it('balances load within 25% of the mean at 256 virtual nodes', () => {
    const ring = new HashRing(nodeIds(10));
    const counts = new Array<number>(10).fill(0);
    for (const r of RESOURCES) counts[ring.masterIndexOf(r)]++;
    const mean = RESOURCES.length / 10;
    expect(Math.max(...counts) / mean).to.be.below(1.25);
    expect(Math.min(...counts) / mean).to.be.above(0.75);
  });

  it('reports circle shares that sum to 1 and match the sampled load', () => {
    const ring = new HashRing(nodeIds(10));
    const shares = ring.circleShares();
    expect(shares.reduce((x, y) => x + y, 0)).to.be.closeTo(1, 1e-9);
    const counts = new Array<number>(10).fill(0);
    for (const r of RESOURCES) counts[ring.masterIndexOf(r)]++;
    for (let i = 0; i < 10; i++) expect(counts[i] / RESOURCES.length).to.be.closeTo(shares[i], 0.01);
    expect(new HashRing(['only']).circleShares()[0]).to.be.closeTo(1, 1e-12);
  });

  it('rejects an empty ring, duplicate and unknown members, bad vnode counts', () => {
    const empty = new HashRing([]);
    expect(() => empty.masterOf('chunk/t/0')).to.throw(/no nodes/);
    expect(() => empty.replicasOf('chunk/t/0', 2)).to.throw(/no nodes/);
    expect(() => new HashRing(['a']).withoutNode('a').masterOf('x')).to.throw(/no nodes/);
    expect(() => new HashRing(['a', 'a'])).to.throw(/duplicate/);
    expect(() => new HashRing(['a']).withNode('a')).to.throw(/already a member/);
    expect(() => new HashRing(['a']).withoutNode('b')).to.throw(/not a member/);
    expect(() => new HashRing(['a'], 0)).to.throw(/vnodesPerNode/);
  });
});
