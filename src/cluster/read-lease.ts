// Leases that bound how long a node answers reads on the strength of what it last heard, so that no
// read misses a commit acknowledged elsewhere. One exchange, a follower's request to the leader it
// follows every quarter of read_lease, carries both:
//
// - A follower's read lease. A follower's reads see every acknowledged commit only while the leader
//   waits for it. The leader stops waiting when the agreed membership drops the follower, and that can
//   happen faster than the follower learns it: a leader that suspects a follower whose link is down
//   revokes its etcd lease (expel), and a follower cut off from etcd hears of no new epoch and counts
//   its own lease alive by its clock for up to etcd_lease_ttl. So the leader's word is given for
//   read_lease, and the leader keeps waiting for a follower it drops until the word has run out
//   (replication.ts). Only a follower the leader counts in sync gets one.
//
// - The leader's own lease. A leader cut off from etcd and from the follower that expels it counts its
//   own lease alive for up to etcd_lease_ttl, while the others elect a new leader. Every answer from a
//   leader to a follower is also the follower's promise to take no part in electing another leader
//   (publishing a position, cluster-node.ts) before read_lease has passed since it got the answer; the
//   leader answers its clients' statements only while so many of the others have promised within
//   read_lease that the rest are no majority of the configured nodes (ReplicatedKv.leads,
//   leaderReadGate). A new leader needs a majority of members, every one of them publishing, so it
//   cannot be elected before those promises end. A node that restarts forgot its promises: it keeps
//   the last one possible, read_lease from its start.
//
// The follower counts its leases from when it *got* the answer (its read lease from when it *sent*
// the request), the leader from when it answered, so the follower's read lease ends first and its
// promise last; the leader allows a margin for the two clocks' rates differing.
//
// A new leader needs no wait for its predecessor's read leases: it is elected only once every live
// member has published a position, and a member publishes only after it stopped following (which
// drops its read lease). A node outside the membership either let its etcd lease lapse (and stopped
// reading by its own clock before that) or was expelled by the leader, which refused it leases from
// then on and waited out the last one; that leader dying at once is noticed after expel_after at the
// earliest, and read_lease may not exceed expel_after (cluster-config.ts).
import { SqlError, SqlState } from '../types/sql-error';
import { MessageType } from './message-types';
import type { RequestHandlers, RequestTransport } from './replication';

const now = () => performance.now();

/** How soon a follower asks again when the leader it follows did not count its promise (still promoting). */
const RETRY_UNCOUNTED_MS = 20;

/** The leader's slack over a lease: clock rates of two machines may differ by far less than 1 %. */
export function readLeaseMargin(leaseMs: number): number {
  return Math.ceil(leaseMs / 100) + 5;
}

/** A leader's answer to a lease request. */
export interface LeaseAnswer {
  /** The follower's read lease in ms (0: none: not counted in sync, or no longer followed). */
  readMs: number;
  /** The leader counts the follower's promise (it leads and the follower is one of its followers). */
  supported: boolean;
}

/** A follower's leases from the leader it follows. */
export class ReadLeaseHolder {
  private until = 0;
  /** Until when this node promised to take no part in electing another leader (see above). */
  private promisedUntil: number;
  /** Bumped when the read lease is dropped: answers to requests sent before then give none. */
  private generation = 0;
  /** The generation a request is in flight for (-1: none): a request to a leader followed no longer (dead, say) does not hold back asking the next one. */
  private askingFor = -1;
  private timer: NodeJS.Timeout | null = null;
  /** Called once the request in flight is answered or fails (renewNow's waits). */
  private answered: (() => void)[] = [];

  constructor(
    private readonly transport: RequestTransport,
    private readonly leaseMs: number,
    /** The leader to ask now (null: this node follows none). */
    private readonly leader: () => number | null,
  ) {
    // A process that just started may have promised something before it died.
    this.promisedUntil = leaseMs > 0 ? now() + leaseMs : 0;
  }

  /** Renews every quarter of the lease (a renewal or two may be lost before it runs out). */
  start(): void {
    if (this.timer !== null || this.leaseMs <= 0) return;
    this.timer = setInterval(() => this.renew(), Math.max(10, Math.floor(this.leaseMs / 4)));
    this.timer.unref();
  }

  /** The leader's word holds now. */
  valid(): boolean {
    return now() < this.until;
  }

  /** performance.now() before which this node must not publish a position for a leader election. */
  promiseEnds(): number {
    return this.promisedUntil;
  }

  /** The leader changed or stopped counting this node: the read lease is gone, and late answers give none (promises stay). */
  drop(): void {
    this.until = 0;
    this.generation++;
  }

  /** Asks now (also called at once when this node starts following a leader or is told it is in sync). */
  renew(): void {
    const leader = this.leader();
    if (leader === null || this.askingFor === this.generation || this.leaseMs <= 0) return;
    const generation = this.generation;
    const sent = now();
    this.askingFor = generation;
    const done = () => {
      if (this.askingFor === generation) this.askingFor = -1;
      // Resolved promises run their waiters after this answer was taken (below), not before.
      for (const wake of this.answered.splice(0)) wake();
    };
    this.transport.request(leader, MessageType.replReadLease, Buffer.alloc(0), this.leaseMs).then(
      (reply) => {
        done();
        const answer = decodeLeaseAnswer(reply);
        // Kept whatever happened since: a promise given is a promise kept.
        if (answer.supported) this.promisedUntil = Math.max(this.promisedUntil, now() + this.leaseMs);
        if (generation !== this.generation || this.leader() !== leader) return;
        // Refused: the leader no longer waits for this node.
        if (answer.readMs === 0) this.until = 0;
        else if (sent + answer.readMs > this.until) this.until = sent + answer.readMs;
        // Not counted: the node named leader is still taking over (its statements wait for promises), so ask again soon.
        if (!answer.supported && this.timer !== null) setTimeout(() => this.renew(), RETRY_UNCOUNTED_MS).unref();
      },
      done,
    );
  }

  /**
   * Asks now and resolves once the answer came (or the request failed), or after `maxMs`; at once when
   * there is nobody to ask. The lease runs out while this node's event loop is held longer than it
   * (a statement of the standby's that runs seconds): the renewal timer fires only after, and the
   * client's next statement arrives before its answer, so it went to the leader. The router waits for
   * this instead (statement-router.ts, routed-session.ts).
   */
  async renewNow(maxMs: number): Promise<void> {
    const deadline = now() + maxMs;
    // Twice at most: the answer to a request sent before the event loop was held grants a lease that
    // counts from its sending, so it may have ended already; one asked now does not.
    for (let attempt = 0; attempt < 2 && !this.valid(); attempt++) {
      const left = deadline - now();
      if (left <= 0 || !(await this.askOnce(left))) return;
    }
  }

  /** renew(), then waits for the answer to the request in flight, at most `maxMs`; false when none was in flight (nobody to ask). */
  private askOnce(maxMs: number): Promise<boolean> {
    this.renew();
    if (this.askingFor !== this.generation) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(true), maxMs).unref();
      this.answered.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  close(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.drop();
  }
}

function decodeLeaseAnswer(reply: Buffer): LeaseAnswer {
  return { readMs: reply.length >= 4 ? reply.readUInt32LE(0) : 0, supported: reply.length >= 5 && reply[4] === 1 };
}

/** The leader's side: `answer(from)` grants the lease and records the promise. */
export function serveReadLeases(handlers: RequestHandlers, answer: (from: number) => LeaseAnswer): void {
  handlers.handle(MessageType.replReadLease, (from) => {
    const a = answer(from);
    const reply = Buffer.alloc(5);
    reply.writeUInt32LE(Math.max(0, Math.floor(a.readMs)), 0);
    reply[4] = a.supported ? 1 : 0;
    return reply;
  });
}

/**
 * The statement gate of a leader's engine: null while `leads()` (enough promises hold), else a
 * wait for it, failing with 57P01 after `timeoutMs` (this node may no longer lead: the client
 * reconnects and retries, as after a failover).
 */
export function leaderReadGate(leads: () => boolean, timeoutMs: number): () => Promise<void> | null {
  return () => {
    if (leads()) return null;
    const end = now() + timeoutMs;
    return new Promise<void>((resolve, reject) => {
      const poll = () => {
        if (leads()) return resolve();
        if (now() >= end) {
          return reject(new SqlError(SqlState.adminShutdown, 'terminating statement: this node could not confirm that it still leads the cluster (too few nodes answered it within read_lease)', { hint: 'Reconnect and retry: another node may lead now.' }));
        }
        setTimeout(poll, 5);
      };
      setTimeout(poll, 5);
    });
  };
}
