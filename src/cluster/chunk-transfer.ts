// Shipping chunk bytes between nodes: a node asks a chunk's holder for it instead of reading a copy it
// does not have (placement.ts). A new leader uses it to gather, from the surviving holders, every chunk
// its follower copy kept only as a marker, before it opens the engine (remastering); other readers of
// chunks they do not hold (query fragments on followers) use the same request.
import { KvStore } from '../storage/kv-store';
import { KvEntries, POSITION_KEY, decodeBatch, decodePosition, encodeBatch } from './kv-batch';
import { MessageType } from './message-types';
import { Placement, isElsewhere } from './placement';
import { RequestHandlers, RequestTransport } from './replication';

/** Keys per request: a few MiB of chunks at most. */
const KEYS_PER_REQUEST = 32;
/** Requests in flight per holder. */
const IN_FLIGHT = 4;

/**
 * Answers chunk requests from this node's store: the bytes, or null for a key it does not hold,
 * stamped with the store's position (the batch header's term and seq): the bytes are as of that
 * batch, which the asker may need to have applied before it uses them (see standby-kv.ts).
 */
export function serveChunks(handlers: RequestHandlers, store: () => KvStore | null): void {
  handlers.handle(MessageType.chunkFetch, (_from, payload) => {
    const kv = store();
    if (kv === null) throw new Error('this node has no store open right now');
    const keys = payload.toString('utf8').split('\n');
    // The position read after the bytes and compared with the one before: no write came between.
    for (;;) {
      const before = decodePosition(kv.get(POSITION_KEY));
      const out: KvEntries = keys.map((k) => {
        const v = kv.get(k);
        return [k, v === undefined || isElsewhere(v) ? null : v];
      });
      const after = decodePosition(kv.get(POSITION_KEY));
      if (after.seq === before.seq && after.term === before.term) return encodeBatch(after.term, after.seq, out);
    }
  });
}

/** Fetches `keys` from `holder`; a key it does not hold comes back null. */
export async function fetchChunks(transport: RequestTransport, holder: number, keys: string[], timeoutMs = 30_000): Promise<KvEntries> {
  return (await fetchChunksAt(transport, holder, keys, timeoutMs)).entries;
}

/** fetchChunks, with the batch (seq) of the holder's store the bytes are as of. */
export async function fetchChunksAt(transport: RequestTransport, holder: number, keys: string[], timeoutMs = 30_000): Promise<{ entries: KvEntries; seq: number }> {
  const batch = decodeBatch(await transport.request(holder, MessageType.chunkFetch, Buffer.from(keys.join('\n')), timeoutMs));
  return { entries: batch.entries, seq: batch.seq };
}

export interface GatherResult {
  chunks: number;
  bytes: number;
  ms: number;
}

/**
 * Replaces every marker in `kv` (`markers`: the chunk keys whose value there is one, as its Replica
 * keeps them: Replica.markerKeys) by the chunk's bytes from a live holder (`live`: the agreed members,
 * this node excluded). Throws when some chunk has no live holder that has it: this node must not lead
 * then, or it would serve a table with a hole in it.
 */
export async function gatherElsewhere(kv: KvStore, placement: Placement, markers: Iterable<string>, transport: RequestTransport, live: readonly number[]): Promise<GatherResult> {
  const started = Date.now();
  const byHolder = new Map<number, string[]>();
  /** Every live holder of each marker's chunk, master first: the next is asked when one lacks it. */
  const holdersOf = new Map<string, number[]>();
  const unplaced: string[] = [];
  for (const k of markers) {
    const holders = placement.holders(k)!;
    const liveHolders = holders.filter((n) => live.includes(n));
    if (liveHolders.length === 0) unplaced.push(k);
    else {
      holdersOf.set(k, liveHolders);
      let list = byHolder.get(liveHolders[0]);
      if (list === undefined) byHolder.set(liveHolders[0], (list = []));
      list.push(k);
    }
  }
  if (unplaced.length > 0) throw new Error(`${unplaced.length} chunk(s) have no live holder (e.g. ${unplaced[0]}): more nodes are down than replication_factor allows`);
  let chunks = 0;
  let bytes = 0;
  await Promise.all(
    [...byHolder].map(async ([holder, keys]) => {
      let next = 0;
      const lane = async () => {
        while (next < keys.length) {
          const part = keys.slice(next, next + KEYS_PER_REQUEST);
          next += KEYS_PER_REQUEST;
          const got: KvEntries = [];
          for (const [k, v] of await fetchChunks(transport, holder, part)) {
            // A holder that lacks a chunk (it is behind, or a copy of the store is being sent to it): the
            // chunk's other live holders may have it.
            let value = v;
            for (const other of value === null ? holdersOf.get(k)!.slice(1) : []) {
              value = (await fetchChunks(transport, other, [k]))[0][1];
              if (value !== null) break;
            }
            if (value === null) throw new Error(`no live holder of chunk ${k} has it (asked ${holdersOf.get(k)!.join(', ')})`);
            got.push([k, value]);
          }
          await kv.write(got);
          chunks += got.length;
          for (const [, v] of got) bytes += v!.length;
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
    }),
  );
  return { chunks, bytes, ms: Date.now() - started };
}
