// The Global Resource Directory's placement function: a consistent-hash ring that names, for one agreed
// membership epoch, the master node of every resource (a table chunk) and the replicas that follow it.
//
// Why consistent hashing with virtual nodes: when a node joins or leaves, only the resources on the arcs
// that node gains or loses change owner (about 1/N of them), so remastering after a membership change
// touches little; with many points per node (256 by default) every node's share of the circle is close
// to 1/N, so load stays balanced without a central table of placements.
//
// A ring is immutable: it is the directory of one membership epoch. A join or leave builds a new ring
// (withNode / withoutNode) and the old one stays valid for whoever still works in the old epoch, so two
// rings can be compared to list exactly the resources that moved.
//
// Hot path (masterOf) is a hash of the resource id plus a binary search over a sorted Uint32Array; no
// per-lookup allocation, no BigInt.

export type NodeId = string | number;

/** The directory name of one chunk (row group) of one table: `chunk/<table>/<group>`. */
export function chunkResource(table: string | number, group: number): string {
  return `chunk/${table}/${group}`;
}

/**
 * 32-bit hash of a string: FNV-1a over the UTF-16 code units (fast, no encoding step), then murmur3's
 * fmix32 finalizer. FNV-1a alone mixes its last characters poorly (ids that differ only in a trailing
 * digit land close together); the finalizer spreads every input bit over the whole word, which is what
 * a ring needs for its points to be uniform on the circle.
 */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class HashRing {
  /** The members of this epoch, in the order given (owner indexes below refer to this array). */
  readonly nodes: readonly NodeId[];
  readonly vnodesPerNode: number;
  /** Ring points in ascending order, and, in parallel, the index in `nodes` of each point's owner. */
  private readonly points: Uint32Array;
  private readonly owners: Int32Array;

  constructor(nodes: readonly NodeId[], vnodesPerNode = 256) {
    if (!Number.isInteger(vnodesPerNode) || vnodesPerNode < 1) {
      throw new Error(`hash ring: vnodesPerNode must be a positive integer, got ${vnodesPerNode}`);
    }
    const seen = new Set<string>();
    for (const n of nodes) {
      const key = String(n);
      if (seen.has(key)) throw new Error(`hash ring: duplicate node id ${key}`);
      seen.add(key);
    }
    this.nodes = Object.freeze(nodes.slice());
    this.vnodesPerNode = vnodesPerNode;
    const total = nodes.length * vnodesPerNode;
    const rawPoints = new Uint32Array(total);
    const rawOwners = new Int32Array(total);
    // A node's points depend only on its own id (never on its position in the list or on the other
    // members), so the same node owns the same arcs in every epoch: that is what keeps moves minimal.
    for (let n = 0; n < nodes.length; n++) {
      const id = String(nodes[n]);
      for (let v = 0; v < vnodesPerNode; v++) {
        rawPoints[n * vnodesPerNode + v] = hash32(`${id}#${v}`);
        rawOwners[n * vnodesPerNode + v] = n;
      }
    }
    // Sort by point; a tie (two ids hashing to the same point) is broken by node id, not by list
    // position, so that every node builds the identical ring from the same membership set.
    const order = new Int32Array(total);
    for (let i = 0; i < total; i++) order[i] = i;
    const ids = nodes.map(String);
    order.sort((a, b) => {
      const d = rawPoints[a] - rawPoints[b];
      if (d !== 0) return d;
      const ia = ids[rawOwners[a]], ib = ids[rawOwners[b]];
      return ia < ib ? -1 : ia > ib ? 1 : 0;
    });
    this.points = new Uint32Array(total);
    this.owners = new Int32Array(total);
    for (let i = 0; i < total; i++) {
      this.points[i] = rawPoints[order[i]];
      this.owners[i] = rawOwners[order[i]];
    }
  }

  /** Number of points on the ring (nodes × vnodes). */
  get size(): number {
    return this.points.length;
  }

  /** Index of the first point at or clockwise after the resource's hash (wrapping past the top). */
  private slotOf(resource: string): number {
    const pts = this.points;
    if (pts.length === 0) throw new Error('hash ring: no nodes in the ring, no master for ' + resource);
    const h = hash32(resource);
    let lo = 0, hi = pts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (pts[mid] < h) lo = mid + 1;
      else hi = mid;
    }
    return lo === pts.length ? 0 : lo;
  }

  /** Index in `nodes` of the resource's master (for callers that keep per-node arrays). */
  masterIndexOf(resource: string): number {
    return this.owners[this.slotOf(resource)];
  }

  /** The node that masters the resource in this epoch. */
  masterOf(resource: string): NodeId {
    return this.nodes[this.owners[this.slotOf(resource)]];
  }

  /**
   * The master, then the next distinct nodes met walking clockwise: the resource's replica set for a
   * replication factor n. Walking the ring (rather than taking the next nodes in list order) keeps the
   * successor choice as stable as the master choice when membership changes. n above the node count
   * gives every node once.
   */
  replicasOf(resource: string, n: number): NodeId[] {
    const start = this.slotOf(resource);
    const want = Math.min(Math.max(0, Math.floor(n)), this.nodes.length);
    const out: NodeId[] = [];
    if (want === 0) return out;
    const taken = new Uint8Array(this.nodes.length);
    const total = this.points.length;
    for (let step = 0; step < total && out.length < want; step++) {
      const owner = this.owners[(start + step) % total];
      if (taken[owner] === 0) {
        taken[owner] = 1;
        out.push(this.nodes[owner]);
      }
    }
    return out;
  }

  /**
   * Each node's exact share of the hash circle (fractions summing to 1), indexed like `nodes`: the load
   * a node is expected to master when resources hash uniformly. Not a hot path (used by the simulation
   * and for reporting balance).
   */
  circleShares(): Float64Array {
    const shares = new Float64Array(this.nodes.length);
    const pts = this.points, total = pts.length;
    if (total === 0) return shares;
    // Point i owns the arc (previous point, point i]; the first point also owns the wrap-around arc.
    for (let i = 0; i < total; i++) {
      const prev = i === 0 ? pts[total - 1] - 4294967296 : pts[i - 1];
      shares[this.owners[i]] += (pts[i] - prev) / 4294967296;
    }
    return shares;
  }

  /** The ring of the next epoch after `id` joins. */
  withNode(id: NodeId): HashRing {
    if (this.indexOf(id) >= 0) throw new Error(`hash ring: node ${String(id)} is already a member`);
    return new HashRing([...this.nodes, id], this.vnodesPerNode);
  }

  /** The ring of the next epoch after `id` leaves (or is declared dead). */
  withoutNode(id: NodeId): HashRing {
    const i = this.indexOf(id);
    if (i < 0) throw new Error(`hash ring: node ${String(id)} is not a member`);
    return new HashRing(this.nodes.filter((_, k) => k !== i), this.vnodesPerNode);
  }

  private indexOf(id: NodeId): number {
    const key = String(id);
    for (let i = 0; i < this.nodes.length; i++) if (String(this.nodes[i]) === key) return i;
    return -1;
  }
}
