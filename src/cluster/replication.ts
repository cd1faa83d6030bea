// The leader's store: every write of the storage layer is numbered, written locally and sent to every
// follower; it resolves (and so the commit it carries is acknowledged) only once the local write and
// every in-sync follower's copy are durable. Losing any one node then loses no acknowledged commit.
//
// A follower is *in sync* once it has caught up with the head of the log; from then on every write
// waits for it, until the agreed membership removes it, or, with lagLimitMs, until it has held a
// write back that long and no read lease this leader gave it can still run: then writes stop waiting
// for it until it has caught up again (a stalled or dead follower holds commits back for about
// lagLimitMs, not for as long as its etcd lease takes to lapse). A follower behind the head — just
// joined, restarted, or back after a lost link — is fed from the in-memory log of recent batches, or,
// when the log no longer reaches back to its position or its history diverged from the leader's (it
// was a leader that wrote batches nobody else received), from a consistent copy of the whole store.
//
// A follower's standby reads locally only under a read lease this leader gave it (read-lease.ts):
// a follower the membership drops is waited for until its leases have run out.
import { KvStore } from '../storage/kv-store';
import { SqlError, SqlState } from '../types/sql-error';
import { KvEntries, POSITION_KEY, Position, TERM_PREFIX, decodeBatch, decodePosition, encodeBatch, encodePosition } from './kv-batch';
import { MessageType } from './message-types';
import { LeaseAnswer, readLeaseMargin } from './read-lease';
import { Replica, ReplicationGapError } from './replica';

const MSG_REPL_APPEND = MessageType.replAppend;
const MSG_REPL_POSITION = MessageType.replPosition;
const MSG_REPL_SNAPSHOT = MessageType.replSnapshot;
const MSG_REPL_TRIM = MessageType.replTrim;
const MSG_REPL_PART = MessageType.replPart;
const MSG_REPL_IN_SYNC = MessageType.replInSync;

/** Asks a follower to drop the bytes of chunks placed elsewhere, written by batches up to `upTo`. */
export function requestTrim(transport: RequestTransport, follower: number, upTo: number): Promise<Buffer> {
  return transport.request(follower, MSG_REPL_TRIM, encodePosition({ term: 0, seq: upTo }));
}

/** What replication needs of the interconnect. */
export interface RequestTransport {
  request(to: number, type: number, payload: Uint8Array, timeoutMs?: number): Promise<Buffer>;
}

export interface ReplicationOptions {
  /** The membership epoch in which this node became leader. */
  term: number;
  /** Batches every follower has that are kept anyway, for followers that come back (bytes). */
  logBytes?: number;
  /** Bound on the log even when a follower still lacks its batches (it then gets a full copy). */
  maxLogBytes?: number;
  /** Pipelined appends per follower. */
  maxInFlight?: number;
  /** Batches above this many bytes travel in parts (below the interconnect's frame limit). */
  maxFrameBytes?: number;
  /** Bytes per snapshot message. */
  snapshotChunkBytes?: number;
  requestTimeoutMs?: number;
  /**
   * Copies a write needs before it is acknowledged, this node's included (replication_factor): with
   * fewer nodes in sync, commits wait. Any majority of the configured nodes then holds every
   * acknowledged commit when replication_factor + majority > nodes (2 of 3), so a leader elected by
   * a majority (the one with the highest position) never lacks one, even after a full restart.
   */
  minCopies?: number;
  /**
   * An in-sync follower that has held a write back this long, once no read lease given to it can
   * still run, no longer counts until it catches up (0: only membership removes one; expel_after).
   */
  lagLimitMs?: number;
  /** Checked before a write resolves: false once this node may no longer act as leader (lease lost). */
  mayAcknowledge?: () => boolean;
  /** Length of the read leases this leader gives in-sync followers (read_lease; 0: none given, none waited for). */
  readLeaseMs?: number;
  /** Nodes the cluster conf lists (this one included): how many must back this leader's reads (leads(), read-lease.ts). */
  configuredNodes?: number;
  log?: (msg: string) => void;
}

interface LoggedBatch {
  seq: number;
  frame: Buffer;
}

interface Follower {
  id: number;
  /** Highest seq the follower reported durable. */
  acked: number;
  /** Highest seq sent (sent ≥ acked). */
  sent: number;
  inFlight: number;
  /** Commits wait for this follower. */
  inSync: boolean;
  /** A resend from its position (or a snapshot) is in progress; normal sends pause. */
  recovering: boolean;
  removed: boolean;
  failures: number;
  /** The follower was told it is in sync (MSG_REPL_IN_SYNC answered) since its last recovery. */
  told: boolean;
  /** performance.now() until which a read lease given to it may run, margin included (0: none given). */
  leaseUntil: number;
  /** performance.now() when it last promised not to elect another leader (0: never). */
  promisedAt: number;
}

interface Waiter {
  seq: number;
  /** performance.now() when it was written. */
  at: number;
  /** In-sync followers that have yet to acknowledge, and the local write (id -1). */
  pending: Set<number>;
  resolve(): void;
  reject(err: unknown): void;
}

/** Snapshot messages: u8 kind (0 begin, 1 entries, 2 end) then a batch frame (entries) or a position. */
const SNAP_BEGIN = 0;
const SNAP_ENTRIES = 1;
const SNAP_END = 2;

/**
 * A write this node can no longer acknowledge (it lost or gave up the leadership): 57P01, which
 * clients retry on another connection. A SqlError, so that a statement failing on it directly (a
 * DDL commit, a spill write) tells the client that code too, not an internal error.
 */
export class NotLeaderError extends SqlError {
  readonly retryable = true;
  constructor(message: string) {
    super(SqlState.adminShutdown, message);
    this.name = 'NotLeaderError';
  }
}

export class ReplicatedKv implements KvStore {
  private head: Position;
  private readonly log: LoggedBatch[] = [];
  private logBytes = 0;
  private readonly followers = new Map<number, Follower>();
  private waiters: Waiter[] = [];
  private readonly opts: Required<Omit<ReplicationOptions, 'log' | 'mayAcknowledge'>>;
  /** Followers the membership dropped whose read lease may still run: id → until (commits wait for them meanwhile). */
  private readonly leaving = new Map<number, number>();
  private leaseTimer: NodeJS.Timeout | null = null;
  /** Wakes up when the oldest waiter will have waited lagLimitMs (see checkLaggards). */
  private lagTimer: NodeJS.Timeout | null = null;
  private stopped: Error | null = null;
  /** The seq this leader's term started after (its head when it took over). */
  private readonly termStart: number;
  /** The highest seq the local store has made durable. */
  private localDurable: number;
  /** Counters for tessera_replication_stats(). */
  readonly stats = { batches: 0, bytes: 0, snapshots: 0, resends: 0, demotions: 0 };

  constructor(
    readonly local: KvStore,
    private readonly transport: RequestTransport,
    private readonly options: ReplicationOptions,
  ) {
    this.head = decodePosition(local.get(POSITION_KEY));
    this.termStart = this.head.seq;
    this.localDurable = this.head.seq;
    this.opts = {
      term: options.term,
      logBytes: options.logBytes ?? 64 * 1024 * 1024,
      maxLogBytes: options.maxLogBytes ?? 1024 * 1024 * 1024,
      maxInFlight: options.maxInFlight ?? 64,
      maxFrameBytes: options.maxFrameBytes ?? 64 * 1024 * 1024,
      snapshotChunkBytes: options.snapshotChunkBytes ?? 4 * 1024 * 1024,
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
      minCopies: options.minCopies ?? 1,
      readLeaseMs: options.readLeaseMs ?? 0,
      lagLimitMs: options.lagLimitMs ?? 0,
      configuredNodes: options.configuredNodes ?? 1,
    };
  }

  /** The first write of a new leader records where its term starts (see divergedAt). */
  startTerm(): Promise<void> {
    return this.write([[`${TERM_PREFIX}${String(this.opts.term).padStart(12, '0')}`, encodePosition({ term: this.opts.term, seq: this.head.seq })]]);
  }

  position(): Position {
    return { ...this.head };
  }

  /** On disk when the local store is: spilled row groups replicate like any other write. */
  get onDisk(): boolean {
    return this.local.onDisk === true;
  }

  get(key: string): Buffer | undefined {
    return this.local.get(key);
  }
  keysWithPrefix(prefix: string): string[] {
    return this.local.keysWithPrefix(prefix);
  }
  prefetch(keys: string[]): Promise<void> {
    return this.local.prefetch?.(keys) ?? Promise.resolve();
  }
  entries(): Iterable<[string, Buffer]> {
    return this.local.entries();
  }
  async close(): Promise<void> {
    this.stop(new NotLeaderError('the node is shutting down'));
    await this.local.close();
  }

  /** No more writes are acknowledged (lease lost, demoted, closing): pending ones fail. */
  stop(err: Error): void {
    if (this.stopped !== null) return;
    this.stopped = err;
    for (const w of this.waiters) w.reject(err);
    this.waiters = [];
    if (this.leaseTimer !== null) clearTimeout(this.leaseTimer);
    this.leaseTimer = null;
    if (this.lagTimer !== null) clearTimeout(this.lagTimer);
    this.lagTimer = null;
  }

  /**
   * A follower asks for its leases (read-lease.ts): its promise is counted while it follows this
   * leader; a read lease (its length in ms) is granted only while its acknowledgments count for every
   * commit and this node may acknowledge, and its end is kept, so that dropping the follower waits for it.
   */
  grantReadLease(from: number): LeaseAnswer {
    const f = this.followers.get(from);
    const ms = this.opts.readLeaseMs;
    if (ms <= 0 || f === undefined || f.removed || this.stopped !== null) return { readMs: 0, supported: false };
    const t = performance.now();
    f.promisedAt = t;
    if (!f.inSync || (this.options.mayAcknowledge !== undefined && !this.options.mayAcknowledge())) return { readMs: 0, supported: true };
    const until = t + ms + readLeaseMargin(ms);
    if (until > f.leaseUntil) f.leaseUntil = until;
    return { readMs: ms, supported: true };
  }

  /**
   * True while too few of the other configured nodes are free of a promise (within read_lease) to
   * elect no other leader for another majority to form without this node: no other node can lead
   * meanwhile, so this one's reads miss no commit. (With three nodes one promise is needed; with two,
   * none: the other node alone is no majority.)
   */
  leads(): boolean {
    const ms = this.opts.readLeaseMs;
    if (this.stopped !== null) return false;
    // read_lease 0: statements are not held back (a leader cut off and expelled may answer stale reads).
    if (ms <= 0) return true;
    let promised = 0;
    const since = performance.now() - (ms - readLeaseMargin(ms));
    for (const f of this.followers.values()) if (f.promisedAt > since) promised++;
    const n = this.opts.configuredNodes;
    return promised >= n - (Math.floor(n / 2) + 1);
  }

  /** The agreed membership changed: `ids` are the followers (every live member but this one). */
  setFollowers(ids: readonly number[]): void {
    const keep = new Set(ids);
    const t = performance.now();
    for (const [id, f] of this.followers) {
      if (keep.has(id)) continue;
      f.removed = true;
      this.followers.delete(id);
      // Its standby may still read under a lease this node gave: what it has not got must wait for that to end.
      if (f.leaseUntil > t) this.leaving.set(id, f.leaseUntil);
      else for (const w of this.waiters) w.pending.delete(id);
    }
    this.scheduleLeaseEnds();
    this.settleWaiters();
    for (const id of ids) {
      if (this.followers.has(id)) continue;
      const f: Follower = { id, acked: 0, sent: 0, inFlight: 0, inSync: false, recovering: false, removed: false, failures: 0, told: false, leaseUntil: 0, promisedAt: 0 };
      this.followers.set(id, f);
      this.startRecovery(f);
    }
  }

  /** Stops waiting for dropped followers whose leases ran out, and wakes up again for the next one to end. */
  private scheduleLeaseEnds(): void {
    if (this.leaseTimer !== null) clearTimeout(this.leaseTimer);
    this.leaseTimer = null;
    if (this.stopped !== null) return;
    const t = performance.now();
    let next = Infinity;
    for (const [id, until] of this.leaving) {
      if (until > t) {
        if (until < next) next = until;
        continue;
      }
      this.leaving.delete(id);
      // A follower taken back meanwhile and counted in sync again acknowledges for itself.
      if (this.followers.get(id)?.inSync === true) continue;
      for (const w of this.waiters) w.pending.delete(id);
    }
    if (next === Infinity) return;
    this.leaseTimer = setTimeout(() => {
      this.leaseTimer = null;
      this.scheduleLeaseEnds();
      this.settleWaiters();
    }, Math.ceil(next - t) + 1);
  }

  /**
   * The batch every follower has made durable, when all of them are in sync (null otherwise): what
   * the followers may trim up to (replica.ts).
   */
  durableEverywhere(): number | null {
    // This node's own copy counts as one of a chunk's copies too: not beyond what its store made durable.
    let min = this.localDurable;
    for (const f of this.followers.values()) {
      if (!f.inSync || f.recovering) return null;
      if (f.acked < min) min = f.acked;
    }
    return min;
  }

  /** Followers and how far each has got, for the system view. */
  followerStates(): { id: number; acked: number; inSync: boolean; recovering: boolean }[] {
    return [...this.followers.values()].map((f) => ({ id: f.id, acked: f.acked, inSync: f.inSync, recovering: f.recovering }));
  }

  write(entries: KvEntries): Promise<void> {
    if (this.stopped !== null) return Promise.reject(this.stopped);
    const seq = this.head.seq + 1;
    this.head = { term: this.opts.term, seq };
    const frame = encodeBatch(this.opts.term, seq, entries);
    this.log.push({ seq, frame });
    this.logBytes += frame.length;
    this.stats.batches++;
    this.stats.bytes += frame.length;
    const pending = new Set<number>([-1]);
    for (const f of this.followers.values()) if (f.inSync) pending.add(f.id);
    for (const id of this.leaving.keys()) pending.add(id);
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ seq, at: performance.now(), pending, resolve, reject }));
    if (this.lagTimer === null) this.armLagCheck(Infinity);
    this.local.write([...entries, [POSITION_KEY, encodePosition(this.head)]]).then(
      () => {
        if (seq > this.localDurable) this.localDurable = seq;
        this.acknowledged(-1, seq);
      },
      (err) => this.stop(err instanceof Error ? err : new Error(String(err))),
    );
    for (const f of this.followers.values()) this.pump(f);
    return done;
  }

  private acknowledged(id: number, seq: number): void {
    for (const w of this.waiters) {
      if (w.seq > seq) break;
      w.pending.delete(id);
    }
    this.settleWaiters();
  }

  /** The waiter's in-sync followers and the local write have it, and so do enough nodes in all. */
  private ready(w: Waiter): boolean {
    if (w.pending.size > 0) return false;
    if (this.opts.minCopies <= 1) return true;
    let copies = 1;
    for (const f of this.followers.values()) if (f.acked >= w.seq) copies++;
    return copies >= this.opts.minCopies;
  }

  private settleWaiters(): void {
    let n = 0;
    while (n < this.waiters.length && this.ready(this.waiters[n])) n++;
    if (n === 0) return;
    const done = this.waiters.splice(0, n);
    if (this.options.mayAcknowledge !== undefined && !this.options.mayAcknowledge()) {
      this.stop(new NotLeaderError('this node lost its membership lease: the commit outcome is unknown; reconnect and retry'));
      for (const w of done) w.reject(this.stopped);
      return;
    }
    for (const w of done) w.resolve();
    this.trimLog();
  }

  /**
   * Wakes checkLaggards when the oldest waiter will have waited lagLimitMs, or, once it has, when
   * the first read lease that holds a demotion back runs out (`leaseEnds`). Called with no timer
   * set; write() arms it only when none is, and it is not moved when waiters settle: a wake-up
   * finding a younger oldest waiter sleeps again, so commits pay no timer each.
   */
  private armLagCheck(leaseEnds: number): void {
    if (this.opts.lagLimitMs <= 0 || this.stopped !== null || this.waiters.length === 0) return;
    let at = this.waiters[0].at + this.opts.lagLimitMs;
    if (at <= performance.now()) at = leaseEnds;
    if (at === Infinity) return;
    this.lagTimer = setTimeout(() => {
      this.lagTimer = null;
      this.checkLaggards();
    }, Math.max(0, Math.ceil(at - performance.now())) + 1);
  }

  /**
   * In-sync followers a write has waited for lagLimitMs stop counting once no read lease given to
   * them can still run: their standby then reads nothing locally (no lease is given to a follower not
   * in sync), so it cannot miss the writes acknowledged without it. Every write still needs
   * replication_factor copies (ready()), so any majority keeps holding every acknowledged one.
   */
  private checkLaggards(): void {
    const t = performance.now();
    let leaseEnds = Infinity;
    for (const w of this.waiters) {
      if (t - w.at < this.opts.lagLimitMs) break;
      for (const id of w.pending) {
        const f = this.followers.get(id);
        if (f === undefined || !f.inSync || this.leaving.has(id)) continue;
        if (f.leaseUntil > t) leaseEnds = Math.min(leaseEnds, f.leaseUntil);
        else this.demote(f, t - w.at);
      }
    }
    this.settleWaiters();
    this.armLagCheck(leaseEnds);
  }

  private demote(f: Follower, waitedMs: number): void {
    f.inSync = false;
    // Told again once it has caught up (pump, recover).
    f.told = false;
    this.stats.demotions++;
    for (const w of this.waiters) w.pending.delete(f.id);
    this.options.log?.(`node ${f.id} held a commit back for ${Math.round(waitedMs)} ms: commits no longer wait for it until it catches up`);
  }

  /** Drops batches every follower has beyond logBytes of history, and any beyond maxLogBytes. */
  private trimLog(): void {
    let floor = this.head.seq;
    for (const f of this.followers.values()) if (f.acked < floor) floor = f.acked;
    let drop = 0;
    while (drop < this.log.length && this.logBytes > this.opts.logBytes && (this.log[drop].seq <= floor || this.logBytes > this.opts.maxLogBytes)) {
      this.logBytes -= this.log[drop].frame.length;
      drop++;
    }
    if (drop > 0) this.log.splice(0, drop);
  }

  private logged(seq: number): LoggedBatch | undefined {
    const first = this.log.length > 0 ? this.log[0].seq : this.head.seq + 1;
    return this.log[seq - first];
  }

  /** Sends the follower what it lacks, a few batches in flight at a time. */
  private pump(f: Follower): void {
    if (f.recovering || f.removed || this.stopped !== null) return;
    while (f.inFlight < this.opts.maxInFlight && f.sent < this.head.seq) {
      const batch = this.logged(f.sent + 1);
      if (batch === undefined) {
        this.startRecovery(f);
        return;
      }
      // A batch above the frame size goes alone, in parts: nothing may overtake it on the link.
      const large = batch.frame.length > this.opts.maxFrameBytes;
      if (large && f.inFlight > 0) return;
      f.sent = batch.seq;
      f.inFlight += large ? this.opts.maxInFlight : 1;
      const sent = large ? this.sendInParts(f, batch) : this.transport.request(f.id, MSG_REPL_APPEND, batch.frame, this.opts.requestTimeoutMs);
      sent.then(
        (reply) => {
          f.inFlight -= large ? this.opts.maxInFlight : 1;
          const at = decodePosition(reply);
          if (at.seq > f.acked) f.acked = at.seq;
          f.failures = 0;
          if (!f.inSync && f.acked === this.head.seq) f.inSync = true;
          this.tellInSync(f);
          this.acknowledged(f.id, f.acked);
          this.pump(f);
        },
        (err) => {
          f.inFlight -= large ? this.opts.maxInFlight : 1;
          this.failed(f, err);
        },
      );
    }
  }

  /**
   * A batch larger than one frame (a bulk load's commit: SF 10 lineitem is ~1.5 GB) in parts of
   * maxFrameBytes, one after another; the follower puts them together and answers the last with its
   * position, as an append.
   */
  private async sendInParts(f: Follower, batch: LoggedBatch): Promise<Buffer> {
    const size = this.opts.maxFrameBytes;
    const count = Math.ceil(batch.frame.length / size);
    let reply: Buffer = Buffer.alloc(0);
    for (let i = 0; i < count; i++) {
      const head = Buffer.allocUnsafe(16);
      head.writeUInt32LE(i, 0);
      head.writeUInt32LE(count, 4);
      head.writeDoubleLE(batch.seq, 8);
      const part = Buffer.concat([head, batch.frame.subarray(i * size, Math.min(batch.frame.length, (i + 1) * size))]);
      reply = await this.transport.request(f.id, MSG_REPL_PART, part, this.opts.requestTimeoutMs);
    }
    return reply;
  }

  /**
   * Tells a follower, once, that its acknowledgments now count for every commit: its standby engine
   * (standby.ts) then sees every commit acknowledged to a client. Retried at its next answer if lost.
   */
  private tellInSync(f: Follower): void {
    if (!f.inSync || f.told || f.removed || this.stopped !== null) return;
    f.told = true;
    this.transport.request(f.id, MSG_REPL_IN_SYNC, Buffer.alloc(0), this.opts.requestTimeoutMs).catch(() => {
      f.told = false;
    });
  }

  private failed(f: Follower, err: unknown): void {
    if (f.removed || this.stopped !== null) return;
    f.failures++;
    this.options.log?.(`replication to node ${f.id} failed (${(err as Error).message}); resending from its position`);
    // The follower stays in sync (commits keep waiting for it) until membership removes it.
    this.startRecovery(f);
  }

  private startRecovery(f: Follower): void {
    if (f.recovering) return;
    f.recovering = true;
    // The link failed: the follower may be a new process (restarted) that has not heard it is in sync.
    // Told again once recovered.
    f.told = false;
    void this.recover(f);
  }

  /** Asks the follower where it is; resends from there, or sends a full copy. Normal sends pause meanwhile. */
  private async recover(f: Follower): Promise<void> {
    try {
      // Appends still in flight settle first (each either lands or fails), so `acked` is final.
      while (f.inFlight > 0) await new Promise((r) => setTimeout(r, 5));
      while (!f.removed && this.stopped === null) {
        if (f.failures > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 20 * 2 ** Math.min(f.failures, 6))));
        if (f.removed || this.stopped !== null) return;
        let at: Position;
        try {
          at = decodePosition(await this.transport.request(f.id, MSG_REPL_POSITION, Buffer.alloc(0), this.opts.requestTimeoutMs));
        } catch (err) {
          f.failures++;
          this.options.log?.(`node ${f.id} does not answer (${(err as Error).message})`);
          continue;
        }
        const resend = !this.divergedAt(at) && (at.seq === this.head.seq || this.logged(at.seq + 1) !== undefined);
        if (resend) {
          this.stats.resends++;
          f.acked = at.seq;
          f.sent = at.seq;
        } else {
          try {
            await this.sendSnapshot(f);
          } catch (err) {
            f.failures++;
            this.options.log?.(`copy to node ${f.id} failed (${(err as Error).message})`);
            continue;
          }
        }
        f.failures = 0;
        if (f.acked === this.head.seq) f.inSync = true;
        this.tellInSync(f);
        this.acknowledged(f.id, f.acked);
        break;
      }
    } finally {
      f.recovering = false;
    }
    this.pump(f);
  }

  /**
   * True when a node whose last batch is `at` holds batches the leader's history does not: the leader's
   * own batch at.seq is of another term. (Comparing with the start of the first later term only is not
   * enough: a follower whose last batch came from a leader this one never heard of, written at exactly
   * the seq this leader's history has a batch of an earlier term at, looked like a prefix of it.)
   */
  private divergedAt(at: Position): boolean {
    if (at.seq === 0) return false;
    if (at.seq > this.head.seq) return true;
    // `r/term/<t>` holds the seq term t started after: batch s is of the latest term that started before s.
    // This leader's own term counts even before its r/term key is written (startTerm is asynchronous).
    let termAt: number | null = at.seq > this.termStart ? this.opts.term : null;
    for (const key of this.local.keysWithPrefix(TERM_PREFIX)) {
      const term = Number(key.slice(TERM_PREFIX.length));
      if (decodePosition(this.local.get(key)).seq < at.seq && (termAt === null || term > termAt)) termAt = term;
    }
    // No term covers it: history from before terms were recorded, trusted as before.
    return termAt !== null && termAt !== at.term;
  }

  /** A consistent copy of the whole local store, then the position it stands for. */
  private async sendSnapshot(f: Follower): Promise<void> {
    this.stats.snapshots++;
    this.options.log?.(`sending node ${f.id} a copy of the store`);
    await this.transport.request(f.id, MSG_REPL_SNAPSHOT, Buffer.from([SNAP_BEGIN]), this.opts.requestTimeoutMs);
    let at: Position = { term: 0, seq: 0 };
    let chunk: KvEntries = [];
    let bytes = 0;
    // A copy to a follower that left the membership (or to anyone, once this node stopped leading) ends
    // here: going on would land its late pieces inside the copy that follower gets when it is back.
    const stillWanted = () => {
      if (f.removed || this.stopped !== null) throw new Error(`node ${f.id} is no longer a follower of this leader`);
    };
    const flush = async () => {
      stillWanted();
      const frame = encodeBatch(0, 0, chunk);
      await this.transport.request(f.id, MSG_REPL_SNAPSHOT, Buffer.concat([Buffer.from([SNAP_ENTRIES]), frame]), this.opts.requestTimeoutMs);
      chunk = [];
      bytes = 0;
    };
    for (const [k, v] of this.local.entries()) {
      if (k === POSITION_KEY) {
        at = decodePosition(v);
        continue;
      }
      chunk.push([k, Buffer.from(v)]);
      bytes += k.length + v.length;
      if (bytes >= this.opts.snapshotChunkBytes) await flush();
    }
    if (chunk.length > 0) await flush();
    stillWanted();
    await this.transport.request(f.id, MSG_REPL_SNAPSHOT, Buffer.concat([Buffer.from([SNAP_END]), encodePosition(at)]), this.opts.requestTimeoutMs);
    f.acked = at.seq;
    f.sent = at.seq;
  }
}

/** What a follower needs of the interconnect: request handlers by message type. */
export interface RequestHandlers {
  handle(type: number, handler: (from: number, payload: Buffer) => Uint8Array | Promise<Uint8Array>): void;
}

/**
 * The follower's side: answers the leader's appends, position queries and copies. `leader()` names the
 * node this follower currently takes batches from (the agreed leader); anyone else is refused, as is
 * everyone while `current()` gives no replica (this node leads, or is between roles).
 */
export function serveReplica(handlers: RequestHandlers, current: () => Replica | null, leader: () => number | null, inSync: (from: number) => void = () => undefined): void {
  const check = (from: number): Replica => {
    if (from !== leader()) throw new NotLeaderError(`node ${from} is not the leader this node follows (${leader() ?? 'none'})`);
    const replica = current();
    if (replica === null) throw new NotLeaderError('this node does not follow a leader now');
    return replica;
  };
  handlers.handle(MSG_REPL_APPEND, async (from, payload) => encodePosition(await check(from).append(payload)));
  handlers.handle(MSG_REPL_POSITION, (from) => encodePosition(check(from).position()));
  handlers.handle(MSG_REPL_IN_SYNC, (from) => {
    check(from);
    inSync(from);
    return Buffer.alloc(0);
  });
  // A large batch's parts (ReplicatedKv.sendInParts), kept until the last arrives.
  let parts: { from: number; seq: number; pieces: Buffer[] } | null = null;
  handlers.handle(MSG_REPL_PART, async (from, payload) => {
    const replica = check(from);
    const index = payload.readUInt32LE(0);
    const count = payload.readUInt32LE(4);
    const seq = payload.readDoubleLE(8);
    if (index === 0) parts = { from, seq, pieces: [] };
    if (parts === null || parts.from !== from || parts.seq !== seq || parts.pieces.length !== index) {
      parts = null;
      throw new ReplicationGapError(`part ${index} of batch ${seq} arrived out of order`);
    }
    // Copied: a payload is a view into the link's read buffer.
    parts.pieces.push(Buffer.from(payload.subarray(16)));
    if (index + 1 < count) return Buffer.alloc(0);
    const frame = Buffer.concat(parts.pieces);
    parts = null;
    return encodePosition(await replica.append(frame));
  });
  handlers.handle(MSG_REPL_TRIM, async (from, payload) => {
    await check(from).trim(decodePosition(payload).seq);
    return Buffer.alloc(0);
  });
  handlers.handle(MSG_REPL_SNAPSHOT, async (from, payload) => {
    const replica = check(from);
    const kind = payload[0];
    if (kind === SNAP_BEGIN) await replica.beginSnapshot();
    else if (kind === SNAP_ENTRIES) await replica.snapshotChunk(decodeBatch(payload.subarray(1)).entries);
    else if (kind === SNAP_END) await replica.endSnapshot(decodePosition(payload.subarray(1)));
    else throw new Error(`unknown snapshot message ${kind}`);
    return Buffer.alloc(0);
  });
}
