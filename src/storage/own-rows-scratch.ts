// Reusable memory for a transaction's view of a row group it appended to: the group's committed
// rows followed by its own. That view used to be a fresh concatenation of the whole committed
// column per transaction (pgbench's SELECT after its UPDATE read the accounts table's last group,
// some 150 KB of new typed arrays per transaction: two thirds of the memory a TPC-B transaction
// allocated, and what set off most full garbage collections).
//
// A scratch holds the committed rows [0, committedRows) of one (table, column, group) as of some
// commit, in memory with room for the whole group. Committed rows of a group never change within
// a table generation (groups only grow; deletions are bitmaps), so a later transaction that leases
// the scratch copies only the rows committed since, then writes its own rows after them. A lease
// is exclusive and lasts until its transaction commits or aborts: views of the scratch may live as
// long as the transaction (a portal's result rows), so nothing else writes it meanwhile. Each
// materialization takes a lease of its own; when all of a key's scratches are leased the caller
// concatenates as before. Only columns without nulls of fixed-width kinds are served.
import { ROW_GROUP_ROWS } from './api';
import { Vector } from '../types/vector';

type Fixed = Extract<Vector, { kind: 'bool' | 'int32' | 'int64' | 'float64' | 'timestamp' }>;
type Values = Uint8Array | Int32Array | Float64Array;

interface Scratch {
  key: number;
  generation: number;
  values: Values;
  /** Rows [0, committedRows) are the group's committed rows (rows after them may be a transaction's own). */
  committedRows: number;
  leasedBy: object | null;
  lastUsed: number;
}

/**
 * Scratches kept per (table, column, group) and in all (at most 32 × 512 KiB): about 16 clients'
 * worth of a hot group. A dropped or rewritten table's are never leased again (other keys or
 * generations) and leave as the least recently used.
 */
const PER_KEY = 16;
const TOTAL = 32;

export class OwnRowsScratch {
  private readonly byKey = new Map<number, Scratch[]>();
  private count = 0;
  private clock = 0;
  /** The ArrayBuffers of all scratches: appends copy columns that are views of them. */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  private readonly leases = new Map<object, Scratch[]>();

  /** Whether `v` shares memory with a scratch (a row appended from a scan of the transaction's own rows). */
  aliases(v: Vector): boolean {
    return this.count > 0 && (v.kind === 'bool' || v.kind === 'int32' || v.kind === 'int64' || v.kind === 'float64' || v.kind === 'timestamp') && this.buffers.has(v.values.buffer);
  }

  /**
   * `committed` (the group's first `committed.length` rows, as committed) continued by `own`, in a
   * scratch leased to `owner`; null when the columns do not qualify or no scratch is free.
   */
  view(key: number, generation: number, committed: Vector, own: readonly Vector[], owner: object): Vector | null {
    if (!fixedWithoutNulls(committed)) return null;
    let n = committed.length;
    for (const p of own) {
      if (!fixedWithoutNulls(p) || p.kind !== committed.kind) return null;
      n += p.length;
    }
    if (n >= ROW_GROUP_ROWS) return null; // a full group goes to the chunk encoder: never a view of shared memory
    const s = this.lease(key, generation, committed, owner);
    if (s === null) return null;
    const base = committed.length;
    if (s.committedRows < base) s.values.set(committed.values.subarray(s.committedRows, base) as never, s.committedRows);
    s.committedRows = base;
    let at = base;
    for (const p of own) {
      s.values.set((p as Fixed).values.subarray(0, p.length) as never, at);
      at += p.length;
    }
    return { ...committed, length: n, nulls: null, values: s.values.subarray(0, n) } as Vector;
  }

  private lease(key: number, generation: number, committed: Fixed, owner: object): Scratch | null {
    let list = this.byKey.get(key);
    if (list === undefined) this.byKey.set(key, (list = []));
    let best: Scratch | null = null;
    for (const s of list) {
      if (s.leasedBy !== null || s.generation !== generation || s.values.constructor !== committed.values.constructor) continue;
      // The one with the most committed rows still valid: fewest to copy.
      if (best === null || Math.min(s.committedRows, committed.length) > Math.min(best.committedRows, committed.length)) best = s;
    }
    if (best === null) {
      if (list.length >= PER_KEY) return null;
      if (this.count >= TOTAL && !this.evictOne()) return null;
      const Ctor = committed.values.constructor as { new (n: number): Values };
      best = { key, generation, values: new Ctor(ROW_GROUP_ROWS), committedRows: 0, leasedBy: null, lastUsed: 0 };
      this.buffers.add(best.values.buffer);
      list.push(best);
      this.count++;
    }
    best.leasedBy = owner;
    best.lastUsed = ++this.clock;
    let mine = this.leases.get(owner);
    if (mine === undefined) this.leases.set(owner, (mine = []));
    mine.push(best);
    return best;
  }

  /** Drops the least recently used scratch no transaction holds; false when all are leased. */
  private evictOne(): boolean {
    let victim: Scratch | null = null;
    for (const list of this.byKey.values()) for (const s of list) if (s.leasedBy === null && (victim === null || s.lastUsed < victim.lastUsed)) victim = s;
    if (victim === null) return false;
    const list = this.byKey.get(victim.key)!;
    list.splice(list.indexOf(victim), 1);
    if (list.length === 0) this.byKey.delete(victim.key);
    this.count--;
    return true;
  }

  /** The transaction ended (its commit began, or it aborted): its views are dead, its scratches free. */
  release(owner: object): void {
    const mine = this.leases.get(owner);
    if (mine === undefined) return;
    this.leases.delete(owner);
    for (const s of mine) if (s.leasedBy === owner) s.leasedBy = null;
  }
}

function fixedWithoutNulls(v: Vector): v is Fixed {
  return v.nulls === null && (v.kind === 'bool' || v.kind === 'int32' || v.kind === 'int64' || v.kind === 'float64' || v.kind === 'timestamp');
}
