// The row delta store: rows committed to a row group after its chunks were last written whole.
// A commit that appends a few rows to a big row group (an UPDATE's new row versions, pgbench's
// history rows) writes only those rows, as one small entry 'a/<table>/<group>/<first row>' holding
// the encoded columns of the rows, instead of re-encoding the group's 65,536-row chunks; so the
// bytes a commit writes grow with the rows it changed. The stored chunk keeps its first rows
// (GroupState.chunkRows) and the entries after it continue the group in order. Once the entries
// of a group pass DELTA_MAX_ROWS rows, or the group fills up, a commit writes the group's chunks
// whole again and deletes its entries (the merge), so reads from LMDB never gather many entries.
import { DataType } from '../types/data-type';
import { Vector } from '../types/vector';
import { concatVectors } from '../types/vector-ops';
import { decodeChunk, encodeChunk } from './chunk-codec';
import { KvStore } from './kv-store';

/** Rows a group may hold in delta entries before a commit merges them into its chunks. */
export const DELTA_MAX_ROWS = 4096;

export function deltaPrefix(tableId: number, group: number): string {
  return `a/${tableId}/${group}/`;
}

export function deltaKey(tableId: number, group: number, firstRow: number): string {
  return `${deltaPrefix(tableId, group)}${firstRow}`;
}

/** The rows' columns: column count (u32), then per column its encoded chunk's length (u32) and bytes. */
export function encodeDelta(columns: Vector[]): Buffer {
  const parts = columns.map((c) => encodeChunk(c));
  let size = 4;
  for (const p of parts) size += 4 + p.length;
  const out = Buffer.allocUnsafe(size);
  out.writeUInt32LE(parts.length, 0);
  let at = 4;
  for (const p of parts) {
    out.writeUInt32LE(p.length, at);
    p.copy(out, at + 4);
    at += 4 + p.length;
  }
  return out;
}

/** Column `column` of an entry `encodeDelta` wrote (the other columns are skipped by their lengths). */
export function deltaColumn(bytes: Buffer, column: number, type: DataType): Vector {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = buf.readUInt32LE(0);
  if (column >= count) throw new Error(`delta entry has ${count} columns, not column ${column}`);
  let at = 4;
  for (let c = 0; c < column; c++) at += 4 + buf.readUInt32LE(at);
  const n = buf.readUInt32LE(at);
  return decodeChunk(buf.subarray(at + 4, at + 4 + n), type);
}

/**
 * `chunk` (a column's stored chunk, the group's first rows) continued by the group's delta
 * entries that follow it; the chunk itself when there are none.
 */
export function withDeltas(kv: KvStore, tableId: number, group: number, column: number, type: DataType, chunk: Vector): Vector {
  const prefix = deltaPrefix(tableId, group);
  const keys = kv.keysWithPrefix(prefix);
  if (keys.length === 0) return chunk;
  const starts = keys.map((k) => Number(k.slice(prefix.length))).sort((a, b) => a - b);
  const pieces: Vector[] = [chunk];
  let at = chunk.length;
  for (const start of starts) {
    if (start !== at) continue; // entries a merge left behind cannot exist (deleted in its write); skip, never misplace
    const bytes = kv.get(deltaKey(tableId, group, start));
    if (bytes === undefined) break;
    const v = deltaColumn(bytes, column, type);
    pieces.push(v);
    at += v.length;
  }
  return pieces.length === 1 ? chunk : concatVectors(type, pieces);
}
