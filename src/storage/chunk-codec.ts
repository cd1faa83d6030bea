// Encodes one column chunk (a Vector) to bytes and back, compressing each chunk with the encodings
// that suit its data (see int-codec.ts for how a stream's encoding is chosen). Layout (little endian):
//   u8 version (2) | u8 kind | u32 rows | u32 uncompressed bytes | u8 encoding | u8 flags |
//   [NULL map stream] | payload | u32 checksum
// flags: 1 = has NULLs, 2 = string dictionary deflated (raw deflate: chunks written before brotli),
// 4 = string dictionary compressed with brotli. The uncompressed size (rows × value width,
// or the strings' UTF-8 bytes) and the encoding of the main stream are kept in the header so the
// storage statistics can be read without decoding. Payloads:
//   bool, int32, int64, float64, timestamp: one value stream
//   numeric: i32 scale | u8 (1 = display scales, 2 = wide values) | [dscale stream] | [wide JSON] | value stream
//   string: u32 dictionary size | length stream | blob (UTF-8, maybe compressed) | code stream
//   interval: months stream | days stream | micros stream
// Values under NULLs are unspecified, so they are replaced by their predecessor before encoding
// (keeps runs and deltas intact). Version-1 chunks (raw values) still decode (chunk-codec-v1.ts).
// The checksum is written with the chunk and verified when it is read back (paired assertion).
import { isAscii } from 'buffer';
import { BrotliOptions, brotliCompress, brotliCompressSync, brotliDecompressSync, constants as zlibConstants, inflateRawSync } from 'zlib';
import { DataType } from '../types/data-type';
import { SqlError, SqlState } from '../types/sql-error';
import { StringVector, Vector } from '../types/vector';
import { newVector } from '../types/vector-ops';
import { ByteReader, ByteWriter } from './byte-io';
import { decodeChunkV1 } from './chunk-codec-v1';
import { bitWidth } from './bit-pack';
import { TAG_NAMES, decodeInts, encodeInts, encodeIntsRaw } from './int-codec';
import { StringBytes, stringBytesOf } from '../types/string-bytes';

const VERSION = 2;
const KIND_CODE: Record<Vector['kind'], number> = { bool: 1, int32: 2, int64: 3, float64: 4, timestamp: 5, numeric: 6, string: 7, interval: 8 };
const FLAG_NULLS = 1;
const FLAG_DEFLATED = 2;
const FLAG_BROTLI = 4;
/**
 * Dictionaries are compressed with brotli at quality 0 (Node's zlib module, native). Against raw
 * deflate at level 1, which chunks used before, on TPC-H SF 1's text columns (65,536-row
 * dictionaries): 2-3× less CPU time for about the same size (p_name 7 vs 15 ms, ×3.33 vs ×3.49;
 * c_comment 11 vs 28 ms, ×3.81 vs ×3.87; random text such as c_address 4 vs 30 ms, ×1.32 vs ×1.33),
 * decoding about as fast (some columns faster, ps_comment about 2× slower), and a small blob costs
 * about 10 µs instead of deflate's 80-100 µs of stream setup. Compression was a quarter to a third of
 * a bulk load's CPU time on the text-heavy tables (bench/results/load-sf1-vs-postgres.md).
 */
const BROTLI_QUALITY = 0;
/** Dictionaries smaller than this are not worth a compression attempt. */
const MIN_COMPRESS_BYTES = 64;

function brotliOptions(blob: Uint8Array): BrotliOptions {
  return {
    params: { [zlibConstants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: blob.length },
    // One output buffer for the whole result (the default 16 kB one costs a callback and a copy per piece).
    chunkSize: Math.max(16384, blob.length),
  };
}

/** The blob compressed (null when that does not make it smaller, or it is too small to try). */
function compressBlob(blob: Buffer): Buffer | null {
  if (blob.length < MIN_COMPRESS_BYTES) return null;
  const out = brotliCompressSync(blob, brotliOptions(blob));
  return out.length < blob.length ? out : null;
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

/** A float64 copy of src[0 .. n) where rows with skip[i] = 1 repeat the previous kept value. */
function filled(src: Float64Array | Int32Array | Uint8Array, n: number, skip: Uint8Array | null): Float64Array {
  const out = new Float64Array(n);
  // A native conversion of any array type (a JS loop here was recompiled for each type it met).
  out.set(src.subarray(0, n));
  if (skip !== null) fillSkipped(out, n, skip);
  return out;
}

/** Rows with skip[i] = 1 take the value of the kept row before them (rows before the first kept one, its value). */
function fillSkipped(out: Float64Array, n: number, skip: Uint8Array): void {
  let first = 0;
  while (first < n && skip[first] === 1) first++;
  let last = first < n ? out[first] : 0;
  for (let i = 0; i < n; i++) {
    if (skip[i] === 1) out[i] = last;
    else last = out[i];
  }
}

/** The vector's NULL map when it has a NULL in its rows, else null. */
function presentNulls(v: Vector): Uint8Array | null {
  if (v.nulls !== null) for (let i = 0; i < v.length; i++) if (v.nulls[i] === 1) return v.nulls;
  return null;
}

/** A string chunk's dictionary as stored: entries, their UTF-8 lengths, row codes, and the joined bytes. */
interface StringLayout {
  /** Dictionary entries stored. */
  count: number;
  lengths: Float64Array;
  codes: Float64Array;
  /** The rows' plain UTF-8 bytes (NULLs excluded). */
  raw: number;
  blob: Buffer;
  /** The blob compressed, when that made it smaller; undefined = not tried yet. */
  packed?: Buffer | null;
}

function stringLayout(v: StringVector, nulls: Uint8Array | null): StringLayout {
  const n = v.length;
  const form = stringBytesOf(v);
  if (form !== undefined) return layoutFromBytes(v.codes, n, nulls, form);
  if (nulls === null && v.dict.length === n && isIdentity(v.codes, n)) {
    // One entry per row in row order (COPY of mostly distinct text): already the stored layout.
    const lengths = new Float64Array(n);
    let raw = 0;
    for (let d = 0; d < n; d++) raw += lengths[d] = Buffer.byteLength(v.dict[d]);
    const codes = new Float64Array(n);
    for (let i = 0; i < n; i++) codes[i] = i;
    return { count: n, lengths, codes, raw, blob: Buffer.from(v.dict.join('')) };
  }
  // Only the dictionary entries this chunk uses, renumbered densely in order of first use.
  const { order, used, codes } = firstUseOrder(v.codes, n, nulls, v.dict.length);
  // Every row NULL (a delta entry's row with a NULL text column, as pgbench's filler): no entries,
  // and none of the zero-length typed arrays below (which cost tens of µs each time under a busy heap).
  if (used === 0) return { count: 0, lengths: NO_LENGTHS, codes, raw: 0, blob: NO_BYTES };
  let dict: string[] = new Array(used);
  for (let d = 0; d < used; d++) dict[d] = v.dict[order[d]];
  let lengths = new Float64Array(dict.length);
  let dictBytes = 0;
  let raw = 0;
  for (let d = 0; d < dict.length; d++) dictBytes += lengths[d] = Buffer.byteLength(dict[d]);
  for (let i = 0; i < n; i++) if (nulls === null || nulls[i] === 0) raw += lengths[codes[i]];
  // Nearly unique text (comments, names): repeating the few duplicates costs less than codes
  // into a large dictionary, so the strings are stored in row order and the codes become a
  // sequence that delta-encodes to almost nothing.
  if (raw - dictBytes < (n * bitWidth(dict.length - 1)) / 8) {
    const rowDict: string[] = [];
    const rowLengths = new Float64Array(n);
    let k = -1;
    for (let i = 0; i < n; i++) {
      if (nulls === null || nulls[i] === 0) {
        const c = codes[i];
        rowLengths[++k] = lengths[c];
        rowDict.push(dict[c]);
      }
      codes[i] = k < 0 ? 0 : k;
    }
    dict = rowDict;
    lengths = rowLengths;
  }
  return { count: dict.length, lengths, codes, raw, blob: Buffer.from(dict.join('')) };
}

/**
 * stringLayout of a vector whose dictionary COPY built as UTF-8 bytes: the same layout (so the same
 * chunk bytes), its lengths and blob taken from those bytes instead of from the JS strings.
 * Each loop is a function of its own (below): a bulk load calls this for every text column of every
 * row group, with different branches taken by different columns, and one function holding all the
 * loops was compiled on stack replacement at one loop and thrown away at the next branch it had not
 * seen, again and again (over a dozen compilations in one COPY of part, on each thread).
 */
function layoutFromBytes(rowCodes: Int32Array, n: number, nulls: Uint8Array | null, form: StringBytes): StringLayout {
  const { bytes, starts } = form;
  const size = starts.length - 1;
  if (nulls === null && size === n && isIdentity(rowCodes, n)) {
    const whole = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    return { count: n, lengths: entryLengths(starts, null, n), codes: iota(n), raw: starts[n] - starts[0], blob: whole.subarray(starts[0], starts[n]) };
  }
  // As stringLayout: the entries used, renumbered in order of first use; row order when nearly unique.
  const first = firstUseOrder(rowCodes, n, nulls, size);
  let { order, used } = first;
  const codes = first.codes;
  let total = entriesBytes(starts, order, used);
  const raw = rowsBytes(starts, order, codes, nulls, n);
  if (raw - total < (n * bitWidth(used - 1)) / 8) {
    order = rowOrderEntries(order, codes, nulls, n);
    used = order.length;
    total = raw;
  }
  return { count: used, lengths: entryLengths(starts, order, used), codes, raw, blob: joinEntries(bytes, starts, order, used, total) };
}

/** 0, 1, …, n − 1. */
function iota(n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

/** Byte lengths of entries order[0, used) (of entries 0 .. used − 1 when order is null). */
function entryLengths(starts: Int32Array, order: Int32Array | null, used: number): Float64Array {
  const out = new Float64Array(used);
  if (order === null) for (let d = 0; d < used; d++) out[d] = starts[d + 1] - starts[d];
  else for (let d = 0; d < used; d++) out[d] = starts[order[d] + 1] - starts[order[d]];
  return out;
}

/** Bytes of entries order[0, used) together. */
function entriesBytes(starts: Int32Array, order: Int32Array, used: number): number {
  let total = 0;
  for (let d = 0; d < used; d++) total += starts[order[d] + 1] - starts[order[d]];
  return total;
}

/** Bytes of the rows' values (NULLs excluded): row i holds entry order[codes[i]]. */
function rowsBytes(starts: Int32Array, order: Int32Array, codes: Float64Array, nulls: Uint8Array | null, n: number): number {
  let raw = 0;
  for (let i = 0; i < n; i++) {
    if (nulls !== null && nulls[i] === 1) continue;
    const c = order[codes[i]];
    raw += starts[c + 1] - starts[c];
  }
  return raw;
}

/**
 * Nearly unique text: one entry per non-NULL row in row order (the entries it repeats); codes become
 * each row's position among them (a NULL row repeats its predecessor's). Returns the entries.
 */
function rowOrderEntries(order: Int32Array, codes: Float64Array, nulls: Uint8Array | null, n: number): Int32Array {
  const entries = new Int32Array(n);
  let k = -1;
  for (let i = 0; i < n; i++) {
    if (nulls === null || nulls[i] === 0) entries[++k] = order[codes[i]];
    codes[i] = k < 0 ? 0 : k;
  }
  return entries.subarray(0, k + 1);
}

/** Entries order[0, used) joined (total bytes together). */
function joinEntries(bytes: Uint8Array, starts: Int32Array, order: Int32Array, used: number, total: number): Buffer {
  // Entries are short: a byte loop beats a native copy call per entry.
  const blob = Buffer.allocUnsafe(total);
  let at = 0;
  for (let d = 0; d < used; d++) {
    const e = starts[order[d] + 1];
    for (let i = starts[order[d]]; i < e; i++) blob[at++] = bytes[i];
  }
  return blob;
}

/** The chunk of a string vector from its dictionary's byte form (v.dict is not read): what a worker thread encodes. */
export function encodeChunkFromBytes(v: StringVector, form: StringBytes): Buffer {
  return encodeChunk(v, layoutFromBytes(v.codes, v.length, presentNulls(v), form));
}

/**
 * The dictionary entries the rows use, in order of first use (order[0, used)), and each row's
 * index in that order (NULL rows repeat the previous row's, keeping runs intact).
 */
function firstUseOrder(rowCodes: Int32Array, n: number, nulls: Uint8Array | null, size: number): { order: Int32Array; used: number; codes: Float64Array } {
  // A few rows over a large dictionary (a delta entry's row, gathered from a chunk with its whole
  // dictionary): entries found through a map, not an array as long as the dictionary, filled for each.
  if (size === 0 || size > 4 * n + 64) return firstUseOrderSparse(rowCodes, n, nulls);
  const remap = new Int32Array(size).fill(-1);
  const order = new Int32Array(size);
  let used = 0;
  const codes = new Float64Array(n);
  let last = 0;
  for (let i = 0; i < n; i++) {
    if (nulls !== null && nulls[i] === 1) {
      codes[i] = last;
      continue;
    }
    const c = rowCodes[i];
    let m = remap[c];
    if (m === -1) {
      m = remap[c] = used;
      order[used++] = c;
    }
    codes[i] = last = m;
  }
  return { order, used, codes };
}

const NO_LENGTHS = new Float64Array(0);
const NO_BYTES = Buffer.alloc(0);

/** firstUseOrder with a map from dictionary entries to their order (the same result). */
function firstUseOrderSparse(rowCodes: Int32Array, n: number, nulls: Uint8Array | null): { order: Int32Array; used: number; codes: Float64Array } {
  const remap = new Map<number, number>();
  const order = new Int32Array(n);
  let used = 0;
  const codes = new Float64Array(n);
  let last = 0;
  for (let i = 0; i < n; i++) {
    if (nulls !== null && nulls[i] === 1) {
      codes[i] = last;
      continue;
    }
    const c = rowCodes[i];
    let m = remap.get(c);
    if (m === undefined) {
      m = used;
      remap.set(c, m);
      order[used++] = c;
    }
    codes[i] = last = m;
  }
  return { order, used, codes };
}

function isIdentity(codes: Int32Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (codes[i] !== i) return false;
  return true;
}

/** The chunk's bytes, with the dictionary compressed on the thread pool (the rest is encoded here). */
export function encodeChunkAsync(v: Vector): Promise<Buffer> {
  if (v.kind !== 'string') return Promise.resolve(encodeChunk(v));
  const layout = stringLayout(v, presentNulls(v));
  if (layout.blob.length < MIN_COMPRESS_BYTES) return Promise.resolve(encodeChunk(v, { ...layout, packed: null }));
  return new Promise((resolve, reject) =>
    brotliCompress(layout.blob, brotliOptions(layout.blob), (err, out) => {
      if (err !== null) reject(err);
      else resolve(encodeChunk(v, { ...layout, packed: out.length < layout.blob.length ? out : null }));
    }),
  );
}

/**
 * The chunk with every stream raw and the dictionary not deflated (the layout encodeChunk falls back
 * to when no encoding pays): the uncompressed baseline the compression benchmark decodes.
 */
export function encodeChunkRaw(v: Vector): Buffer {
  return encodeChunk(v, undefined, true);
}

/**
 * The chunk's bytes without deflating a string dictionary: for small, short-lived chunks (delta
 * entries of a few rows, see delta-rows.ts), where a deflate call costs more than it saves.
 */
export function encodeChunkUndeflated(v: Vector): Buffer {
  if (v.kind !== 'string') return encodeChunk(v);
  return encodeChunk(v, { ...stringLayout(v, presentNulls(v)), packed: null });
}

export function encodeChunk(v: Vector, layout?: StringLayout, rawStreams = false): Buffer {
  const w = new ByteWriter();
  writeChunkBody(w, v, layout, rawStreams);
  const body = w.finish();
  const out = Buffer.alloc(body.length + 4);
  body.copy(out);
  out.writeUInt32LE(checksum(out, body.length), body.length);
  return out;
}

/**
 * Chunks of the columns with raw streams, each as encodeChunkRaw makes it, written one after the
 * other into `w`, each preceded by its length (u32): a group commit's delta entry (see delta-rows.ts),
 * written in one buffer instead of a buffer per column copied into another.
 */
export function writeRawChunks(w: ByteWriter, columns: readonly Vector[]): void {
  for (const v of columns) {
    const lengthAt = w.length;
    w.u32(0);
    const start = w.length;
    writeChunkBody(w, v, undefined, true);
    w.u32(checksum(w.bytesFrom(start), w.length - start));
    w.patchU32(lengthAt, w.length - start);
  }
}

/** A chunk's bytes but its checksum, written into `w` from where it stands. */
function writeChunkBody(w: ByteWriter, v: Vector, layout: StringLayout | undefined, rawStreams: boolean): void {
  const put = rawStreams ? encodeIntsRaw : encodeInts;
  const n = v.length;
  w.u8(VERSION);
  w.u8(KIND_CODE[v.kind]);
  w.u32(n);
  const headerAt = w.length;
  w.u32(0); // uncompressed bytes
  w.u8(0); // encoding
  w.u8(0); // flags
  let flags = 0;
  // A stream of the rows' values (those under `skip` replaced, see filled): raw streams with nothing
  // to replace are written from the values as they are, without a float64 copy.
  const stream = (values: Float64Array | Int32Array | Uint8Array, skip: Uint8Array | null, elemBytes: number): number =>
    rawStreams && skip === null ? encodeIntsRaw(w, values, n, elemBytes) : put(w, filled(values, n, skip), n, elemBytes);
  const nulls = presentNulls(v);
  if (nulls !== null) {
    flags |= FLAG_NULLS;
    stream(nulls, null, 1);
  }
  let tag = 0;
  let raw = 0;
  switch (v.kind) {
    case 'bool':
      tag = stream(v.values, nulls, 1);
      raw = n;
      break;
    case 'int32':
      tag = stream(v.values, nulls, 4);
      raw = n * 4;
      break;
    case 'int64':
    case 'float64':
    case 'timestamp':
      tag = stream(v.values, nulls, 8);
      raw = n * 8;
      break;
    case 'numeric': {
      w.i32(v.scale);
      const wide: [number, string][] = [];
      if (v.wide !== null) for (let i = 0; i < n; i++) if (v.wide[i] !== undefined) wide.push([i, v.wide[i]!.toString()]);
      w.u8((v.dscale !== null ? 1 : 0) | (wide.length > 0 ? 2 : 0));
      if (v.dscale !== null) stream(v.dscale, null, 1);
      let skip = nulls;
      if (wide.length > 0) {
        // Wide rows hold NaN in values; the decoder puts it back.
        w.blob(Buffer.from(JSON.stringify(wide)));
        skip = nulls !== null ? nulls.slice(0, n) : new Uint8Array(n);
        for (const [i] of wide) skip[i] = 1;
      }
      tag = stream(v.values, skip, 8);
      raw = n * 8;
      break;
    }
    case 'string': {
      const { count, lengths, codes, raw: bytes, blob, packed: given } = layout ?? stringLayout(v, nulls);
      raw = bytes;
      w.u32(count);
      put(w, lengths, count, 4);
      const packed = rawStreams ? null : given !== undefined ? given : compressBlob(blob);
      if (packed !== null) {
        flags |= FLAG_BROTLI;
        w.blob(packed);
      } else w.blob(blob);
      tag = put(w, codes, n, 4);
      break;
    }
    case 'interval':
      stream(v.months, nulls, 4);
      stream(v.days, nulls, 4);
      tag = stream(v.micros, nulls, 8);
      raw = n * 16;
      break;
  }
  w.patchU32(headerAt, Math.min(raw, 0xffffffff));
  w.patchU8(headerAt + 4, tag);
  w.patchU8(headerAt + 5, flags);
}

function corrupted(what: string): SqlError {
  return new SqlError(SqlState.dataCorrupted, `column chunk is corrupted: ${what}`);
}

export function decodeChunk(buf: Buffer, type: DataType): Vector {
  if (buf.length < 11) throw corrupted('too short');
  const stored = buf.readUInt32LE(buf.length - 4);
  if (checksum(buf, buf.length - 4) !== stored) throw corrupted('checksum mismatch');
  const r = new ByteReader(buf);
  const version = r.u8();
  r.u8();
  const n = r.u32();
  try {
    if (version === 1) return decodeChunkV1(r, n, type);
    if (version === VERSION) return decodeV2(r, n, type);
  } catch (e) {
    if (e instanceof RangeError) throw corrupted(e.message);
    throw e;
  }
  throw corrupted('unknown version');
}

function decodeV2(r: ByteReader, n: number, type: DataType): Vector {
  r.u32();
  r.u8();
  const flags = r.u8();
  const v = newVector(type, n);
  if ((flags & FLAG_NULLS) !== 0) {
    v.nulls = new Uint8Array(n);
    decodeInts(r, v.nulls, n);
  }
  switch (v.kind) {
    case 'bool':
    case 'int32':
    case 'int64':
    case 'float64':
    case 'timestamp':
      decodeInts(r, v.values, n);
      break;
    case 'numeric': {
      v.scale = r.i32();
      const parts = r.u8();
      if ((parts & 1) !== 0) {
        v.dscale = new Uint8Array(n);
        decodeInts(r, v.dscale, n);
      }
      let wide: [number, string][] = [];
      if ((parts & 2) !== 0) wide = JSON.parse(Buffer.from(r.blob()).toString()) as [number, string][];
      decodeInts(r, v.values, n);
      if (wide.length > 0) {
        v.wide = new Array(n);
        for (const [i, s] of wide) {
          v.wide[i] = BigInt(s);
          v.values[i] = NaN;
        }
      }
      break;
    }
    case 'string': {
      const size = r.u32();
      const lengths = new Int32Array(size);
      decodeInts(r, lengths, size);
      const stored = r.blob();
      const blob = (flags & FLAG_BROTLI) !== 0 ? brotliDecompressSync(stored) : (flags & FLAG_DEFLATED) !== 0 ? inflateRawSync(stored) : Buffer.from(stored);
      // ASCII text (the common case) decodes faster as latin1, which is the same for those bytes.
      const encoding = isAscii(blob) ? 'latin1' : 'utf8';
      const dict: string[] = new Array(size);
      let pos = 0;
      for (let d = 0; d < size; d++) {
        const end = pos + lengths[d];
        dict[d] = blob.toString(encoding, pos, end);
        pos = end;
      }
      if (pos !== blob.length) throw new RangeError('dictionary lengths do not match its bytes');
      v.dict = dict;
      decodeInts(r, v.codes, n);
      break;
    }
    case 'interval':
      decodeInts(r, v.months, n);
      decodeInts(r, v.days, n);
      decodeInts(r, v.micros, n);
      break;
  }
  return v;
}

/** What a stored chunk holds, read from its header only (for the storage statistics). */
export interface ChunkInfo {
  version: number;
  rows: number;
  /** The values' plain size: rows × value width, or the strings' UTF-8 bytes (NULLs excluded). */
  uncompressedBytes: number;
  /** e.g. 'delta', 'rle', 'dictionary+bitpack+brotli' ('+deflate': written before brotli); 'raw (v1)' for version-1 chunks. */
  encoding: string;
}

export function chunkInfo(buf: Buffer): ChunkInfo {
  const version = buf[0];
  const kind = buf[1];
  const rows = buf.readUInt32LE(2);
  if (version === 1) return { version, rows, uncompressedBytes: buf.length, encoding: 'raw (v1)' };
  const tag = TAG_NAMES[buf[10]] ?? '?';
  const flags = buf[11];
  const encoding = kind === KIND_CODE.string ? `dictionary+${tag}${(flags & FLAG_BROTLI) !== 0 ? '+brotli' : (flags & FLAG_DEFLATED) !== 0 ? '+deflate' : ''}` : tag;
  return { version, rows, uncompressedBytes: buf.readUInt32LE(6), encoding };
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
