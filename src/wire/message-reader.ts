// Splits the incoming byte stream into protocol messages. The first message of a connection has
// no type byte (startup, SSL/GSS requests, cancel); every later one is type byte + int32 length.
import { MAX_MESSAGE_BYTES, MAX_STARTUP_BYTES } from './protocol-codes';

export interface Message {
  /** 0 for an untyped startup-phase message. */
  type: number;
  body: Buffer;
}

export class ProtocolViolation extends Error {}

export class MessageReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** True until the startup message has been read (SSLRequest keeps us in this phase). */
  startupPhase = true;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  private peek(n: number): Buffer {
    if (this.chunks.length > 1 && this.chunks[0].length < n) {
      this.chunks = [Buffer.concat(this.chunks)];
    }
    return this.chunks[0];
  }

  private consume(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered -= n;
    return out;
  }

  /** The next complete message, or null when more bytes are needed. Throws ProtocolViolation on bad framing. */
  next(): Message | null {
    if (this.startupPhase) {
      if (this.buffered < 4) return null;
      const len = this.peek(4).readInt32BE(0);
      if (len < 8 || len > MAX_STARTUP_BYTES) throw new ProtocolViolation('invalid length of startup packet');
      if (this.buffered < len) return null;
      const msg = this.consume(len);
      return { type: 0, body: msg.subarray(4) };
    }
    if (this.buffered < 5) return null;
    const head = this.peek(5);
    const type = head[0];
    const len = head.readInt32BE(1);
    if (len < 4 || len > MAX_MESSAGE_BYTES) throw new ProtocolViolation(`invalid message length ${len}`);
    if (this.buffered < len + 1) return null;
    const msg = this.consume(len + 1);
    return { type, body: msg.subarray(5) };
  }
}

/** Reads fields of one message body. */
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
  cstring(): string {
    const end = this.b.indexOf(0, this.pos);
    if (end === -1) throw new ProtocolViolation('unterminated string in message');
    const s = this.b.toString('utf8', this.pos, end);
    this.pos = end + 1;
    return s;
  }
  bytes(n: number): Buffer {
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
  private need(n: number): void {
    if (this.pos + n > this.b.length) throw new ProtocolViolation('message too short');
  }
}
