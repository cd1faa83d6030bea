// A replacement policy decides which cached chunks to drop when the pool is over its byte budget.
// Keys are numbers (a packed ChunkId); sizes are bytes, since chunks differ in size.
export interface ReplacementPolicy {
  readonly name: string;
  /** A lookup of `key`; true when it is resident (a hit), updating the policy's recency state. */
  access(key: number): boolean;
  /** Makes `key` resident with `bytes`; returns the keys evicted to stay within capacity. */
  insert(key: number, bytes: number, isPinned: (key: number) => boolean): number[];
  /** Forgets a key entirely (chunk rewritten or table dropped). */
  remove(key: number): void;
  readonly residentBytes: number;
  readonly capacityBytes: number;
}
