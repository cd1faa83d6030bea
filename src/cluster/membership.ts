// Cluster membership agreed through etcd: who is in, who leads, and since when (the epoch).
//
// Why etcd: issue 9 asks for membership that is agreed, never guessed. etcd runs Raft, so a value it
// accepted survives the loss of a minority of its members and every reader sees the same history; it
// has leases (keys that vanish when their owner stops renewing) and compare-and-swap transactions, so
// no consensus protocol of our own is needed. We speak its JSON gateway (etcd-client.ts).
//
// Keys, under /tessera/<cluster>/:
//   members/<id>   JSON NodeInfo, attached to the node's lease: present exactly while the lease lives.
//   leader         the leader's id, attached to the leader's lease, created only if absent (txn on
//                  create_revision == 0), so at most one node holds it at any revision.
//   position/<id>  optional, a node's replicated log position (for the leader claim rule), leased.
//   epoch          JSON {epoch, members, leader, leases, leaderLease}: the numbered description of
//                  the membership. Not leased: it outlives a whole-cluster restart, so epochs only grow.
// The leader named by an epoch is a live member whose current lease holds the leader key; a leader key
// left on the lease of a dead incarnation of a node names no leader. A node restarting under the same
// id revokes its predecessor's lease at join() instead of waiting for it to expire.
//
// The epoch: whenever the live member set (member keys and the leases they hang on, so a node that
// re-joins with a new lease counts as a change) or the leader key differs from what the epoch key
// describes, every member that notices races to write epoch+1 with a txn comparing the epoch key's
// mod_revision with the one it read: exactly one wins, the others re-read. Views are taken from the
// epoch key's values as etcd's watch delivers them, in revision order, so every node sees the same
// sequence of ClusterViews (the same members and leader for the same epoch number), every epoch from
// its join on, none skipped (unless etcd compacted its history past a long-stalled watch: then the
// node takes the latest epoch and the ones between are lost to it). Between two
// epochs the description may briefly lag reality; the epoch number is what other modules key on.
//
// TTL: the lease TTL bounds how long a dead or paused node keeps its membership (the survivors
// remaster after about TTL + one watch round trip). etcd 3.4 with default election settings will
// not grant less than 2 s (1.5 election timeouts rounded up). The default is 3 s (the cluster conf's
// etcd_lease_ttl is 5 s) with a keep-alive every 500 ms, sent from a worker thread (lease-renewer.ts):
// a follower whose event loop stalls for more than about a second stops renewing, and one stalled
// for the TTL is fenced; a leader keeps renewing while its loop is busy for up to leader_stall_limit
// (a long commit or ANALYZE is not a death). A dead or paused process renews nothing, so it is out
// after about the TTL. The phi-accrual detector on interconnect heartbeats suspects much sooner
// (~0.6 s); suspicion only stops sending work to a node, the epoch decides.
//
// Fencing guarantees: a node is fenced (fenced() true, 'fenced' event) when etcd says its lease is
// gone, when its member key disappears, or when it has gone a TTL (minus a safety margin) without a
// successful keep-alive. A fenced node must not serve writes; it re-joins with a new lease (by
// itself once etcd answers, or via rejoin()), which produces a new epoch.
// What fencing does not guarantee: a paused node (SIGSTOP, a long stall) does not know it was
// fenced until it runs again, and events queued in its sockets arrive late. So a writer must ask
// canServeWrites() right before acknowledging a commit: true only while the latest epoch it knows
// includes its current lease and the monotonic clock is before (send time of the last successful
// keep-alive) + TTL − margin. etcd started counting the TTL no
// earlier than that send time, so while canServeWrites() is true the lease is still alive in etcd
// and no other node can have taken over the leader key; the margin covers clock-rate differences
// between this machine and the etcd leader and the time between the check and the acknowledgment.
// It does not cover a pause between the check and the acknowledgment longer than the margin: that
// needs the receiver to check the epoch too (replicas reject writes stamped with an older epoch).
import { EventEmitter } from 'events';
import { ClusterView, NodeInfo } from './cluster-types';
import { EtcdClient, EtcdError, KeyValue, WatchEvent, WatchHandle } from './etcd-client';
import { LeaseRenewer } from './lease-renewer';
import { RenewerEvent } from './lease-renewal-memory';
import { monotonicMs } from './monotonic-clock';

/** What a node may look at when deciding whether to claim the vacant leadership. */
export interface LeaderClaimContext {
  self: NodeInfo;
  /** Live members (member keys present), sorted by id. */
  members: NodeInfo[];
  /** Published replicated log positions of live members (position/<id> keys). */
  positions: Map<number, number>;
}

/** Returns true if this node may claim the leadership now (it still has to win the txn). */
export type LeaderCandidate = (ctx: LeaderClaimContext) => boolean;

/** Default rule: any live member may claim; the first txn wins. */
export const firstComeCandidate: LeaderCandidate = () => true;

/**
 * The member with the highest published position may claim (ties: the lowest id). A member that has
 * not published a position ranks below every member that has.
 */
export const highestPositionCandidate: LeaderCandidate = ({ self, members, positions }) => {
  let best: NodeInfo | null = null;
  let bestPos = -Infinity;
  for (const m of members) {
    const p = positions.get(m.id) ?? -Infinity;
    if (best === null || p > bestPos || (p === bestPos && m.id < best.id)) {
      best = m;
      bestPos = p;
    }
  }
  return best !== null && best.id === self.id;
};

export interface MembershipOptions {
  /** http://host:port of etcd's client URL. */
  endpoint: string;
  /** Cluster name; keys live under /tessera/<cluster>/. */
  cluster: string;
  self: NodeInfo;
  /** Lease TTL in seconds (default 3; etcd raises anything below its minimum, 2 s by default). */
  leaseTtlSeconds?: number;
  /** Keep-alive period (default 500 ms; should be at most a third of the TTL). */
  keepAliveIntervalMs?: number;
  /**
   * How long this node's event loop may be busy while it leads and its lease is still renewed
   * (lease-renewer.ts; leader_stall_limit). A follower's is twice the keep-alive interval. Default 0: the same.
   */
  leaderStallLimitMs?: number;
  /** canServeWrites() turns false this long before the lease could expire (default 10 % of the TTL). */
  safetyMarginMs?: number;
  /** Who may claim a vacant leadership (default firstComeCandidate). */
  leaderCandidate?: LeaderCandidate;
  /** Re-join by itself after being fenced, once etcd answers (default true). */
  autoRejoin?: boolean;
  /** Safety-net re-read of the whole state, in case a watch event was missed (default 1000 ms). */
  resyncIntervalMs?: number;
  /** How long join() waits for an agreed view that includes this node (default 10 s). */
  joinTimeoutMs?: number;
}

interface EpochRecord extends ClusterView {
  /** Lease of each member at this epoch: a member that re-joined with a new lease makes a new epoch. */
  leases: Record<string, string>;
  /** Lease the leader key hangs on (the leader's current lease), null with no leader. */
  leaderLease: string | null;
}

interface State {
  members: Map<number, { info: NodeInfo; lease: string }>;
  leader: number | null;
  leaderLease: string | null;
  leaderKeyPresent: boolean;
  positions: Map<number, number>;
  epoch: EpochRecord | null;
  epochModRevision: number;
}

export type MembershipEvent = 'view' | 'fenced' | 'joined' | 'left' | 'watch-restarted';

const now = monotonicMs;

export class Membership extends EventEmitter {
  readonly self: NodeInfo;
  private readonly client: EtcdClient;
  private readonly root: string;
  private readonly requestedTtl: number;
  private readonly keepAliveIntervalMs: number;
  private readonly marginOption: number | undefined;
  private readonly candidate: LeaderCandidate;
  private readonly autoRejoin: boolean;
  private readonly resyncIntervalMs: number;
  private readonly joinTimeoutMs: number;

  private leaseId: string | null = null;
  /** A previous lease whose revocation has not succeeded yet (revoked before registering anew). */
  private staleLease: string | null = null;
  /** Revision at which the current lease's member key was written. */
  private memberRevision = 0;
  private ttlMs = 0;
  /** monotonicMs() when the grant of the current lease was sent (later keep-alives: the renewer's). */
  private renewedAt = 0;
  /** Sends the keep-alives, from a worker thread (made at the first join). */
  private renewer: LeaseRenewer | null = null;
  private readonly leaderStallLimitMs: number;
  private isFenced = false;
  private active = false; // between join() and leave()/close()
  private suspended = false; // test hook: simulates SIGSTOP
  private current: EpochRecord | null = null;
  private watchHandle: WatchHandle | null = null;
  private watchRevision = 0;
  /** performance.now() since when a read showed a newer epoch than the watch delivered (0: not behind). */
  private watchBehindSince = 0;
  private pendingEvents: WatchEvent[][] = [];
  private fenceTimer: NodeJS.Timeout | null = null;
  private resyncTimer: NodeJS.Timeout | null = null;
  private rejoinTimer: NodeJS.Timeout | null = null;
  private reconciling: Promise<void> | null = null;
  private reconcileAgain = false;
  private rejoining = false;
  private position: number | null = null;
  /** The last error etcd gave (for diagnostics). */
  lastError: Error | null = null;

  constructor(options: MembershipOptions) {
    super();
    this.self = { ...options.self };
    this.client = new EtcdClient(options.endpoint, { timeoutMs: 2000 });
    this.root = `/tessera/${options.cluster}/`;
    this.requestedTtl = options.leaseTtlSeconds ?? 3;
    this.keepAliveIntervalMs = options.keepAliveIntervalMs ?? 500;
    this.marginOption = options.safetyMarginMs;
    this.candidate = options.leaderCandidate ?? firstComeCandidate;
    this.autoRejoin = options.autoRejoin ?? true;
    this.resyncIntervalMs = options.resyncIntervalMs ?? 1000;
    this.joinTimeoutMs = options.joinTimeoutMs ?? 10_000;
    this.leaderStallLimitMs = options.leaderStallLimitMs ?? 0;
  }

  // ---- public API ------------------------------------------------------------------------------

  /** The latest agreed view this node has seen (null before the first). */
  view(): ClusterView | null {
    return this.current === null ? null : toView(this.current);
  }

  fenced(): boolean {
    return this.isFenced;
  }

  /** Resolves with the first agreed view (the current one included) for which pred holds. */
  waitForView(pred: (view: ClusterView) => boolean, timeoutMs: number): Promise<ClusterView> {
    return this.waitFor((rec) => pred(toView(rec)), timeoutMs, 'no agreed view matching the condition');
  }

  /** The lease this node currently holds (null when fenced or not joined). */
  lease(): string | null {
    return this.leaseId;
  }

  /**
   * True only while this node's lease is certainly alive in etcd and the latest agreed epoch it knows
   * includes it under that lease: not fenced, and the monotonic clock is before (send time of the
   * last successful keep-alive) + TTL − margin. Check it right before acknowledging a write.
   * (A node that just re-joined waits for the epoch describing its new lease: the views it had before
   * are stale and may still name it leader.)
   */
  canServeWrites(): boolean {
    if (!this.active || this.isFenced || this.leaseId === null) return false;
    if (this.current === null || this.current.leases[String(this.self.id)] !== this.leaseId) return false;
    return now() < this.writeDeadline();
  }

  /** This node leads the latest agreed epoch and may act on it (its lease is valid). */
  isLeader(): boolean {
    const c = this.current;
    return c !== null && c.leader === this.self.id && c.leaderLease === this.leaseId && this.canServeWrites();
  }

  /**
   * Grants a lease, registers this node under it, starts keep-alives and the watch, and resolves with
   * the first agreed view that includes this node under its new lease.
   */
  async join(): Promise<ClusterView> {
    if (this.active) throw new Error(`node ${this.self.id} has already joined`);
    this.active = true;
    try {
      await this.revokeGhost();
      await this.register();
      const start = await this.client.range(this.root);
      this.adoptEpoch(parseState(this.root, start.kvs).epoch);
      this.startWatch(start.revision + 1);
      this.resyncTimer = setInterval(() => this.scheduleReconcile(), this.resyncIntervalMs);
      this.scheduleReconcile();
      return await this.waitForOwnView();
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  /**
   * Drops the current lease (if any) and joins again with a new one: the others see a new member
   * incarnation, so a new epoch is agreed. Resolves with the first view that includes the new lease.
   */
  async rejoin(): Promise<ClusterView> {
    if (!this.active) throw new Error(`node ${this.self.id} has not joined`);
    await this.rejoinOnce();
    return this.waitForOwnView();
  }

  /** Leaves the cluster: revokes the lease (its keys vanish, the others agree a new epoch) and stops. */
  async leave(): Promise<void> {
    const leases = [this.leaseId, this.staleLease].filter((l): l is string => l !== null);
    this.stopActivity();
    try {
      for (const lease of leases) await this.client.leaseRevoke(lease);
    } finally {
      this.client.close();
      await this.renewer?.close();
      this.renewer = null;
      this.emit('left');
    }
  }

  /** Stops everything without revoking the lease (as if the process died): the lease expires later. */
  async close(): Promise<void> {
    this.stopActivity();
    this.client.close();
    await this.renewer?.close();
    this.renewer = null;
  }

  /**
   * Revokes another member's lease, as the latest agreed epoch records it: its keys vanish and the
   * others agree a new epoch at once instead of after its TTL. For a member the failure detector
   * suspects. Safe when the suspicion is false: the member is fenced (it learns so at its next
   * keep-alive) and re-joins; what it did meanwhile cannot count, since its peers follow the new epoch.
   */
  async expel(nodeId: number): Promise<boolean> {
    const lease = this.current?.leases[String(nodeId)];
    if (lease === undefined || nodeId === this.self.id || !this.canServeWrites()) return false;
    await this.client.leaseRevoke(lease);
    return true;
  }

  /** Publishes this node's replicated log position (position/<id>, leased) for the leader claim rule. */
  async publishPosition(position: number): Promise<void> {
    this.position = position;
    if (this.leaseId !== null && !this.isFenced) {
      await this.client.put(`${this.root}position/${this.self.id}`, String(position), this.leaseId);
    }
  }

  /** Test hook: behave as if the process were stopped (SIGSTOP): no keep-alives, no reactions. */
  suspendForTest(): void {
    this.suspended = true;
    this.renewer?.setSuspended(true);
  }

  /** Test hook: the keep-alive thread dies (it renews nothing more; the next lease gets a new one). */
  async killRenewalThreadForTest(): Promise<void> {
    await this.renewer?.close();
  }

  /** Test hook: the process runs again (SIGCONT): late timers fire, queued watch events arrive. */
  resumeForTest(): void {
    if (!this.suspended) return;
    this.suspended = false;
    this.checkDeadline();
    const queued = this.pendingEvents;
    this.pendingEvents = [];
    for (const events of queued) this.onWatchEvents(events);
    this.renewer?.setSuspended(false);
    this.scheduleReconcile();
  }

  // ---- lease and fencing -----------------------------------------------------------------------

  private marginMs(): number {
    return this.marginOption ?? Math.round(this.ttlMs * 0.1);
  }

  /** The send time of the latest keep-alive etcd answered for the current lease (or of its grant). */
  private lastRenewal(): number {
    return Math.max(this.renewedAt, this.renewer?.renewedAt() ?? 0);
  }

  private writeDeadline(): number {
    return this.lastRenewal() + this.ttlMs - this.marginMs();
  }

  /**
   * A previous incarnation of this node (killed, restarted) may still hold a lease with our member
   * key, and perhaps the leader key, on it: revoke it now rather than wait for it to expire.
   */
  private async revokeGhost(): Promise<void> {
    const old = await this.client.get(`${this.root}members/${this.self.id}`);
    if (old !== null && old.lease !== '0') await this.client.leaseRevoke(old.lease);
  }

  /** Grants a new lease and puts this node's keys under it. */
  private async register(): Promise<void> {
    const sentAt = now();
    const granted = await this.client.leaseGrant(this.requestedTtl);
    if (granted.ttl <= 0) throw new EtcdError(`etcd granted lease ${granted.id} with TTL ${granted.ttl}`);
    try {
      this.memberRevision = await this.client.put(`${this.root}members/${this.self.id}`, JSON.stringify(this.self), granted.id);
      if (this.position !== null) {
        await this.client.put(`${this.root}position/${this.self.id}`, String(this.position), granted.id);
      }
    } catch (err) {
      await this.client.leaseRevoke(granted.id).catch(() => undefined);
      throw err;
    }
    if (!this.active) {
      // close() or leave() ran meanwhile: do not leave a registered lease behind.
      await this.client.leaseRevoke(granted.id).catch(() => undefined);
      throw new Error(`node ${this.self.id} stopped while joining`);
    }
    this.leaseId = granted.id;
    this.ttlMs = granted.ttl * 1000;
    this.renewedAt = sentAt;
    this.isFenced = false;
    if (this.renewer?.alive !== true) {
      void this.renewer?.close();
      this.renewer = new LeaseRenewer({ endpoint: this.client.endpoint, intervalMs: this.keepAliveIntervalMs, requestTimeoutMs: 2000 }, (e) => this.onRenewerEvent(e));
    }
    this.renewer.setSuspended(this.suspended);
    this.renewer.start(granted.id, sentAt, this.ttlMs, this.marginMs());
    this.updateStallAllowance();
    this.armFenceTimer();
    this.emit('joined', granted.id);
  }

  /** A leader's event loop may stay busy longer than a follower's before its lease is left to lapse (lease-renewer.ts). */
  private updateStallAllowance(): void {
    const c = this.current;
    this.renewer?.setLeading(c !== null && c.leader === this.self.id && c.leaderLease === this.leaseId, this.leaderStallLimitMs);
  }

  private onRenewerEvent(e: RenewerEvent): void {
    if (e.lease !== this.leaseId || this.isFenced || !this.active) return;
    if (e.kind === 'gone') this.fence(`etcd reports lease ${e.lease} gone`);
    else if (e.kind === 'late') this.fence(`no keep-alive answered within the lease TTL (${this.ttlMs} ms)`);
    else {
      this.lastError = new EtcdError(e.message);
      this.checkDeadline();
    }
  }

  private armFenceTimer(): void {
    if (this.fenceTimer !== null) clearTimeout(this.fenceTimer);
    const wait = Math.max(0, this.writeDeadline() - now());
    this.fenceTimer = setTimeout(() => {
      this.fenceTimer = null;
      this.checkDeadline();
    }, wait + 1);
  }

  private checkDeadline(): void {
    if (this.suspended || !this.active || this.isFenced || this.leaseId === null) return;
    if (now() >= this.writeDeadline()) {
      this.fence(`no successful keep-alive for ${Math.round(now() - this.lastRenewal())} ms (lease TTL ${this.ttlMs} ms)`);
    } else if (this.fenceTimer === null) {
      this.armFenceTimer();
    }
  }

  private fence(reason: string): void {
    if (this.isFenced || !this.active) return;
    this.isFenced = true;
    this.renewer?.stop();
    if (this.fenceTimer !== null) clearTimeout(this.fenceTimer);
    this.fenceTimer = null;
    this.emit('fenced', reason);
    if (this.autoRejoin) this.scheduleRejoin(0);
  }

  private scheduleRejoin(delayMs: number): void {
    if (this.rejoinTimer !== null || !this.active) return;
    this.rejoinTimer = setTimeout(() => {
      this.rejoinTimer = null;
      if (this.suspended) {
        this.scheduleRejoin(50);
        return;
      }
      this.rejoinOnce().catch((err: Error) => {
        this.lastError = err;
        this.scheduleRejoin(250);
      });
    }, delayMs);
  }

  /** Revokes the old lease (ending any leadership it carried), then registers under a new one. */
  private async rejoinOnce(): Promise<void> {
    if (this.rejoining) return;
    this.rejoining = true;
    try {
      if (this.leaseId !== null) this.staleLease = this.leaseId;
      this.isFenced = true; // no writes while between leases
      this.leaseId = null;
      if (this.staleLease !== null) {
        await this.client.leaseRevoke(this.staleLease);
        this.staleLease = null;
      }
      await this.register();
      this.scheduleReconcile();
    } finally {
      this.rejoining = false;
    }
  }

  private stopActivity(): void {
    this.active = false;
    this.leaseId = null;
    this.suspended = false;
    this.renewer?.stop();
    if (this.resyncTimer !== null) clearInterval(this.resyncTimer);
    for (const t of [this.fenceTimer, this.rejoinTimer]) if (t !== null) clearTimeout(t);
    this.resyncTimer = this.fenceTimer = this.rejoinTimer = null;
    this.watchHandle?.cancel();
    this.watchHandle = null;
  }

  // ---- watch and views -------------------------------------------------------------------------

  /**
   * A watch stream can die without an error (a connection silently dropped on the way): if reads keep
   * showing an epoch the watch has not delivered for two resync periods, the watch is restarted from
   * the last revision it delivered.
   */
  private checkWatchLag(state: State): void {
    const behind = state.epoch !== null && (this.current === null || state.epoch.epoch > this.current.epoch);
    if (!behind) {
      this.watchBehindSince = 0;
    } else if (this.watchBehindSince === 0) {
      this.watchBehindSince = now();
    } else if (now() - this.watchBehindSince > 2 * this.resyncIntervalMs && this.active) {
      this.watchBehindSince = 0;
      this.watchHandle?.cancel();
      this.startWatch(this.watchRevision);
      this.emit('watch-restarted');
    }
  }

  private startWatch(fromRevision: number): void {
    this.watchRevision = fromRevision;
    this.watchHandle = this.client.watch(this.root, fromRevision, {
      onEvents: (events) => {
        if (this.suspended) this.pendingEvents.push(events);
        else this.onWatchEvents(events);
      },
      onCompacted: () => this.resyncAfterCompaction(),
      onError: (err) => (this.lastError = err),
    });
  }

  private onWatchEvents(events: WatchEvent[]): void {
    let changed = false;
    const ownKey = `${this.root}members/${this.self.id}`;
    for (const e of events) {
      this.watchRevision = e.kv.modRevision + 1;
      if (e.kv.key === `${this.root}epoch`) {
        if (e.type === 'PUT') this.adoptEpoch(parseEpoch(e.kv.value));
      } else {
        changed = true;
        if (e.kv.key === ownKey && e.type === 'DELETE' && e.kv.modRevision > this.memberRevision &&
          this.leaseId !== null && !this.isFenced) {
          // Our current registration vanished while we thought the lease alive (expired, revoked,
          // deleted). A delete older than it is the revocation of our previous lease.
          this.fence(`member key ${ownKey} was deleted`);
        }
      }
    }
    if (changed) this.scheduleReconcile();
  }

  /**
   * Takes an epoch record as the current view if it is newer; emits 'view' with the view and whether
   * it names this node leader under its current lease. A view naming this node leader under another
   * lease was agreed before this incarnation joined (join() adopts the stored epoch, whose leader key
   * hung on the lease of a dead predecessor, revoked by revokeGhost): it names no leader this node may
   * act as, and the next epoch says so.
   */
  private adoptEpoch(record: EpochRecord | null): void {
    if (record === null) return;
    if (this.current !== null && record.epoch <= this.current.epoch) return;
    this.current = record;
    this.updateStallAllowance();
    this.emit('view', toView(record), record.leader === this.self.id && record.leaderLease !== null && record.leaderLease === this.leaseId);
  }

  /** Events were compacted away: epochs may have been missed; take the latest from a full read. */
  private resyncAfterCompaction(): void {
    this.client.range(this.root).then(
      (read) => {
        this.adoptEpoch(parseState(this.root, read.kvs).epoch);
        this.scheduleReconcile();
      },
      (err: Error) => (this.lastError = err),
    );
  }

  private waitForOwnView(): Promise<ClusterView> {
    return this.waitFor(
      (rec) => this.leaseId !== null && rec.leases[String(this.self.id)] === this.leaseId,
      this.joinTimeoutMs,
      'no agreed view including it',
    );
  }

  private waitFor(pred: (rec: EpochRecord) => boolean, timeoutMs: number, what: string): Promise<ClusterView> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const rec = this.current;
        if (rec === null || !pred(rec)) return;
        cleanup();
        resolve(toView(rec));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`node ${this.self.id}: ${what} within ${timeoutMs} ms` +
          (this.lastError ? ` (last etcd error: ${this.lastError.message})` : '')));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.off('view', check);
      };
      this.on('view', check);
      check();
    });
  }

  // ---- reconciliation: claim the leadership, bump the epoch ------------------------------------

  private scheduleReconcile(): void {
    if (!this.active || this.suspended) return;
    if (this.reconciling !== null) {
      this.reconcileAgain = true;
      return;
    }
    this.reconciling = (async () => {
      do {
        this.reconcileAgain = false;
        try {
          await this.reconcile();
        } catch (err) {
          this.lastError = err as Error;
        }
      } while (this.reconcileAgain && this.active && !this.suspended);
    })().finally(() => (this.reconciling = null));
  }

  /** Reads the state and, until it is described by the epoch key, claims leadership / bumps the epoch. */
  private async reconcile(): Promise<void> {
    for (let round = 0; round < 8; round++) {
      if (!this.active || this.suspended || this.isFenced || this.leaseId === null) return;
      const lease = this.leaseId;
      const read = await this.client.range(this.root);
      // Views come from the watch only (in order, so no epoch is skipped); this read just decides.
      const state = parseState(this.root, read.kvs);
      this.checkWatchLag(state);
      const me = state.members.get(this.self.id);
      if (me === undefined || me.lease !== lease) {
        // Registration gone (expired or overwritten) while we hold this lease: we are out.
        if (this.leaseId === lease && !this.isFenced) this.fence(`member key for node ${this.self.id} is gone`);
        return;
      }
      if (!state.leaderKeyPresent) {
        const members = [...state.members.values()].map((m) => m.info).sort((a, b) => a.id - b.id);
        if (this.candidate({ self: this.self, members, positions: state.positions })) {
          const leaderKey = `${this.root}leader`;
          const r = await this.client.txn(
            [{ key: leaderKey, target: 'CREATE', result: 'EQUAL', value: 0 }],
            [{ put: { key: leaderKey, value: String(this.self.id), lease } }],
          );
          if (r.succeeded) continue; // re-read, then describe the new leader in a new epoch
        }
      }
      const wanted = describe(state);
      if (state.epoch !== null && sameDescription(state.epoch, wanted)) return;
      const next: EpochRecord = { ...wanted, epoch: (state.epoch?.epoch ?? 0) + 1 };
      const epochKey = `${this.root}epoch`;
      await this.client.txn(
        [{ key: epochKey, target: 'MOD', result: 'EQUAL', value: state.epochModRevision }],
        [{ put: { key: epochKey, value: JSON.stringify(next) } }],
      );
      // Won or lost, re-read: someone else's epoch may describe the same state, or a newer one.
    }
    // Still not settled after 8 rounds (a burst of changes): the next event or resync goes on.
  }
}

function toView(r: EpochRecord): ClusterView {
  return { epoch: r.epoch, members: r.members.map((m) => ({ ...m })), leader: r.leader };
}

function parseEpoch(text: string): EpochRecord | null {
  try {
    const r = JSON.parse(text);
    if (typeof r.epoch !== 'number' || !Array.isArray(r.members)) return null;
    return { epoch: r.epoch, members: r.members, leader: r.leader ?? null, leases: r.leases ?? {}, leaderLease: r.leaderLease ?? null };
  } catch {
    return null;
  }
}

function parseState(root: string, kvs: KeyValue[]): State {
  const state: State = {
    members: new Map(),
    leader: null,
    leaderLease: null,
    leaderKeyPresent: false,
    positions: new Map(),
    epoch: null,
    epochModRevision: 0,
  };
  for (const kv of kvs) {
    const rest = kv.key.slice(root.length);
    if (rest.startsWith('members/')) {
      try {
        const info = JSON.parse(kv.value) as NodeInfo;
        state.members.set(info.id, { info, lease: kv.lease });
      } catch {
        // A malformed registration is not a member.
      }
    } else if (rest.startsWith('position/')) {
      state.positions.set(Number(rest.slice('position/'.length)), Number(kv.value));
    } else if (rest === 'leader') {
      state.leaderKeyPresent = true;
      state.leader = Number(kv.value);
      state.leaderLease = kv.lease;
    } else if (rest === 'epoch') {
      state.epoch = parseEpoch(kv.value);
      state.epochModRevision = kv.modRevision;
    }
  }
  // Positions of nodes that are not live members do not count.
  for (const id of [...state.positions.keys()]) if (!state.members.has(id)) state.positions.delete(id);
  return state;
}

/** The epoch description of a state (without the number). */
function describe(state: State): Omit<EpochRecord, 'epoch'> {
  const ids = [...state.members.keys()].sort((a, b) => a - b);
  const leases: Record<string, string> = {};
  for (const id of ids) leases[String(id)] = state.members.get(id)!.lease;
  // A leader key left by a previous incarnation of a node (its old lease not yet expired) names no
  // live leader: nobody leads until it expires or is revoked.
  const m = state.leader === null ? undefined : state.members.get(state.leader);
  const leads = m !== undefined && m.lease === state.leaderLease;
  return {
    members: ids.map((id) => state.members.get(id)!.info),
    leader: leads ? state.leader : null,
    leaderLease: leads ? state.leaderLease : null,
    leases,
  };
}

function sameDescription(a: Omit<EpochRecord, 'epoch'>, b: Omit<EpochRecord, 'epoch'>): boolean {
  return (
    a.leader === b.leader &&
    a.leaderLease === b.leaderLease &&
    a.members.length === b.members.length &&
    a.members.every((m, i) => sameNode(m, b.members[i]) && a.leases[String(m.id)] === b.leases[String(m.id)])
  );
}

function sameNode(a: NodeInfo, b: NodeInfo): boolean {
  return a.id === b.id && a.host === b.host && a.interconnectPort === b.interconnectPort && a.clientPort === b.clientPort;
}
