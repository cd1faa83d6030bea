// A string column's dictionary kept as UTF-8 bytes while COPY builds it: entries are appended to one
// byte arena (repeated values found by a hash of their bytes while repeats are common, every value a
// new entry once nearly all are distinct), so the chunk encoder gets the stored layout (entry
// lengths + joined bytes) without measuring and re-encoding every JS string. The arena lives in a
// SharedArrayBuffer, so a worker thread can encode the chunk from it without a copy.

/** The UTF-8 form of a StringVector's dictionary: entry d is bytes[starts[d], starts[d + 1]). */
export interface StringBytes {
  bytes: Uint8Array;
  starts: Int32Array;
  /** Every byte is ASCII (the strings were decoded as latin1). */
  ascii: boolean;
}

/** Byte forms of vectors built by VectorBuilder, for the chunk encoder; absent for other vectors. */
const forms = new WeakMap<object, StringBytes>();

export function stringBytesOf(v: object): StringBytes | undefined {
  return forms.get(v);
}

export function setStringBytes(v: object, form: StringBytes): void {
  forms.set(v, form);
}

/** Rows after which the hash lookups stop when over half of the values were new. */
const DEDUP_PROBE_ROWS = 4096;

function sharedBytes(n: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(Math.max(n, 16)));
}

export class StringBytesBuilder {
  private arena: Uint8Array;
  private used = 0;
  private starts: Int32Array;
  /** Dictionary entries so far. */
  count = 0;
  private rows = 0;
  private orBits = 0;
  /** Open addressing: entry + 1 per slot, 0 = empty; null once lookups are switched off. */
  private slots: Int32Array | null;
  private hashes: Int32Array;

  constructor(capacityBytes = 1 << 16) {
    this.arena = sharedBytes(capacityBytes);
    this.starts = new Int32Array(1024);
    this.slots = new Int32Array(1024);
    this.hashes = new Int32Array(1024);
  }

  /** Room for `extra` more bytes at the end of the arena. */
  reserve(extra: number): void {
    if (this.used + extra <= this.arena.length) return;
    let cap = this.arena.length * 2;
    while (cap < this.used + extra) cap *= 2;
    const arena = sharedBytes(cap);
    arena.set(this.arena.subarray(0, this.used));
    this.arena = arena;
  }

  /** The arena, for writing a value's bytes at `end` (after reserve) before `commit`. */
  get buffer(): Uint8Array {
    return this.arena;
  }

  get end(): number {
    return this.used;
  }

  /** OR of the bytes the last put copied (128 or more: not ASCII). */
  lastOr = 0;

  /** Copies b[s, e) to the arena at `at` (reserve first) and returns the offset after it. */
  put(b: Uint8Array, s: number, e: number, at: number): number {
    const arena = this.arena;
    let or = 0;
    for (let i = s; i < e; i++) or |= arena[at++] = b[i];
    this.lastOr = or;
    return at;
  }

  /** Writes n spaces at `at` (char(n) padding); returns the offset after them. */
  pad(at: number, n: number): number {
    const arena = this.arena;
    for (let i = 0; i < n; i++) arena[at++] = 32;
    return at;
  }

  /**
   * The bytes written at the arena's end up to `valueEnd` become a value: its dictionary code
   * (an earlier equal entry's while lookups are on, the bytes then dropped).
   */
  commit(valueEnd: number): number {
    const start = this.used;
    const arena = this.arena;
    this.rows++;
    if (this.slots !== null) {
      let h = 0x811c9dc5 ^ (valueEnd - start);
      for (let i = start; i < valueEnd; i++) h = Math.imul(h ^ arena[i], 0x01000193);
      h ^= h >>> 15;
      const slots = this.slots;
      const mask = slots.length - 1;
      const len = valueEnd - start;
      for (let slot = h & mask; ; slot = (slot + 1) & mask) {
        const e = slots[slot];
        if (e === 0) {
          slots[slot] = this.count + 1;
          break;
        }
        const d = e - 1;
        if (this.hashes[d] !== h) continue;
        const s = this.starts[d];
        if ((d + 1 < this.count ? this.starts[d + 1] : start) - s !== len) continue;
        let same = true;
        for (let i = 0; i < len; i++)
          if (arena[s + i] !== arena[start + i]) {
            same = false;
            break;
          }
        if (same) return d;
      }
      this.addEntry(start, valueEnd, h);
      if (this.count * 2 > this.slots.length) this.rehash();
      if (this.rows >= DEDUP_PROBE_ROWS && this.count * 2 > this.rows) this.slots = null;
      return this.count - 1;
    }
    this.addEntry(start, valueEnd, 0);
    return this.count - 1;
  }

  private addEntry(start: number, end: number, h: number): void {
    if (this.count + 1 >= this.starts.length) {
      const starts = new Int32Array(this.starts.length * 2);
      starts.set(this.starts);
      this.starts = starts;
      const hashes = new Int32Array(this.hashes.length * 2);
      hashes.set(this.hashes);
      this.hashes = hashes;
    }
    this.starts[this.count] = start;
    this.hashes[this.count] = h;
    this.count++;
    this.used = end;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots!.length * 2);
    const mask = slots.length - 1;
    for (let d = 0; d < this.count; d++) {
      let slot = this.hashes[d] & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = d + 1;
    }
    this.slots = slots;
  }

  /** A JS string's UTF-8 bytes as a value. */
  addString(s: string): number {
    const max = s.length * 3;
    this.reserve(max);
    const at = this.used;
    const n = Buffer.from(this.arena.buffer, this.arena.byteOffset, this.arena.length).write(s, at, 'utf8');
    if (n !== s.length) this.orBits |= 128;
    return this.commit(at + n);
  }

  /** The dictionary as JS strings and its byte form; the builder starts over empty. */
  finish(): { dict: string[]; form: StringBytes } {
    const count = this.count;
    const starts = new Int32Array(count + 1);
    starts.set(this.starts.subarray(0, count));
    starts[count] = this.used;
    const ascii = this.orBits < 128;
    const buf = Buffer.from(this.arena.buffer, this.arena.byteOffset, this.used);
    const dict: string[] = new Array(count);
    const encoding = ascii ? 'latin1' : 'utf8';
    for (let d = 0; d < count; d++) dict[d] = buf.toString(encoding, starts[d], starts[d + 1]);
    const form: StringBytes = { bytes: this.arena.subarray(0, this.used), starts, ascii };
    this.arena = sharedBytes(Math.max(this.used, 1 << 16));
    this.used = 0;
    this.count = 0;
    this.rows = 0;
    this.orBits = 0;
    this.slots = new Int32Array(1024);
    return { dict, form };
  }
}
