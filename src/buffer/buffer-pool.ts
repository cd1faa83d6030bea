// The buffer pool: decoded column chunks cached under a byte budget, with a pluggable replacement
// policy (LIRS by default, ARC or LRU), pin counts (a pinned chunk is never chosen as a victim),
// hit/miss/eviction counters, prefetch bookkeeping and an optional access trace for the
// replacement benchmark (bench/buffer/hit-rate.ts replays it).
import { ReplacementPolicy } from './replacement-policy';
import { LirsPolicy } from './lirs-policy';
import { LruPolicy } from './lru-policy';
import { ArcPolicy } from './arc-policy';
import { AccessTrace } from './access-trace';
import { BufferPoolStats } from '../storage/api';

export type PolicyName = 'lirs' | 'arc' | 'lru';

export function makePolicy(name: PolicyName, capacityBytes: number): ReplacementPolicy {
  switch (name) {
    case 'lru':
      return new LruPolicy(capacityBytes);
    case 'arc':
      return new ArcPolicy(capacityBytes);
    default:
      return new LirsPolicy(capacityBytes);
  }
}

/** The pool's counters (tessera_buffer_stats()); the contract lives with storage, which reports them. */
export type PoolCounters = BufferPoolStats;

export class BufferPool<T> {
  private readonly frames = new Map<number, T>();
  private readonly pins = new Map<number, number>();
  /** Chunks put by the prefetcher that no scan has asked for yet, with their bytes. */
  private readonly unclaimed = new Map<number, number>();
  private readonly isPinned = (k: number): boolean => this.pins.has(k);
  hits = 0;
  misses = 0;
  evictions = 0;
  prefetched = 0;
  prefetchHits = 0;
  prefetchWasted = 0;
  /** When set, every lookup and load is recorded (see access-trace.ts). */
  trace: AccessTrace | null = null;

  constructor(readonly policy: ReplacementPolicy) {}

  /** The cached value, counting a hit or a miss. */
  get(key: number): T | undefined {
    this.trace?.access(key);
    if (this.unclaimed.size > 0 && this.unclaimed.has(key)) {
      this.hits++;
      this.claim(key);
      return this.frames.get(key);
    }
    if (this.policy.access(key)) {
      const v = this.frames.get(key);
      if (v !== undefined) {
        this.hits++;
        return v;
      }
    }
    this.misses++;
    return undefined;
  }

  /** Whether the key is resident, without counting or touching its recency (the prefetcher asks). */
  has(key: number): boolean {
    return this.frames.has(key);
  }

  put(key: number, value: T, bytes: number): void {
    this.trace?.load(key, bytes);
    this.store(key, value, bytes);
  }

  /** A chunk read ahead of its scan: cached like put(), counted as prefetched until asked for. */
  putPrefetched(key: number, value: T, bytes: number): void {
    if (this.frames.has(key)) return;
    this.trace?.load(key, bytes);
    if (!this.store(key, value, bytes)) return;
    this.prefetched++;
    this.unclaimed.set(key, Math.max(1, bytes));
  }

  /**
   * The first real use of a prefetched chunk: the read-ahead must not count as an earlier
   * reference (LIRS would promote every chunk of a prefetched scan to LIR, ARC move it to T2), so
   * the policy forgets the prefetch and sees this use as the chunk's first load.
   */
  private claim(key: number): void {
    const bytes = this.unclaimed.get(key)!;
    this.unclaimed.delete(key);
    this.prefetchHits++;
    this.policy.remove(key);
    for (const k of this.policy.insert(key, bytes, this.isPinned)) this.dropEvicted(k);
  }

  /** A prefetched chunk the scan that asked for it never used (it ended first). */
  abandonPrefetched(key: number): void {
    if (this.unclaimed.delete(key)) this.prefetchWasted++;
  }

  private store(key: number, value: T, bytes: number): boolean {
    // A chunk larger than the whole pool is used once and not cached; 0-byte chunks count as 1.
    if (bytes > this.policy.capacityBytes) return false;
    const evicted = this.policy.insert(key, Math.max(1, bytes), this.isPinned);
    for (const k of evicted) this.dropEvicted(k);
    this.frames.set(key, value);
    return true;
  }

  private dropEvicted(k: number): void {
    this.frames.delete(k);
    this.evictions++;
    if (this.unclaimed.size > 0 && this.unclaimed.delete(k)) this.prefetchWasted++;
  }

  invalidate(key: number): void {
    this.policy.remove(key);
    this.frames.delete(key);
    this.unclaimed.delete(key);
  }

  pin(key: number): void {
    this.pins.set(key, (this.pins.get(key) ?? 0) + 1);
  }
  unpin(key: number): void {
    const n = (this.pins.get(key) ?? 0) - 1;
    if (n <= 0) this.pins.delete(key);
    else this.pins.set(key, n);
  }
  pinCount(key: number): number {
    return this.pins.get(key) ?? 0;
  }

  get residentBytes(): number {
    return this.policy.residentBytes;
  }

  stats(): PoolCounters {
    return {
      policy: this.policy.name,
      hits: this.hits,
      misses: this.misses,
      evictions: this.evictions,
      residentBytes: this.residentBytes,
      residentChunks: this.frames.size,
      capacityBytes: this.policy.capacityBytes,
      pinnedChunks: this.pins.size,
      prefetched: this.prefetched,
      prefetchHits: this.prefetchHits,
      prefetchWasted: this.prefetchWasted,
    };
  }
}
