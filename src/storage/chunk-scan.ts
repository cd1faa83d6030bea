// One scan's reader of row groups through the buffer pool (TableSnapshot.openScan):
//   pinning: the chunks of the group being read stay pinned until the scan moves to the next
//            group or ends, so the pool never picks them as victims while the executor slices them;
//   counting: hits and reads (misses) of this scan, for EXPLAIN ANALYZE's Buffers line;
//   prefetch: after each group, the scan node's access pattern predicts the next groups; chunks of
//            those not resident are paged in by LMDB in its own thread (lmdb-js prefetch) and
//            decoded into the pool on the next turn of the event loop, i.e. while the cooperative
//            executor is paused between time slices — never inside the scan's own loop.
import { AccessPattern } from './access-pattern';
import { ChunkCache, ChunkScan, ScanBufferCounts, TableDef } from './api';
import { vectorBytes } from './chunk-codec';
import { Vector } from '../types/vector';
import { sliceVector } from '../types/vector-ops';

/** What a chunk scan needs from the table store. */
export interface ChunkSource {
  readonly pool: ChunkCache;
  poolKey(tableId: number, column: number, group: number): number;
  /** Reads and decodes a committed chunk, not caching it; undefined when it is gone. */
  fetchChunk(def: TableDef, column: number, group: number): Vector | undefined;
  /** Starts paging the chunks into memory in the background; null when there is nothing to wait for. */
  pageIn(def: TableDef, columns: readonly number[], group: number): Promise<void> | null;
}

export class PoolChunkScan implements ChunkScan {
  readonly counts: ScanBufferCounts = { hits: 0, reads: 0, prefetchHits: 0 };
  private pinned: number[] = [];
  /** Pool keys read ahead for this scan and not used yet. */
  private readonly ahead = new Set<number>();
  /** Groups already asked for ahead (never asked twice in one run). */
  private readonly askedGroups = new Set<number>();
  private closed = false;

  constructor(
    private readonly source: ChunkSource,
    private readonly def: TableDef,
    private readonly groupCount: number,
    private readonly rowCount: (group: number) => number,
    private readonly pending: ((group: number) => Vector[] | undefined) | null,
    private readonly columns: readonly number[],
    private readonly pattern: AccessPattern | null,
  ) {
    pattern?.restart();
  }

  load(group: number): Vector[] {
    const pool = this.source.pool;
    const own = this.pending?.(group);
    const rows = this.rowCount(group);
    const out: Vector[] = new Array(this.columns.length);
    const before = this.pinned;
    this.pinned = [];
    let usedAhead = false;
    let lostAhead = false;
    for (let k = 0; k < this.columns.length; k++) {
      const c = this.columns[k];
      if (own !== undefined) {
        out[k] = own[c];
        continue;
      }
      const key = this.source.poolKey(this.def.id, c, group);
      pool.pin(key);
      this.pinned.push(key);
      const wasAhead = this.ahead.size > 0 && this.ahead.delete(key);
      let v = pool.get(key);
      if (v === undefined) {
        v = this.source.fetchChunk(this.def, c, group);
        if (v === undefined) throw new Error(`missing chunk of table ${this.def.id} column ${c} group ${group}`);
        pool.put(key, v, vectorBytes(v));
        this.counts.reads++;
        if (wasAhead) lostAhead = true;
      } else {
        this.counts.hits++;
        if (wasAhead) {
          this.counts.prefetchHits++;
          usedAhead = true;
        }
      }
      out[k] = v.length === rows ? v : sliceVector(v, 0, rows);
    }
    for (const key of before) pool.unpin(key);
    const pattern = this.pattern;
    if (pattern !== null) {
      pattern.record(group);
      if (lostAhead) pattern.shrink();
      else if (usedAhead) pattern.grow();
      this.readAhead(pattern);
    }
    return out;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const pool = this.source.pool;
    for (const key of this.pinned) pool.unpin(key);
    this.pinned = [];
    if (this.ahead.size > 0) {
      for (const key of this.ahead) pool.abandonPrefetched(key);
      this.ahead.clear();
      this.pattern?.shrink();
    }
  }

  /** Asks for the predicted groups' chunks that are not resident (off the scan's path). */
  private readAhead(pattern: AccessPattern): void {
    const pool = this.source.pool;
    for (const g of pattern.predict()) {
      if (g >= this.groupCount || this.askedGroups.has(g) || this.pending?.(g) !== undefined) continue;
      this.askedGroups.add(g);
      const missing = this.columns.filter((c) => !pool.has(this.source.poolKey(this.def.id, c, g)));
      if (missing.length === 0) continue;
      const decode = () => {
        if (this.closed) return;
        for (const c of missing) {
          const key = this.source.poolKey(this.def.id, c, g);
          if (pool.has(key)) continue;
          const v = this.source.fetchChunk(this.def, c, g);
          if (v === undefined) return;
          pool.putPrefetched(key, v, vectorBytes(v));
          if (pool.has(key)) this.ahead.add(key);
        }
      };
      const paged = this.source.pageIn(this.def, missing, g);
      if (paged === null) setImmediate(decode);
      else paged.then(() => setImmediate(decode), () => undefined);
    }
  }
}
