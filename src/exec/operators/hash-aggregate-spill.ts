// Hash aggregation beyond work_mem (PostgreSQL 13's scheme): once the groups in memory are
// estimated to exceed work_mem, no new group enters the hash table; rows of groups already there
// are still aggregated in memory, rows of other groups are written to one of PARTITIONS temp files
// (in the data directory's tmp/) chosen by bits of their key hash. After the input ends and the
// in-memory groups are emitted, each partition is aggregated on its own — every group lives in
// exactly one partition — by a fresh aggregation that may spill again, one level deeper, using the
// next bits of the same hash. Batches are written with the storage's chunk codec, column by column.
import * as fs from 'fs';
import * as path from 'path';
import { DataType } from '../../types/data-type';
import { Batch, Vector } from '../../types/vector';
import { decodeChunk, encodeChunk } from '../../storage/chunk-codec';
import { concatBatches } from '../vector-util';
import { absentVector } from '../needed-columns';

export const PARTITION_BITS = 4;
export const PARTITIONS = 1 << PARTITION_BITS;
/** Levels of re-partitioning before an aggregation keeps everything in memory regardless. */
export const MAX_SPILL_LEVEL = 32 / PARTITION_BITS - 1;
/** Estimated bytes of one group: its hash-table slot, id and hash, plus per key and per aggregate. */
const GROUP_OVERHEAD = 48;
const PER_KEY = 16;
const PER_AGGREGATE = 24;
/** Buffered bytes per partition before they are written out. */
const FLUSH_BYTES = 1 << 20;
/** Length marker of a column not written (the aggregation does not read it). */
const ABSENT = 0xffffffff;
/** Rows per encoded spill batch. */
const ENCODE_ROWS = 16384;

let fileCounter = 0;

/** Estimated memory of `groups` groups with `keys` key columns and `aggregates` aggregates. */
export function estimatedGroupBytes(groups: number, keys: number, aggregates: number): number {
  return groups * (GROUP_OVERHEAD + PER_KEY * keys + PER_AGGREGATE * aggregates);
}

/** The partition of a row at a spill level: the next PARTITION_BITS bits of its key hash, from the top. */
export function partitionOf(hash: number, level: number): number {
  return (hash >>> (32 - PARTITION_BITS * (level + 1))) & (PARTITIONS - 1);
}

/** One partition's temp file: length-prefixed batches (row count, then each column's encoded chunk). */
export class SpillFile {
  private fd: number | null;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Small batches gathered until ENCODE_ROWS rows, then encoded as one (encoding has a fixed cost). */
  private gathered: Batch[] = [];
  private gatheredRows = 0;
  rows = 0;

  constructor(
    readonly path: string,
    private readonly types: readonly DataType[],
    /** Input columns the aggregation reads; the others are not written (null: all). */
    private readonly needed: readonly boolean[] | null,
  ) {
    this.fd = fs.openSync(path, 'w');
  }

  append(b: Batch): void {
    this.gathered.push(b);
    this.gatheredRows += b.length;
    this.rows += b.length;
    if (this.gatheredRows >= ENCODE_ROWS) this.encodeGathered();
  }

  private encodeGathered(): void {
    if (this.gathered.length === 0) return;
    const b = this.gathered.length === 1 ? this.gathered[0] : concatBatches(this.gathered, this.types, this.needed);
    this.gathered = [];
    this.gatheredRows = 0;
    const parts: Buffer[] = [];
    const head = Buffer.alloc(8);
    head.writeUInt32LE(b.length, 0);
    head.writeUInt32LE(b.columns.length, 4);
    parts.push(head);
    for (let c = 0; c < b.columns.length; c++) {
      const len = Buffer.alloc(4);
      if (this.needed !== null && !this.needed[c]) {
        len.writeUInt32LE(ABSENT, 0);
        parts.push(len);
        continue;
      }
      const enc = encodeChunk(b.columns[c]);
      len.writeUInt32LE(enc.length, 0);
      parts.push(len, enc);
    }
    for (const p of parts) {
      this.pending.push(p);
      this.pendingBytes += p.length;
    }
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
  }

  private flush(): void {
    if (this.fd === null || this.pending.length === 0) return;
    fs.writeSync(this.fd, Buffer.concat(this.pending));
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** Finishes writing; the batches can then be read back. */
  seal(): void {
    this.encodeGathered();
    this.flush();
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }

  /** The batches written, in order (the file is read whole: one partition is about 1/16 of the spill). */
  *read(types: readonly DataType[]): Generator<Batch> {
    const buf = fs.readFileSync(this.path);
    let off = 0;
    while (off < buf.length) {
      const length = buf.readUInt32LE(off);
      const ncols = buf.readUInt32LE(off + 4);
      off += 8;
      const columns: Vector[] = [];
      for (let c = 0; c < ncols; c++) {
        const len = buf.readUInt32LE(off);
        off += 4;
        if (len === ABSENT) {
          columns.push(absentVector(types[c], length));
          continue;
        }
        columns.push(decodeChunk(buf.subarray(off, off + len), types[c]));
        off += len;
      }
      yield { length, columns };
    }
  }

  remove(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
    fs.rmSync(this.path, { force: true });
  }
}

/** The partitions of one spilling aggregation; closed (files removed) at the statement's end. */
export class SpillPartitions {
  readonly files: SpillFile[] = [];
  private next = 0;

  constructor(dir: string, level: number, types: readonly DataType[], needed: readonly boolean[] | null, prefix = 'hashagg') {
    fs.mkdirSync(dir, { recursive: true });
    const base = `${prefix}-${process.pid}-${++fileCounter}-l${level}`;
    for (let p = 0; p < PARTITIONS; p++) this.files.push(new SpillFile(path.join(dir, `${base}-p${p}.spill`), types, needed));
  }

  get rows(): number {
    let n = 0;
    for (const f of this.files) n += f.rows;
    return n;
  }

  seal(): void {
    for (const f of this.files) f.seal();
  }

  /** The next partition holding rows (removed from disk once read by the caller), or null. */
  take(): SpillFile | null {
    while (this.next < this.files.length) {
      const f = this.files[this.next++];
      if (f.rows > 0) return f;
      f.remove();
    }
    return null;
  }

  close(): void {
    for (const f of this.files) f.remove();
  }
}
