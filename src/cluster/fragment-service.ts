// A follower's side of cluster parallel query: answers the leader's requests to run morsels of a
// parallel fragment (exec/parallel/remote-types.ts) over this node's own replica of the store, and
// replies with the partial aggregate rows (v8 serialization: typed arrays travel as bytes); and
// takes part in its shuffled joins (shuffle-service.ts), over the same copy.
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
// A follower's standby coordinates too (its clients' reads, fragment-provider.ts
// followerFragmentProvider): the leader knows nothing of its statement and holds nothing back, so
// the request asks this node to check that every table it reads is still at the snapshot's
// generation in this copy (checkGenerations): TRUNCATE, rewrites and compactions start a new one,
// and only they reuse or remove the keys a snapshot names (a key merely absent is seen: 'behind').
// The check is made as the work starts, synchronously with its reads, against this node's standby
// engine, which is refreshed with each batch as the copy's view moves (replica.ts reads).
// An answer that comes after the statement ended (a straggler beaten by its duplicate) is dropped.
import * as v8 from 'v8';
import { RemoteChunkReader, runRemoteFragment } from '../exec/parallel/remote-exec';
import { compactStrings } from '../exec/parallel/shuffle-partition';
import { RemoteFragmentReply, RemoteFragmentRequest } from '../exec/parallel/remote-types';
import type { ShuffleJob } from '../exec/parallel/shuffle-types';
import { KvReader } from '../storage/kv-store';
import { CopyReadOptions, FusedReader, generationMoved, reachedPosition } from './fused-read';
import { MessageType } from './message-types';
import { serveShuffle } from './shuffle-service';
import type { RequestHandlers, RequestTransport } from './replication';

/** What the service reads: the node's replica (Replica satisfies it), as of its position. */
export interface FragmentStore {
  readonly reads: KvReader;
  position(): { seq: number };
}

export interface FragmentServiceOptions extends CopyReadOptions {
  /** How long a request waits for this node's copy to reach the leader's position (default 2000 ms). */
  waitMs?: number;
  /** Decoded chunks kept between requests while the copy does not change (default 256 MiB). */
  cacheBytes?: number;
  /** Test hook: runs before each request is served (a slow node: a delay). */
  beforeRun?: (request: RemoteFragmentRequest) => Promise<void> | void;
  /** Test hook: runs before this node starts its part of a shuffled join (shuffle-service.ts). */
  beforeShuffle?: (job: ShuffleJob) => Promise<void> | void;
}

/** Counters of this node's service (tests, diagnostics). */
export interface FragmentServiceStats {
  served: number;
  behind: number;
  morsels: number;
  /** Chunks this node holds only as a marker (placed elsewhere), fetched from the leader. */
  fetched: number;
  /** Requests left to the coordinator because a table's generation here was not the snapshot's (checkGenerations). */
  otherGeneration: number;
}

/**
 * Answers MessageType.fragmentRun on `handlers` (the node's Interconnect) from the store `current()`
 * gives (the follower's Replica; null while this node holds none: requests fail and the leader runs
 * the morsels itself).
 */
export function serveFragments(handlers: RequestHandlers & RequestTransport, current: () => FragmentStore | null, options: FragmentServiceOptions = {}): FragmentServiceStats {
  const stats: FragmentServiceStats = { served: 0, behind: 0, morsels: 0, fetched: 0, otherGeneration: 0 };
  const waitMs = options.waitMs ?? 2000;
  const chunks = new FusedReader(options.cacheBytes ?? 256 * 1024 * 1024);
  handlers.handle(MessageType.fragmentRun, async (from, payload) => {
    const request = v8.deserialize(payload) as RemoteFragmentRequest;
    const store = await storeAt(current, request.position, waitMs);
    const behind = (): Uint8Array => {
      stats.behind++;
      return v8.serialize({ kind: 'behind', position: store.position().seq } satisfies RemoteFragmentReply);
    };
    if (store.position().seq < request.position) return behind();
    await options.beforeRun?.(request);
    // Cache fusion (fused-read.ts): chunks kept here only as markers are fetched from the leader.
    // A follower coordinating (checkGenerations): its snapshot is checked against this copy each
    // time the work runs (synchronously, so no batch comes between the check and the reads), and
    // fetched bytes are used once this copy reached their position, so the check covers them.
    const check = request.checkGenerations === true;
    let moved = false;
    const work = (read: RemoteChunkReader) => {
      moved = check && generationMoved(request.tables, options);
      return moved ? null : runRemoteFragment(request, read);
    };
    const out = await chunks.run(handlers, store, options.chunkHolder?.() ?? from, work, (n) => (stats.fetched += n), check ? waitMs : undefined);
    if (moved) stats.otherGeneration++;
    if (out === null) return behind();
    stats.served++;
    stats.morsels += out.morsels;
    // String columns without the rest of their chunk's dictionary (a group's c_comment, not all of customer's).
    return v8.serialize({ kind: 'done', ...out, batches: out.batches.map(compactStrings) } satisfies RemoteFragmentReply);
  });
  // The other kind of distributed-query work, over the same copy: parts of shuffled joins.
  // Its decoded chunks are the same as the fragments': one cache (and one byte budget) for both.
  serveShuffle(handlers, current, { waitMs, reader: chunks, beforeRun: options.beforeShuffle, chunkHolder: options.chunkHolder, generationOf: options.generationOf });
  return stats;
}

/**
 * The store a request from the coordinator at `position` reads: current()'s, once it reached the
 * position (polling, bounded by `waitMs`: the caller checks whether it did). Throws a retryable
 * error while this node holds no copy (the coordinator then runs the work itself).
 */
export async function storeAt(current: () => FragmentStore | null, position: number, waitMs: number): Promise<FragmentStore> {
  const store = current();
  if (store === null) throw Object.assign(new Error('this node holds no copy of the store'), { retryable: true });
  await reachedPosition(store, position, waitMs);
  return store;
}
