// Reading a node's own copy of the store for work another node hands it (fragments, shuffled
// joins), with cache fusion: a chunk this node keeps only as a marker (the placement puts its
// bytes on other nodes) is fetched from the requester — the leader, which holds every chunk — and
// the work is retried; a chunk the leader lacks too (the copy is behind) leaves the work to it.
// The work stops at the first chunk it lacks, so a miss fetches every marker of that chunk's table
// the work was given (a table read whole — a build side — lacks about a third of its chunks here):
// fetching only the chunk that stopped it took one round per chunk, and the work was given up long
// before a build side's markers were all in.
import { isChunkMarker, markerChunkLength } from '../storage/chunk-marker';
import { MissingChunkError, RemoteChunkReader } from '../exec/parallel/remote-exec';
import type { RemoteTable } from '../exec/parallel/remote-types';
import { readStoredColumn } from '../storage/kv-chunk-source';
import { KvReader } from '../storage/kv-store';
import { TableDef } from '../storage/api';
import { vectorBytes } from '../storage/chunk-codec';
import { Vector } from '../types/vector';
import { sliceVector } from '../types/vector-ops';
import { fetchChunksAt } from './chunk-transfer';
import { inFlight, requestParts } from './fetch-parts';
import type { RequestTransport } from './replication';

/** How a node reads its copy for work another node coordinates (fragments, shuffled joins). */
export interface CopyReadOptions {
  /** The node that holds every chunk (the leader this node follows), asked for those this copy keeps as markers. Default: the requester. */
  chunkHolder?: () => number | null;
  /**
   * The generation of a table's chunk keys in this copy as of its position (undefined: unknown, or
   * no such table): work from a coordinator that asks (checkGenerations: a follower's standby) is
   * done only while every table it reads is at the snapshot's generation here.
   */
  generationOf?: (tableId: number) => number | undefined;
}

/** Whether some table of `tables` is at another generation in this copy than in the coordinator's snapshot (see CopyReadOptions). */
export function generationMoved(tables: readonly RemoteTable[], options: CopyReadOptions): boolean {
  return tables.some((t) => options.generationOf?.(t.tableId) !== t.generation);
}

/** Rounds of fetching missing chunks before the work is given up ('behind'): each round fetches a whole table's markers. */
const FETCH_ROUNDS = 8;

/** Decoded chunks cached across requests (DecodedChunks), and the fetch-and-retry loop around a run. */
export class FusedReader {
  private readonly chunks: DecodedChunks;

  constructor(cacheBytes: number) {
    this.chunks = new DecodedChunks(cacheBytes);
  }

  /**
   * Runs `work` over `store`'s chunks (sync: it is rerun whole after a fetch, so it must not have
   * done anything outside itself before it throws); null when some chunk is in neither this copy
   * nor the leader's. `fetched`: how many chunks came from `leader`. With `reachMs`, the work runs
   * only once this copy has applied the leader's position every fetched chunk it may read is as of
   * (waiting up to that long, else null): checks the work makes of this copy's state cover them too.
   */
  async run<T>(
    transport: RequestTransport,
    store: { readonly reads: KvReader; position(): { seq: number } },
    leader: number,
    work: (read: RemoteChunkReader) => T,
    fetched?: (n: number) => void,
    reachMs?: number,
  ): Promise<T | null> {
    const cache = this.chunks.at(store.position().seq);
    for (let round = 0; ; round++) {
      // Bytes an earlier request fetched at this position may be as of a later one of the leader.
      if (reachMs !== undefined && !(await reachedPosition(store, cache.fetchedSeq, reachMs))) return null;
      const missedTables = new Set<RemoteTable>();
      try {
        return work((t, k, g) => {
          const v = cache.read(store.reads, t.def, t.columns[k], g, t.keys[k][g], t.rowCounts[g]);
          if (v === null && cache.elsewhere(store.reads, t.keys[k][g])) missedTables.add(t);
          return v;
        });
      } catch (err) {
        if (!(err instanceof MissingChunkError)) throw err;
        if (missedTables.size === 0 || round === FETCH_ROUNDS) return null;
      }
      const missing = new Set<string>();
      for (const t of missedTables) for (const keys of t.keys) for (const key of keys) if (key !== '' && cache.elsewhere(store.reads, key)) missing.add(key);
      // In parts (fetch-parts.ts): a whole build side asked at once could exceed the interconnect's frame limit.
      let complete = true;
      await inFlight(
        requestParts([...missing], (k) => {
          const marker = store.reads.get(k);
          return marker === undefined ? null : markerChunkLength(marker);
        }),
        async (keys) => {
          if (!complete) return;
          const { entries: got, seq } = await fetchChunksAt(transport, leader, keys);
          if (got.some(([, v]) => v === null)) complete = false;
          else {
            cache.fetched(got as [string, Buffer][], seq);
            fetched?.(got.length);
          }
        },
      );
      if (!complete) return null;
    }
  }
}

/** Whether `store` reaches `seq` within `ms` (polled: replicated batches arrive every few ms under load). */
export async function reachedPosition(store: { position(): { seq: number } }, seq: number, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (store.position().seq < seq) {
    if (performance.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 2));
  }
  return true;
}

/**
 * Decoded chunks by store key, kept while the copy stays at one position: the ranges of one
 * statement (and of read-only ones after it) read the same row groups, each decoded once instead
 * of once per request. Any replicated write empties it (simple and plainly safe: a key's chunk may
 * be rewritten); past its byte budget it is emptied too.
 */
class DecodedChunks {
  private readonly byKey = new Map<string, Vector>();
  private position = -1;
  private bytes = 0;

  constructor(private readonly budget: number) {}

  at(position: number): this {
    if (position !== this.position) this.clear();
    this.position = position;
    return this;
  }

  /** Chunk bytes fetched from other nodes (kept, like the decoded chunks, while the position holds). */
  private readonly borrowed = new Map<string, Buffer>();
  /** The leader's position the latest of them are as of (0: none kept). */
  fetchedSeq = 0;

  /** Whether the store keeps `key` only as a marker and nothing was fetched for it yet. */
  elsewhere(kv: KvReader, key: string): boolean {
    const v = kv.get(key);
    return v !== undefined && isChunkMarker(v) && !this.borrowed.has(key);
  }

  fetched(entries: [string, Buffer][], seq: number): void {
    if (seq > this.fetchedSeq) this.fetchedSeq = seq;
    for (const [k, v] of entries) {
      this.borrowed.set(k, v);
      this.bytes += v.length;
    }
  }

  read(kv: KvReader, def: TableDef, column: number, group: number, key: string, rowCount: number): Vector | null {
    const hit = this.byKey.get(key);
    if (hit !== undefined && hit.length >= rowCount) return hit.length === rowCount ? hit : sliceVector(hit, 0, rowCount);
    const lent = this.borrowed.get(key);
    const v = readStoredColumn(lent === undefined ? kv : withEntry(kv, key, lent), def, column, group, key, rowCount);
    if (v === null || key === '') return v;
    const size = vectorBytes(v);
    if (this.bytes + size > this.budget) this.clear();
    this.byKey.set(key, v);
    this.bytes += size;
    return v;
  }

  private clear(): void {
    this.byKey.clear();
    this.borrowed.clear();
    this.fetchedSeq = 0;
    this.bytes = 0;
  }
}

/** `kv` with one key's value replaced (a chunk fetched from another node; its delta rows stay local). */
function withEntry(kv: KvReader, key: string, value: Buffer): KvReader {
  return {
    get: (k) => (k === key ? value : kv.get(k)),
    keysWithPrefix: (p) => kv.keysWithPrefix(p),
    entries: () => kv.entries(),
  };
}

