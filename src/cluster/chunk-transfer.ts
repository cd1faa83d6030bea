// Shipping chunk bytes between nodes: a node asks a chunk's holder for it instead of reading a copy it
// does not have (placement.ts). A new leader uses it to gather, from the surviving holders, every chunk
// its follower copy kept only as a marker, before it opens the engine (remastering); other readers of
// chunks they do not hold (query fragments on followers) use the same request.
//
// A request names each key, and may name the hash of the bytes the asker wants (its marker's,
// storage/chunk-marker.ts): `key` or `key<TAB>hash`, one per line. A holder answers bytes with another
// hash as missing (null), and so does a holder being sent a whole copy for a key asked without a hash:
// its store then holds bytes of two histories side by side (replica.ts), which only a hash tells apart.
import { isChunkMarker, loadChunkHasher, markerChunkLength, markerHash } from '../storage/chunk-marker';
import { KvStore } from '../storage/kv-store';
import { KvEntries, POSITION_KEY, decodeBatch, decodePosition, encodeBatch } from './kv-batch';
import { inFlight, requestParts } from './fetch-parts';
import { MessageType } from './message-types';
import { Placement } from './placement';
import { RequestHandlers, RequestTransport } from './replication';

/**
 * Answers chunk requests from this node's store: the bytes, or null for a key it does not hold (or not
 * in the version asked for), stamped with the store's position (the batch header's term and seq): the
 * bytes are as of that batch, which the asker may need to have applied before it uses them (see
 * standby-kv.ts). `copying`: the store is being replaced by a whole copy (Replica.receivingCopy).
 */
export function serveChunks(handlers: RequestHandlers, store: () => KvStore | null, copying: () => boolean = () => false): void {
  handlers.handle(MessageType.chunkFetch, async (_from, payload) => {
    const kv = store();
    if (kv === null) throw new Error('this node has no store open right now');
    const asked = parseRequest(payload);
    const hasher = asked.some(([, hash]) => hash !== null) ? await loadChunkHasher() : null;
    // The position read after the bytes and compared with the one before: no write came between.
    for (;;) {
      const unsure = copying();
      const before = decodePosition(kv.get(POSITION_KEY));
      const out: KvEntries = asked.map(([k, hash]) => {
        const v = kv.get(k);
        if (v === undefined || isChunkMarker(v)) return [k, null];
        if (hash === null ? unsure : !hasher!.matches(v, hash)) return [k, null];
        return [k, v];
      });
      const after = decodePosition(kv.get(POSITION_KEY));
      if (after.seq === before.seq && after.term === before.term) return encodeBatch(after.term, after.seq, out);
    }
  });
}

function parseRequest(payload: Buffer): [string, string | null][] {
  return payload
    .toString('utf8')
    .split('\n')
    .map((line) => {
      const tab = line.indexOf('\t');
      return tab < 0 ? [line, null] : [line.slice(0, tab), line.slice(tab + 1)];
    });
}

/**
 * Fetches `keys` from `holder`; a key it does not hold comes back null. `hashes` (by key, null: any)
 * names the version wanted: the holder answers other bytes as null (see the head of this file).
 */
export async function fetchChunks(transport: RequestTransport, holder: number, keys: string[], timeoutMs = 30_000, hashes?: (string | null)[]): Promise<KvEntries> {
  return (await fetchChunksAt(transport, holder, keys, timeoutMs, hashes)).entries;
}

/** fetchChunks, with the batch (seq) of the holder's store the bytes are as of. */
export async function fetchChunksAt(transport: RequestTransport, holder: number, keys: string[], timeoutMs = 30_000, hashes?: (string | null)[]): Promise<{ entries: KvEntries; seq: number }> {
  const lines = hashes === undefined ? keys : keys.map((k, i) => (hashes[i] === null ? k : `${k}\t${hashes[i]}`));
  const batch = decodeBatch(await transport.request(holder, MessageType.chunkFetch, Buffer.from(lines.join('\n')), timeoutMs));
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
 * this node excluded): the bytes the marker names by their hash (a marker of an older store names
 * none: any holder's bytes, as long as no copy is replacing its store). Throws when some chunk has no
 * live holder that has it: this node must not lead then, or it would serve a table with a hole in it
 * (or with a version of a chunk its history does not have).
 */
export async function gatherElsewhere(kv: KvStore, placement: Placement, markers: Iterable<string>, transport: RequestTransport, live: readonly number[]): Promise<GatherResult> {
  const started = Date.now();
  const hasher = await loadChunkHasher();
  /** The hash of the bytes each marker replaced (null: a marker that names none). */
  const wanted = new Map<string, string | null>();
  /** The byte length of each marker's chunk (null: the marker does not say). */
  const lengths = new Map<string, number | null>();
  const byHolder = new Map<number, string[]>();
  /** Every live holder of each marker's chunk, master first: the next is asked when one lacks it. */
  const holdersOf = new Map<string, number[]>();
  const unplaced: string[] = [];
  for (const k of markers) {
    const marker = kv.get(k);
    const isMarker = marker !== undefined && isChunkMarker(marker);
    wanted.set(k, isMarker ? markerHash(marker) : null);
    lengths.set(k, isMarker ? markerChunkLength(marker) : null);
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
    [...byHolder].map(([holder, keys]) =>
      inFlight(requestParts(keys, (k) => lengths.get(k)!), async (part) => {
        const got: KvEntries = [];
        const ask = async (from: number, keys: string[]) => fetchChunks(transport, from, keys, undefined, keys.map((k) => wanted.get(k)!));
        // Checked here too, whatever the holder did: bytes that are not the marker's are never written.
        const usable = (k: string, v: Buffer | null): Buffer | null => {
          const hash = wanted.get(k)!;
          return v === null || (hash !== null && !hasher.matches(v, hash)) ? null : v;
        };
        for (const [k, v] of await ask(holder, part)) {
          // A holder that lacks a chunk (it is behind, or a copy of the store is being sent to it) or has
          // another version of it: the chunk's other live holders may have it.
          let value = usable(k, v);
          for (const other of value === null ? holdersOf.get(k)!.slice(1) : []) {
            value = usable(k, (await ask(other, [k]))[0][1]);
            if (value !== null) break;
          }
          if (value === null) throw new Error(`no live holder of chunk ${k} has it${wanted.get(k) !== null ? ` in the version this node's marker names (${wanted.get(k)})` : ''} (asked ${holdersOf.get(k)!.join(', ')})`);
          got.push([k, value]);
        }
        await kv.write(got);
        chunks += got.length;
        for (const [, v] of got) bytes += v!.length;
      }),
    ),
  );
  return { chunks, bytes, ms: Date.now() - started };
}
