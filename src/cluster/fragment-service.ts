// A follower's side of cluster parallel query: answers the leader's requests to run morsels of a
// parallel fragment (exec/parallel/remote-types.ts) over this node's own replica of the store, and
// replies with the partial aggregate rows (v8 serialization: typed arrays travel as bytes).
//
// Why reading this node's copy gives the statement's snapshot, although the copy may be newer than
// the snapshot (it is at or past the position the leader sent, taken after the snapshot):
// - rows of a row group are only ever appended, in the same order on every node (an UPDATE appends
//   a new version and marks the old one deleted), so a newer chunk begins with the snapshot's rows;
//   the snapshot's row counts, sent with the request, cut off anything appended later
//   (storage/kv-chunk-source.ts);
// - deletions are not read here at all: the request carries the snapshot's deletion bitmaps;
// - a copy that lacks some of the snapshot's rows (a commit the leader published before its write
//   reached the log) is seen by its length, and the request is answered 'behind';
// - a compaction moves the live rows into new group numbers and keeps the retired generation's
//   chunk and delta keys until no statement or snapshot older than the switch is left on the leader
//   (storage/compaction.ts; verified in engine/database.ts: dropRetiredLater first awaits
//   readers.statementsEnded() — every statement running at the switch — then polls until no
//   session's snapshot is older than the switch, and only then calls storage.dropRetired, whose
//   key deletes are a replicated write like any other). The leader's statement is running while it
//   waits for this answer, so those deletes are not in the log yet and no copy can lack the keys.
//   One exception, also the leader's: appends that reach the retired groups take them over at once
//   (revokeReachedRetired in table-store.ts) and old snapshots then fail with 40001; the
//   coordinator checks its snapshots are still readable once the remote answers are in
//   (remote-request.ts recheck), so a statement that may have read such a group fails as it would
//   locally;
// - TRUNCATE, DROP and table rewrites, which reuse or remove chunk keys, wait until no reading
//   statement runs (engine/active-readers.ts), so none is written while the coordinator waits.
// An answer that comes after the statement ended (a straggler beaten by its duplicate) is dropped.
import * as v8 from 'v8';
import { MissingChunkError, runRemoteFragment } from '../exec/parallel/remote-exec';
import { RemoteFragmentReply, RemoteFragmentRequest } from '../exec/parallel/remote-types';
import { readStoredColumn } from '../storage/kv-chunk-source';
import { KvStore } from '../storage/kv-store';
import { TableDef } from '../storage/api';
import { vectorBytes } from '../storage/chunk-codec';
import { Vector } from '../types/vector';
import { sliceVector } from '../types/vector-ops';
import { fetchChunks } from './chunk-transfer';
import { MessageType } from './message-types';
import { isElsewhere } from './placement';
import type { RequestHandlers, RequestTransport } from './replication';

/** What the service reads: the node's replica (Replica satisfies it). */
export interface FragmentStore {
  readonly kv: KvStore;
  position(): { seq: number };
}

export interface FragmentServiceOptions {
  /** How long a request waits for this node's copy to reach the leader's position (default 2000 ms). */
  waitMs?: number;
  /** Decoded chunks kept between requests while the copy does not change (default 256 MiB). */
  cacheBytes?: number;
  /** Test hook: runs before each request is served (a slow node: a delay). */
  beforeRun?: (request: RemoteFragmentRequest) => Promise<void> | void;
}

/** Counters of this node's service (tests, diagnostics). */
export interface FragmentServiceStats {
  served: number;
  behind: number;
  morsels: number;
  /** Chunks this node holds only as a marker (placed elsewhere), fetched from the leader. */
  fetched: number;
}

/** Rounds of fetching missing chunks before a request is answered 'behind'. */
const FETCH_ROUNDS = 3;

/**
 * Answers MessageType.fragmentRun on `handlers` (the node's Interconnect) from the store `current()`
 * gives (the follower's Replica; null while this node holds none: requests fail and the leader runs
 * the morsels itself).
 */
export function serveFragments(handlers: RequestHandlers & RequestTransport, current: () => FragmentStore | null, options: FragmentServiceOptions = {}): FragmentServiceStats {
  const stats: FragmentServiceStats = { served: 0, behind: 0, morsels: 0, fetched: 0 };
  const waitMs = options.waitMs ?? 2000;
  const chunks = new DecodedChunks(options.cacheBytes ?? 256 * 1024 * 1024);
  handlers.handle(MessageType.fragmentRun, async (from, payload) => {
    const request = v8.deserialize(payload) as RemoteFragmentRequest;
    const store = current();
    if (store === null) throw Object.assign(new Error('this node holds no copy of the store'), { retryable: true });
    const behind = (): Uint8Array => {
      stats.behind++;
      return v8.serialize({ kind: 'behind', position: store.position().seq } satisfies RemoteFragmentReply);
    };
    if (!(await reached(store, request.position, waitMs))) return behind();
    await options.beforeRun?.(request);
    const cache = chunks.at(store.position().seq);
    let out;
    // Cache fusion: a chunk this node keeps only as a marker (the placement puts its bytes on other
    // nodes) is fetched from the leader, which holds every chunk, and the run is retried; a chunk
    // the leader lacks too (the copy is behind) leaves the work to the leader.
    for (let round = 0; ; round++) {
      const missing: string[] = [];
      try {
        out = runRemoteFragment(request, (t, k, g) => {
          const v = cache.read(store.kv, t.def, t.columns[k], g, t.keys[k][g], t.rowCounts[g]);
          if (v === null && cache.elsewhere(store.kv, t.keys[k][g])) missing.push(t.keys[k][g]);
          return v;
        });
        break;
      } catch (err) {
        if (!(err instanceof MissingChunkError)) throw err;
        if (missing.length === 0 || round === FETCH_ROUNDS) return behind();
      }
      const wanted = [...new Set(missing)];
      const got = await fetchChunks(handlers, from, wanted);
      if (got.some(([, v]) => v === null)) return behind();
      cache.fetched(got as [string, Buffer][]);
      stats.fetched += got.length;
    }
    stats.served++;
    stats.morsels += out.morsels;
    return v8.serialize({ kind: 'done', ...out } satisfies RemoteFragmentReply);
  });
  return stats;
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

  /** Whether the store keeps `key` only as a marker and nothing was fetched for it yet. */
  elsewhere(kv: KvStore, key: string): boolean {
    const v = kv.get(key);
    return v !== undefined && isElsewhere(v) && !this.borrowed.has(key);
  }

  fetched(entries: [string, Buffer][]): void {
    for (const [k, v] of entries) {
      this.borrowed.set(k, v);
      this.bytes += v.length;
    }
  }

  read(kv: KvStore, def: TableDef, column: number, group: number, key: string, rowCount: number): Vector | null {
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
    this.bytes = 0;
  }
}

/** `kv` with one key's value replaced (a chunk fetched from another node; its delta rows stay local). */
function withEntry(kv: KvStore, key: string, value: Buffer): KvStore {
  return {
    get: (k) => (k === key ? value : kv.get(k)),
    write: (e) => kv.write(e),
    keysWithPrefix: (p) => kv.keysWithPrefix(p),
    entries: () => kv.entries(),
    close: () => kv.close(),
  };
}

/** Waits (polling, bounded) until the store's applied position reaches `position`. */
async function reached(store: FragmentStore, position: number, waitMs: number): Promise<boolean> {
  const deadline = performance.now() + waitMs;
  while (store.position().seq < position) {
    if (performance.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 2));
  }
  return true;
}
