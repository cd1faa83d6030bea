// One server process's part in a cluster: it joins the agreed membership (etcd), links to the other
// nodes (interconnect), and plays the role the membership gives it.
//
// - The leader runs the engine. Its store is a ReplicatedKv: every write is sent to every follower and
//   a commit is acknowledged only once replication_factor nodes (and every in-sync follower) hold it.
// - A follower keeps a Replica of the leader's store, written in the leader's order, and relays its
//   clients to the leader (client-proxy.ts). It also runs a read-only engine over that copy (a standby,
//   standby.ts), kept current with every batch it applies, for its clients' reads.
// - When the leader is gone (its lease expired: dead, paused, or cut off from etcd), the agreed view
//   shows no leader. Every follower stops taking batches, waits for its last ones to be durable, and
//   publishes its position; once every live member has, and they are a majority of the configured
//   nodes, the one with the highest position claims the leadership (etcd decides who wins), opens the
//   engine on its copy and serves. With replication_factor + majority > nodes, that copy holds every
//   acknowledged commit.
// - A leader that loses its lease stops acknowledging (its pending commits fail), closes its engine and
//   comes back as a follower with a new lease; the new leader gives it what it lacks (resent batches,
//   or a whole copy when it had written batches nobody else received).
import { Database } from '../engine/database';
import { lockDataDirectory } from '../engine/data-dir-lock';
import { KvStore, LmdbKv } from '../storage/kv-store';
import type { ClusterNodeRow } from '../sql/bind-cluster-nodes';
import { ClusterSettings } from '../types/cluster-settings';
import { ClusterView, NodeInfo } from './cluster-types';
import { Interconnect } from './interconnect';
import { provideInterconnectStats } from './interconnect-stats-view';
import { KvEntries, Position } from './kv-batch';
import { LeaderClaimContext, Membership, highestPositionCandidate } from './membership';
import { fetchChunksAt, gatherElsewhere, serveChunks } from './chunk-transfer';
import { followerFragmentProvider, provideRemoteFragments } from './fragment-provider';
import { serveFragments } from './fragment-service';
import { Placement } from './placement';
import { ReadLeaseHolder, leaderReadGate, serveReadLeases } from './read-lease';
import { Replica, ReplicaListener } from './replica';
import { Standby, StandbyHandle } from './standby';
import { NotLeaderError, ReplicatedKv, requestTrim, serveReplica } from './replication';

/** How often a leader with every configured node in sync lets followers drop chunks placed elsewhere. */
const TRIM_INTERVAL_MS = 1000;

export interface ClusterNodeOptions {
  self: NodeInfo;
  /** Every node the cluster conf lists, self included. */
  nodes: NodeInfo[];
  settings: ClusterSettings;
  dataDirectory: string;
  synchronousCommit: boolean;
  /** Opens the engine over the leader's store. */
  openDatabase(kv: KvStore): Promise<Database>;
  /** This node now leads: serve clients on `db`. */
  onLeader(db: Database): Promise<void>;
  /** This node stops leading: end the sessions on its engine (it is closed next). */
  onStepDown(): Promise<void>;
  /** Settings of the followers' standby engine (the server's, as the leader's engine gets); cluster_node_id is added. */
  standbySettings?: Map<string, string>;
  log?: (line: string) => void;
}

export type ClusterRole = 'follower' | 'promoting' | 'leader' | 'stepping-down' | 'closed';

/** A position as one number that orders like (term, seq), for the leader claim rule. */
export function positionRank(p: Position): number {
  return p.term * 2 ** 32 + p.seq;
}

export class ClusterNode {
  private role: ClusterRole = 'follower';
  private kv: LmdbKv;
  private replica: Replica;
  private replicated: ReplicatedKv | null = null;
  private db: Database | null = null;
  private following: number | null = null;
  private current: ClusterView | null = null;
  readonly interconnect: Interconnect;
  readonly membership: Membership;
  private readonly log: (line: string) => void;
  /** Role changes run one after another. */
  private transition: Promise<void> = Promise.resolve();
  private unprovide: (() => void) | null = null;
  private readonly placement: Placement;
  private trimTimer: NodeJS.Timeout | null = null;
  /** The data directory is this process's for as long as the node runs, whatever its role. */
  private readonly unlock: () => void;
  /** The read-only engine over this follower's copy (null: leading, or no consistent copy yet). */
  private standbyEngine: Standby | null = null;
  /** An ensureStandby is queued. */
  private standbyWanted = false;
  /**
   * Batches applied while a standby engine opens (null: none is opening). Its engine reads the copy
   * at some point of the open: it is refreshed with them before it takes any statement.
   */
  private openingBatches: [number, KvEntries][] | null = null;
  /** The leader followed now said this node is in sync (replication.ts tellInSync). */
  private countedInSync = false;
  /** The followed leader's word, renewed, that its commits wait for this node: local reads need it. */
  private readonly readLease: ReadLeaseHolder;

  constructor(private readonly options: ClusterNodeOptions) {
    this.unlock = lockDataDirectory(options.dataDirectory);
    this.log = options.log ?? ((line) => console.log(`tessera: ${line}`));
    this.placement = new Placement(options.nodes.map((n) => n.id), options.settings.replicationFactor);
    this.kv = new LmdbKv(options.dataDirectory, options.synchronousCommit);
    this.replica = this.newReplica();
    const s = options.settings;
    this.interconnect = new Interconnect({
      self: options.self,
      peers: options.nodes,
      batchWindowMs: s.batchWindowMs,
      maxBatch: s.maxBatch,
      heartbeatIntervalMs: s.heartbeatIntervalMs,
      phiThreshold: s.phiThreshold,
      acceptablePauseMs: s.acceptablePauseMs,
      log: (line) => this.log(`cluster: ${line}`),
    });
    serveReplica(
      this.interconnect,
      () => (this.role === 'follower' ? this.replica : null),
      () => this.following,
      // serveReplica answers only the leader this node follows.
      () => {
        this.countedInSync = true;
        this.readLease.renew();
      },
    );
    this.readLease = new ReadLeaseHolder(this.interconnect, s.readLeaseMs, () => (this.role === 'follower' ? this.following : null));
    this.readLease.start();
    serveReadLeases(this.interconnect, (from) => (this.role === 'leader' && this.replicated !== null ? this.replicated.grantReadLease(from) : { readMs: 0, supported: false }));
    serveChunks(
      this.interconnect,
      () => (this.role === 'closed' || this.role === 'stepping-down' ? null : this.kv),
      // A follower's store that a copy is replacing holds kept bytes of its old history too (replica.ts).
      () => this.role !== 'leader' && this.replica.receivingCopy,
    );
    serveFragments(this.interconnect, () => (this.role === 'follower' ? this.replica : null), {
      // Requests come from the leader or from another follower's standby: chunks come from the leader.
      chunkHolder: () => this.following,
      generationOf: (tableId) => this.standbyEngine?.generationOf(tableId),
    });
    const majority = Math.floor(options.nodes.length / 2) + 1;
    this.membership = new Membership({
      endpoint: s.etcdEndpoints[0],
      cluster: s.name,
      self: options.self,
      leaseTtlSeconds: Math.max(1, Math.round(s.leaseTtlMs / 1000)),
      leaderStallLimitMs: s.leaderStallLimitMs,
      // Only a majority elects, only nodes that stopped following take part, and the most complete copy wins.
      leaderCandidate: (ctx: LeaderClaimContext) =>
        ctx.members.length >= majority && ctx.members.every((m) => (ctx.positions.get(m.id) ?? -1) >= 0) && highestPositionCandidate(ctx),
    });
  }

  async start(): Promise<void> {
    this.interconnect.onSuspicion((peer, suspected) => {
      if (suspected) void this.onSuspected(peer);
    });
    await this.interconnect.listen();
    this.membership.on('view', (v: ClusterView, ownLeadership: boolean) => this.enqueue(() => this.onView(v, ownLeadership)));
    this.membership.on('fenced', () => this.enqueue(() => this.onFenced()));
    // A position of -1: not a candidate until this node has seen the leadership vacant.
    await this.membership.publishPosition(-1).catch(() => undefined);
    await this.membership.join();
  }

  /** Where clients of a follower go: the leader's client port (null: none known, or this node not ready). */
  leaderTarget(): { host: string; port: number } | null {
    const v = this.current;
    if (v === null || v.leader === null || v.leader === this.options.self.id) return null;
    const leader = v.members.find((m) => m.id === v.leader);
    return leader === undefined ? null : { host: leader.host, port: leader.clientPort };
  }

  position(): Position {
    return this.replicated !== null ? this.replicated.position() : this.replica.position();
  }

  /** tessera_cluster_nodes(): every configured node, as this leader sees it. */
  private nodeRows(): ClusterNodeRow[] {
    const v = this.current;
    const followers = new Map((this.replicated?.followerStates() ?? []).map((f) => [f.id, f]));
    const suspected = new Set(this.interconnect.suspected());
    return this.options.nodes.map((n) => {
      const live = v?.members.some((m) => m.id === n.id) ?? false;
      const isLeader = v?.leader === n.id;
      const f = followers.get(n.id);
      return {
        id: n.id,
        host: n.host,
        clientPort: n.clientPort,
        interconnectPort: n.interconnectPort,
        role: !live ? 'absent' : isLeader ? 'leader' : 'follower',
        epoch: v?.epoch ?? 0,
        replicatedSeq: n.id === this.options.self.id ? this.position().seq : (f?.acked ?? null),
        inSync: n.id === this.options.self.id ? true : (f?.inSync ?? null),
        suspected: suspected.has(n.id),
      };
    });
  }

  private newReplica(): Replica {
    const replica = new Replica(this.kv, { self: this.options.self.id, placement: this.placement });
    replica.listen(this.standbyListener);
    return replica;
  }

  /** The standby engine of this follower (h-route sends its clients' read-only statements there); null while not following or not ready. */
  standby(): StandbyHandle | null {
    return this.role === 'follower' ? this.standbyEngine : null;
  }

  /** The replica's changes go to the standby open at the time. */
  private readonly standbyListener: ReplicaListener = {
    applied: (seq, entries) => {
      if (this.standbyEngine !== null) this.standbyEngine.applied(seq, entries);
      else if (this.openingBatches !== null) this.openingBatches.push([seq, entries]);
      // The first batch of an empty copy (or one applied while none was open): a standby can open now.
      else if (!this.standbyWanted) {
        this.standbyWanted = true;
        this.enqueue(async () => {
          this.standbyWanted = false;
          await this.ensureStandby();
        });
      }
    },
    trimmed: (keys) => this.standbyEngine?.trimmed(keys),
    // A whole copy replaces the store: the standby's sessions end before its first key goes.
    replacing: () => this.closeStandby(),
    replaced: () => this.enqueue(() => this.ensureStandby()),
  };

  /** Opens the standby when this node follows a leader with a consistent copy and has none open. */
  private async ensureStandby(): Promise<void> {
    if (this.role !== 'follower' || this.standbyEngine !== null || this.following === null || this.replica.receivingCopy || this.replica.position().seq === 0) return;
    const replica = this.replica;
    const settings = new Map(this.options.standbySettings ?? []);
    settings.set('cluster_node_id', String(this.options.self.id));
    // The planner's join distribution (planner/join-distribution.ts) counts the nodes its statements
    // run on: every configured node but the leader (fragmentPeers).
    settings.set('cluster_nodes', String(Math.max(1, this.options.nodes.length - 1)));
    this.openingBatches = [];
    let standby: Standby;
    let missed: [number, KvEntries][];
    try {
      standby = await Standby.open({
        replica,
        fetch: (keys) => {
          const leader = this.following;
          if (leader === null) return Promise.reject(Object.assign(new Error('this node follows no leader now: chunks held elsewhere cannot be fetched'), { code: '40001' }));
          return fetchChunksAt(this.interconnect, leader, keys);
        },
        leaderCountsInSync: () => this.leaderCountsInSync(),
        leaderCountsInSyncSoon: (maxMs) => this.leaderCountsInSyncSoon(maxMs),
        dataDirectory: this.options.dataDirectory,
        settings,
        log: (line) => this.log(`cluster: ${line}`),
      });
    } finally {
      missed = this.openingBatches;
      this.openingBatches = null;
    }
    // The role or the copy changed while it opened: not this one.
    if (this.role !== 'follower' || this.replica !== replica || replica.receivingCopy || this.standbyEngine !== null) {
      await standby.close();
      return;
    }
    standby.onFailure = () => this.enqueue(async () => {
      if (this.standbyEngine !== standby) return;
      await this.closeStandby();
      await this.ensureStandby();
    });
    for (const [seq, entries] of missed) standby.applied(seq, entries);
    // Its clients' parallel statements take morsels to the other followers (the leader stays free for writes).
    standby.database.remoteFragments = followerFragmentProvider(this.interconnect, {
      self: this.options.self.id,
      peers: () => this.fragmentPeers(),
      position: () => replica.position().seq,
      holds: (node, key) => this.placement.holds(node, key),
    });
    this.standbyEngine = standby;
  }

  /** The nodes a follower's standby sends fragments to: the agreed members but this node and its leader. */
  private fragmentPeers(): number[] {
    const v = this.current;
    if (v === null || this.role !== 'follower') return [];
    return v.members.map((m) => m.id).filter((id) => id !== this.options.self.id && id !== this.following && id !== v.leader);
  }

  /** Ends the standby's sessions and closes its engine (before promotion, a whole copy, closing). */
  private async closeStandby(): Promise<void> {
    const standby = this.standbyEngine;
    this.standbyEngine = null;
    if (standby !== null) await standby.close().catch((err) => this.log(`cluster: the standby engine closed with: ${(err as Error).message}`));
  }

  /** This node no longer follows the leader it did (it follows `next`, or none): its word and count are gone. */
  private stopFollowing(next: number | null): void {
    this.following = next;
    this.countedInSync = false;
    this.readLease.drop();
  }

  /** leaderCountsInSync, after asking for a read lease now when it alone is missing (ReadLeaseHolder.renewNow). */
  private async leaderCountsInSyncSoon(maxMs: number): Promise<boolean> {
    if (this.leaderCountsInSync()) return true;
    if (!this.countedInSync || this.following === null || this.role !== 'follower' || this.readLease.valid()) return false;
    await this.readLease.renewNow(maxMs);
    return this.leaderCountsInSync();
  }

  private leaderCountsInSync(): boolean {
    const leader = this.following;
    if (!this.countedInSync || leader === null || this.role !== 'follower' || !this.readLease.valid()) return false;
    if (!this.interconnect.isConnected(leader) || this.interconnect.suspected().includes(leader)) return false;
    // The leader stops waiting for this node once the agreed membership drops it (its lease expired:
    // a pause, or cut off from etcd) without telling it, and a paused node hears of the new epoch
    // late. While this node's own lease is surely alive by the monotonic clock, and the latest view
    // it knows names it and that leader, no such epoch can have been agreed (the same test a leader
    // makes before acknowledging a commit). canServeWrites() checks that this node's lease is in that
    // view (the view's leases are its members'); the leader is checked here.
    return this.membership.canServeWrites() && this.membership.view()?.leader === leader;
  }

  /**
   * While every configured node is a member and in sync, followers may drop the bytes of chunks the
   * placement puts elsewhere: every chunk's holders (and this leader) then have them.
   */
  private trimFollowers(): void {
    const v = this.current;
    const upTo = this.replicated?.durableEverywhere() ?? null;
    if (v === null || upTo === null || v.members.length < this.options.nodes.length) return;
    for (const m of v.members) {
      if (m.id === this.options.self.id) continue;
      requestTrim(this.interconnect, m.id, upTo).catch(() => undefined);
    }
  }

  private enqueue(step: () => Promise<void>): void {
    this.transition = this.transition.then(step).catch((err) => this.log(`cluster: ${(err as Error).stack ?? err}`));
  }

  /** `ownLeadership`: the view names this node leader under its current etcd lease (Membership.adoptEpoch). */
  private async onView(view: ClusterView, ownLeadership: boolean): Promise<void> {
    if (this.role === 'closed') return;
    const self = this.options.self.id;
    // The stored epoch a restarted node adopts as it joins may name its dead predecessor leader. Taken as
    // its own, the node promoted itself, and with every node restarted its followers refused its term and
    // it waited for them forever, never reaching the next (leaderless) epoch: no leader was ever elected.
    if (view.leader === self && !ownLeadership) return;
    this.current = view;
    const others = view.members.filter((m) => m.id !== self).map((m) => m.id);
    if (view.leader === self) {
      if (this.role === 'follower') await this.promote(view);
      else this.replicated?.setFollowers(others);
      return;
    }
    if (this.role === 'leader' || this.role === 'promoting') {
      await this.stepDown(`epoch ${view.epoch} names ${view.leader === null ? 'no leader' : `node ${view.leader}`}`);
    }
    if (view.leader === null) {
      // Stop taking batches, wait for those taken to be durable, then offer that position.
      this.stopFollowing(null);
      const at = await this.replica.flushed();
      // Its promise to the leader it followed (read-lease.ts): that leader may answer reads until then.
      const promised = this.readLease.promiseEnds() - performance.now();
      if (promised > 0) await new Promise((r) => setTimeout(r, promised + 1));
      this.log(`cluster: epoch ${view.epoch} has no leader; offering position ${at.term}/${at.seq}`);
      await this.publish(positionRank(at));
    } else if (this.following !== view.leader) {
      this.stopFollowing(view.leader);
      this.readLease.renew();
      this.log(`cluster: epoch ${view.epoch}: following node ${view.leader}`);
      await this.publish(-1);
    }
    await this.ensureStandby();
  }

  /**
   * Publishes this node's claim position (-1: following, no claim), retried: a stale value left from
   * an earlier vacancy could let a node with less than this one claim the leadership next time.
   */
  private async publish(rank: number): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.membership.publishPosition(rank);
        return;
      } catch (err) {
        if (attempt === 20 || this.role === 'closed') {
          // etcd is unreachable for seconds: this node's lease expires, and with it the stale key.
          this.log(`cluster: could not publish position ${rank}: ${(err as Error).message}`);
          return;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  private async promote(view: ClusterView): Promise<void> {
    this.role = 'promoting';
    this.stopFollowing(null);
    // The standby's sessions end before the leader's engine opens over the same store.
    await this.closeStandby();
    const at = await this.replica.flushed();
    const started = Date.now();
    this.log(`cluster: epoch ${view.epoch}: this node leads, from position ${at.term}/${at.seq}`);
    // Remastering: the engine reads every chunk, so the bytes this node left to their holders come first.
    const others = view.members.filter((m) => m.id !== this.options.self.id).map((m) => m.id);
    let gathered;
    try {
      gathered = await gatherElsewhere(this.kv, this.placement, this.replica.markerKeys(), this.interconnect, others);
    } catch (err) {
      // Leading now would serve tables with holes. Give the leadership up; a holder that comes back
      // (or this node, once one has) takes it. Some markers may hold bytes now: a replica made anew
      // knows which (and trims them again).
      this.log(`cluster: cannot lead: ${(err as Error).message}; giving the leadership up`);
      this.replica.release();
      this.replica = this.newReplica();
      this.role = 'follower';
      await new Promise((r) => setTimeout(r, 1000));
      await this.membership.rejoin().catch(() => undefined);
      return;
    }
    if (gathered.chunks > 0) this.log(`cluster: fetched ${gathered.chunks} chunk(s), ${gathered.bytes} bytes, from their holders in ${gathered.ms} ms`);
    // The engine writes the store from here on: the follower's view of it would hold its pages back.
    this.replica.release();
    const replicated = new ReplicatedKv(this.kv, this.interconnect, {
      term: view.epoch,
      minCopies: Math.min(this.options.settings.replicationFactor, this.options.nodes.length),
      mayAcknowledge: () => this.membership.canServeWrites(),
      readLeaseMs: this.options.settings.readLeaseMs,
      // A follower that holds commits back as long as a suspected node takes to be expelled stops counting.
      lagLimitMs: this.options.settings.expelAfterMs,
      configuredNodes: this.options.nodes.length,
      log: (line) => this.log(`cluster: ${line}`),
    });
    this.replicated = replicated;
    replicated.setFollowers(others);
    await replicated.startTerm();
    this.db = await this.options.openDatabase(replicated);
    // Statements wait while no majority backs this leader (read-lease.ts), for at most a lease TTL.
    this.db.readGate = leaderReadGate(() => replicated.leads(), this.options.settings.leaseTtlMs);
    // SHOW cluster_node_id names the node that ran a statement (the standby's engine says its own).
    this.db.settings.set('cluster_node_id', String(this.options.self.id));
    const unprovideStats = provideInterconnectStats(this.db, this.interconnect);
    // Followers run morsels of parallel fragments, each the ranges whose chunks it holds.
    const unprovideFragments = provideRemoteFragments(this.db, this.interconnect, replicated, { holds: (node, key) => this.placement.holds(node, key) });
    const db = this.db;
    db.clusterNodes = () => this.nodeRows();
    this.unprovide = () => {
      unprovideStats();
      unprovideFragments();
      db.clusterNodes = undefined;
    };
    this.role = 'leader';
    this.trimTimer = setInterval(() => this.trimFollowers(), TRIM_INTERVAL_MS);
    this.trimTimer.unref();
    await this.options.onLeader(this.db);
    this.log(`cluster: serving as leader after ${Date.now() - started} ms`);
  }

  private async stepDown(reason: string): Promise<void> {
    this.role = 'stepping-down';
    this.log(`cluster: stepping down (${reason})`);
    if (this.trimTimer !== null) clearInterval(this.trimTimer);
    this.trimTimer = null;
    this.replicated?.stop(new NotLeaderError(`this node is no longer the leader (${reason}); reconnect and retry`));
    await this.options.onStepDown();
    this.unprovide?.();
    this.unprovide = null;
    const db = this.db;
    this.db = null;
    this.replicated = null;
    // Closing the engine closes the store under it; the follower opens it again. The engine's last
    // writes (statistics on close) are refused now that replication stopped: the store is closed anyway.
    if (db !== null) await db.close().catch((err) => this.log(`cluster: the engine closed with: ${(err as Error).message}`));
    this.replica.release();
    await this.kv.close().catch(() => undefined);
    this.kv = new LmdbKv(this.options.dataDirectory, this.options.synchronousCommit);
    this.replica = this.newReplica();
    this.role = 'follower';
  }

  /**
   * The heartbeats of `peer` stopped (phi past the threshold): a follower that suspects its leader, or
   * a leader that suspects a follower its commits wait for, expels it through etcd, so the agreed
   * epoch moves on after the detector's time plus expel_after instead of the lease's TTL (replication
   * keeps an expelled node from counting: see Membership.expel) — but only when its link is down too.
   * A process that died has its connections closed by the kernel at once; one that is silent with its
   * link up is stalled (a long commit of a bulk load, GC, SIGSTOP) or cut off, and is left to its lease:
   * expelling a busy leader would fail the work it is doing.
   */
  private async onSuspected(peer: number): Promise<void> {
    await new Promise((r) => setTimeout(r, this.options.settings.expelAfterMs));
    if (this.interconnect.phi(peer) < this.options.settings.phiThreshold || this.interconnect.isConnected(peer)) return;
    const v = this.current;
    if (v === null || !v.members.some((m) => m.id === peer)) return;
    const leaderGone = this.role === 'follower' && v.leader === peer;
    const followerGone = this.role === 'leader';
    if (!leaderGone && !followerGone) return;
    try {
      if (await this.membership.expel(peer)) this.log(`cluster: node ${peer} is suspected (phi ${this.interconnect.phi(peer).toFixed(1)}); its lease was revoked`);
    } catch (err) {
      this.log(`cluster: could not expel node ${peer}: ${(err as Error).message}`);
    }
  }

  private async onFenced(): Promise<void> {
    if (this.role === 'leader' || this.role === 'promoting') await this.stepDown('lease lost');
    this.stopFollowing(null);
  }

  /** Leaves the cluster (the lease is revoked, so the others move on at once) and closes the store. */
  async close(): Promise<void> {
    await this.transition;
    this.role = 'closed';
    await this.closeStandby();
    if (this.trimTimer !== null) clearInterval(this.trimTimer);
    this.readLease.close();
    await this.membership.leave().catch(() => undefined);
    this.replicated?.stop(new NotLeaderError('the node is shutting down'));
    this.unprovide?.();
    if (this.db !== null) await this.options.onStepDown();
    // The engine's last writes (statistics) are refused once replication stopped: with the followers
    // already gone they could not get their second copy anyway. Nothing acknowledged depends on them.
    if (this.db !== null) await this.db.close().catch((err) => this.log(`cluster: the engine closed with: ${(err as Error).message}`));
    this.replica.release();
    await this.kv.close().catch(() => undefined);
    await this.interconnect.close();
    this.unlock();
  }
}
