// Where each chunk's bytes live: on the `replication_factor` nodes the directory (hash-ring.ts) names for
// it — its master and the next distinct nodes on the ring of the configured nodes. Everything else in
// the store (catalog, row-group metadata, deletions, recent rows, sequences) is small and every node
// keeps it, so any node can become leader and know every chunk that exists.
//
// A follower keeps a chunk it does not hold as a marker under the same key (storage/chunk-marker.ts: a
// tag and the hash of the bytes it replaces; empty in stores written before): the key set stays
// complete (a new leader learns from the markers which chunks to fetch from their holders, see
// chunk-transfer.ts) while the bytes stay on the chunk's holders only. The leader runs the engine and so
// holds every chunk while it leads.
//
// The ring is over the configured nodes, not the live ones: a chunk's holders do not change when a node
// dies (its other holder and the leader still have it), so a failure moves no data; the live holder
// that comes first on the ring acts as the chunk's master.
import type { KvStore } from '../storage/kv-store';
import { HashRing, chunkResource } from './hash-ring';

/** `c/<table>/<column>/<group>`: a committed group's column chunk. */
const CHUNK_KEY = /^c\/(\d+)\/\d+\/(\d+)$/;
/**
 * `sp/<ref>/<column>`: a column chunk of a group a bulk load wrote ahead of its commit. The ref is
 * `<tag>/<n>` (storage/spilled-groups.ts), so it may hold a slash: the column is the last part.
 */
const SPILL_KEY = /^sp\/(.+)\/\d+$/;
/** Prefixes of every chunk key (committed and bulk-loaded). */
const CHUNK_PREFIXES = ['c/', 'sp/'];

/** The directory resource a key's bytes belong to, or null when the key is not chunk data. */
export function chunkResourceOfKey(key: string): string | null {
  if (key.charCodeAt(0) === 0x63 /* c */) {
    const m = CHUNK_KEY.exec(key);
    return m === null ? null : chunkResource(Number(m[1]), Number(m[2]));
  }
  if (key.startsWith('sp/')) {
    const m = SPILL_KEY.exec(key);
    return m === null ? null : `spill/${m[1]}`;
  }
  return null;
}


export class Placement {
  private readonly ring: HashRing;

  constructor(
    readonly nodes: readonly number[],
    readonly replicationFactor: number,
  ) {
    this.ring = new HashRing(nodes);
  }

  /** The nodes holding a key's bytes, master first; null: every node keeps it (not chunk data). */
  holders(key: string): number[] | null {
    const resource = chunkResourceOfKey(key);
    return resource === null ? null : (this.ring.replicasOf(resource, Math.min(this.replicationFactor, this.nodes.length)) as number[]);
  }

  holds(node: number, key: string): boolean {
    const h = this.holders(key);
    return h === null || h.includes(node);
  }

  /**
   * The chunk keys in `kv` whose bytes `node` does not hold by placement: the only keys that may be
   * markers there, or extra bytes to trim. Read by key (chunk prefixes only), so a node's start-up
   * and a promotion do not read the values of the chunks it holds.
   */
  notHeldBy(node: number, kv: KvStore): string[] {
    const out: string[] = [];
    for (const prefix of CHUNK_PREFIXES) for (const k of kv.keysWithPrefix(prefix)) if (!this.holds(node, k)) out.push(k);
    return out;
  }
}
