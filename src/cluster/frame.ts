// Interconnect frames: the unit sent between cluster nodes over their one TCP connection.
//
// Layout, little endian:
//   u32 length   bytes after this field (7 + payload length)
//   u8  kind     FrameKind below
//   u16 type     message type (what the payload is; chosen by the layer that sends it)
//   u32 request  request id (requests and their responses; 0 for the other kinds)
//   ...          payload
//
// The decoder takes socket chunks as they come (a frame split over chunks, or many frames in one) and
// hands each complete frame to a sink. A frame lying wholly inside one chunk is handed over as a view
// of that chunk (no copy: Node allocates a fresh buffer for every socket read, so the view stays
// valid); a frame split over chunks is gathered into one buffer of its exact size (one copy).
// A length above the bound is a protocol error, not an allocation: a corrupt or hostile stream cannot
// make a node reserve gigabytes.

/** What a frame is. */
export const FrameKind = {
  /** A one-way message: no answer expected. */
  message: 0,
  /** A request: the receiver answers with a response or an error response carrying the same request id. */
  request: 1,
  /** The answer to a request. */
  response: 2,
  /** A request's failure: the payload is the error's message (UTF-8). */
  errorResponse: 3,
  /** A liveness beat for the failure detector; no payload. */
  heartbeat: 4,
  /** First frame on a connection: the payload's u32 is the sender's node id. */
  hello: 5,
} as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

const MAX_KIND = 5;

/** Bytes before the payload: length, kind, type, request id. */
export const FRAME_HEADER_BYTES = 11;
/** Bytes counted by the length field that are not payload (kind, type, request id). */
const HEADER_AFTER_LENGTH = FRAME_HEADER_BYTES - 4;

/** Default bound on one frame's payload. */
export const DEFAULT_MAX_FRAME_BYTES = 256 * 1024 * 1024;

/** The stream is not a valid frame stream (bad length or kind); the connection must be closed. */
export class FrameProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameProtocolError';
  }
}

/** Writes a frame's header at `offset` of `buf`; the payload goes at offset + FRAME_HEADER_BYTES. */
export function writeFrameHeader(buf: Buffer, offset: number, kind: FrameKind, type: number, requestId: number, payloadBytes: number): void {
  buf.writeUInt32LE(payloadBytes + HEADER_AFTER_LENGTH, offset);
  buf[offset + 4] = kind;
  buf.writeUInt16LE(type, offset + 5);
  buf.writeUInt32LE(requestId >>> 0, offset + 7);
}

/** One frame as a new buffer (header + payload). Used off the batching path (hello, heartbeat, tests). */
export function encodeFrame(kind: FrameKind, type: number, requestId: number, payload?: Uint8Array): Buffer {
  const n = payload === undefined ? 0 : payload.length;
  const buf = Buffer.allocUnsafe(FRAME_HEADER_BYTES + n);
  writeFrameHeader(buf, 0, kind, type, requestId, n);
  if (n > 0) buf.set(payload!, FRAME_HEADER_BYTES);
  return buf;
}

/** Receives decoded frames. An interface, not a callback per frame, so the decoder makes no objects per frame. */
export interface FrameSink {
  onFrame(kind: FrameKind, type: number, requestId: number, payload: Buffer): void;
}

/** Turns a byte stream into frames. One per connection; after a FrameProtocolError it refuses more input. */
export class FrameDecoder {
  /** Header bytes of a frame whose header was split over chunks. */
  private readonly header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  private headerFill = 0;
  /** Payload of a frame split over chunks, being filled; null between frames. */
  private body: Buffer | null = null;
  private bodyFill = 0;
  private kind: FrameKind = 0;
  private type = 0;
  private requestId = 0;
  private failed: FrameProtocolError | null = null;
  /** Bytes taken in (for counters). */
  bytesIn = 0;

  /** Who receives the frames; may be switched between frames (a connection handed over after its hello). */
  sink: FrameSink;

  constructor(sink: FrameSink, private readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {
    this.sink = sink;
  }

  /** Feeds one socket chunk; calls the sink for every frame it completes. Throws FrameProtocolError. */
  push(chunk: Buffer): void {
    if (this.failed !== null) throw this.failed;
    this.bytesIn += chunk.length;
    const end = chunk.length;
    let pos = 0;
    while (pos < end) {
      if (this.body !== null) {
        // Continue a split payload.
        const take = Math.min(this.body.length - this.bodyFill, end - pos);
        chunk.copy(this.body, this.bodyFill, pos, pos + take);
        this.bodyFill += take;
        pos += take;
        if (this.bodyFill === this.body.length) this.finishBody();
        continue;
      }
      if (this.headerFill === 0 && end - pos >= FRAME_HEADER_BYTES) {
        // Fast path: the whole header is in this chunk.
        const payloadBytes = this.readHeader(chunk, pos);
        pos += FRAME_HEADER_BYTES;
        if (end - pos >= payloadBytes) {
          this.sink.onFrame(this.kind, this.type, this.requestId, chunk.subarray(pos, pos + payloadBytes));
          pos += payloadBytes;
        } else {
          this.startBody(payloadBytes);
        }
        continue;
      }
      // The header itself is split: gather it.
      const take = Math.min(FRAME_HEADER_BYTES - this.headerFill, end - pos);
      chunk.copy(this.header, this.headerFill, pos, pos + take);
      this.headerFill += take;
      pos += take;
      if (this.headerFill === FRAME_HEADER_BYTES) {
        this.headerFill = 0;
        const payloadBytes = this.readHeader(this.header, 0);
        if (payloadBytes === 0) this.sink.onFrame(this.kind, this.type, this.requestId, EMPTY);
        else this.startBody(payloadBytes);
      }
    }
  }

  /** True when no partial frame is held (the stream ended on a frame boundary). */
  get idle(): boolean {
    return this.body === null && this.headerFill === 0;
  }

  private readHeader(buf: Buffer, at: number): number {
    const length = buf.readUInt32LE(at);
    const kind = buf[at + 4];
    if (length < HEADER_AFTER_LENGTH) this.fail(`frame length ${length} is shorter than its header`);
    const payloadBytes = length - HEADER_AFTER_LENGTH;
    if (payloadBytes > this.maxFrameBytes) this.fail(`frame payload of ${payloadBytes} bytes exceeds the limit of ${this.maxFrameBytes}`);
    if (kind > MAX_KIND) this.fail(`unknown frame kind ${kind}`);
    this.kind = kind as FrameKind;
    this.type = buf.readUInt16LE(at + 5);
    this.requestId = buf.readUInt32LE(at + 7);
    return payloadBytes;
  }

  private startBody(payloadBytes: number): void {
    this.body = Buffer.allocUnsafe(payloadBytes);
    this.bodyFill = 0;
  }

  private finishBody(): void {
    const body = this.body!;
    this.body = null;
    this.sink.onFrame(this.kind, this.type, this.requestId, body);
  }

  private fail(message: string): never {
    this.failed = new FrameProtocolError(message);
    throw this.failed;
  }
}

const EMPTY = Buffer.alloc(0);
