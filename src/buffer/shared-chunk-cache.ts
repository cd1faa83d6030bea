// The chunk cache as storage sees it, keeping decoded chunks in shared memory (SharedArrayBuffer)
// so parallel query workers read the very same chunks without a copy. The copy into shared memory
// happens once per buffer-pool miss (or read-ahead), after decoding; everything else is the pool's.
import { BufferPoolStats, ChunkCache } from '../storage/api';
import { shareVector } from '../types/shared-vector';
import { Vector } from '../types/vector';
import { BufferPool } from './buffer-pool';

export class SharedChunkCache implements ChunkCache {
  constructor(readonly pool: BufferPool<Vector>) {}
  get(key: number): Vector | undefined {
    return this.pool.get(key);
  }
  has(key: number): boolean {
    return this.pool.has(key);
  }
  put(key: number, value: Vector, bytes: number): void {
    this.pool.put(key, shareVector(value), bytes);
  }
  putPrefetched(key: number, value: Vector, bytes: number): void {
    this.pool.putPrefetched(key, shareVector(value), bytes);
  }
  abandonPrefetched(key: number): void {
    this.pool.abandonPrefetched(key);
  }
  invalidate(key: number): void {
    this.pool.invalidate(key);
  }
  pin(key: number): void {
    this.pool.pin(key);
  }
  unpin(key: number): void {
    this.pool.unpin(key);
  }
  stats(): BufferPoolStats {
    return this.pool.stats();
  }
}
