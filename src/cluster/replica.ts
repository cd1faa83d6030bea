// A follower's copy of the leader's store: applies replicated batches in the leader's order, each in one
// LMDB transaction together with the position it reaches, and answers once that is durable. The
// leader acknowledges a commit only after every in-sync follower answered (replication.ts), so a
// committed write survives the loss of any one node.
//
// Batches of one leader arrive in order over one link; several that arrive while the previous write is
// still being flushed go to LMDB together (one fsync for all), as the leader's group commit does.
//
// A whole copy (beginSnapshot .. endSnapshot) keeps the bytes of the chunks this node holds until the
// copy has rewritten them or ends: the other nodes dropped their bytes of these chunks long ago (trim),
// so deleting them first would leave the leader as their only copy for as long as the copy takes, and
// a leader dying then would stop the cluster (the survivor could not gather them). The kept bytes may
// be of a history nobody else has (this node led and wrote batches nobody received) or older versions
// of chunks appended to since: they are only ever served to a node that names the hash of the bytes it
// wants and gets them only when they match (chunk-transfer.ts), never read as this node's data (the
// store is no consistent state during a copy: no position, no standby).
import { ChunkHasher, isChunkMarker, isMarkerLength, loadChunkHasher } from '../storage/chunk-marker';
import { KvReader, KvStore, PinnedKv } from '../storage/kv-store';
import { COPYING_KEY, KvEntries, POSITION_KEY, Position, decodeBatch, decodePosition, encodePosition } from './kv-batch';
import { Placement } from './placement';

/** Keys removed per transaction when a store is emptied (a copy's start, a restart after a cut-off copy). */
const DELETES_PER_WRITE = 4096;
/**
 * Bytes of chunks hashed into markers per trim write: a trim after a bulk load names gigabytes, and
 * replicated batches waiting behind it are applied between two such writes.
 */
const TRIM_BYTES_PER_WRITE = 64 * 1024 * 1024;

/** Where a follower's chunk bytes may go: the placement, and who this node is in it. */
export interface ReplicaPlacement {
  self: number;
  placement: Placement;
}

/** What else reads the copy (a standby engine, standby.ts) hears of its changes. */
export interface ReplicaListener {
  /**
   * Batches up to `seq` were applied: `entries` (in order) are in the store. Called synchronously
   * before they are acknowledged to the leader, so a reader refreshed here sees every commit the
   * leader then acknowledges.
   */
  applied(seq: number, entries: KvEntries): void;
  /** The bytes of these chunk keys are being replaced by markers (the same rows, held elsewhere); called before the write, while `reads` still shows the bytes. */
  trimmed(keys: string[]): void;
  /** The copy is about to be replaced whole: awaited before the first key is removed. */
  replacing(): Promise<void>;
  /** A whole copy was received (its position is written). */
  replaced(): void;
}

/** A batch the follower cannot place: the leader must resend from the follower's position. */
export class ReplicationGapError extends Error {
  readonly retryable = true;
}

interface Pending {
  term: number;
  seq: number;
  entries: KvEntries;
  resolve(p: Position): void;
  reject(err: unknown): void;
}

export class Replica {
  private applied: Position;
  /** The highest seq queued for writing (applied ≤ queued). */
  private queuedSeq: number;
  private queuedTerm: number;
  private pending: Pending[] = [];
  private writing = false;
  /**
   * Chunk bytes this node keeps although the placement puts them elsewhere, with the batch that wrote
   * them: every batch arrives whole (so a commit never depends on which follower holds what), and the
   * bytes are dropped later (trim) once the chunk's holders are known to have that batch.
   */
  private readonly trimmable = new Map<string, number>();
  /** Chunk keys placed elsewhere whose value here is a marker (their bytes were trimmed). */
  private readonly markers = new Set<string>();
  private trimUpTo: number | null = null;
  private trimWaits: (() => void)[] = [];
  private listener: ReplicaListener | null = null;
  /** A whole copy is being received (beginSnapshot until endSnapshot): the store is not a consistent state. */
  private replacing = false;
  private pinned: PinnedKv | null;
  /**
   * The copy as readers other than the replica see it (the standby engine, fragments and shuffles
   * run here): as of position(), moved on only where the listener hears of it. LMDB shows a write to
   * readers as soon as it commits, before its promise resolves: read live, a batch that reuses chunk
   * keys (TRUNCATE, a rewrite) would give a statement of the previous state the new rows.
   */
  readonly reads: KvReader;
  /**
   * The store was left in the middle of a copy (COPYING_KEY found at start, or the leader that sent it
   * is gone and a new one resends from the start): no consistent state, emptied before a batch lands.
   */
  private interrupted: boolean;
  /**
   * Chunk keys this node holds whose bytes beginSnapshot kept and the copy has not rewritten yet:
   * removed at endSnapshot (the leader's store has no such key).
   */
  private readonly salvaged = new Set<string>();
  private hasher: ChunkHasher | null = null;
  /** The last copy write (snapshotChunk): a new copy starts after it, not beside it. */
  private copyWrite: Promise<void> = Promise.resolve();
  /** Copies begun: a piece written for an earlier one does not count for the one under way. */
  private copies = 0;

  constructor(
    readonly kv: KvStore,
    private readonly where: ReplicaPlacement | null = null,
  ) {
    this.pinned = kv.pin?.() ?? null;
    this.reads = this.pinned ?? kv;
    this.applied = decodePosition(kv.get(POSITION_KEY));
    this.queuedSeq = this.applied.seq;
    this.queuedTerm = this.applied.term;
    // Its position went in the same write the flag came in: this node is at 0 and gets a copy or every batch.
    this.interrupted = kv.get(COPYING_KEY) !== undefined;
    if (where !== null && !this.interrupted) {
      for (const k of where.placement.notHeldBy(where.self, kv)) {
        // Only whether the value is a marker matters here: its length (no chunk is as short as a marker), not a copy of its bytes.
        const length = kv.valueLength !== undefined ? kv.valueLength(k) : kv.get(k)?.length;
        if (length !== undefined && isMarkerLength(length)) this.markers.add(k);
        else if (length !== undefined) this.trimmable.set(k, this.applied.seq);
      }
    }
  }

  private track(key: string, value: Buffer | null, seq: number): void {
    if (this.where === null) return;
    const elsewhere = value !== null && !this.where.placement.holds(this.where.self, key);
    if (elsewhere && isChunkMarker(value)) this.markers.add(key);
    else this.markers.delete(key);
    if (elsewhere && !isChunkMarker(value)) this.trimmable.set(key, seq);
    else this.trimmable.delete(key);
  }

  /** The chunk keys whose value in the copy is a marker now (kept as batches and trims are applied: no scan of the store). */
  markerKeys(): string[] {
    return [...this.markers];
  }

  listen(listener: ReplicaListener | null): void {
    this.listener = listener;
  }

  /** A whole copy of the leader's store is being received (or one was cut off): the store is no consistent state now. */
  get receivingCopy(): boolean {
    return this.replacing || this.interrupted;
  }

  /** Every batch received has been applied, and no whole copy is being received. */
  caughtUp(): boolean {
    return !this.receivingCopy && this.applied.seq === this.queuedSeq && this.applied.seq > 0;
  }

  /** Chunk keys whose bytes a copy under way kept (tests). */
  salvagedKeys(): string[] {
    return [...this.salvaged];
  }

  /** Chunk bytes kept beyond this node's placement (dropped by trim). */
  untrimmed(): number {
    return this.trimmable.size;
  }

  /**
   * Drops the bytes of chunks placed elsewhere that batches up to `upTo` wrote: the caller (the leader)
   * knows every holder has made those batches durable. Resolves once written.
   */
  trim(upTo: number): Promise<void> {
    this.trimUpTo = Math.max(this.trimUpTo ?? 0, upTo);
    const done = new Promise<void>((resolve) => this.trimWaits.push(resolve));
    if (!this.writing) void this.pump();
    return done;
  }

  /** The last durable position: what this node offers in an election and when it rejoins. */
  position(): Position {
    return { ...this.applied };
  }

  /** Applies one encoded batch; resolves with the durable position once it (and all before it) is written. */
  append(frame: Buffer): Promise<Position> {
    const batch = decodeBatch(frame);
    // Terms never go back along one history: a lower one comes from a deposed leader.
    if (batch.term < this.queuedTerm) {
      return Promise.reject(new Error(`replicated batch of term ${batch.term} refused: this node already follows term ${this.queuedTerm}`));
    }
    // A resend of something already queued (after a lost link): answer where we are.
    if (batch.seq <= this.queuedSeq) return this.flushed();
    if (batch.seq !== this.queuedSeq + 1) {
      return Promise.reject(new ReplicationGapError(`replicated batch ${batch.seq} does not follow ${this.queuedSeq}`));
    }
    if (this.replacing) {
      // The copy's sender is gone (a leader sends no batch while its copy is under way) and a new leader
      // resends every batch from the first: the half-replaced store is emptied before the first lands.
      this.replacing = false;
      this.interrupted = true;
      this.salvaged.clear();
    }
    this.queuedSeq = batch.seq;
    this.queuedTerm = batch.term;
    return new Promise<Position>((resolve, reject) => {
      this.pending.push({ term: batch.term, seq: batch.seq, entries: batch.entries, resolve, reject });
      if (!this.writing) void this.pump();
    });
  }

  /** Resolves with the position once everything queued so far is durable. */
  flushed(): Promise<Position> {
    if (!this.writing && this.pending.length === 0) return Promise.resolve(this.position());
    return new Promise<Position>((resolve, reject) => this.pending.push({ term: this.queuedTerm, seq: this.queuedSeq, entries: [], resolve, reject }));
  }

  private async pump(): Promise<void> {
    this.writing = true;
    while (this.pending.length > 0 || this.trimUpTo !== null) {
      if (this.pending.length === 0) {
        await this.trimNow();
        continue;
      }
      const group = this.pending;
      this.pending = [];
      const entries: KvEntries = [];
      const reached: Position = { ...this.applied };
      for (const p of group) {
        for (const e of p.entries) entries.push(e);
        if (p.seq > reached.seq) {
          reached.seq = p.seq;
          reached.term = p.term;
        }
      }
      entries.push([POSITION_KEY, encodePosition(reached)]);
      if (this.interrupted) entries.push([COPYING_KEY, null]);
      try {
        // Batches from the first, onto what a cut-off copy left: nothing of it may outlive them.
        if (this.interrupted) await this.removeAll(() => false);
        await this.kv.write(entries);
        this.interrupted = false;
      } catch (err) {
        // The store is in doubt: refuse everything until the node restarts and catches up again.
        for (const p of group) p.reject(err);
        for (const p of this.pending) p.reject(err);
        this.pending = [];
        this.queuedSeq = this.applied.seq;
        this.queuedTerm = this.applied.term;
        this.writing = false;
        return;
      }
      this.applied = reached;
      this.pinned?.renew();
      for (const p of group) for (const [k, v] of p.entries) this.track(k, v, p.seq);
      // Before the acknowledgment below: the leader acknowledges the commit to its client once this
      // node answers, and that client may read here next.
      this.listener?.applied(reached.seq, entries);
      for (const p of group) p.resolve(this.position());
    }
    this.writing = false;
  }

  /**
   * One trim write, between two replicated writes (so a later batch's bytes land after the marker):
   * each chunk's bytes are replaced by a marker naming their hash. Up to TRIM_BYTES_PER_WRITE of
   * chunks per write; the rest waits for the next turn of the pump.
   */
  private async trimNow(): Promise<void> {
    const upTo = this.trimUpTo!;
    this.trimUpTo = null;
    // The callers waiting now wait for every chunk up to `upTo`; callers that come during the write wait for the next one.
    const waits = this.trimWaits;
    this.trimWaits = [];
    let more = false;
    try {
      const hasher = (this.hasher ??= await loadChunkHasher());
      const entries: KvEntries = [];
      let bytes = 0;
      for (const [k, seq] of this.trimmable) {
        if (seq > upTo) continue;
        if (bytes >= TRIM_BYTES_PER_WRITE) {
          more = true;
          break;
        }
        const v = this.kv.get(k);
        // Tracked keys hold bytes (a delete or a marker untracks them); a store that says otherwise keeps its value.
        if (v === undefined || isChunkMarker(v)) continue;
        entries.push([k, hasher.marker(v)]);
        bytes += v.length;
      }
      // The listener hears of the markers before they are written, while `reads` still shows the
      // bytes (it moves on below): a standby keeps them for the statements running now.
      if (entries.length > 0) this.listener?.trimmed(entries.map(([k]) => k));
      if (entries.length > 0) await this.kv.write(entries);
      this.pinned?.renew();
      for (const [k] of entries) {
        this.trimmable.delete(k);
        this.markers.add(k);
      }
    } catch {
      // Bytes not dropped are only extra copies: the next trim tries again. (A store closed under a
      // replica being replaced fails here too: nothing of it may end the process.)
      more = false;
    }
    if (more) {
      // The rest of `upTo` after the batches queued meanwhile; its callers are answered then.
      this.trimUpTo = Math.max(this.trimUpTo ?? 0, upTo);
      this.trimWaits.unshift(...waits);
      return;
    }
    for (const w of waits) w();
  }

  /** Deletes every key but COPYING_KEY and those `keep` names, a few thousand per transaction. */
  private async removeAll(keep: (key: string, value: Buffer) => boolean): Promise<void> {
    const doomed: string[] = [];
    for (const [k, v] of this.kv.entries()) if (k !== COPYING_KEY && !keep(k, v)) doomed.push(k);
    await this.removeKeys(doomed);
  }

  private async removeKeys(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += DELETES_PER_WRITE) await this.kv.write(keys.slice(i, i + DELETES_PER_WRITE).map((k): [string, null] => [k, null]));
  }

  /**
   * Starts over from a copy of the leader's store: removes every key but the bytes of chunks this node
   * holds (see the head of this file), then takes the copy's entries (snapshotChunk) and finally its
   * position (endSnapshot), which removes the kept bytes the copy did not rewrite.
   */
  async beginSnapshot(): Promise<void> {
    if (this.writing || this.pending.length > 0) throw new ReplicationGapError('a snapshot cannot start while batches are being applied');
    this.replacing = true;
    await this.listener?.replacing();
    // A piece of an earlier copy (from a leader that is gone) still being written would land among this one's.
    this.copies++;
    await this.copyWrite;
    // The position goes first, with the copy's flag coming: the deletes below take several transactions,
    // and a node killed between two of them must not come back claiming its old position over a
    // half-deleted store, nor read what it kept as its data (see `interrupted`).
    this.applied = { term: 0, seq: 0 };
    this.queuedSeq = 0;
    this.queuedTerm = 0;
    this.trimmable.clear();
    this.markers.clear();
    this.salvaged.clear();
    await this.kv.write([[POSITION_KEY, null], [COPYING_KEY, Buffer.from([1])]]);
    this.interrupted = false;
    const where = this.where;
    await this.removeAll((k, v) => {
      const holders = where === null ? null : where.placement.holders(k);
      if (holders === null || !holders.includes(where!.self) || isChunkMarker(v)) return false;
      this.salvaged.add(k);
      return true;
    });
    // Nobody reads the copy until it is complete: the view lets go of the old store's pages.
    this.pinned?.renew();
  }

  async snapshotChunk(entries: KvEntries): Promise<void> {
    // The copy's own r/pos entry must not count until the copy is complete.
    const copy = this.copies;
    const written = this.kv.write(entries.filter(([k]) => k !== POSITION_KEY && k !== COPYING_KEY));
    this.copyWrite = written.catch(() => undefined);
    await written;
    if (copy !== this.copies) return;
    for (const [k, v] of entries) {
      this.salvaged.delete(k);
      // The copy's bytes count as written by its last batch (known at its end).
      this.track(k, v, Number.MAX_SAFE_INTEGER);
    }
  }

  async endSnapshot(at: Position): Promise<void> {
    // Kept bytes of keys the copy does not have (the leader's store lacks them) go before the copy counts.
    await this.removeKeys([...this.salvaged]);
    this.salvaged.clear();
    await this.kv.write([[POSITION_KEY, encodePosition(at)], [COPYING_KEY, null]]);
    for (const [k, seq] of this.trimmable) if (seq === Number.MAX_SAFE_INTEGER) this.trimmable.set(k, at.seq);
    this.applied = { ...at };
    this.queuedSeq = at.seq;
    this.queuedTerm = at.term;
    this.pinned?.renew();
    this.replacing = false;
    this.listener?.replaced();
  }

  /** Lets go of the readers' view (before the store closes, or when another Replica takes the store over). */
  release(): void {
    this.pinned?.done();
    this.pinned = null;
  }
}
