// Builds backend messages into one growing buffer, flushed to the socket in large writes.
import { Backend } from './protocol-codes';

export class MessageWriter {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private pos = 0;
  private start = -1;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const b = Buffer.allocUnsafe(cap);
    this.buf.copy(b, 0, 0, this.pos);
    this.buf = b;
  }

  get size(): number {
    return this.pos;
  }

  begin(type: number): this {
    this.ensure(5);
    this.buf[this.pos] = type;
    this.start = this.pos + 1;
    this.pos += 5;
    return this;
  }
  end(): this {
    this.buf.writeInt32BE(this.pos - this.start, this.start);
    this.start = -1;
    return this;
  }
  int8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v;
    return this;
  }
  int16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }
  int32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v | 0, this.pos);
    this.pos += 4;
    return this;
  }
  cstring(s: string): this {
    const n = Buffer.byteLength(s);
    this.ensure(n + 1);
    this.buf.write(s, this.pos);
    this.pos += n;
    this.buf[this.pos++] = 0;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }
  /** A DataRow cell: length-prefixed UTF-8, or -1 for NULL. */
  cell(s: string | null): this {
    if (s === null) return this.int32(-1);
    const n = Buffer.byteLength(s);
    this.ensure(n + 4);
    this.buf.writeInt32BE(n, this.pos);
    this.pos += 4;
    this.buf.write(s, this.pos);
    this.pos += n;
    return this;
  }

  /** Takes what was written so far and resets. */
  take(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.pos));
    this.pos = 0;
    if (this.buf.length > 1 << 22) this.buf = Buffer.allocUnsafe(64 * 1024);
    return out;
  }

  // Common messages
  readyForQuery(status: string): this {
    return this.begin(Backend.readyForQuery).int8(status.charCodeAt(0)).end();
  }
  parameterStatus(name: string, value: string): this {
    return this.begin(Backend.parameterStatus).cstring(name).cstring(value).end();
  }
  commandComplete(tag: string): this {
    return this.begin(Backend.commandComplete).cstring(tag).end();
  }
  empty(type: number): this {
    return this.begin(type).end();
  }
}
