// COPY … (FORMAT binary), PostgreSQL's file layout: the 11-byte signature "PGCOPY\n\377\r\n\0",
// int32 flags, int32 header-extension length (+ that many bytes); then per tuple an int16 field
// count and per field an int32 length (-1 = NULL) and the value in its binary send form; then the
// int16 -1 trailer.
import { SqlError, SqlState } from '../types/sql-error';
import { Batch, Vector } from '../types/vector';
import { PG_EPOCH_DAYS, binaryCell } from '../types/binary-value';
import { isOpaqueString } from '../types/data-type';
import { grownBuffer } from '../types/grow-buffer';

export const COPY_SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/** The header of a binary COPY stream (no flags, no extension). */
export function binaryCopyHeader(): Buffer {
  return Buffer.concat([COPY_SIGNATURE, Buffer.alloc(8)]);
}

/** The trailer: a field count of -1. */
export function binaryCopyTrailer(): Buffer {
  return Buffer.from([0xff, 0xff]);
}

/**
 * Writes binary tuples into one growing buffer: fixed-width cells and plain strings straight into
 * it, other types through their binaryValue() (COPY TO of a big table would otherwise make
 * millions of small buffers).
 */
export class BinaryRowWriter {
  private buf = Buffer.allocUnsafe(1 << 16);
  private pos = 0;
  private readonly encodedDicts = new WeakMap<string[], Buffer[]>();

  get size(): number {
    return this.pos;
  }

  private ensure(n: number): void {
    this.buf = grownBuffer(this.buf, this.pos, n);
  }

  bytes(b: Buffer): void {
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }

  /** Appends the tuples of a batch; returns the number of rows. */
  rows(batch: Batch): number {
    const cols = batch.columns;
    const ncols = cols.length;
    for (let r = 0; r < batch.length; r++) {
      const row = batch.selection !== undefined ? batch.selection[r] : r;
      this.ensure(2);
      this.buf.writeInt16BE(ncols, this.pos);
      this.pos += 2;
      for (let c = 0; c < ncols; c++) this.cell(cols[c], row);
    }
    return batch.length;
  }

  private cell(v: Vector, row: number): void {
    this.ensure(12);
    const b = this.buf;
    if (v.nulls !== null && v.nulls[row] === 1) {
      this.pos = b.writeInt32BE(-1, this.pos);
      return;
    }
    const name = v.type.name;
    switch (v.kind) {
      case 'bool':
        this.pos = b.writeInt32BE(1, this.pos);
        this.pos = b.writeUInt8(v.values[row] === 1 ? 1 : 0, this.pos);
        return;
      case 'int32':
        if (name === 'int2') {
          this.pos = b.writeInt32BE(2, this.pos);
          this.pos = b.writeInt16BE(v.values[row], this.pos);
        } else {
          this.pos = b.writeInt32BE(4, this.pos);
          this.pos = b.writeInt32BE(name === 'date' ? v.values[row] - PG_EPOCH_DAYS : v.values[row], this.pos);
        }
        return;
      case 'float64':
        if (name === 'float4') {
          this.pos = b.writeInt32BE(4, this.pos);
          this.pos = b.writeFloatBE(v.values[row], this.pos);
        } else {
          this.pos = b.writeInt32BE(8, this.pos);
          this.pos = b.writeDoubleBE(v.values[row], this.pos);
        }
        return;
      case 'string':
        if (!isOpaqueString(v.type)) {
          // Each dictionary entry is encoded once (a scan's dictionary is shared by its batches).
          let encoded = this.encodedDicts.get(v.dict);
          if (encoded === undefined) this.encodedDicts.set(v.dict, (encoded = []));
          const code = v.codes[row];
          const bytes = (encoded[code] ??= Buffer.from(v.dict[code], 'utf8'));
          this.pos = b.writeInt32BE(bytes.length, this.pos);
          this.bytes(bytes);
          return;
        }
        break;
    }
    const cell = binaryCell(v, row)!;
    this.pos = b.writeInt32BE(cell.length, this.pos);
    this.bytes(cell);
  }

  /** The bytes written so far, and a fresh start. */
  take(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.pos));
    this.pos = 0;
    return out;
  }
}

function badFormat(message: string): SqlError {
  return new SqlError(SqlState.badCopyFileFormat, message);
}

/**
 * Splits an incoming binary COPY stream, arriving in arbitrary chunks, into tuples of raw fields
 * (null for NULL). `lineNumber` counts tuples, for error context, as PostgreSQL's "line" does.
 */
export class BinaryCopyReader {
  lineNumber = 0;
  private pending: Buffer = Buffer.alloc(0);
  private headerDone = false;
  private ended = false;

  push(chunk: Buffer, onRow: (fields: (Buffer | null)[]) => void): void {
    this.pending = this.pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.pending, chunk]);
    let pos = 0;
    const buf = this.pending;
    if (!this.headerDone) {
      // Checked piece by piece as bytes arrive, with PostgreSQL's messages.
      if (buf.length >= 11 && !buf.subarray(0, 11).equals(COPY_SIGNATURE)) throw badFormat('COPY file signature not recognized');
      if (buf.length >= 15) {
        const flags = buf.readUInt32BE(11);
        if ((flags & (1 << 16)) !== 0) throw badFormat('invalid COPY file header (WITH OIDS)');
        if ((flags & 0xfffe0000) !== 0) throw badFormat('unrecognized critical flags in COPY file header');
      }
      if (buf.length < 19) return;
      const ext = buf.readUInt32BE(15);
      if (buf.length < 19 + ext) return;
      pos = 19 + ext;
      this.headerDone = true;
    }
    for (;;) {
      if (this.ended) {
        if (pos < buf.length) throw badFormat('received copy data after EOF marker');
        break;
      }
      if (buf.length - pos < 2) break;
      const count = buf.readInt16BE(pos);
      if (count === -1) {
        this.ended = true;
        pos += 2;
        continue;
      }
      // Read the whole tuple before consuming it, so a tuple split across chunks waits for the rest.
      let p = pos + 2;
      const fields: (Buffer | null)[] = [];
      let complete = true;
      for (let k = 0; k < count; k++) {
        if (buf.length - p < 4) {
          complete = false;
          break;
        }
        const len = buf.readInt32BE(p);
        p += 4;
        if (len === -1) {
          fields.push(null);
          continue;
        }
        if (len < 0) throw badFormat('invalid field size');
        if (buf.length - p < len) {
          complete = false;
          break;
        }
        fields.push(buf.subarray(p, p + len));
        p += len;
      }
      if (!complete) break;
      this.lineNumber++;
      pos = p;
      onRow(fields);
    }
    this.pending = pos === 0 ? buf : buf.subarray(pos);
  }

  finish(onRow: (fields: (Buffer | null)[]) => void): void {
    void onRow;
    if (!this.headerDone) {
      const n = this.pending.length;
      throw badFormat(n < 11 ? 'COPY file signature not recognized' : n < 15 ? 'invalid COPY file header (missing flags)' : n < 19 ? 'invalid COPY file header (missing length)' : 'invalid COPY file header (wrong length)');
    }
    // A stream may end at a tuple boundary without the trailer; anything else is a cut-off tuple.
    if (this.pending.length > 0) throw badFormat('unexpected EOF in COPY data');
  }
}
