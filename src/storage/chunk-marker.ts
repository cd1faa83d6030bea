// What a cluster follower stores under a chunk key whose bytes the placement keeps on other nodes
// (src/cluster/placement.ts): a marker, never read as data. It names the bytes it replaces by a
// 64-bit content hash (xxhash64), so a node that later needs them back (a new leader gathering its
// markers, chunk-transfer.ts) can tell the right version from another one: a holder that is being sent
// a full copy keeps its old bytes meanwhile, and those may be of a history nobody else has, or an older
// version of a chunk appended to since. Equal hashes mean equal bytes, whatever history they came from.
//
// Layout: u8 MARKER_TAG | u64 xxhash64 of the chunk bytes (little endian) | u32 the chunk's byte length
// (little endian) = 13 bytes. The length lets a standby know what a statement would fetch before it
// asks the leader (standby-kv.ts, standby_fetch_limit), without a catalog estimate of encoded sizes
// (compression makes them far from rows × width). Older stores hold markers of 9 bytes (no length)
// or empty ones (LEGACY_MARKER, no hash either): still markers, of a size this node cannot tell.
// No chunk is ever 13 bytes or shorter (decodeChunk refuses anything under 11; an encoded chunk has a
// 12-byte header and a 4-byte checksum, 16 at least), so the length alone tells a marker from a chunk:
// a store may answer that without copying the value (KvStore.valueLength).
import xxhash, { XXHashAPI } from 'xxhash-wasm';

export const MARKER_TAG = 0xee;
/** A marker naming its chunk's hash and byte length (what trims write now). */
export const MARKER_LENGTH = 13;
/** A marker of an older store: the hash only. */
export const HASHED_MARKER_LENGTH = 9;
/** The marker of stores written before markers carried a hash. */
export const LEGACY_MARKER = Buffer.alloc(0);

/** True for a value of a marker's length (a chunk key's value of this length is a marker). */
export function isMarkerLength(length: number): boolean {
  return length === 0 || length === HASHED_MARKER_LENGTH || length === MARKER_LENGTH;
}

/** True when a chunk key's value is a marker (no bytes here: they are on the chunk's holders). */
export function isChunkMarker(value: Uint8Array): boolean {
  return value.length === 0 || ((value.length === HASHED_MARKER_LENGTH || value.length === MARKER_LENGTH) && value[0] === MARKER_TAG);
}

/** The hash a marker names (16 hex digits), or null for a legacy marker (or a value that is no marker). */
export function markerHash(marker: Uint8Array): string | null {
  if ((marker.length !== HASHED_MARKER_LENGTH && marker.length !== MARKER_LENGTH) || marker[0] !== MARKER_TAG) return null;
  return Buffer.from(marker.buffer, marker.byteOffset + 1, 8).toString('hex');
}

/** The byte length of the chunk a marker replaces, or null when the marker does not say (an older store's). */
export function markerChunkLength(marker: Uint8Array): number | null {
  if (marker.length !== MARKER_LENGTH || marker[0] !== MARKER_TAG) return null;
  return Buffer.from(marker.buffer, marker.byteOffset, MARKER_LENGTH).readUInt32LE(9);
}

let api: XXHashAPI | null = null;
let loading: Promise<XXHashAPI> | null = null;

/** Compiles the hash (WebAssembly, once per process) before the first marker is made or checked. */
export async function loadChunkHasher(): Promise<ChunkHasher> {
  if (api === null) api = await (loading ??= xxhash());
  return new ChunkHasher(api);
}

/** Makes and checks markers (one per chunk, not per row: the bigint of xxhash-wasm's h64 is fine here). */
export class ChunkHasher {
  constructor(private readonly xx: XXHashAPI) {}

  /** The content hash of chunk bytes, as markerHash gives it. */
  hash(bytes: Uint8Array): string {
    const b = Buffer.allocUnsafe(8);
    b.writeBigUInt64LE(this.xx.h64Raw(bytes));
    return b.toString('hex');
  }

  /** The marker that replaces `bytes`. */
  marker(bytes: Uint8Array): Buffer {
    const m = Buffer.allocUnsafe(MARKER_LENGTH);
    m[0] = MARKER_TAG;
    m.writeBigUInt64LE(this.xx.h64Raw(bytes), 1);
    m.writeUInt32LE(bytes.length, 9);
    return m;
  }

  /** True when `bytes` are the ones a marker with this hash replaced. */
  matches(bytes: Uint8Array, hash: string): boolean {
    return this.hash(bytes) === hash;
  }
}
