// Read leases: how long a follower's standby may go on answering reads from its copy on the strength
// of the leader's word that its commits wait for this follower.
//
// Why: a follower's reads see every acknowledged commit only while the leader waits for it. The
// leader stops waiting when the agreed membership drops the follower, and that can happen faster than
// the follower can learn it: a leader that suspects a follower whose link is down revokes its etcd
// lease (expel), and a follower cut off from etcd hears of no new epoch and still counts its own
// lease alive by its clock for up to etcd_lease_ttl. So the leader's word is given for a bounded time
// (read_lease), renewed every quarter of it, and the leader keeps waiting for a follower it drops
// until every lease it gave that follower has run out (replication.ts). A follower that stops hearing
// from its leader stops reading locally within read_lease, whatever etcd says or fails to say.
//
// The follower counts its lease from when it *sent* the request, the leader from when it answered, so
// the follower's lease ends first; the leader adds a margin for the two clocks' rates differing.
//
// A new leader needs no wait for its predecessor's leases: it is elected only once every live member
// has published a position, and a member publishes only after it stopped following (which drops its
// lease). A node outside the membership either let its etcd lease lapse (and stopped reading by its
// own clock before that) or was expelled by the leader, which refused it leases from then on and
// waited out the last one; that leader dying at once is noticed after expel_after at the earliest,
// and read_lease may not exceed expel_after (cluster-config.ts), so that lease has run out before
// anyone else can lead.
import { MessageType } from './message-types';
import type { RequestHandlers, RequestTransport } from './replication';

const now = () => performance.now();

/** The leader's slack over a lease it gave: clock rates of two machines may differ by far less than 1 %. */
export function readLeaseMargin(leaseMs: number): number {
  return Math.ceil(leaseMs / 100) + 5;
}

/** A follower's lease from the leader it follows. */
export class ReadLeaseHolder {
  private until = 0;
  /** Bumped when the lease is dropped: answers to requests sent before then are ignored. */
  private generation = 0;
  private asking = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly transport: RequestTransport,
    private readonly leaseMs: number,
    /** The leader to ask now (null: none: this node follows nobody, or its leader has not counted it in sync). */
    private readonly leader: () => number | null,
  ) {}

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

  /** The leader changed or stopped counting this node: the lease is gone, and late answers with it. */
  drop(): void {
    this.until = 0;
    this.generation++;
  }

  /** Asks for the lease now (also called at once when the leader says this node is in sync). */
  renew(): void {
    const leader = this.leader();
    if (leader === null || this.asking) return;
    const generation = this.generation;
    const sent = now();
    this.asking = true;
    this.transport.request(leader, MessageType.replReadLease, Buffer.alloc(0), this.leaseMs).then(
      (reply) => {
        this.asking = false;
        if (generation !== this.generation || this.leader() !== leader) return;
        const granted = reply.length >= 4 ? reply.readUInt32LE(0) : 0;
        // Refused: the leader no longer waits for this node.
        if (granted === 0) this.until = 0;
        else if (sent + granted > this.until) this.until = sent + granted;
      },
      () => {
        this.asking = false;
      },
    );
  }

  close(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.drop();
  }
}

/** The leader's side: `grant(from)` gives the lease's length in ms, 0 to refuse. */
export function serveReadLeases(handlers: RequestHandlers, grant: (from: number) => number): void {
  handlers.handle(MessageType.replReadLease, (from) => {
    const reply = Buffer.alloc(4);
    reply.writeUInt32LE(Math.max(0, Math.floor(grant(from))), 0);
    return reply;
  });
}
