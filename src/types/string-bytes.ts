// A string column's dictionary kept as UTF-8 bytes while COPY builds it: entries are appended to one
// byte arena (repeated values found by a hash of their bytes while repeats are common, every value a
// new entry once nearly all are distinct), so the chunk encoder gets the stored layout (entry
// lengths + joined bytes) without measuring and re-encoding every JS string. The arena lives in a
// SharedArrayBuffer, so a worker thread can encode the chunk from it without a copy.

import type { StringVector, Vector } from './vector';

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

/** Entries of the dictionary of `v`: its strings', or its byte form's while they are not made yet. */
export function dictionarySize(v: StringVector): number {
  if (v.dict.length > 0) return v.dict.length;
  const form = forms.get(v);
  return form === undefined ? 0 : form.starts.length - 1;
}

/** Dictionary entry d of `v` (from the byte form while the strings are not made). */
export function dictionaryEntry(v: StringVector, d: number): string {
  if (v.dict.length > 0) return v.dict[d];
  const form = forms.get(v)!;
  return Buffer.from(form.bytes.buffer, form.bytes.byteOffset, form.bytes.length).toString(form.ascii ? 'latin1' : 'utf8', form.starts[d], form.starts[d + 1]);
}

/**
 * Makes the JS strings of a dictionary COPY left as bytes only (VectorBuilder.finish(true)): before
 * anything reads `dict`. A full row group a transaction spills never needs them (it is encoded and
 * its statistics collected from the bytes), so a bulk load makes no string per distinct value.
 */
export function ensureStrings(v: Vector): void {
  if (v.kind !== 'string' || v.dict.length > 0) return;
  const form = forms.get(v);
  if (form === undefined) return;
  v.dict = dictionaryStrings(form);
}

function dictionaryStrings(form: StringBytes): string[] {
  const count = form.starts.length - 1;
  const buf = Buffer.from(form.bytes.buffer, form.bytes.byteOffset, form.bytes.length);
  const dict: string[] = new Array(count);
  const encoding = form.ascii ? 'latin1' : 'utf8';
  for (let d = 0; d < count; d++) dict[d] = buf.toString(encoding, form.starts[d], form.starts[d + 1]);
  return dict;
}

/**
 * Values at least this long are copied by a native call (a view and a memmove): beyond about 100
 * bytes that beats the byte loop (partsupp's comments, 124 bytes on average: its parse about 15-20%
 * faster), below it the call costs more than the loop.
 */
const LONG_VALUE_BYTES = 96;

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

  /**
   * The ASCII value b[s, e) followed by `pad` spaces (char(n) padding): its dictionary code, an
   * earlier equal entry's while lookups are on (found without copying the bytes). -1 when the value
   * is not ASCII: nothing is added, the caller takes the string path. `known`: b is all ASCII.
   */
  addAscii(b: Uint8Array, s: number, e: number, pad: number, known = false): number {
    const len = e - s;
    const total = len + pad;
    if (this.slots === null) {
      this.reserve(total);
      const arena = this.arena;
      let at = this.used;
      if (known) {
        // Text known to be ASCII (comments, names): a plain byte copy (a native one costs a view
        // object and a call per value, more than the bytes of a short value).
        if (len >= LONG_VALUE_BYTES) {
          arena.set(b.subarray(s, e), at);
          at += len;
        } else for (let i = s; i < e; i++) arena[at++] = b[i];
        for (let k = 0; k < pad; k++) arena[at++] = 32;
        this.rows++;
        this.addEntry(this.used, at, 0);
        return this.count - 1;
      }
      let or = 0;
      for (let i = s; i < e; i++) or |= arena[at++] = b[i];
      if (or >= 128) return -1;
      for (let k = 0; k < pad; k++) arena[at++] = 32;
      this.rows++;
      this.addEntry(this.used, at, 0);
      return this.count - 1;
    }
    let h = 0x811c9dc5 ^ total;
    let or = 0;
    for (let i = s; i < e; i++) {
      const x = b[i];
      or |= x;
      h = Math.imul(h ^ x, 0x01000193);
    }
    if (or >= 128) return -1;
    for (let k = 0; k < pad; k++) h = Math.imul(h ^ 32, 0x01000193);
    h ^= h >>> 15;
    const found = this.probe(h, b, s, len, pad);
    if (found >= 0) {
      this.rows++;
      return found;
    }
    this.reserve(total);
    const arena = this.arena;
    let at = this.used;
    for (let i = s; i < e; i++) arena[at++] = b[i];
    for (let k = 0; k < pad; k++) arena[at++] = 32;
    return this.added(-found - 1, at, h);
  }

  /**
   * The entry equal to src[s, s + len) + `pad` spaces, or -(free slot + 1) where to record it.
   * Hash h covers the same bytes (FNV-1a seeded with the length, then h ^= h >>> 15).
   */
  private probe(h: number, src: Uint8Array, s: number, len: number, pad: number): number {
    const slots = this.slots!;
    const arena = this.arena;
    const mask = slots.length - 1;
    const total = len + pad;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const e = slots[slot];
      if (e === 0) return -slot - 1;
      const d = e - 1;
      if (this.hashes[d] !== h) continue;
      const st = this.starts[d];
      if ((d + 1 < this.count ? this.starts[d + 1] : this.used) - st !== total) continue;
      let same = true;
      for (let i = 0; i < len; i++)
        if (arena[st + i] !== src[s + i]) {
          same = false;
          break;
        }
      for (let i = len; same && i < total; i++) if (arena[st + i] !== 32) same = false;
      if (same) return d;
    }
  }

  /** Records the bytes at the arena's end up to `end` as a new entry in free slot `slot`; its code. */
  private added(slot: number, end: number, h: number): number {
    this.rows++;
    this.slots![slot] = this.count + 1;
    this.addEntry(this.used, end, h);
    if (this.count * 2 > this.slots!.length) this.rehash();
    if (this.rows >= DEDUP_PROBE_ROWS && this.count * 2 > this.rows) this.slots = null;
    return this.count - 1;
  }

  /** The bytes written at the arena's end up to `valueEnd` become a value: its dictionary code. */
  private commit(valueEnd: number): number {
    const start = this.used;
    if (this.slots === null) {
      this.rows++;
      this.addEntry(start, valueEnd, 0);
      return this.count - 1;
    }
    const arena = this.arena;
    let h = 0x811c9dc5 ^ (valueEnd - start);
    for (let i = start; i < valueEnd; i++) h = Math.imul(h ^ arena[i], 0x01000193);
    h ^= h >>> 15;
    const found = this.probe(h, arena, start, valueEnd - start, 0);
    if (found >= 0) {
      this.rows++;
      return found;
    }
    return this.added(-found - 1, valueEnd, h);
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
  /** The dictionary (its strings made only unless `lazy`: see ensureStrings) and its byte form. */
  finish(lazy = false): { dict: string[]; form: StringBytes } {
    const count = this.count;
    // Shared as the arena is: the chunk encoder posts the form to its worker without a copy.
    const starts = new Int32Array(new SharedArrayBuffer((count + 1) * 4));
    starts.set(this.starts.subarray(0, count));
    starts[count] = this.used;
    const ascii = this.orBits < 128;
    const form: StringBytes = { bytes: this.arena.subarray(0, this.used), starts, ascii };
    const dict = lazy ? [] : dictionaryStrings(form);
    this.arena = sharedBytes(Math.max(this.used, 1 << 16));
    this.used = 0;
    this.count = 0;
    this.rows = 0;
    this.orBits = 0;
    this.slots = new Int32Array(1024);
    return { dict, form };
  }
}
