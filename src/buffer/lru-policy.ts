// Least-recently-used: the baseline LIRS is measured against.
import { ReplacementPolicy } from './replacement-policy';

export class LruPolicy implements ReplacementPolicy {
  readonly name = 'lru';
  // Map iteration order is insertion order: the first entry is the least recently used.
  private readonly entries = new Map<number, number>();
  residentBytes = 0;

  constructor(readonly capacityBytes: number) {}

  access(key: number): boolean {
    const bytes = this.entries.get(key);
    if (bytes === undefined) return false;
    this.entries.delete(key);
    this.entries.set(key, bytes);
    return true;
  }

  insert(key: number, bytes: number, isPinned: (key: number) => boolean): number[] {
    this.remove(key);
    const evicted: number[] = [];
    for (const [k, b] of this.entries) {
      if (this.residentBytes + bytes <= this.capacityBytes) break;
      if (isPinned(k)) continue;
      this.entries.delete(k);
      this.residentBytes -= b;
      evicted.push(k);
    }
    this.entries.set(key, bytes);
    this.residentBytes += bytes;
    return evicted;
  }

  remove(key: number): void {
    const b = this.entries.get(key);
    if (b === undefined) return;
    this.entries.delete(key);
    this.residentBytes -= b;
  }
}
