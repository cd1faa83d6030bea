// A hash table of distinct keys in flat typed arrays: each distinct key gets a dense id (0, 1, 2…
// in first-seen order), which is a group for aggregation, a distinct row for DISTINCT and set
// operations, and a chain head for hash joins. Open addressing with linear probing over one flat
// Int32Array of (id, hash) slot pairs — a probe compares the full 32-bit hash stored in the slot
// (the control word) before touching any key, so a miss costs one cache line; the keys themselves
// are stored column-wise in growable typed arrays and compared exactly after a hash match (hash
// equality alone never decides). Keys made only of numbers (the usual join and group keys, composite
// ones included) take a loop specialized for them, without per-row dispatch on the key kind.
import { KeyColumn, KeyKind, NumKey } from './key-hash';

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

  constructor(readonly kinds: readonly KeyKind[], expected = 1024) {
    let slotCount = 16;
    while (slotCount * MAX_LOAD < expected) slotCount *= 2;
    this.slots = new Int32Array(slotCount * 2).fill(-1);
    this.mask = slotCount - 1;
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
    this.grow(Math.max(16, expected));
  }

  /**
   * Looks up each row's key, inserting the keys not seen yet; writes ids into out.
   * NULLs equal each other unless skipNullRows: then rows with a NULL in any key get -1 and are not inserted.
   */
  findOrInsert(keys: readonly KeyColumn[], hashes: Int32Array, n: number, out: Int32Array, skipNullRows = false): void {
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
  find(keys: readonly KeyColumn[], hashes: Int32Array, n: number, out: Int32Array, nullsMatch: boolean): void {
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

function anyNull(keys: readonly KeyColumn[], n: number): Uint8Array | null {
  let out: Uint8Array | null = null;
  for (const k of keys) {
    if (k.nulls === null) continue;
    out ??= new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] |= k.nulls[i];
  }
  return out;
}
