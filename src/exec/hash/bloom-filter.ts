// A blocked Bloom filter over 32-bit key hashes (the ones hashKeys computes): each key sets 3 bits
// of a single 32-bit word, so a membership test is one array read and a mask compare. The word is
// chosen by the top bits of a multiplicative remix of the hash (the hash table uses the low bits
// for its slots, so the two stay independent); the bits come from three 5-bit fields of the hash.
// About 16 bits per key: a false-positive rate near 1%. A hash join builds one from its build
// side's keys and hands it to the probe side's scan (runtime-filter.ts), which drops rows whose
// key cannot match before anything else is done with them.

import { hashInt } from './key-hash';

/** Bits of filter per distinct key. */
const BITS_PER_KEY = 16;
const MIN_WORDS = 64;

export interface BloomState {
  words: Uint32Array;
  shift: number;
}

export class BloomFilter {
  private readonly words: Uint32Array;
  private readonly shift: number;

  constructor(keys: number, state?: BloomState) {
    if (state !== undefined) {
      this.words = state.words;
      this.shift = state.shift;
      return;
    }
    let words = MIN_WORDS;
    while (words * 32 < keys * BITS_PER_KEY) words *= 2;
    this.words = new Uint32Array(words);
    this.shift = 32 - Math.log2(words);
  }

  /** What a worker thread needs to test the same keys (new BloomFilter(0, state) there). */
  state(): BloomState {
    return { words: this.words, shift: this.shift };
  }

  /** Adds the hashes of rows [0, n) whose flag in skip is not set (skip: null = none skipped). */
  addAll(hashes: Int32Array, n: number, skip: Int32Array | null): void {
    const words = this.words;
    const shift = this.shift;
    for (let i = 0; i < n; i++) {
      if (skip !== null && skip[i] < 0) continue;
      const h = hashes[i];
      words[Math.imul(h, 0x9e3779b1) >>> shift] |= (1 << (h & 31)) | (1 << ((h >>> 5) & 31)) | (1 << ((h >>> 10) & 31));
    }
  }

  /**
   * Keeps the rows whose hash may be in the filter: the rows considered are rows[0..count), or
   * 0..count-1 when rows is null; hashes[r] is row r's hash. Rows flagged in nulls (a NULL key never
   * matches) are dropped too. Writes the kept rows (ascending) to out, which may be rows itself,
   * and returns how many.
   */
  selectHashes(hashes: Int32Array, nulls: Uint8Array | null, rows: Uint32Array | null, count: number, out: Uint32Array): number {
    const words = this.words;
    const shift = this.shift;
    let k = 0;
    for (let i = 0; i < count; i++) {
      const r = rows === null ? i : rows[i];
      const h = hashes[r];
      const m = (1 << (h & 31)) | (1 << ((h >>> 5) & 31)) | (1 << ((h >>> 10) & 31));
      if ((words[Math.imul(h, 0x9e3779b1) >>> shift] & m) === m && (nulls === null || nulls[r] === 0)) out[k++] = r;
    }
    return k;
  }

  /** selectHashes for a single int32 key, hashing as it goes (hashInt, as hashKeys does). */
  selectInt32(values: Int32Array, nulls: Uint8Array | null, rows: Uint32Array | null, count: number, out: Uint32Array): number {
    const words = this.words;
    const shift = this.shift;
    let k = 0;
    for (let i = 0; i < count; i++) {
      const r = rows === null ? i : rows[i];
      const h = hashInt(values[r]);
      const m = (1 << (h & 31)) | (1 << ((h >>> 5) & 31)) | (1 << ((h >>> 10) & 31));
      if ((words[Math.imul(h, 0x9e3779b1) >>> shift] & m) === m && (nulls === null || nulls[r] === 0)) out[k++] = r;
    }
    return k;
  }
}
