// The cluster interconnect: one persistent TCP link per pair of nodes (peer-link.ts) carrying
// length-prefixed frames (frame.ts), with request/response, one-way messages, batching per
// destination, heartbeats feeding a phi-accrual failure detector (phi-accrual.ts), and counters.
//
// Delivery is at most once and in order per destination while a link lives. When a link is lost,
// requests awaiting answers over it fail with InterconnectError (retryable) and unsent one-way
// messages are dropped; the link reconnects by itself. Suspicion from the detector is advice (fast,
// local); the membership agreed through etcd decides who is in the cluster (setPeers).
import * as net from 'net';
import type { NodeInfo } from './cluster-types';
import { DEFAULT_MAX_FRAME_BYTES, FrameDecoder, FrameKind, FrameSink } from './frame';
import { InterconnectError, RemoteError, encodeRemoteError } from './interconnect-error';
import { LinkCounters, LinkHost, LinkOptions, PeerLink, helloFrame, readHello, PROTOCOL_VERSION } from './peer-link';
import { DEFAULT_PHI_THRESHOLD, FailureDetectors } from './phi-accrual';

export { InterconnectError, RemoteError };

export interface InterconnectOptions {
  self: NodeInfo;
  /** The other members (self may be listed too; it is skipped). */
  peers: NodeInfo[];
  /** Flush a destination's queue this long after its first queued message (default 1 ms). */
  batchWindowMs?: number;
  /** Flush a destination's queue once this many messages are queued (default 100). */
  maxBatch?: number;
  /** false: every message is written at once, in its own socket write (default true). */
  batching?: boolean;
  /** Default request timeout (default 5000 ms). */
  requestTimeoutMs?: number;
  /** Heartbeat period per link (default 100 ms). */
  heartbeatIntervalMs?: number;
  /** phi at which a peer is suspected (default 8). */
  phiThreshold?: number;
  /** Silence tolerated beyond the mean heartbeat interval before phi climbs (default 500 ms: GC pauses). */
  acceptablePauseMs?: number;
  /** Largest frame payload accepted (default 256 MiB). */
  maxFrameBytes?: number;
  /** Bytes queued for one peer before sends (not answers) fail with a retryable error (default 64 MiB). */
  maxQueuedBytes?: number;
  /** Reconnect backoff after a loss: first delay, doubled up to the max (defaults 50 ms and 1000 ms). */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** The protocol version spoken (default PROTOCOL_VERSION; tests give another). */
  protocolVersion?: number;
  /** Where a refused peer of another version is reported (default: console.error). */
  log?: (line: string) => void;
}

/**
 * Answers a request: the payload of the response (a thrown error becomes an error response; its
 * `message`, a string `code` and `retryable: true` reach the requester's RemoteError). The payload is
 * a view into the socket's read buffer: copy it if kept long (a view keeps the whole chunk alive).
 */
export type RequestHandler = (from: number, payload: Buffer) => Uint8Array | Promise<Uint8Array>;
/** Receives a one-way message (payload: a view, as for RequestHandler). */
export type MessageHandler = (from: number, payload: Buffer) => void;
/** A peer became suspected (true) or trusted again (false). */
export type SuspicionListener = (peer: number, suspected: boolean) => void;

/** Counters of one peer's link, or of all links (peer = null). */
export interface InterconnectPeerStats {
  peer: number | null;
  connected: boolean;
  suspected: boolean;
  phi: number;
  messagesSent: number;
  messagesReceived: number;
  /** Socket writes carrying messages (a batch, or one message with batching off). */
  batches: number;
  /** messagesSent / batches (null before any batch). */
  avgBatch: number | null;
  /** Every socket write, heartbeats and hellos included (what the syscall count follows). */
  socketWrites: number;
  bytesSent: number;
  bytesReceived: number;
  heartbeatsSent: number;
  heartbeatsReceived: number;
  requestsCompleted: number;
  requestsFailed: number;
  timeouts: number;
  dropped: number;
  connects: number;
  /** Request round trip (send to answer) in ms, over the link's whole life; null before any answer. */
  p50Ms: number | null;
  p99Ms: number | null;
}

export interface InterconnectStats {
  peers: InterconnectPeerStats[];
  total: InterconnectPeerStats;
}

/** A connection accepted but not yet named by its hello. */
class IncomingConnection implements FrameSink {
  readonly decoder: FrameDecoder;

  constructor(readonly socket: net.Socket, private readonly owner: Interconnect, maxFrameBytes: number) {
    this.decoder = new FrameDecoder(this, maxFrameBytes);
  }

  onFrame(kind: FrameKind, _type: number, _requestId: number, payload: Buffer): void {
    const hello = kind === FrameKind.hello ? readHello(payload) : null;
    if (hello === null) {
      this.socket.destroy(new Error('first frame on an interconnect connection must be a hello'));
      return;
    }
    if (hello.version !== this.owner.protocolVersion) {
      // Answered with this node's hello, so the dialer can say what it met, then closed.
      this.owner.versionMismatch(hello.nodeId, hello.version);
      this.socket.end(helloFrame(this.owner.selfId, this.owner.protocolVersion));
      return;
    }
    this.owner.accept(this, hello.nodeId);
  }
}

export class Interconnect implements LinkHost {
  readonly self: NodeInfo;
  private readonly links = new Map<number, PeerLink>();
  private readonly requestHandlers = new Map<number, RequestHandler>();
  private readonly messageHandlers = new Map<number, MessageHandler>();
  private readonly suspicionListeners: SuspicionListener[] = [];
  private readonly detectors: FailureDetectors<number>;
  private readonly suspectedPeers = new Set<number>();
  private readonly incoming = new Set<net.Socket>();
  private readonly linkOptions: LinkOptions;
  private readonly requestTimeoutMs: number;
  private readonly heartbeatIntervalMs: number;
  private readonly phiThreshold: number;
  private readonly maxFrameBytes: number;
  private server: net.Server | null = null;
  private listening = false;
  private closed = false;
  private nextRequestId = 1;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private checkTimer: NodeJS.Timeout | null = null;
  private lastCheckMs = 0;
  private readonly checkIntervalMs: number;
  /** Counters of links closed by setPeers, so totals do not go backwards. */
  private retired = new LinkCounters();

  readonly protocolVersion: number;
  /** Peers refused for speaking another version, and that version (reported once per version). */
  private readonly mismatched = new Map<number, number>();
  private readonly log: (line: string) => void;

  constructor(options: InterconnectOptions) {
    this.self = options.self;
    this.protocolVersion = options.protocolVersion ?? PROTOCOL_VERSION;
    this.log = options.log ?? ((line) => console.error(`tessera: ${line}`));
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.linkOptions = {
      batchWindowMs: options.batchWindowMs ?? 1,
      maxBatch: options.maxBatch ?? 100,
      batching: options.batching ?? true,
      maxFrameBytes: this.maxFrameBytes,
      maxQueuedBytes: options.maxQueuedBytes ?? 64 * 1024 * 1024,
      reconnectMinMs: options.reconnectMinMs ?? 50,
      reconnectMaxMs: options.reconnectMaxMs ?? 1000,
    };
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5000;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 100;
    this.phiThreshold = options.phiThreshold ?? DEFAULT_PHI_THRESHOLD;
    this.checkIntervalMs = Math.max(5, Math.floor(this.heartbeatIntervalMs / 4));
    this.detectors = new FailureDetectors<number>(
      { acceptablePauseMs: options.acceptablePauseMs ?? 500, firstIntervalMs: this.heartbeatIntervalMs },
      this.phiThreshold,
    );
    this.setPeers(options.peers);
  }

  get selfId(): number {
    return this.self.id;
  }

  /** Listens on self's interconnect port, then dials the peers with higher ids. */
  async listen(): Promise<void> {
    if (this.server !== null) throw new Error('interconnect already listening');
    const server = net.createServer((socket) => this.onConnection(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.self.interconnectPort, this.self.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.listening = true;
    for (const link of this.links.values()) link.start();
    const now = performance.now();
    this.lastCheckMs = now;
    this.heartbeatTimer = setInterval(() => {
      for (const link of this.links.values()) link.heartbeat();
    }, this.heartbeatIntervalMs);
    this.heartbeatTimer.unref();
    this.checkTimer = setInterval(() => this.checkSuspicion(), this.checkIntervalMs);
    this.checkTimer.unref();
  }

  /** The agreed membership changed: links to new peers are made, links to removed ones closed. */
  setPeers(peers: NodeInfo[]): void {
    if (this.closed) return;
    const wanted = new Map<number, NodeInfo>();
    for (const p of peers) if (p.id !== this.self.id) wanted.set(p.id, p);
    for (const [id, link] of this.links) {
      const info = wanted.get(id);
      if (info !== undefined && info.host === link.peer.host && info.interconnectPort === link.peer.interconnectPort) continue;
      this.removeLink(id, link, `node ${id} left the cluster`);
    }
    for (const [id, info] of wanted) {
      if (this.links.has(id)) continue;
      const link = new PeerLink(info, this, this.linkOptions);
      this.links.set(id, link);
      if (this.listening) link.start();
    }
  }

  private removeLink(id: number, link: PeerLink, reason: string): void {
    this.links.delete(id);
    link.close(reason);
    this.retired.add(link.counters);
    this.detectors.remove(id);
    this.suspectedPeers.delete(id);
  }

  /** Ids of the current peers (not self). */
  peerIds(): number[] {
    return [...this.links.keys()].sort((a, b) => a - b);
  }

  isConnected(peer: number): boolean {
    return this.links.get(peer)?.isConnected ?? false;
  }

  /** Resolves once links to all `peers` (default: every peer) are up; rejects after timeoutMs. */
  async waitConnected(peers: number[] = this.peerIds(), timeoutMs = 10000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!peers.every((p) => this.isConnected(p))) {
      if (performance.now() > deadline) {
        const missing = peers.filter((p) => !this.isConnected(p));
        throw new InterconnectError(`node ${this.self.id}: no link to node(s) ${missing.join(', ')} after ${timeoutMs} ms`, missing[0], true);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Registers the answerer of requests of `type` (one per type). */
  handle(type: number, handler: RequestHandler): void {
    checkType(type);
    if (this.requestHandlers.has(type)) throw new Error(`interconnect: a handler for request type ${type} is already registered`);
    this.requestHandlers.set(type, handler);
  }

  /** Registers the receiver of one-way messages of `type` (one per type). */
  on(type: number, handler: MessageHandler): void {
    checkType(type);
    if (this.messageHandlers.has(type)) throw new Error(`interconnect: a handler for message type ${type} is already registered`);
    this.messageHandlers.set(type, handler);
  }

  /** Called when a peer becomes suspected or trusted again. */
  onSuspicion(listener: SuspicionListener): void {
    this.suspicionListeners.push(listener);
  }

  /** Sends a one-way message (queued; at most once). Throws InterconnectError for an unknown peer or a full queue. */
  send(to: number, type: number, payload: Uint8Array): void {
    checkType(type);
    if (to === this.self.id) {
      const handler = this.messageHandlers.get(type);
      const copy = Buffer.from(payload);
      if (handler !== undefined) queueMicrotask(() => handler(to, copy));
      return;
    }
    this.linkTo(to).enqueue(FrameKind.message, type, 0, payload);
  }

  /**
   * Sends a request and resolves with the answer's payload. Rejects with InterconnectError (retryable)
   * on timeout, link loss or a full queue, and with RemoteError when the peer's handler threw.
   */
  request(to: number, type: number, payload: Uint8Array, timeoutMs = this.requestTimeoutMs): Promise<Buffer> {
    checkType(type);
    if (to === this.self.id) return this.requestSelf(type, payload);
    let link: PeerLink;
    try {
      link = this.linkTo(to);
    } catch (err) {
      return Promise.reject(err);
    }
    const requestId = this.nextRequestId;
    this.nextRequestId = this.nextRequestId === 0xffffffff ? 1 : this.nextRequestId + 1;
    return new Promise<Buffer>((resolve, reject) => {
      link.addPending(requestId, type, resolve, reject, performance.now(), timeoutMs);
      try {
        link.enqueue(FrameKind.request, type, requestId, payload);
      } catch (err) {
        link.forget(requestId);
        reject(err);
      }
    });
  }

  /** A request to this node itself runs its handler directly (callers need not special-case the local node). */
  private async requestSelf(type: number, payload: Uint8Array): Promise<Buffer> {
    const handler = this.requestHandlers.get(type);
    if (handler === undefined) throw new RemoteError(`node ${this.self.id} has no handler for request type ${type}`, this.self.id, undefined, false);
    const copy = Buffer.from(payload);
    try {
      const answer = await handler(this.self.id, copy);
      return Buffer.from(answer.buffer, answer.byteOffset, answer.byteLength);
    } catch (err) {
      const e = err as { code?: unknown; retryable?: unknown };
      throw new RemoteError((err as Error)?.message ?? String(err), this.self.id, typeof e?.code === 'string' ? e.code : undefined, e?.retryable === true);
    }
  }

  private linkTo(to: number): PeerLink {
    const link = this.links.get(to);
    if (link === undefined) throw new InterconnectError(`node ${to} is not a member of the cluster`, to, true);
    return link;
  }

  /** Peers whose phi is at or above the threshold (as of the last check). */
  suspected(): number[] {
    return [...this.suspectedPeers].sort((a, b) => a - b);
  }

  /** A peer's current phi (0 before its first heartbeat). */
  phi(peer: number): number {
    return this.detectors.phi(peer, performance.now());
  }

  /** The detector's view of a peer's heartbeats (diagnostics); null before its first heartbeat. */
  heartbeatHistory(peer: number): { samples: number; meanMs: number; stdDevMs: number } | null {
    const d = this.detectors.get(peer);
    return d === undefined ? null : { samples: d.sampleCount, meanMs: d.meanIntervalMs, stdDevMs: d.stdDevMs };
  }

  /** Test and fault-injection hook: cuts the link to `peer` as a network failure would (it reconnects). */
  disconnect(peer: number): void {
    this.links.get(peer)?.disconnect();
  }

  stats(): InterconnectStats {
    const now = performance.now();
    const peers: InterconnectPeerStats[] = [];
    const total = new LinkCounters();
    total.add(this.retired);
    for (const id of this.peerIds()) {
      const link = this.links.get(id)!;
      total.add(link.counters);
      peers.push(statsOf(id, link.counters, link.isConnected, this.suspectedPeers.has(id), this.detectors.phi(id, now)));
    }
    return { peers, total: statsOf(null, total, peers.every((p) => p.connected), this.suspectedPeers.size > 0, 0) };
  }

  /** Zeroes every counter and latency histogram (benchmarks measure a window after warm-up). */
  resetStats(): void {
    this.retired = new LinkCounters();
    for (const link of this.links.values()) link.counters = new LinkCounters();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeatTimer !== null) clearInterval(this.heartbeatTimer);
    if (this.checkTimer !== null) clearInterval(this.checkTimer);
    for (const [id, link] of this.links) this.removeLink(id, link, `interconnect of node ${this.self.id} closed`);
    for (const s of this.incoming) s.destroy();
    this.incoming.clear();
    const server = this.server;
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // ---- LinkHost: what incoming frames mean ----

  onMessage(link: PeerLink, type: number, payload: Buffer): void {
    const handler = this.messageHandlers.get(type);
    if (handler === undefined) {
      link.counters.dropped++;
      return;
    }
    try {
      handler(link.id, payload);
    } catch (err) {
      // A receiver's bug must not take the link down; it is reported, the stream goes on.
      process.emitWarning(`interconnect: handler of message type ${type} threw: ${(err as Error)?.message ?? err}`);
    }
  }

  onRequest(link: PeerLink, type: number, requestId: number, payload: Buffer): void {
    const handler = this.requestHandlers.get(type);
    if (handler === undefined) {
      this.answerError(link, type, requestId, new Error(`node ${this.self.id} has no handler for request type ${type}`));
      return;
    }
    let answer: Uint8Array | Promise<Uint8Array>;
    try {
      answer = handler(link.id, payload);
    } catch (err) {
      this.answerError(link, type, requestId, err);
      return;
    }
    if (answer instanceof Uint8Array) this.answer(link, type, requestId, answer);
    else
      answer.then(
        (a) => this.answer(link, type, requestId, a),
        (err) => this.answerError(link, type, requestId, err),
      );
  }

  private answer(link: PeerLink, type: number, requestId: number, payload: Uint8Array): void {
    if (!(payload instanceof Uint8Array)) {
      this.answerError(link, type, requestId, new Error(`handler of request type ${type} returned no bytes`));
      return;
    }
    this.enqueueAnswer(link, FrameKind.response, type, requestId, payload);
  }

  private answerError(link: PeerLink, type: number, requestId: number, err: unknown): void {
    this.enqueueAnswer(link, FrameKind.errorResponse, type, requestId, encodeRemoteError(err));
  }

  private enqueueAnswer(link: PeerLink, kind: FrameKind, type: number, requestId: number, payload: Uint8Array): void {
    try {
      link.enqueue(kind, type, requestId, payload);
    } catch {
      // Link closed (answers are not refused for a full backlog, peer-link.ts): the requester sees the link loss.
    }
  }

  onHeartbeat(link: PeerLink): void {
    // The first heartbeat after a reconnect or after a suspicion restarts the peer's history: the
    // silence just ended is an outage, not a sample of its heartbeat rhythm, and left in the window it
    // would inflate the mean and deviation and slow every later suspicion.
    if (!link.heartbeatSinceConnect || this.suspectedPeers.has(link.id)) {
      link.heartbeatSinceConnect = true;
      this.detectors.remove(link.id);
    }
    this.detectors.heartbeat(link.id, performance.now());
  }

  /** A peer speaks another protocol version: it stays unlinked (every node of a cluster must run the same build). */
  versionMismatch(peer: number, version: number): void {
    if (this.mismatched.get(peer) === version) return;
    this.mismatched.set(peer, version);
    this.log(`interconnect: node ${peer} speaks interconnect protocol ${version}, this node ${this.protocolVersion}: not linked (every node of a cluster must run the same version of Tessera)`);
  }

  /** An accepted connection named itself: hand it to that peer's link (only lower ids dial us). */
  accept(conn: IncomingConnection, nodeId: number): void {
    this.incoming.delete(conn.socket);
    const link = this.links.get(nodeId);
    if (link === undefined || link.dials || this.closed) {
      conn.socket.destroy();
      return;
    }
    link.adopt(conn.socket, conn.decoder);
  }

  private onConnection(socket: net.Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const conn = new IncomingConnection(socket, this, this.maxFrameBytes);
    this.incoming.add(socket);
    socket.on('data', (chunk: Buffer) => {
      try {
        conn.decoder.push(chunk);
      } catch (err) {
        socket.destroy(err as Error);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => this.incoming.delete(socket));
  }

  /** Every checkIntervalMs: suspicion changes, and requests past their deadline. */
  private checkSuspicion(): void {
    const now = performance.now();
    const late = now - this.lastCheckMs;
    this.lastCheckMs = now;
    // If this check itself ran very late, our own event loop was stalled: the peers' heartbeats may
    // be waiting unread in the sockets, so judging them now would blame them for our pause.
    if (late > 4 * this.checkIntervalMs + 50) return;
    // Request deadlines are swept here too: no timer per request.
    for (const link of this.links.values()) if (link.pending.size > 0) link.expire(now);
    for (const id of this.links.keys()) {
      const isSuspect = this.detectors.isSuspected(id, now, this.phiThreshold);
      if (isSuspect === this.suspectedPeers.has(id)) continue;
      if (isSuspect) this.suspectedPeers.add(id);
      else this.suspectedPeers.delete(id);
      for (const listener of this.suspicionListeners) listener(id, isSuspect);
    }
  }
}

function checkType(type: number): void {
  if (!Number.isInteger(type) || type < 0 || type > 0xffff) throw new RangeError(`interconnect message type ${type} is not a u16`);
}

function statsOf(peer: number | null, c: LinkCounters, connected: boolean, suspected: boolean, phi: number): InterconnectPeerStats {
  return {
    peer,
    connected,
    suspected,
    phi,
    ...c.snapshot(),
    avgBatch: c.batches === 0 ? null : c.messagesSent / c.batches,
    p50Ms: c.latency.quantile(0.5),
    p99Ms: c.latency.quantile(0.99),
  };
}
