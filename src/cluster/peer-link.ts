// The one TCP connection between this node and one peer: its outgoing queue, its requests awaiting
// answers, and its counters. The Interconnect owns one PeerLink per peer and decides what incoming
// frames mean (LinkHost); the link only moves bytes.
//
// Exactly one connection per pair: the node with the lower id dials, the other accepts (so two nodes
// starting at once cannot make two links). The dialer's first frame is a hello naming it; the acceptor
// answers with its own hello, which the dialer checks. After a loss the dialer reconnects with
// exponential backoff; the acceptor waits for it. Hellos carry the protocol version: nodes of
// different versions do not link (each says so in its log), since their messages would be misread.
//
// Outgoing messages are queued per destination and written in one socket write (one syscall) when
// `batchWindowMs` has passed since the first queued message or `maxBatch` messages are queued. The
// queue is parallel arrays (no object per message); the flush copies headers and payloads once into
// one buffer. Answers produced while handling an incoming chunk are flushed when that chunk is done
// (they are a batch already; waiting another window would double the round trip). Heartbeats bypass
// the queue, so batching never delays the failure detector.
import * as net from 'net';
import { FRAME_HEADER_BYTES, FrameDecoder, FrameKind, FrameSink, encodeFrame, writeFrameHeader } from './frame';
import { InterconnectError, decodeRemoteError } from './interconnect-error';
import { LatencyHistogram } from './latency-histogram';
import type { NodeInfo } from './cluster-types';

/**
 * The interconnect protocol: bumped whenever a message's layout or meaning changes, so that nodes of
 * different builds refuse each other instead of misreading each other.
 * 1: the first. 2: chunk requests name markers' content hashes (chunk-transfer.ts); read leases
 * (MessageType.replReadLease), which a leader of version 1 would not keep.
 */
export const PROTOCOL_VERSION = 2;

export interface LinkOptions {
  batchWindowMs: number;
  maxBatch: number;
  batching: boolean;
  maxFrameBytes: number;
  /** Bound on bytes queued or buffered in the socket for one peer; past it sends (not answers) fail (retryable). */
  maxQueuedBytes: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
}

/** What the Interconnect does with the frames a link receives. */
export interface LinkHost {
  readonly selfId: number;
  /** The version this node speaks (PROTOCOL_VERSION but in tests). */
  readonly protocolVersion: number;
  /** A peer answered with a hello of another version: not linked. */
  versionMismatch(peer: number, version: number): void;
  onMessage(link: PeerLink, type: number, payload: Buffer): void;
  onRequest(link: PeerLink, type: number, requestId: number, payload: Buffer): void;
  onHeartbeat(link: PeerLink): void;
}

/** Counters of one link (see Interconnect.stats()). */
export class LinkCounters {
  messagesSent = 0;
  messagesReceived = 0;
  /** Socket writes that carried queued messages. */
  batches = 0;
  /** Every socket write: batches, single messages with batching off, heartbeats, hellos. */
  socketWrites = 0;
  bytesSent = 0;
  bytesReceived = 0;
  heartbeatsSent = 0;
  heartbeatsReceived = 0;
  requestsCompleted = 0;
  requestsFailed = 0;
  timeouts = 0;
  /** Messages queued for a connection that was lost before they were written. */
  dropped = 0;
  connects = 0;
  readonly latency = new LatencyHistogram();

  /** Adds another link's counters (totals; links closed by a membership change). */
  add(other: LinkCounters): void {
    for (const name of COUNTER_NAMES) this[name] += other[name];
    this.latency.add(other.latency);
  }

  /** The plain counts, as a new object (stats()). */
  snapshot(): Record<CounterName, number> {
    const out = {} as Record<CounterName, number>;
    for (const name of COUNTER_NAMES) out[name] = this[name];
    return out;
  }
}

const COUNTER_NAMES = [
  'messagesSent', 'messagesReceived', 'batches', 'socketWrites', 'bytesSent', 'bytesReceived', 'heartbeatsSent',
  'heartbeatsReceived', 'requestsCompleted', 'requestsFailed', 'timeouts', 'dropped', 'connects',
] as const;
export type CounterName = (typeof COUNTER_NAMES)[number];

/** A request awaiting its answer. */
class PendingRequest {
  constructor(
    readonly resolve: (payload: Buffer) => void,
    readonly reject: (err: Error) => void,
    readonly startMs: number,
    readonly deadlineMs: number,
    readonly type: number,
  ) {}
}

const HEARTBEAT_FRAME = encodeFrame(FrameKind.heartbeat, 0, 0);

export function helloFrame(nodeId: number, version = PROTOCOL_VERSION): Buffer {
  const payload = Buffer.allocUnsafe(6);
  payload.writeUInt32LE(nodeId, 0);
  payload.writeUInt16LE(version, 4);
  return encodeFrame(FrameKind.hello, 0, 0, payload);
}

/** The node id and protocol version of a hello payload; null when malformed. */
export function readHello(payload: Buffer): { nodeId: number; version: number } | null {
  if (payload.length < 6) return null;
  return { nodeId: payload.readUInt32LE(0), version: payload.readUInt16LE(4) };
}

export class PeerLink implements FrameSink {
  counters = new LinkCounters();
  /** This side opens the connection (lower id dials). */
  readonly dials: boolean;
  private socket: net.Socket | null = null;
  private connected = false;
  private closed = false;
  // The outgoing queue, as parallel arrays.
  private readonly qKinds: number[] = [];
  private readonly qTypes: number[] = [];
  private readonly qRequestIds: number[] = [];
  private readonly qPayloads: Uint8Array[] = [];
  private queuedBytes = 0;
  /** A response is queued (flushed at the end of the incoming chunk that asked for it). */
  private answersQueued = false;
  /** False until the first heartbeat on the current connection (the detector's history restarts there). */
  heartbeatSinceConnect = false;
  private flushTimer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private backoffMs: number;
  readonly pending = new Map<number, PendingRequest>();

  constructor(public peer: NodeInfo, private readonly host: LinkHost, private readonly options: LinkOptions) {
    this.dials = host.selfId < peer.id;
    this.backoffMs = options.reconnectMinMs;
  }

  get id(): number {
    return this.peer.id;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** Dialer: opens the connection (again after a loss). Acceptor: nothing, the peer dials. */
  start(): void {
    if (this.dials && !this.closed && this.socket === null) this.dial();
  }

  private dial(): void {
    const socket = net.connect({ host: this.peer.host, port: this.peer.interconnectPort });
    socket.setNoDelay(true); // we coalesce ourselves; Nagle would add its own delay on top
    const decoder = new FrameDecoder(this, this.options.maxFrameBytes);
    this.socket = socket;
    socket.on('connect', () => {
      if (this.socket !== socket) return;
      this.writeDirect(helloFrame(this.host.selfId, this.host.protocolVersion));
      this.becomeConnected();
    });
    this.wireSocket(socket, decoder);
  }

  /** Acceptor: a dialer's connection whose hello named this peer; any previous connection is replaced. */
  adopt(socket: net.Socket, decoder: FrameDecoder): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    if (this.socket !== null) this.lost(this.socket, 'replaced by a new connection from the peer');
    this.socket = socket;
    decoder.sink = this;
    socket.removeAllListeners('data');
    socket.removeAllListeners('close');
    socket.removeAllListeners('error');
    this.wireSocket(socket, decoder);
    this.writeDirect(helloFrame(this.host.selfId, this.host.protocolVersion));
    this.becomeConnected();
  }

  private wireSocket(socket: net.Socket, decoder: FrameDecoder): void {
    socket.on('data', (chunk: Buffer) => {
      if (this.socket !== socket) return;
      this.counters.bytesReceived += chunk.length;
      try {
        decoder.push(chunk);
      } catch (err) {
        socket.destroy(err as Error);
        return;
      }
      // Answers to the requests of this chunk leave together now instead of after another window:
      // they are already coalesced (one write per incoming batch), and a round trip pays one
      // batching window, not two.
      if (this.answersQueued) this.flush();
    });
    socket.on('error', () => undefined); // 'close' follows and does the work
    socket.on('close', () => this.lost(socket, 'connection closed'));
  }

  private becomeConnected(): void {
    this.connected = true;
    this.heartbeatSinceConnect = false;
    this.counters.connects++;
    this.flush();
  }

  /** Queues a frame for this peer (or writes it at once with batching off). */
  enqueue(kind: FrameKind, type: number, requestId: number, payload: Uint8Array): void {
    if (this.closed) throw new InterconnectError(`node ${this.peer.id} is not a member any more`, this.peer.id, true);
    const bytes = FRAME_HEADER_BYTES + payload.length;
    const backlog = this.queuedBytes + (this.socket === null ? 0 : this.socket.writableLength);
    // The limit bounds the backlog to a slow or absent peer. A single frame larger than the whole limit
    // (a replicated batch of a big COPY) is taken while little else waits: refused, it could never go.
    // Answers are never refused: the peer asked for them, and bounds them itself (so many requests in
    // flight, each with its timeout). Refused, an answer was lost and its requester waited out its
    // whole timeout (30 s for chunk fetches) for nothing; four chunk answers of a TPC-H SF 10 text
    // column (~3 MiB a chunk, 32 chunks a request) fill the 64 MiB limit.
    const max = this.options.maxQueuedBytes;
    const answer = kind === FrameKind.response || kind === FrameKind.errorResponse;
    if (!answer && backlog + bytes > max && !(bytes > max && backlog <= max / 4))
      throw new InterconnectError(`send queue to node ${this.peer.id} is full (${backlog} bytes)`, this.peer.id, true);
    if (!this.options.batching && this.connected && this.qKinds.length === 0) {
      this.writeOne(kind, type, requestId, payload);
      return;
    }
    this.qKinds.push(kind);
    this.qTypes.push(type);
    this.qRequestIds.push(requestId);
    this.qPayloads.push(payload);
    this.queuedBytes += bytes;
    if (kind === FrameKind.response || kind === FrameKind.errorResponse) this.answersQueued = true;
    if (!this.connected) return;
    const n = this.qKinds.length;
    if (n >= this.options.maxBatch || !this.options.batching) this.flush();
    else if (n === 1) this.armFlush();
  }

  private armFlush(): void {
    // One timer per link, re-armed with refresh(): no timer object per batch.
    if (this.flushTimer === null) {
      this.flushTimer = setTimeout(this.flushBound, this.options.batchWindowMs);
      this.flushTimer.unref();
    } else {
      this.flushTimer.refresh();
    }
  }

  private readonly flushBound = (): void => this.flush();

  /** Writes every queued frame in one socket write. */
  flush(): void {
    const n = this.qKinds.length;
    if (n === 0 || !this.connected) return;
    const buf = Buffer.allocUnsafe(this.queuedBytes);
    let at = 0;
    for (let i = 0; i < n; i++) {
      const payload = this.qPayloads[i];
      writeFrameHeader(buf, at, this.qKinds[i] as FrameKind, this.qTypes[i], this.qRequestIds[i], payload.length);
      buf.set(payload, at + FRAME_HEADER_BYTES);
      at += FRAME_HEADER_BYTES + payload.length;
    }
    this.clearQueue();
    this.counters.messagesSent += n;
    this.counters.batches++;
    this.writeDirect(buf);
  }

  private writeOne(kind: FrameKind, type: number, requestId: number, payload: Uint8Array): void {
    const buf = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
    writeFrameHeader(buf, 0, kind, type, requestId, payload.length);
    buf.set(payload, FRAME_HEADER_BYTES);
    this.counters.messagesSent++;
    this.counters.batches++;
    this.writeDirect(buf);
  }

  private writeDirect(buf: Buffer): void {
    this.counters.socketWrites++;
    this.counters.bytesSent += buf.length;
    this.socket!.write(buf);
  }

  heartbeat(): void {
    if (!this.connected) return;
    this.counters.heartbeatsSent++;
    this.writeDirect(HEARTBEAT_FRAME);
  }

  private clearQueue(): void {
    this.qKinds.length = 0;
    this.qTypes.length = 0;
    this.qRequestIds.length = 0;
    this.qPayloads.length = 0;
    this.queuedBytes = 0;
    this.answersQueued = false;
  }

  addPending(requestId: number, type: number, resolve: (payload: Buffer) => void, reject: (err: Error) => void, nowMs: number, timeoutMs: number): void {
    this.pending.set(requestId, new PendingRequest(resolve, reject, nowMs, nowMs + timeoutMs, type));
  }

  /** Rejects the requests past their deadline (the Interconnect's sweep calls this). */
  expire(nowMs: number): void {
    for (const [id, p] of this.pending) {
      if (nowMs < p.deadlineMs) continue;
      this.pending.delete(id);
      this.counters.timeouts++;
      p.reject(new InterconnectError(`request of type ${p.type} to node ${this.peer.id} timed out after ${Math.round(p.deadlineMs - p.startMs)} ms`, this.peer.id, true));
    }
  }

  /** Drops a queued request that could not be sent (its pending entry, if any, is failed by the caller). */
  forget(requestId: number): void {
    this.pending.delete(requestId);
  }

  onFrame(kind: FrameKind, type: number, requestId: number, payload: Buffer): void {
    switch (kind) {
      case FrameKind.heartbeat:
        this.counters.heartbeatsReceived++;
        this.host.onHeartbeat(this);
        return;
      case FrameKind.message:
        this.counters.messagesReceived++;
        this.host.onMessage(this, type, payload);
        return;
      case FrameKind.request:
        this.counters.messagesReceived++;
        this.host.onRequest(this, type, requestId, payload);
        return;
      case FrameKind.response:
      case FrameKind.errorResponse: {
        this.counters.messagesReceived++;
        const p = this.pending.get(requestId);
        if (p === undefined) return; // answered after its timeout: the caller has moved on
        this.pending.delete(requestId);
        this.counters.latency.record(performance.now() - p.startMs);
        if (kind === FrameKind.response) {
          this.counters.requestsCompleted++;
          p.resolve(payload);
        } else {
          this.counters.requestsFailed++;
          p.reject(decodeRemoteError(payload, this.peer.id));
        }
        return;
      }
      case FrameKind.hello: {
        const hello = readHello(payload);
        if (hello !== null && hello.nodeId === this.peer.id && hello.version !== this.host.protocolVersion) {
          this.host.versionMismatch(this.peer.id, hello.version);
          this.socket?.destroy();
          return;
        }
        if (hello === null || hello.nodeId !== this.peer.id) {
          this.socket?.destroy(new Error(`node at ${this.peer.host}:${this.peer.interconnectPort} is not node ${this.peer.id}`));
          return;
        }
        this.backoffMs = this.options.reconnectMinMs; // a verified link: the next loss starts the backoff afresh
        return;
      }
    }
  }

  /** Test and fault-injection hook: cuts the connection as a network failure would. */
  disconnect(): void {
    this.socket?.destroy();
  }

  private lost(socket: net.Socket, reason: string): void {
    if (this.socket !== socket) return;
    this.socket = null;
    this.connected = false;
    socket.destroy();
    this.failAll(`link to node ${this.peer.id} lost (${reason})`);
    if (this.dials && !this.closed) this.scheduleReconnect();
  }

  private failAll(message: string): void {
    // One-way messages not yet written are lost with the connection (at most once); requests fail retryable.
    for (let i = 0; i < this.qKinds.length; i++) if (this.qKinds[i] !== FrameKind.request) this.counters.dropped++;
    this.clearQueue();
    if (this.pending.size === 0) return;
    const pending = [...this.pending.values()];
    this.pending.clear();
    this.counters.requestsFailed += pending.length;
    for (const p of pending) p.reject(new InterconnectError(message, this.peer.id, true));
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer !== null) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.options.reconnectMaxMs, this.backoffMs * 2);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.start();
    }, delay);
    this.reconnectTimer.unref();
  }

  /** The peer left the membership (or the interconnect closes): no reconnect, everything pending fails. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    const socket = this.socket;
    this.socket = null;
    this.connected = false;
    socket?.destroy();
    this.failAll(reason);
  }
}
