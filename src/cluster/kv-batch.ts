// One replicated write: the key-value entries of one storage write (a group commit, a spill, a
// compaction switch), numbered in the leader's order. Followers apply batches in that order, so every
// node's store passes through the same states as the leader's.
//
// Position: (term, seq). `seq` numbers batches 1, 2, 3… across the whole life of the cluster; `term` is
// the membership epoch in which the leader that wrote the batch was elected. Two nodes holding the same
// position hold the same data: a term has one leader, and a new leader continues from the highest seq
// any survivor held (see replication.ts).
//
// Layout (little endian): f64 term, f64 seq, u32 entry count, then per entry u32 key length, key bytes
// (UTF-8), i32 value length (-1 = delete), value bytes.

export type KvEntries = [string, Buffer | null][];

export interface Position {
  term: number;
  seq: number;
}

export interface KvBatch extends Position {
  entries: KvEntries;
}

/** The key every node keeps its applied position under, written in the same LMDB transaction as the batch. */
export const POSITION_KEY = 'r/pos';
/**
 * Present while a follower is being sent a whole copy of the leader's store (written with the removal
 * of its position, removed with the copy's position): a node that finds it at start was stopped during
 * a copy, and its store is no consistent state (replica.ts). Only ever in a follower's own store.
 */
export const COPYING_KEY = 'r/copying';
/** `r/term/<term>`: the seq a leader elected in that term started after (see divergedAt). */
export const TERM_PREFIX = 'r/term/';

export function encodePosition(p: Position): Buffer {
  const b = Buffer.allocUnsafe(16);
  b.writeDoubleLE(p.term, 0);
  b.writeDoubleLE(p.seq, 8);
  return b;
}

export function decodePosition(b: Buffer | undefined): Position {
  if (b === undefined || b.length < 16) return { term: 0, seq: 0 };
  return { term: b.readDoubleLE(0), seq: b.readDoubleLE(8) };
}

export function encodeBatch(term: number, seq: number, entries: KvEntries): Buffer {
  let size = 20;
  for (const [k, v] of entries) size += 8 + Buffer.byteLength(k) + (v === null ? 0 : v.length);
  const out = Buffer.allocUnsafe(size);
  out.writeDoubleLE(term, 0);
  out.writeDoubleLE(seq, 8);
  out.writeUInt32LE(entries.length, 16);
  let p = 20;
  for (const [k, v] of entries) {
    const klen = out.write(k, p + 4, 'utf8');
    out.writeUInt32LE(klen, p);
    p += 4 + klen;
    if (v === null) {
      out.writeInt32LE(-1, p);
      p += 4;
    } else {
      out.writeInt32LE(v.length, p);
      out.set(v, p + 4);
      p += 4 + v.length;
    }
  }
  return out;
}

/** Values are copied out of the frame: LMDB may keep them queued after the frame's buffer is reused. */
export function decodeBatch(b: Buffer): KvBatch {
  if (b.length < 20) throw new Error(`replicated batch of ${b.length} bytes is truncated`);
  const term = b.readDoubleLE(0);
  const seq = b.readDoubleLE(8);
  const n = b.readUInt32LE(16);
  const entries: KvEntries = new Array(n);
  let p = 20;
  for (let i = 0; i < n; i++) {
    if (p + 4 > b.length) throw new Error('replicated batch is truncated');
    const klen = b.readUInt32LE(p);
    const key = b.toString('utf8', p + 4, p + 4 + klen);
    p += 4 + klen;
    const vlen = b.readInt32LE(p);
    p += 4;
    if (vlen < 0) entries[i] = [key, null];
    else {
      if (p + vlen > b.length) throw new Error('replicated batch is truncated');
      entries[i] = [key, Buffer.from(b.subarray(p, p + vlen))];
      p += vlen;
    }
  }
  return { term, seq, entries };
}
