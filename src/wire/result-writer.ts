// Encodes materialized result batches as DataRow messages, text or binary per column, resuming
// where the previous Execute of a portal stopped.
import { Batch } from '../types/vector';
import { FormatSettings, formatCell } from '../types/text-format';
import { Backend } from './protocol-codes';
import { formatOf } from './message-writer';
import { writeBinaryCell } from './binary-format';
import { ConnectionClosed, FLUSH_BYTES, SocketIO } from './socket-io';

/** Position in a materialized result: the next row to send. */
export interface RowCursor {
  batch: number;
  row: number;
}

/**
 * Writes DataRows from `cursor` on, at most `limit` of them (0 = all), flushing to the socket as
 * the buffer grows so a big result never sits in memory twice. Returns how many rows were written:
 * at once when the rows fit in the buffer (most results: no promise, no await), else a promise.
 */
export function writeDataRows(io: SocketIO, batches: Batch[], formats: readonly number[], fs: FormatSettings, cursor: RowCursor, limit: number): number | Promise<number> {
  const budget = limit > 0 ? limit : Infinity;
  const sent = encodeRows(io, batches, formats, fs, cursor, budget);
  if (io.out.size < FLUSH_BYTES) return sent;
  return flushAndGoOn(io, batches, formats, fs, cursor, budget, sent);
}

async function flushAndGoOn(io: SocketIO, batches: Batch[], formats: readonly number[], fs: FormatSettings, cursor: RowCursor, budget: number, sent: number): Promise<number> {
  for (;;) {
    await io.flush();
    // The client left in the middle of a big result: stop encoding it.
    if (io.closed) throw new ConnectionClosed();
    sent += encodeRows(io, batches, formats, fs, cursor, budget - sent);
    if (io.out.size < FLUSH_BYTES) return sent;
  }
}

/** Encodes rows from `cursor` on until `budget` rows, the end, or the buffer reaching FLUSH_BYTES; returns how many. */
function encodeRows(io: SocketIO, batches: Batch[], formats: readonly number[], fs: FormatSettings, cursor: RowCursor, budget: number): number {
  const out = io.out;
  let sent = 0;
  let binary: boolean[] | null = null;
  for (; cursor.batch < batches.length; cursor.batch++, cursor.row = 0) {
    const b = batches[cursor.batch];
    const cols = b.columns;
    const ncols = cols.length;
    const sel = b.selection;
    if (binary === null) {
      binary = [];
      for (let c = 0; c < ncols; c++) binary.push(formatOf(formats, c) === 1);
    }
    const anyBinary = binary.includes(true);
    while (cursor.row < b.length) {
      if (sent === budget) return sent;
      const r = sel !== undefined ? sel[cursor.row] : cursor.row;
      out.begin(Backend.dataRow).int16(ncols);
      if (!anyBinary) for (let c = 0; c < ncols; c++) out.cell(formatCell(cols[c], r, fs));
      else
        for (let c = 0; c < ncols; c++) {
          if (binary[c]) writeBinaryCell(out, cols[c], r);
          else out.cell(formatCell(cols[c], r, fs));
        }
      out.end();
      cursor.row++;
      sent++;
      if (out.size >= FLUSH_BYTES) return sent;
    }
  }
  return sent;
}

/**
 * A portal's completion tag counts the rows sent by this Execute, as PostgreSQL's does — for
 * SELECT and for DML with RETURNING alike ("SELECT 2", "INSERT 0 1" after a suspension).
 */
export function portalTag(command: string, rowsThisExecute: number): string {
  return /\d+$/.test(command) ? command.replace(/\d+$/, String(rowsThisExecute)) : command;
}
