// The buffer pool: decoded column chunks cached under a byte budget, with a pluggable replacement
// policy (LIRS by default), pin counts, and hit/miss/eviction counters.
import { ReplacementPolicy } from './replacement-policy';
import { LirsPolicy } from './lirs-policy';
import { LruPolicy } from './lru-policy';

export type PolicyName = 'lirs' | 'lru';

export function makePolicy(name: PolicyName, capacityBytes: number): ReplacementPolicy {
  return name === 'lru' ? new LruPolicy(capacityBytes) : new LirsPolicy(capacityBytes);
}

export class BufferPool<T> {
  private readonly frames = new Map<number, T>();
  private readonly pins = new Map<number, number>();
  hits = 0;
  misses = 0;
  evictions = 0;

  constructor(readonly policy: ReplacementPolicy) {}

  /** The cached value, counting a hit or a miss. */
  get(key: number): T | undefined {
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

  put(key: number, value: T, bytes: number): void {
    // A chunk larger than the whole pool is used once and not cached.
    if (bytes > this.policy.capacityBytes) return;
    const evicted = this.policy.insert(key, bytes, (k) => (this.pins.get(k) ?? 0) > 0);
    for (const k of evicted) {
      this.frames.delete(k);
      this.evictions++;
    }
    this.frames.set(key, value);
  }

  invalidate(key: number): void {
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

  get residentBytes(): number {
    return this.policy.residentBytes;
  }

  stats(): { hits: number; misses: number; evictions: number; residentBytes: number; capacityBytes: number } {
    return { hits: this.hits, misses: this.misses, evictions: this.evictions, residentBytes: this.residentBytes, capacityBytes: this.policy.capacityBytes };
  }
}
