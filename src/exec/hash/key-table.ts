// A hash table of distinct keys in flat typed arrays: each distinct key gets a dense id (0, 1, 2…
// in first-seen order), which is a group for aggregation, a distinct row for DISTINCT and set
// operations, and a chain head for hash joins. Open addressing with linear probing over one flat
// Int32Array of (id, hash) slot pairs — a probe compares the full 32-bit hash stored in the slot
// (the control word) before touching any key, so a miss costs one cache line; the keys themselves
// are stored column-wise in growable typed arrays and compared exactly after a hash match (hash
// equality alone never decides). Keys made only of numbers (the usual join and group keys, composite
// ones included) take a loop specialized for them, without per-row dispatch on the key kind.
//
// A table over a single integer key starts in direct mode: ids are looked up in an Int32Array
// indexed by value - base (primary keys, dates, small codes are dense), with no hashing, probing or
// compare, and keys clustered in the input (lineitem by l_orderkey) read it almost sequentially.
// It grows while the values stay dense enough, and turns into the hash table (hashing its keys)
// the first time a batch brings a non-integer or a value that would make the array too sparse.
// Callers that hash their keys first may ask `hashed` and pass null hashes instead: the table
// hashes a batch itself when it needs to.
import { KeyColumn, KeyKind, NULL_HASH, NumKey, hashKeys, hashNumber } from './key-hash';

interface StoredNum {
  kind: 'num';
  values: Float64Array;
  nulls: Uint8Array;
}
interface StoredStr {
  kind: 'str';
  values: string[];
  nulls: Uint8Array;
}
interface StoredDec {
  kind: 'dec';
  mant: Float64Array;
  exp: Int32Array;
  wide: (string | undefined)[];
  nulls: Uint8Array;
}
type Stored = StoredNum | StoredStr | StoredDec;

const MAX_LOAD = 0.5;
/** Direct mode: any span up to this many values is fine (4 MiB of ids)… */
export const DIRECT_SMALL_SPAN = 1 << 20;
/** …a wider one needs at least one key per this many values… */
export const DIRECT_MIN_DENSITY = 8;
/** …and none may exceed this (32 MiB of ids). */
export const DIRECT_MAX_SPAN = 1 << 23;

export class KeyTable {
  /** Number of distinct keys (ids are 0 … size-1). */
  size = 0;
  /** Slot pairs: [2s] = id (-1 = empty), [2s+1] = the key's hash. */
  private slots: Int32Array;
  private mask: number;
  private readonly stored: Stored[];
  private capacity = 0;
  /** All key columns are numbers: the specialized loops apply. */
  private readonly allNum: boolean;
  /** Direct mode (see above): ids by value - directBase, -1 = absent; null while empty. */
  private directMode: boolean;
  private direct: Int32Array | null = null;
  private directBase = 0;
  /** Direct mode: the smallest and largest key inserted. */
  private keyLo = Infinity;
  private keyHi = -Infinity;
  /** Direct mode: the id of the NULL key, -1 until one is inserted. */
  private nullId = -1;

  constructor(readonly kinds: readonly KeyKind[], private readonly expected = 1024) {
    this.directMode = kinds.length === 1 && kinds[0] === 'num';
    this.slots = new Int32Array(0);
    this.mask = -1;
    if (!this.directMode) this.allocateSlots();
    this.allNum = kinds.length > 0 && kinds.every((k) => k === 'num');
    this.stored = kinds.map((k): Stored => {
      switch (k) {
        case 'num':
          return { kind: 'num', values: new Float64Array(0), nulls: new Uint8Array(0) };
        case 'str':
          return { kind: 'str', values: [], nulls: new Uint8Array(0) };
        case 'dec':
          return { kind: 'dec', mant: new Float64Array(0), exp: new Int32Array(0), wide: [], nulls: new Uint8Array(0) };
      }
    });
    this.grow(Math.max(16, this.directMode ? 16 : expected));
  }

  /** Whether lookups use the keys' hashes (false in direct mode: callers may pass null hashes). */
  get hashed(): boolean {
    return !this.directMode;
  }

  private allocateSlots(): void {
    let slotCount = 16;
    while (slotCount * MAX_LOAD < Math.max(this.expected, this.size * 2)) slotCount *= 2;
    this.slots = new Int32Array(slotCount * 2).fill(-1);
    this.mask = slotCount - 1;
  }

  /**
   * Looks up each row's key, inserting the keys not seen yet; writes ids into out.
   * NULLs equal each other unless skipNullRows: then rows with a NULL in any key get -1 and are not inserted.
   */
  findOrInsert(keys: readonly KeyColumn[], hashes: Int32Array | null, n: number, out: Int32Array, skipNullRows = false): void {
    if (this.directMode) {
      if (this.coverDirect(keys[0] as NumKey, n)) {
        this.findOrInsertDirect(keys[0] as NumKey, n, out, skipNullRows);
        return;
      }
      this.leaveDirectMode();
    }
    if (hashes === null) hashes = hashesOf(keys, n);
    const nullRows = anyNull(keys, n);
    if (nullRows === null && this.allNum) {
      this.findOrInsertNum(keys as readonly NumKey[], hashes, n, out);
      return;
    }
    for (let i = 0; i < n; i++) {
      if (skipNullRows && nullRows !== null && nullRows[i] === 1) {
        out[i] = -1;
        continue;
      }
      const h = hashes[i];
      let s = h & this.mask;
      let id: number;
      for (;;) {
        id = this.slots[s << 1];
        if (id === -1) {
          id = this.insert(keys, i, h, s);
          break;
        }
        if (this.slots[(s << 1) + 1] === h && this.equals(id, keys, i)) break;
        s = (s + 1) & this.mask;
      }
      out[i] = id;
    }
  }

  /** findOrInsert for keys of numbers only, none NULL. */
  private findOrInsertNum(keys: readonly NumKey[], hashes: Int32Array, n: number, out: Int32Array): void {
    const nk = keys.length;
    const k0 = keys[0].values;
    for (let i = 0; i < n; i++) {
      const h = hashes[i];
      let s = h & this.mask;
      let id: number;
      for (;;) {
        const slots = this.slots;
        id = slots[s << 1];
        if (id === -1) {
          id = this.insert(keys, i, h, s);
          break;
        }
        if (slots[(s << 1) + 1] === h) {
          const a = k0[i];
          const s0 = this.stored[0] as StoredNum;
          const b = s0.values[id];
          if ((a === b || (a !== a && b !== b)) && (nk === 1 ? s0.nulls[id] === 0 : this.equalsNumRest(id, keys, i))) break;
        }
        s = (s + 1) & this.mask;
      }
      out[i] = id;
    }
  }

  /** Ids of the rows' keys, -1 when absent (and, unless nullsMatch, for rows with a NULL key). */
  find(keys: readonly KeyColumn[], hashes: Int32Array | null, n: number, out: Int32Array, nullsMatch: boolean): void {
    if (this.directMode) {
      this.findDirect(keys[0] as NumKey, n, out, nullsMatch);
      return;
    }
    if (hashes === null) hashes = hashesOf(keys, n);
    const nullRows = anyNull(keys, n);
    if (this.allNum && (nullRows === null || !nullsMatch)) {
      this.findNum(keys as readonly NumKey[], hashes, n, out, nullRows);
      return;
    }
    const slots = this.slots;
    const mask = this.mask;
    for (let i = 0; i < n; i++) {
      if (!nullsMatch && nullRows !== null && nullRows[i] === 1) {
        out[i] = -1;
        continue;
      }
      const h = hashes[i];
      let s = h & mask;
      let id: number;
      for (;;) {
        id = slots[s << 1];
        if (id === -1) break;
        if (slots[(s << 1) + 1] === h && this.equals(id, keys, i)) break;
        s = (s + 1) & mask;
      }
      out[i] = id;
    }
  }

  /** find for keys of numbers only; rows flagged in nullRows get -1. */
  private findNum(keys: readonly NumKey[], hashes: Int32Array, n: number, out: Int32Array, nullRows: Uint8Array | null): void {
    const slots = this.slots;
    const mask = this.mask;
    const nk = keys.length;
    const k0 = keys[0].values;
    const s0 = (this.stored[0] as StoredNum).values;
    const s0Nulls = this.stored[0].nulls;
    for (let i = 0; i < n; i++) {
      if (nullRows !== null && nullRows[i] === 1) {
        out[i] = -1;
        continue;
      }
      const h = hashes[i];
      let s = h & mask;
      let id: number;
      for (;;) {
        id = slots[s << 1];
        if (id === -1) break;
        if (slots[(s << 1) + 1] === h) {
          const a = k0[i];
          const b = s0[id];
          // NaN equals NaN as in equals(); a stored NULL key never equals a probe value.
          if ((a === b || (a !== a && b !== b)) && (nk === 1 ? s0Nulls[id] === 0 : this.equalsNumRest(id, keys, i))) break;
        }
        s = (s + 1) & mask;
      }
      out[i] = id;
    }
  }

  /** Key columns 1… of numbers equal (stored NULL flags included: a NULL never equals a value here). */
  private equalsNumRest(id: number, keys: readonly NumKey[], row: number): boolean {
    for (let c = 1; c < keys.length; c++) {
      const s = this.stored[c] as StoredNum;
      if (s.nulls[id] === 1) return false;
      const a = keys[c].values[row];
      const b = s.values[id];
      if (a !== b && (a === a || b === b)) return false;
    }
    return this.stored[0].nulls[id] === 0;
  }

  /**
   * Direct mode: makes the id array cover the batch's values (non-NULL rows), or returns false when
   * a value is not an integer or the array would grow too sparse (the table then leaves direct mode).
   */
  private coverDirect(k: NumKey, n: number): boolean {
    const vals = k.values;
    const nulls = k.nulls;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < n; i++) {
      if (nulls !== null && nulls[i] === 1) continue;
      const v = vals[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
      else if (!(v >= lo)) return false; // NaN
    }
    if (lo > hi) return true;
    if (!(vals instanceof Int32Array) && !(vals instanceof Uint8Array)) {
      if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi)) return false;
      for (let i = 0; i < n; i++) if ((nulls === null || nulls[i] === 0) && Math.floor(vals[i]) !== vals[i]) return false;
    }
    const keyLo = Math.min(lo, this.keyLo);
    const keyHi = Math.max(hi, this.keyHi);
    const span = keyHi - keyLo + 1;
    if (span > DIRECT_MAX_SPAN || (span > DIRECT_SMALL_SPAN && span > DIRECT_MIN_DENSITY * (this.size + n))) return false;
    this.keyLo = keyLo;
    this.keyHi = keyHi;
    const cur = this.direct;
    const base = this.directBase;
    if (cur !== null && keyLo >= base && keyHi < base + cur.length) return true;
    // Grow with slack (half the key span) on the side that grew, so keys arriving in ascending or
    // descending batches do not copy the array per batch; without slack if that gets too large.
    let newBase = keyLo;
    let newEnd = keyHi + 1;
    if (cur !== null) {
      newBase = Math.min(keyLo, base);
      newEnd = Math.max(keyHi + 1, base + cur.length);
      if (keyLo < base) newBase -= span >> 1;
      if (keyHi >= base + cur.length) newEnd += span >> 1;
      if (newEnd - newBase > 2 * DIRECT_MAX_SPAN) {
        newBase = keyLo;
        newEnd = keyHi + 1;
      }
    }
    const next = new Int32Array(newEnd - newBase).fill(-1);
    if (cur !== null) {
      // Every stored key lies in [keyLo, keyHi], inside both arrays' overlap.
      const from = Math.max(base, newBase);
      const to = Math.min(base + cur.length, newEnd);
      if (to > from) next.set(cur.subarray(from - base, to - base), from - newBase);
    }
    this.direct = next;
    this.directBase = newBase;
    return true;
  }

  private findOrInsertDirect(k: NumKey, n: number, out: Int32Array, skipNullRows: boolean): void {
    const vals = k.values;
    const nulls = k.nulls;
    const direct = this.direct;
    const base = this.directBase;
    for (let i = 0; i < n; i++) {
      if (nulls !== null && nulls[i] === 1) {
        if (skipNullRows) out[i] = -1;
        else {
          if (this.nullId === -1) this.nullId = this.appendNum(0, 1);
          out[i] = this.nullId;
        }
        continue;
      }
      const v = vals[i];
      const d = v - base;
      let id = direct![d];
      if (id === -1) direct![d] = id = this.appendNum(v, 0);
      out[i] = id;
    }
  }

  private findDirect(k: NumKey, n: number, out: Int32Array, nullsMatch: boolean): void {
    const vals = k.values;
    const nulls = k.nulls;
    const direct = this.direct;
    if (direct === null) {
      for (let i = 0; i < n; i++) out[i] = nulls !== null && nulls[i] === 1 && nullsMatch ? this.nullId : -1;
      return;
    }
    const base = this.directBase;
    const len = direct.length;
    if (vals instanceof Int32Array) {
      for (let i = 0; i < n; i++) {
        const d = vals[i] - base;
        out[i] = d >= 0 && d < len ? direct[d] : -1;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const d = vals[i] - base;
        // d >= 0 && d < len is false for NaN; (d | 0) === d rejects fractions.
        out[i] = d >= 0 && d < len && (d | 0) === d ? direct[d] : -1;
      }
    }
    if (nulls !== null) for (let i = 0; i < n; i++) if (nulls[i] === 1) out[i] = nullsMatch ? this.nullId : -1;
  }

  /** Direct mode: stores a new key (value, NULL flag) and returns its id. */
  private appendNum(v: number, isNull: number): number {
    const id = this.size++;
    if (id >= this.capacity) this.grow(this.capacity * 2);
    const s = this.stored[0] as StoredNum;
    s.values[id] = v;
    s.nulls[id] = isNull;
    return id;
  }

  /** Turns the direct table into the hash table: every stored key hashed (as hashKeys would) into slots. */
  private leaveDirectMode(): void {
    this.directMode = false;
    this.direct = null;
    this.allocateSlots();
    const s = this.stored[0] as StoredNum;
    const slots = this.slots;
    const mask = this.mask;
    for (let id = 0; id < this.size; id++) {
      const h = s.nulls[id] === 1 ? NULL_HASH : hashNumber(s.values[id]);
      let slot = h & mask;
      while (slots[slot << 1] !== -1) slot = (slot + 1) & mask;
      slots[slot << 1] = id;
      slots[(slot << 1) + 1] = h;
    }
  }

  private insert(keys: readonly KeyColumn[], row: number, h: number, slot: number): number {
    const id = this.size++;
    if (id >= this.capacity) this.grow(this.capacity * 2);
    for (let c = 0; c < keys.length; c++) {
      const k = keys[c];
      const s = this.stored[c];
      const isNull = k.nulls !== null && k.nulls[row] === 1;
      s.nulls[id] = isNull ? 1 : 0;
      if (isNull) continue;
      if (k.kind === 'num') (s as StoredNum).values[id] = k.values[row];
      else if (k.kind === 'str') (s as StoredStr).values[id] = k.dict[k.codes[row]];
      else {
        const d = s as StoredDec;
        d.mant[id] = k.mant[row];
        d.exp[id] = k.exp[row];
        if (k.wide !== null) d.wide[id] = k.wide[row];
      }
    }
    this.slots[slot << 1] = id;
    this.slots[(slot << 1) + 1] = h;
    if (this.size > (this.mask + 1) * MAX_LOAD) this.rehash();
    return id;
  }

  private equals(id: number, keys: readonly KeyColumn[], row: number): boolean {
    for (let c = 0; c < keys.length; c++) {
      const k = keys[c];
      const s = this.stored[c];
      const rowNull = k.nulls !== null && k.nulls[row] === 1;
      if (rowNull || s.nulls[id] === 1) {
        if (rowNull && s.nulls[id] === 1) continue;
        return false;
      }
      switch (k.kind) {
        case 'num': {
          const a = k.values[row];
          const b = (s as StoredNum).values[id];
          if (a !== b && (a === a || b === b)) return false;
          break;
        }
        case 'str':
          if (k.dict[k.codes[row]] !== (s as StoredStr).values[id]) return false;
          break;
        case 'dec': {
          const d = s as StoredDec;
          const m = k.mant[row];
          if (k.exp[row] !== d.exp[id]) return false;
          if (m === m) {
            if (m !== d.mant[id]) return false;
          } else if (d.mant[id] === d.mant[id] || k.wide![row] !== d.wide[id]) return false;
          break;
        }
      }
    }
    return true;
  }

  private grow(capacity: number): void {
    for (const s of this.stored) {
      const nulls = new Uint8Array(capacity);
      nulls.set(s.nulls);
      s.nulls = nulls;
      if (s.kind === 'num') {
        const v = new Float64Array(capacity);
        v.set(s.values);
        s.values = v;
      } else if (s.kind === 'dec') {
        const m = new Float64Array(capacity);
        m.set(s.mant);
        s.mant = m;
        const e = new Int32Array(capacity);
        e.set(s.exp);
        s.exp = e;
      }
    }
    this.capacity = capacity;
  }

  private rehash(): void {
    const old = this.slots;
    const slotCount = (this.mask + 1) * 2;
    const slots = new Int32Array(slotCount * 2).fill(-1);
    const mask = slotCount - 1;
    for (let o = 0; o < old.length; o += 2) {
      const id = old[o];
      if (id === -1) continue;
      const h = old[o + 1];
      let s = h & mask;
      while (slots[s << 1] !== -1) s = (s + 1) & mask;
      slots[s << 1] = id;
      slots[(s << 1) + 1] = h;
    }
    this.slots = slots;
    this.mask = mask;
  }
}

function hashesOf(keys: readonly KeyColumn[], n: number): Int32Array {
  const h = new Int32Array(n);
  hashKeys(keys, n, h);
  return h;
}

function anyNull(keys: readonly KeyColumn[], n: number): Uint8Array | null {
  let out: Uint8Array | null = null;
  for (const k of keys) {
    if (k.nulls === null) continue;
    out ??= new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] |= k.nulls[i];
  }
  return out;
}
