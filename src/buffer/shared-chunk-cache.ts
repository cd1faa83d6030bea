// The chunk cache as storage sees it, keeping decoded chunks in shared memory (SharedArrayBuffer)
// so parallel query workers read the very same chunks without a copy. The copy into shared memory
// happens once per buffer-pool miss, after decoding.
import { BufferPoolStats, ChunkCache } from '../storage/api';
import { shareVector } from '../types/shared-vector';
import { Vector } from '../types/vector';
import { BufferPool } from './buffer-pool';

export class SharedChunkCache implements ChunkCache {
  constructor(private readonly pool: BufferPool<Vector>) {}
  get(key: number): Vector | undefined {
    return this.pool.get(key);
  }
  put(key: number, value: Vector, bytes: number): void {
    this.pool.put(key, shareVector(value), bytes);
  }
  invalidate(key: number): void {
    this.pool.invalidate(key);
  }
  stats(): BufferPoolStats {
    return this.pool.stats();
  }
}
