// Encodes one column chunk (a Vector) to bytes and back. Layout (little endian):
//   u8 version | u8 kind | u32 rows | u8 hasNulls | [rows bytes of nulls] | payload | u32 checksum
// Payloads: fixed-width values as raw typed-array bytes; strings as a dictionary (deflated) plus
// codes; numerics with their scale, per-row display scales and wide values.
// The checksum is written with the chunk and verified when it is read back (paired assertion).
import { deflateSync, inflateSync } from 'fflate';
import { DataType } from '../types/data-type';
import { SqlError, SqlState } from '../types/sql-error';
import { Vector } from '../types/vector';
import { newVector } from '../types/vector-ops';

const VERSION = 1;
const KIND_CODE: Record<Vector['kind'], number> = { bool: 1, int32: 2, int64: 3, float64: 4, timestamp: 5, numeric: 6, string: 7, interval: 8 };

class Writer {
  private buf = Buffer.alloc(1024);
  private pos = 0;
  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const b = Buffer.alloc(cap);
    this.buf.copy(b, 0, 0, this.pos);
    this.buf = b;
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
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  typed(a: ArrayBufferView): void {
    this.bytes(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  blob(b: Uint8Array): void {
    this.u32(b.length);
    this.bytes(b);
  }
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

class Reader {
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
  /** A copy (typed arrays need aligned, owned memory). */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    out.set(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }
  blob(): Uint8Array {
    return this.bytes(this.u32());
  }
}

/** FNV-1a over the bytes: cheap, and enough to catch torn or corrupted chunks. */
export function checksum(b: Uint8Array, end: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < end; i++) {
    h ^= b[i];
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function encodeChunk(v: Vector): Buffer {
  const w = new Writer();
  const n = v.length;
  w.u8(VERSION);
  w.u8(KIND_CODE[v.kind]);
  w.u32(n);
  const hasNulls = v.nulls !== null && v.nulls.subarray(0, n).some((x) => x === 1);
  w.u8(hasNulls ? 1 : 0);
  if (hasNulls) w.bytes(v.nulls!.subarray(0, n));
  switch (v.kind) {
    case 'bool':
      w.bytes(v.values.subarray(0, n));
      break;
    case 'int32':
      w.typed(v.values.subarray(0, n));
      break;
    case 'int64':
    case 'float64':
    case 'timestamp':
      w.typed(v.values.subarray(0, n));
      break;
    case 'numeric': {
      w.i32(v.scale);
      w.u8(v.dscale !== null ? 1 : 0);
      if (v.dscale !== null) w.bytes(v.dscale.subarray(0, n));
      const wide: [number, string][] = [];
      if (v.wide !== null) for (let i = 0; i < n; i++) if (v.wide[i] !== undefined) wide.push([i, v.wide[i]!.toString()]);
      w.blob(Buffer.from(JSON.stringify(wide)));
      w.typed(v.values.subarray(0, n));
      break;
    }
    case 'string': {
      // Only the dictionary entries this chunk uses, renumbered densely.
      const remap = new Int32Array(v.dict.length).fill(-1);
      const dict: string[] = [];
      const codes = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        if (hasNulls && v.nulls![i] === 1) continue;
        const c = v.codes[i];
        let m = remap[c];
        if (m === -1) {
          m = remap[c] = dict.length;
          dict.push(v.dict[c]);
        }
        codes[i] = m;
      }
      w.blob(deflateSync(Buffer.from(JSON.stringify(dict)), { level: 1 }));
      w.typed(codes);
      break;
    }
    case 'interval':
      w.typed(v.months.subarray(0, n));
      w.typed(v.days.subarray(0, n));
      w.typed(v.micros.subarray(0, n));
      break;
  }
  const body = w.finish();
  const out = Buffer.alloc(body.length + 4);
  body.copy(out);
  out.writeUInt32LE(checksum(out, body.length), body.length);
  return out;
}

function corrupted(what: string): SqlError {
  return new SqlError(SqlState.dataCorrupted, `column chunk is corrupted: ${what}`);
}

export function decodeChunk(buf: Buffer, type: DataType): Vector {
  if (buf.length < 11) throw corrupted('too short');
  const stored = buf.readUInt32LE(buf.length - 4);
  if (checksum(buf, buf.length - 4) !== stored) throw corrupted('checksum mismatch');
  const r = new Reader(buf);
  if (r.u8() !== VERSION) throw corrupted('unknown version');
  r.u8();
  const n = r.u32();
  const nulls = r.u8() === 1 ? r.bytes(n) : null;
  const v = newVector(type, n);
  v.nulls = nulls;
  switch (v.kind) {
    case 'bool':
      v.values = r.bytes(n);
      break;
    case 'int32':
      v.values = new Int32Array(r.bytes(n * 4).buffer);
      break;
    case 'int64':
    case 'float64':
    case 'timestamp':
      v.values = new Float64Array(r.bytes(n * 8).buffer);
      break;
    case 'numeric': {
      v.scale = r.i32();
      if (r.u8() === 1) v.dscale = r.bytes(n);
      const wide = JSON.parse(Buffer.from(r.blob()).toString()) as [number, string][];
      if (wide.length > 0) {
        v.wide = new Array(n);
        for (const [i, s] of wide) v.wide[i] = BigInt(s);
      }
      v.values = new Float64Array(r.bytes(n * 8).buffer);
      break;
    }
    case 'string':
      v.dict = JSON.parse(Buffer.from(inflateSync(r.blob())).toString()) as string[];
      v.codes = new Int32Array(r.bytes(n * 4).buffer);
      break;
    case 'interval':
      v.months = new Int32Array(r.bytes(n * 4).buffer);
      v.days = new Int32Array(r.bytes(n * 4).buffer);
      v.micros = new Float64Array(r.bytes(n * 8).buffer);
      break;
  }
  return v;
}

/** Approximate decoded size, for the buffer pool's byte budget. */
export function vectorBytes(v: Vector): number {
  let bytes = v.nulls !== null ? v.length : 0;
  switch (v.kind) {
    case 'bool':
      return bytes + v.length;
    case 'int32':
      return bytes + v.length * 4;
    case 'string': {
      bytes += v.length * 4;
      for (const s of v.dict) bytes += 16 + s.length * 2;
      return bytes;
    }
    case 'interval':
      return bytes + v.length * 16;
    default:
      return bytes + v.length * 8;
  }
}
