// Splits the incoming byte stream into protocol messages, whatever the TCP segmentation. The first
// message of a connection has no type byte (startup, SSLRequest/GSSENCRequest, CancelRequest);
// every later one is type byte + int32 length (which counts itself but not the type byte).
import { SqlError, SqlState } from '../types/sql-error';
import { MAX_STARTUP_BYTES, MESSAGE_LIMITS } from './protocol-codes';

export interface Message {
  /** Type byte; 0 for an untyped startup-phase message. */
  type: number;
  /** The body after the length word (may share memory with the socket's chunk: do not modify). */
  body: Buffer;
}

/** Bad framing (length, type byte): the stream cannot be trusted any more, so the connection answers FATAL 08P01 and is closed. */
export class ProtocolViolation extends Error {}

/**
 * Bad content inside a well-framed message: an ordinary ERROR 08P01 as in PostgreSQL's pq_getmsg*
 * functions; the connection lives on (framing is intact). During startup every error is fatal anyway.
 */
export function malformedMessage(message: string): SqlError {
  return new SqlError(SqlState.protocolViolation, message);
}

export class MessageReader {
  /** Received chunks; chunks[head] is the first with unconsumed bytes, starting at `offset`. */
  private chunks: Buffer[] = [];
  private head = 0;
  private offset = 0;
  private buffered = 0;
  /** True until the startup packet has been read (SSLRequest/GSSENCRequest keep us in this phase). */
  startupPhase = true;

  constructor(private readonly limits: ReadonlyMap<number, number> = MESSAGE_LIMITS) {}

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** Bytes received but not yet returned as messages. */
  get pending(): number {
    return this.buffered;
  }

  /** The next complete message, or null when more bytes are needed. Throws ProtocolViolation on bad framing. */
  next(): Message | null {
    if (this.startupPhase) {
      if (this.buffered < 4) return null;
      const len = this.int32At(0);
      // The length counts itself and at least a 4-byte code.
      if (len < 8 || len > MAX_STARTUP_BYTES) throw new ProtocolViolation('invalid length of startup packet');
      if (this.buffered < len) return null;
      const msg = this.take(len);
      return { type: 0, body: msg.subarray(4) };
    }
    if (this.buffered < 1) return null;
    const type = this.byteAt(0);
    const limit = this.limits.get(type);
    // An unknown type byte is rejected at once: waiting for its "length" could hang on garbage.
    if (limit === undefined) throw new ProtocolViolation(`invalid frontend message type ${type}`);
    if (this.buffered < 5) return null;
    const len = this.int32At(1);
    if (len < 4 || len > limit) throw new ProtocolViolation(`invalid message length ${len} for message type ${type}`);
    if (this.buffered < len + 1) return null;
    const msg = this.take(len + 1);
    return { type, body: msg.subarray(5) };
  }

  private byteAt(i: number): number {
    let pos = this.offset + i;
    for (let c = this.head; c < this.chunks.length; c++) {
      const chunk = this.chunks[c];
      if (pos < chunk.length) return chunk[pos];
      pos -= chunk.length;
    }
    throw new RangeError('byteAt past buffered data');
  }

  private int32At(i: number): number {
    const first = this.chunks[this.head];
    if (this.offset + i + 4 <= first.length) return first.readInt32BE(this.offset + i);
    return ((this.byteAt(i) << 24) | (this.byteAt(i + 1) << 16) | (this.byteAt(i + 2) << 8) | this.byteAt(i + 3)) | 0;
  }

  /** Moves past a fully consumed first chunk; drops consumed chunks in bulk (no O(n) shift per chunk). */
  private advanceChunk(): void {
    this.head++;
    this.offset = 0;
    if (this.head === this.chunks.length) {
      this.chunks = [];
      this.head = 0;
    } else if (this.head >= 1024) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }

  /** Removes n buffered bytes; zero-copy when they sit in one chunk. */
  private take(n: number): Buffer {
    this.buffered -= n;
    const first = this.chunks[this.head];
    if (first.length - this.offset >= n) {
      const out = first.subarray(this.offset, this.offset + n);
      this.offset += n;
      if (this.offset === first.length) this.advanceChunk();
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[this.head];
      const count = Math.min(c.length - this.offset, n - filled);
      c.copy(out, filled, this.offset, this.offset + count);
      filled += count;
      this.offset += count;
      if (this.offset === c.length) this.advanceChunk();
    }
    return out;
  }
}

/** Reads the fields of one message body; running past its end is a malformed message (ERROR 08P01). */
export class BodyReader {
  pos = 0;
  constructor(private readonly b: Buffer) {}
  int16(): number {
    this.need(2);
    const v = this.b.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  int32(): number {
    this.need(4);
    const v = this.b.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  byte(): number {
    this.need(1);
    return this.b[this.pos++];
  }
  /** A NUL-terminated UTF-8 string. */
  cstring(): string {
    const end = this.b.indexOf(0, this.pos);
    if (end === -1) throw malformedMessage('invalid string in message');
    const s = this.b.toString('utf8', this.pos, end);
    this.pos = end + 1;
    return s;
  }
  bytes(n: number): Buffer {
    if (n < 0) throw malformedMessage('invalid length in message');
    this.need(n);
    const out = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  rest(): Buffer {
    const out = this.b.subarray(this.pos);
    this.pos = this.b.length;
    return out;
  }
  get remaining(): number {
    return this.b.length - this.pos;
  }
  /** PostgreSQL's pq_getmsgend(): trailing garbage after the last field is a violation. */
  end(): void {
    if (this.pos !== this.b.length) throw malformedMessage('invalid message format');
  }
  private need(n: number): void {
    if (this.pos + n > this.b.length) throw malformedMessage('insufficient data left in message');
  }
}
