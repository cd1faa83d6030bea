// ARC, Adaptive Replacement Cache (Megiddo & Modha, "ARC: A Self-Tuning, Low Overhead Replacement
// Cache", FAST 2003), with sizes in bytes instead of pages.
//   T1: resident blocks seen once recently (recency);    B1: ghosts (keys only) evicted from T1.
//   T2: resident blocks seen at least twice (frequency); B2: ghosts evicted from T2.
//   p:  the target size of T1; a hit in B1 says T1 was too small (p grows), a hit in B2 says T2
//       was (p shrinks), each by the ghost's size times the ratio of the other ghost list's size.
// REPLACE evicts T1's LRU block into B1 when T1 is over its target, else T2's LRU block into B2.
// The directory is bounded as in the paper: |T1| + |B1| <= c and |T1| + |T2| + |B1| + |B2| <= 2c.
// Pinned blocks are skipped when choosing a victim (the pool may then stay over budget briefly).
import { ReplacementPolicy } from './replacement-policy';

/** One of the four LRU lists: Map order is recency order, the first entry is the LRU end. */
class ByteList {
  readonly keys = new Map<number, number>();
  bytes = 0;
  has(key: number): boolean {
    return this.keys.has(key);
  }
  /** Appends at the MRU end. */
  push(key: number, bytes: number): void {
    this.keys.set(key, bytes);
    this.bytes += bytes;
  }
  /** Removes `key`; returns its bytes (0 when absent). */
  take(key: number): number {
    const b = this.keys.get(key);
    if (b === undefined) return 0;
    this.keys.delete(key);
    this.bytes -= b;
    return b;
  }
  /** The least recently used key that is not pinned, or undefined. */
  lruUnpinned(isPinned: (key: number) => boolean): number | undefined {
    for (const k of this.keys.keys()) if (!isPinned(k)) return k;
    return undefined;
  }
  lru(): number | undefined {
    for (const k of this.keys.keys()) return k;
    return undefined;
  }
}

export class ArcPolicy implements ReplacementPolicy {
  readonly name = 'arc';
  private readonly t1 = new ByteList();
  private readonly t2 = new ByteList();
  private readonly b1 = new ByteList();
  private readonly b2 = new ByteList();
  /** Target bytes of T1, 0 ≤ p ≤ c. */
  private p = 0;

  constructor(readonly capacityBytes: number) {}

  get residentBytes(): number {
    return this.t1.bytes + this.t2.bytes;
  }

  /** For tests: list sizes in bytes and the target p. */
  sizes(): { t1: number; t2: number; b1: number; b2: number; p: number } {
    return { t1: this.t1.bytes, t2: this.t2.bytes, b1: this.b1.bytes, b2: this.b2.bytes, p: this.p };
  }

  access(key: number): boolean {
    // Case I: a hit in T1 or T2 moves the block to T2's MRU end.
    const b = this.t1.take(key) || this.t2.take(key);
    if (b === 0) return false;
    this.t2.push(key, b);
    return true;
  }

  insert(key: number, bytes: number, isPinned: (key: number) => boolean): number[] {
    const evicted: number[] = [];
    const c = this.capacityBytes;
    // A resident block put again (rewritten chunk) is treated as seen twice.
    if (this.t1.take(key) > 0 || this.t2.take(key) > 0) {
      this.replace(bytes, false, isPinned, evicted);
      this.t2.push(key, bytes);
      return evicted;
    }
    const inB1 = this.b1.take(key);
    if (inB1 > 0) {
      // Case II: T1 should have been larger.
      const ratio = this.b1.bytes + inB1 > 0 ? Math.max(this.b2.bytes / (this.b1.bytes + inB1), 1) : 1;
      this.p = Math.min(c, this.p + ratio * bytes);
      this.replace(bytes, false, isPinned, evicted);
      this.t2.push(key, bytes);
      this.boundDirectory();
      return evicted;
    }
    const inB2 = this.b2.take(key);
    if (inB2 > 0) {
      // Case III: T2 should have been larger.
      const ratio = this.b2.bytes + inB2 > 0 ? Math.max(this.b1.bytes / (this.b2.bytes + inB2), 1) : 1;
      this.p = Math.max(0, this.p - ratio * bytes);
      this.replace(bytes, true, isPinned, evicted);
      this.t2.push(key, bytes);
      this.boundDirectory();
      return evicted;
    }
    // Case IV: a block in no list.
    // Case A: L1 = T1 ∪ B1 would exceed c: drop B1's oldest ghosts, or when T1 alone fills the
    // cache, evict T1's LRU block outright (no ghost).
    while (this.t1.bytes + this.b1.bytes + bytes > c && this.b1.bytes > 0) this.b1.take(this.b1.lru()!);
    while (this.t1.bytes + bytes > c) {
      const v = this.t1.lruUnpinned(isPinned);
      if (v === undefined) break;
      this.t1.take(v);
      evicted.push(v);
    }
    // Case B: the whole directory would exceed 2c: drop B2's oldest ghosts.
    while (this.t1.bytes + this.t2.bytes + this.b1.bytes + this.b2.bytes + bytes > 2 * c && this.b2.bytes > 0) this.b2.take(this.b2.lru()!);
    this.replace(bytes, false, isPinned, evicted);
    this.t1.push(key, bytes);
    return evicted;
  }

  remove(key: number): void {
    this.t1.take(key);
    this.t2.take(key);
    this.b1.take(key);
    this.b2.take(key);
  }

  /** REPLACE(x, p), repeated until `bytes` more fit (blocks differ in size). */
  private replace(bytes: number, requestInB2: boolean, isPinned: (key: number) => boolean, evicted: number[]): void {
    while (this.residentBytes + bytes > this.capacityBytes) {
      const t1Over = this.t1.bytes > 0 && (this.t1.bytes > this.p || (requestInB2 && this.t1.bytes >= this.p));
      const [from, ghost] = t1Over ? [this.t1, this.b1] : [this.t2, this.b2];
      let victim = from.lruUnpinned(isPinned);
      let ghostList = ghost;
      if (victim === undefined) {
        // Everything on the preferred side is pinned: take from the other side.
        const other = from === this.t1 ? this.t2 : this.t1;
        victim = other.lruUnpinned(isPinned);
        ghostList = other === this.t1 ? this.b1 : this.b2;
        if (victim === undefined) return;
        ghostList.push(victim, other.take(victim));
      } else ghostList.push(victim, from.take(victim));
      evicted.push(victim);
    }
  }

  /** Keeps |T1|+|B1| <= c and the directory <= 2c after a ghost hit changed the lists. */
  private boundDirectory(): void {
    const c = this.capacityBytes;
    while (this.t1.bytes + this.b1.bytes > c && this.b1.bytes > 0) this.b1.take(this.b1.lru()!);
    while (this.t1.bytes + this.t2.bytes + this.b1.bytes + this.b2.bytes > 2 * c && this.b2.bytes > 0) this.b2.take(this.b2.lru()!);
  }
}
