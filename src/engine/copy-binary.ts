// COPY … (FORMAT binary), PostgreSQL's file layout: the 11-byte signature "PGCOPY\n\377\r\n\0",
// int32 flags, int32 header-extension length (+ that many bytes); then per tuple an int16 field
// count and per field an int32 length (-1 = NULL) and the value in its binary send form; then the
// int16 -1 trailer.
import { SqlError, SqlState } from '../types/sql-error';
import { Batch } from '../types/vector';
import { binaryCell } from '../types/binary-value';

export const COPY_SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/** The header of a binary COPY stream (no flags, no extension). */
export function binaryCopyHeader(): Buffer {
  return Buffer.concat([COPY_SIGNATURE, Buffer.alloc(8)]);
}

/** The trailer: a field count of -1. */
export function binaryCopyTrailer(): Buffer {
  return Buffer.from([0xff, 0xff]);
}

/** Appends the binary tuples of a batch to `out` (buffers to concatenate); returns the number of rows. */
export function binaryCopyRows(batch: Batch, out: Buffer[]): number {
  const ncols = batch.columns.length;
  for (let r = 0; r < batch.length; r++) {
    const row = batch.selection !== undefined ? batch.selection[r] : r;
    const count = Buffer.allocUnsafe(2);
    count.writeInt16BE(ncols);
    out.push(count);
    for (let c = 0; c < ncols; c++) {
      const cell = binaryCell(batch.columns[c], row);
      const len = Buffer.allocUnsafe(4);
      len.writeInt32BE(cell === null ? -1 : cell.length);
      out.push(len);
      if (cell !== null) out.push(cell);
    }
  }
  return batch.length;
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
