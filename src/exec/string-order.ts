// String ordering as PostgreSQL's C collation: by Unicode code point (the order of UTF-8 bytes).
// JavaScript's `<` compares UTF-16 code units, which differs only when one side has a surrogate
// (a code point above U+FFFF) and the other a code unit in U+E000..U+FFFF; we fix that case up.

import { DataType } from '../types/data-type';
import { jsonbOrderKey } from '../types/json';
import { arrayOrderKey } from '../types/array-text';
import { trimTrailingSpaces } from '../types/cast';

/** Code unit → a key that orders like code points (surrogates above the rest of the BMP). */
function unitKey(c: number): number {
  if (c < 0xd800) return c;
  if (c <= 0xdfff) return c + 0x2000;
  return c - 0x800;
}

/** -1/0/1 comparing two strings by code point. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      if (x < 0xd800 && y < 0xd800) return x < y ? -1 : 1;
      return unitKey(x) < unitKey(y) ? -1 : 1;
    }
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

export { trimTrailingSpaces };

const jsonbDicts = new WeakMap<string[], string[]>();
/** The dictionary as jsonb order keys (cached per dictionary object): see types/json.ts jsonbOrderKey. */
export function jsonbKeyDict(dict: string[]): string[] {
  let t = jsonbDicts.get(dict);
  if (t === undefined || t.length !== dict.length) {
    t = dict.map(jsonbOrderKey);
    jsonbDicts.set(dict, t);
  }
  return t;
}

/**
 * The strings to compare for a string-stored type: bpchar without trailing spaces, jsonb as order
 * keys, anything else as it is.
 */
export function comparableDict(type: DataType, dict: string[]): string[] {
  if (type.name === 'array') return arrayKeyDict(type, dict);
  return type.name === 'bpchar' ? trimmedDict(dict) : type.name === 'jsonb' ? jsonbKeyDict(dict) : dict;
}
export function comparableString(type: DataType, s: string): string {
  if (type.name === 'array') return arrayOrderKey(s, type);
  return type.name === 'bpchar' ? trimTrailingSpaces(s) : type.name === 'jsonb' ? jsonbOrderKey(s) : s;
}

const arrayDicts = new WeakMap<string[], string[]>();
/** The dictionary as array order keys (cached per dictionary object): see types/array-text.ts arrayOrderKey. */
export function arrayKeyDict(type: DataType, dict: string[]): string[] {
  let t = arrayDicts.get(dict);
  if (t === undefined || t.length !== dict.length) {
    t = dict.map((s) => arrayOrderKey(s, type));
    arrayDicts.set(dict, t);
  }
  return t;
}

const trimmedDicts = new WeakMap<string[], string[]>();
/** The dictionary with trailing spaces removed from each entry (cached per dictionary object). */
export function trimmedDict(dict: string[]): string[] {
  let t = trimmedDicts.get(dict);
  if (t === undefined || t.length !== dict.length) {
    t = dict.map(trimTrailingSpaces);
    trimmedDicts.set(dict, t);
  }
  return t;
}

/**
 * Rank of each dictionary entry in code-point order (equal strings share a rank), so sorts and
 * comparisons of many rows compare small integers instead of strings.
 */
export function dictRanks(dict: string[]): Int32Array {
  const n = dict.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  // Without code units >= U+D800 (surrogates and the BMP's private/special area), UTF-16 order is
  // code-point order and the engine's native string `<` can be used: 2-3x faster than the JS loop.
  if (hasHighUnits(dict)) order.sort((a, b) => compareStrings(dict[a], dict[b]));
  else
    order.sort((a, b) => {
      const x = dict[a];
      const y = dict[b];
      return x < y ? -1 : x > y ? 1 : 0;
    });
  const ranks = new Int32Array(n);
  let rank = 0;
  for (let k = 0; k < n; k++) {
    if (k > 0 && dict[order[k]] !== dict[order[k - 1]]) rank++;
    ranks[order[k]] = rank;
  }
  return ranks;
}

const HIGH_UNIT = /[\uD800-\uFFFF]/;
function hasHighUnits(dict: string[]): boolean {
  for (let i = 0; i < dict.length; i++) if (HIGH_UNIT.test(dict[i])) return true;
  return false;
}
