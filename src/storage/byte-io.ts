// Little-endian byte writer and reader for the chunk codecs. The reader hands out copies, because
// typed arrays over chunk bytes need aligned memory the chunk does not own.
import { grownBuffer } from '../types/grow-buffer';

/**
 * Buffers writers start in, handed back by finish(): every chunk encoding (a group commit encodes
 * each column of the few rows it appends) allocated and zeroed a fresh 1 KiB buffer, an
 * ArrayBuffer the garbage collector then had to sweep. Kept up to SPARE_MAX bytes each.
 */
const spare: Buffer[] = [];
const SPARE_MAX = 65536;
const SPARE_COUNT = 4;

/**
 * Writes bytes into a growing buffer. The Buffer finish() returns is the writer's own memory, reused
 * by the next writer: callers copy it before they start another writer (chunk-codec copies it into
 * the chunk with its checksum; a nested stream is copied into its outer writer).
 */
export class ByteWriter {
  private buf = spare.pop() ?? Buffer.allocUnsafeSlow(1024);
  private pos = 0;
  private ensure(n: number): void {
    this.buf = grownBuffer(this.buf, this.pos, n);
  }
  get length(): number {
    return this.pos;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }
  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
  }
  i32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32LE(v, this.pos);
    this.pos += 4;
  }
  f64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  typed(a: ArrayBufferView): void {
    this.bytes(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  /** n values as little-endian float64 (elemBytes 8), int32 (4, wrapped as ToInt32) or uint8 (1, wrapped as ToUint8): as typed() of such an array. */
  values(vals: Float64Array | Int32Array | Uint8Array, n: number, elemBytes: number): void {
    this.ensure(n * elemBytes);
    const b = this.buf;
    let p = this.pos;
    if (elemBytes === 8) for (let i = 0; i < n; i++, p += 8) b.writeDoubleLE(vals[i], p);
    else if (elemBytes === 4) for (let i = 0; i < n; i++, p += 4) b.writeInt32LE(vals[i] | 0, p);
    else for (let i = 0; i < n; i++) b[p++] = vals[i] & 255;
    this.pos = p;
  }
  blob(b: Uint8Array): void {
    this.u32(b.length);
    this.bytes(b);
  }
  /** The bytes written from byte offset `start` on; valid until the next write. */
  bytesFrom(start: number): Buffer {
    return this.buf.subarray(start, this.pos);
  }
  /** Overwrites a u32 written earlier at byte offset at (a header field known only at the end). */
  patchU32(at: number, v: number): void {
    this.buf.writeUInt32LE(v >>> 0, at);
  }
  patchU8(at: number, v: number): void {
    this.buf[at] = v;
  }
  /** The bytes written; valid until the next ByteWriter is made (see the class comment). */
  finish(): Buffer {
    if (this.buf.length <= SPARE_MAX && spare.length < SPARE_COUNT && !spare.includes(this.buf)) spare.push(this.buf);
    return this.buf.subarray(0, this.pos);
  }
}

export class ByteReader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}
  u8(): number {
    return this.buf[this.pos++];
  }
  u32(): number {
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  i32(): number {
    const v = this.buf.readInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  f64(): number {
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }
  /** A copy (typed arrays need aligned, owned memory). */
  bytes(n: number): Uint8Array {
    if (this.pos + n > this.buf.length) throw new RangeError('read past the end of the chunk');
    const out = new Uint8Array(n);
    out.set(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }
  blob(): Uint8Array {
    return this.bytes(this.u32());
  }
}
