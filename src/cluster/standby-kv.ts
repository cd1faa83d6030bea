// The store a follower's standby engine (standby.ts) reads: the follower's copy of the leader's store,
// seen read-only, with the chunks the copy keeps only as markers (placement.ts: their bytes are on
// other nodes) brought in from the leader, which holds every chunk.
//
// - Writes never reach the copy (only the leader writes it, through replication): the engine's own
//   derived writes are refused (sorted indexes built on use are written behind and not needed), and
//   the learned optimizer's model keys ('x/') are kept in memory — it may learn from the standby's
//   queries, but its model in the copy is the leader's, replaced by each replicated write of it.
// - A chunk kept as a marker is fetched before a statement reads it (prefetch, asked by the engine's
//   storage.prepareRead for the columns a statement reads) into a cache. A read finds it there or
//   fails the statement (40001, retryable); it never reads a marker as data.
// - The cache is brought back to its size when a statement's prefetch starts, never while one
//   fetches: a statement needing more than the cache holds gets all of it (memory grows for it), where
//   evicting its own first chunks would fail it on every retry. Statements running side by side may
//   still evict each other's chunks (40001, which a retry cures).
// - A statement may be given a limit of bytes to fetch (standby_fetch_limit, engine/session.ts): when
//   the chunks it would fetch weigh more, the prefetch fetches nothing and fails with FETCH_LIMIT_CODE,
//   and the statement router runs the statement on the leader instead (cluster/routed-session.ts). The
//   weight is exact: each marker names its chunk's byte length (storage/chunk-marker.ts); markers of
//   older stores do not, and count as nothing.
// - Fetched bytes are as of the leader's position when it answered (chunk-transfer.ts). The copy may
//   be behind it; the bytes are used only once the copy has applied that position (a TRUNCATE or
//   rewrite there may have reused the key for other rows), and a later replicated write of the key
//   drops them (the engine reads the new ones).
import { isChunkMarker, markerChunkLength } from '../storage/chunk-marker';
import { KvReader, KvStore } from '../storage/kv-store';
import { SqlError, SqlState } from '../types/sql-error';
import { KvEntries } from './kv-batch';
import { inFlight, requestParts } from './fetch-parts';
import { chunkResourceOfKey } from './placement';

/** Fetches chunk bytes from a node that holds every chunk: the entries (null: it has none) and the seq they are as of. */
export type ChunkFetcher = (keys: string[]) => Promise<{ entries: KvEntries; seq: number }>;

export interface StandbyKvOptions {
  /** Bytes of fetched chunks kept between statements (default 512 MiB; one statement may need more, see above). */
  cacheBytes?: number;
  /** How long a fetch waits for the copy to reach the position its bytes are as of (default 5 s). */
  catchUpMs?: number;
}

/**
 * The SQLSTATE of a statement refused because it would fetch more than its limit (class 53,
 * insufficient resources; Tessera's own code, so that the router tells it from any other error).
 */
export const FETCH_LIMIT_CODE = SqlState.standbyFetchLimit;

function overFetchLimit(bytes: number, limit: number): SqlError {
  return new SqlError(FETCH_LIMIT_CODE, `statement would fetch ${bytes} bytes of chunks from the leader, more than standby_fetch_limit (${limit} bytes)`, {
    hint: 'Run it on the leader, or raise standby_fetch_limit (-1: no limit).',
  });
}

function notFetched(key: string, why: string): SqlError {
  return new SqlError(SqlState.serializationFailure, `could not read chunk ${key} on this standby: ${why}`, { hint: 'Retry the statement.' });
}

export class StandbyKv implements KvStore {
  /** Chunk keys whose value in the copy is a marker. */
  private readonly markers = new Set<string>();
  /** Fetched chunk bytes, least recently used first, with the seq they are as of. */
  private readonly fetched = new Map<string, { bytes: Buffer; seq: number }>();
  private fetchedBytes = 0;
  /** Keys the leader did not have when asked (removed there since): reading them is a conflict. */
  private readonly absent = new Set<string>();
  private readonly inFlight = new Map<string, Promise<void>>();
  /** The learned optimizer's writes, kept in memory. */
  private readonly aux = new Map<string, Buffer | null>();
  private appliedSeq: number;
  private seqWaits: { seq: number; resolve: () => void }[] = [];
  private readonly cacheBytes: number;
  private readonly catchUpMs: number;
  /** Counters (tests, diagnostics). */
  readonly stats = { fetched: 0, fetchedBytes: 0, evicted: 0, refused: 0 };
  private closed = false;

  constructor(
    private readonly base: KvReader,
    /** The chunk keys the copy holds only as markers now. */
    markers: Iterable<string>,
    appliedSeq: number,
    private readonly fetcher: ChunkFetcher,
    options: StandbyKvOptions = {},
  ) {
    for (const k of markers) this.markers.add(k);
    this.appliedSeq = appliedSeq;
    this.cacheBytes = options.cacheBytes ?? 512 * 1024 * 1024;
    this.catchUpMs = options.catchUpMs ?? 5000;
  }

  get(key: string): Buffer | undefined {
    if (this.aux.size > 0 && this.aux.has(key)) return this.aux.get(key) ?? undefined;
    const v = this.base.get(key);
    if (v === undefined || !isChunkMarker(v)) return v;
    // A chunk's marker this store was not told of is a marker all the same: never read as data.
    if (!this.markers.has(key)) {
      if (chunkResourceOfKey(key) === null) return v;
      this.markers.add(key);
    }
    const hit = this.fetched.get(key);
    if (hit !== undefined && hit.seq <= this.appliedSeq) {
      // Most recently used last.
      this.fetched.delete(key);
      this.fetched.set(key, hit);
      return hit.bytes;
    }
    if (this.absent.has(key)) throw new SqlError(SqlState.serializationFailure, 'canceling statement due to conflict with recovery', { detail: 'User query might have needed to see row versions that must be removed.' });
    throw notFetched(key, 'its bytes are on other nodes and were not fetched before the statement read it');
  }

  write(entries: [string, Buffer | null][]): Promise<void> {
    if (entries.every(([k]) => k.startsWith('x/'))) {
      for (const [k, v] of entries) this.aux.set(k, v);
      return Promise.resolve();
    }
    return Promise.reject(new SqlError(SqlState.readOnlySqlTransaction, 'cannot write to the store of a hot standby (only the leader writes it)'));
  }

  keysWithPrefix(prefix: string): string[] {
    return this.base.keysWithPrefix(prefix);
  }

  entries(): Iterable<[string, Buffer]> {
    return this.base.entries();
  }

  /**
   * Fetches the markers among `keys` that are not fetched yet (the other keys are in the copy). With
   * `limitBytes`, fails (FETCH_LIMIT_CODE) before fetching anything when those chunks weigh more.
   */
  async prefetch(keys: string[], limitBytes?: number): Promise<void> {
    this.evict();
    const wanted: string[] = [];
    const waits: Promise<void>[] = [];
    for (const k of keys) {
      if (!this.markers.has(k)) continue;
      const hit = this.fetched.get(k);
      if (hit !== undefined) {
        if (hit.seq > this.appliedSeq) waits.push(this.reach(hit.seq));
        continue;
      }
      const going = this.inFlight.get(k);
      if (going !== undefined) waits.push(going);
      else wanted.push(k);
    }
    if (limitBytes !== undefined && wanted.length > 0) {
      const bytes = this.markedBytes(wanted);
      if (bytes > limitBytes) {
        this.stats.refused++;
        throw overFetchLimit(bytes, limitBytes);
      }
    }
    if (wanted.length > 0) {
      const all = inFlight(requestParts(wanted, (k) => this.markedLength(k)), (part) => this.fetchPart(part));
      for (const k of wanted) this.inFlight.set(k, all);
      waits.push(all.finally(() => {
        for (const k of wanted) if (this.inFlight.get(k) === all) this.inFlight.delete(k);
      }));
    }
    await Promise.all(waits);
  }

  /** The byte length of the chunks these markers replace, as the markers name it (0 for one that does not). */
  private markedBytes(keys: string[]): number {
    let bytes = 0;
    for (const k of keys) bytes += this.markedLength(k) ?? 0;
    return bytes;
  }

  /** The byte length of the chunk the marker at `key` replaces (null: the marker does not say). */
  private markedLength(key: string): number | null {
    const marker = this.base.get(key);
    return marker === undefined ? null : markerChunkLength(marker);
  }

  private async fetchPart(keys: string[]): Promise<void> {
    let got: { entries: KvEntries; seq: number };
    try {
      got = await this.fetcher(keys);
    } catch (err) {
      // The leader is unreachable or gone: the statement fails, retryable (on the new leader, or here once it is back).
      throw notFetched(keys[0], `fetching it from the leader failed (${(err as Error).message})`);
    }
    const { entries, seq } = got;
    for (const [k, v] of entries) {
      if (v === null) {
        this.absent.add(k);
        continue;
      }
      const old = this.fetched.get(k);
      if (old !== undefined) this.fetchedBytes -= old.bytes.length;
      this.fetched.delete(k);
      this.fetched.set(k, { bytes: v, seq });
      this.fetchedBytes += v.length;
      this.stats.fetched++;
      this.stats.fetchedBytes += v.length;
    }
    await this.reach(seq);
  }

  private evict(): void {
    for (const [k, f] of this.fetched) {
      if (this.fetchedBytes <= this.cacheBytes) break;
      this.fetched.delete(k);
      this.fetchedBytes -= f.bytes.length;
      this.stats.evicted++;
    }
  }

  /** Resolves once the copy has applied `seq`; fails (retryable) when it does not within catchUpMs. */
  private reach(seq: number): Promise<void> {
    if (seq <= this.appliedSeq) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.seqWaits = this.seqWaits.filter((w) => w !== wait);
        reject(notFetched('', `this node has not applied batch ${seq} of the leader in ${this.catchUpMs} ms`));
      }, this.catchUpMs);
      const wait = {
        seq,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.seqWaits.push(wait);
    });
  }

  /** Replicated batches up to `seq` were applied (before the engine's state is refreshed). */
  applied(seq: number, entries: KvEntries): void {
    for (const [k, v] of entries) {
      // The key changed after the fetched bytes' position: the engine reads the new value (or fetches again).
      const f = this.fetched.get(k);
      if (f !== undefined && f.seq < seq) {
        this.fetched.delete(k);
        this.fetchedBytes -= f.bytes.length;
      }
      this.absent.delete(k);
      if (v !== null && isChunkMarker(v) && chunkResourceOfKey(k) !== null) this.markers.add(k);
      else this.markers.delete(k);
    }
    if (seq > this.appliedSeq) this.appliedSeq = seq;
    if (this.seqWaits.length > 0) {
      const ready = this.seqWaits.filter((w) => w.seq <= this.appliedSeq);
      this.seqWaits = this.seqWaits.filter((w) => w.seq > this.appliedSeq);
      for (const w of ready) w.resolve();
    }
  }

  /**
   * These chunk keys are about to hold markers in the copy (same rows, bytes on their holders): told
   * before the trim is written. A statement running now prepared its reads before they were markers,
   * so while statements run, their bytes are kept as if fetched (valid as of this position; a later write of the key drops
   * them like fetched bytes): without them it would fail with 40001 for a trim, not for a conflict.
   * Kept up to the cache's size only (a trim after a bulk load names gigabytes the cache would evict
   * at once), last keys first; the store's get gives bytes of their own (LMDB's getBinary copies;
   * the trim replaces the value, it does not change these bytes).
   */
  trimmed(keys: string[], statementsRunning: boolean): void {
    for (const k of keys) this.markers.add(k);
    if (!statementsRunning) return;
    let kept = 0;
    for (let i = keys.length - 1; i >= 0 && kept < this.cacheBytes; i--) {
      const k = keys[i];
      if (this.fetched.has(k)) continue;
      const bytes = this.base.get(k);
      if (bytes === undefined || isChunkMarker(bytes)) continue;
      this.fetched.set(k, { bytes, seq: this.appliedSeq });
      this.fetchedBytes += bytes.length;
      kept += bytes.length;
    }
    // Not evicted here: statements are running (the next prefetch cuts the cache back).
  }

  /** The last replicated batch the engine was told of (applied). */
  get seq(): number {
    return this.appliedSeq;
  }

  /** How many chunk keys the copy keeps only as markers (tests). */
  markerCount(): number {
    return this.markers.size;
  }

  /** The copy belongs to the follower's replica: closing the engine leaves it open. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.fetched.clear();
    this.fetchedBytes = 0;
    this.aux.clear();
  }
}
