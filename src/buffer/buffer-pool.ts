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

/** Share of the pool's budget that read-ahead chunks may hold while they wait for their scan. */
const STAGING_SHARE = 0.05;

/** A pool of `budgetBytes`: STAGING_SHARE of it for read-ahead chunks, the rest under the policy. */
export function makePool<T>(name: PolicyName, budgetBytes: number): BufferPool<T> {
  const staging = Math.floor(budgetBytes * STAGING_SHARE);
  return new BufferPool<T>(makePolicy(name, budgetBytes - staging), staging);
}

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
  /**
   * Read-ahead chunks no scan has asked for yet, with their bytes. They wait here, outside the
   * replacement policy (whose small HIR share would evict them before use under LIRS), within a
   * staging budget of STAGING_SHARE of the pool; the first use hands them to the policy as a load.
   */
  private readonly unclaimed = new Map<number, number>();
  private stagedBytes = 0;
  private readonly stagingLimit: number;
  private readonly isPinned = (k: number): boolean => this.pins.has(k);
  hits = 0;
  misses = 0;
  evictions = 0;
  prefetched = 0;
  prefetchHits = 0;
  prefetchWasted = 0;
  /** When set, every lookup and load is recorded (see access-trace.ts). */
  trace: AccessTrace | null = null;

  /** `stagingLimit`: bytes read-ahead chunks may hold besides the policy's capacity (0: no read-ahead). */
  constructor(
    readonly policy: ReplacementPolicy,
    stagingLimit = 0,
  ) {
    this.stagingLimit = stagingLimit;
  }

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
    const b = Math.max(1, bytes);
    // No room left for read-ahead: the prefetcher's window is too wide for this pool.
    if (this.stagedBytes + b > this.stagingLimit) return;
    this.trace?.load(key, bytes);
    this.frames.set(key, value);
    this.stagedBytes += b;
    this.prefetched++;
    this.unclaimed.set(key, b);
  }

  /**
   * The first real use of a prefetched chunk: the read-ahead must not count as an earlier
   * reference (LIRS would promote every chunk of a prefetched scan to LIR, ARC move it to T2), so
   * the policy forgets the prefetch and sees this use as the chunk's first load.
   */
  private claim(key: number): void {
    const bytes = this.unclaimed.get(key)!;
    this.unstage(key);
    this.prefetchHits++;
    for (const k of this.policy.insert(key, bytes, this.isPinned)) this.dropEvicted(k);
  }

  private unstage(key: number): void {
    this.stagedBytes -= this.unclaimed.get(key)!;
    this.unclaimed.delete(key);
  }

  /** A prefetched chunk the scan that asked for it never used (it ended first): dropped. */
  abandonPrefetched(key: number): void {
    if (!this.unclaimed.has(key)) return;
    this.unstage(key);
    this.frames.delete(key);
    this.prefetchWasted++;
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
  }

  invalidate(key: number): void {
    if (this.unclaimed.has(key)) this.unstage(key);
    this.policy.remove(key);
    this.frames.delete(key);
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
    return this.policy.residentBytes + this.stagedBytes;
  }

  stats(): PoolCounters {
    return {
      policy: this.policy.name,
      hits: this.hits,
      misses: this.misses,
      evictions: this.evictions,
      residentBytes: this.residentBytes,
      residentChunks: this.frames.size,
      capacityBytes: this.policy.capacityBytes + this.stagingLimit,
      pinnedChunks: this.pins.size,
      prefetched: this.prefetched,
      prefetchHits: this.prefetchHits,
      prefetchWasted: this.prefetchWasted,
    };
  }
}
