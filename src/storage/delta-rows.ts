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
import { decodeChunk, encodeChunkUndeflated, writeRawChunks } from './chunk-codec';
import { ByteWriter } from './byte-io';
import { KvReader, KvStore } from './kv-store';

/** Rows a group may hold in delta entries before a commit merges them into its chunks. */
export const DELTA_MAX_ROWS = 4096;

export function deltaPrefix(tableId: number, group: number): string {
  return `a/${tableId}/${group}/`;
}

export function deltaKey(tableId: number, group: number, firstRow: number): string {
  return `${deltaPrefix(tableId, group)}${firstRow}`;
}

/**
 * Rows up to which a delta entry's columns are written raw (every stream as plain values): choosing
 * an encoding for each of a few values cost more than the encoding saves (most group commits add
 * one or a few rows to a group: an UPDATE's new row version, a history row).
 */
const RAW_DELTA_ROWS = 64;

/**
 * The rows' columns: column count (u32), then per column its encoded chunk's length (u32) and bytes.
 * Text is not deflated: an entry holds a few rows and lives until the group's next merge.
 */
export function encodeDelta(columns: Vector[]): Buffer {
  const raw = (columns[0]?.length ?? 0) <= RAW_DELTA_ROWS;
  if (raw) {
    // The usual entry (a row or a few): every chunk written in one buffer, then copied out once.
    const w = new ByteWriter();
    w.u32(columns.length);
    writeRawChunks(w, columns);
    return Buffer.from(w.finish());
  }
  const parts = columns.map((c) => encodeChunkUndeflated(c));
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
export function withDeltas(kv: KvReader, tableId: number, group: number, column: number, type: DataType, chunk: Vector): Vector {
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

// ---- deletions ----
// A commit that deletes a few rows of a group writes their offsets ('dd/<table>/<group>/<n>', u16
// each) instead of the group's whole 65,536-byte deletion bitmap; the bitmap 'd/<table>/<group>'
// plus every such entry of the group give its deletions (bits only ever get set within a table
// generation, so the entries' order does not matter). Past DELETE_ENTRIES_MAX entries a commit
// writes the bitmap whole and drops them.

/** Deletion entries a group may have before a commit writes its bitmap whole. */
export const DELETE_ENTRIES_MAX = 256;

export function deletionPrefix(tableId: number, group: number): string {
  return `dd/${tableId}/${group}/`;
}

/**
 * The offsets set in `now` and not in `before` (null: none were), ascending and once each. Found
 * among `candidates`, offsets known to include every one of them (those the commit's transactions
 * deleted), so the 65,536-byte bitmaps are not scanned.
 */
export function newlyDeleted(before: Uint8Array | null, now: Uint8Array, candidates: readonly (readonly number[])[]): number[] {
  const found: number[] = [];
  for (const list of candidates) for (const off of list) if (now[off] === 1 && (before === null || before[off] !== 1)) found.push(off);
  found.sort((a, b) => a - b);
  let n = 0;
  for (let k = 0; k < found.length; k++) if (n === 0 || found[k] !== found[n - 1]) found[n++] = found[k];
  found.length = n;
  return found;
}

/** A deletion entry's bytes: the offsets as u16 little-endian; null when there are none. */
export function deletionEntryBytes(offsets: readonly number[]): Buffer | null {
  if (offsets.length === 0) return null;
  const out = Buffer.allocUnsafe(offsets.length * 2);
  for (let k = 0; k < offsets.length; k++) out.writeUInt16LE(offsets[k], k * 2);
  return out;
}

/** newlyDeleted's offsets as a deletion entry's bytes (null when there are none). */
export function deletionEntry(before: Uint8Array | null, now: Uint8Array, candidates: readonly (readonly number[])[]): Buffer | null {
  return deletionEntryBytes(newlyDeleted(before, now, candidates));
}

/** The group's deletion bitmap as stored: the bitmap entry with the offsets of its deletion entries set. */
export function storedDeletions(kv: KvReader, tableId: number, group: number, rowCount: number, bitmap: Buffer | undefined): Uint8Array | null {
  const keys = kv.keysWithPrefix(deletionPrefix(tableId, group));
  if (keys.length === 0) return bitmap === undefined ? null : new Uint8Array(bitmap);
  const out = new Uint8Array(Math.max(rowCount, bitmap?.length ?? 0));
  if (bitmap !== undefined) out.set(bitmap);
  for (const k of keys) {
    const e = kv.get(k)!;
    for (let at = 0; at + 1 < e.length; at += 2) out[e.readUInt16LE(at)] = 1;
  }
  return out;
}

/** Counts and numbers the deletion entries of each group (read from the store on first use). */
export class DeletionEntries {
  private readonly groups = new Map<string, { count: number; next: number }>();
  constructor(private readonly kv: KvStore) {}

  private state(tableId: number, group: number): { count: number; next: number } {
    const key = `${tableId}/${group}`;
    let s = this.groups.get(key);
    if (s === undefined) {
      const prefix = deletionPrefix(tableId, group);
      const keys = this.kv.keysWithPrefix(prefix);
      let next = 0;
      for (const k of keys) next = Math.max(next, Number(k.slice(prefix.length)) + 1);
      this.groups.set(key, (s = { count: keys.length, next }));
    }
    return s;
  }

  /** The key for a new entry of the group, or null when the group's bitmap should be written whole now. */
  claim(tableId: number, group: number): string | null {
    const s = this.state(tableId, group);
    if (s.count >= DELETE_ENTRIES_MAX) return null;
    s.count++;
    return `${deletionPrefix(tableId, group)}${s.next++}`;
  }

  /** Keys to delete with a write of the group's whole bitmap. */
  superseded(tableId: number, group: number): string[] {
    this.groups.delete(`${tableId}/${group}`);
    return this.kv.keysWithPrefix(deletionPrefix(tableId, group));
  }

  /** After a drop, truncate or rewrite of the table. */
  forget(tableId: number): void {
    for (const key of [...this.groups.keys()]) if (key.startsWith(`${tableId}/`)) this.groups.delete(key);
  }

  /** After a failed write: counts are read again from the store. */
  reset(): void {
    this.groups.clear();
  }
}
