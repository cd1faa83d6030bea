// Per-row-group column statistics: row count, NULL count, min/max and a HyperLogLog sketch of the
// distinct values. They are collected when a transaction commits rows to a group (over the group as
// it is encoded for storage, so COPY pays about one hash per value) and rebuilt by ANALYZE; groups
// merge into the table's statistics (sketches merge register-wise).
// Deleted rows are not subtracted until ANALYZE, as in PostgreSQL.
import { ColumnStatistics, TableStatistics } from '../plan/statistics';
import { Vector } from '../types/vector';
import { dictionaryEntry, dictionarySize } from '../types/string-bytes';

/** HyperLogLog with 2^12 registers: about 1.6% standard error (small counts by linear counting are
 * near exact), 4 KiB per column and row group. */
const P = 12;
const M = 1 << P;
const ALPHA = 0.7213 / (1 + 1.079 / M);

export interface ColumnGroupStats {
  nulls: number;
  min: number | string | null;
  max: number | string | null;
  /**
   * Set instead of a sketch for text columns whose values are nearly all distinct (comments, names):
   * the exact distinct count of these rows, and groups add up. Touching every string to hash it
   * would cost more than the rest of COPY's work on that column.
   */
  distinct?: number;
}

export interface GroupStats {
  /** Rows described (deleted ones included unless built by ANALYZE). */
  rows: number;
  columns: ColumnGroupStats[];
  /** One HyperLogLog register array (M bytes) per column, concatenated. */
  sketches: Uint8Array;
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export function hashDouble(x: number): number {
  f64[0] = x === 0 ? 0 : x; // -0 and 0 are one value
  return fmix32(fmix32(u32[0]) ^ Math.imul(u32[1], 0x9e3779b1));
}

export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return fmix32(h);
}

/** Records hash h in the registers at `base`. */
function add(reg: Uint8Array, base: number, h: number): void {
  const j = h >>> (32 - P);
  const w = (h << P) >>> 0;
  const rho = w === 0 ? 32 - P + 1 : Math.clz32(w) + 1;
  if (reg[base + j] < rho) reg[base + j] = rho;
}

/** Hash of a number: integers in int32 range take the cheap path (numerics hash their scaled integer). */
function hashNumber(x: number): number {
  return (x | 0) === x ? fmix32(x ^ 0x5bd1e995) : hashDouble(x);
}

/** Text columns with at least this many distinct values in a group, nearly all distinct, skip the sketch. */
const UNIQUE_TEXT_MIN = 2048;

/** Strings longer than this hash only their first and last HASH_EDGE characters (and their length). */
const HASH_EDGE = 12;
function hashStringFast(s: string): number {
  const n = s.length;
  if (n <= 2 * HASH_EDGE) return hashString(s);
  let h = 0x811c9dc5 ^ n;
  for (let i = 0; i < HASH_EDGE; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  for (let i = n - HASH_EDGE; i < n; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return fmix32(h);
}

/**
 * 1 where a row is left out of the statistics: NULL or skipped (deleted); null when none is.
 * Counts NULLs among the rows not skipped into nullCount[0].
 */
function excluded(v: Vector, skip: Uint8Array | null, nullCount: Int32Array): Uint8Array | null {
  const nulls = v.nulls;
  if (nulls === null && skip === null) return null;
  const n = v.length;
  const out = new Uint8Array(n);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const s = skip !== null ? skip[i] : 0;
    const isNull = nulls !== null ? nulls[i] : 0;
    if (s === 0) count += isNull;
    out[i] = s | isNull;
  }
  nullCount[0] = count;
  return out;
}

/**
 * seen[c] = 1 for each code c of a row not left out; returns how many codes that is. The loops over
 * rows are functions of their own: inside columnStats, a loop compiled on stack replacement for one
 * column kind was thrown away at the next kind's branch, several times per COPY.
 */
function markSeen(codes: Int32Array, n: number, out: Uint8Array | null, seen: Uint8Array): number {
  let used = 0;
  for (let i = 0; i < n; i++)
    if ((out === null || out[i] === 0) && seen[codes[i]] === 0) {
      seen[codes[i]] = 1;
      used++;
    }
  return used;
}

/** numberStats' least and greatest value (Infinity, -Infinity when every row is left out). */
const RANGE = new Float64Array(2);

/** Sketches the values of the rows not left out, and their range into RANGE. */
function numberStats(values: Float64Array | Int32Array | Uint8Array, n: number, out: Uint8Array | null, reg: Uint8Array, base: number): void {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    if (out !== null && out[i] === 1) continue;
    const x = values[i];
    add(reg, base, hashNumber(x));
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  RANGE[0] = lo;
  RANGE[1] = hi;
}

/** Statistics of one column's rows [0, v.length), skipping rows where `skip` is 1. */
function columnStats(v: Vector, reg: Uint8Array, base: number, skip: Uint8Array | null): ColumnGroupStats {
  const n = v.length;
  const nullCount = new Int32Array(1);
  const out = excluded(v, skip, nullCount);
  let lo = Infinity;
  let hi = -Infinity;
  switch (v.kind) {
    case 'string': {
      // A bulk load's dictionary may still be bytes only (see ensureStrings): entries are made for the seen ones.
      const seen = new Uint8Array(dictionarySize(v));
      const used = markSeen(v.codes, n, out, seen);
      // Dictionaries of stored vectors hold distinct strings, so `used` is exact.
      if (used >= UNIQUE_TEXT_MIN && used >= 0.5 * (n - nullCount[0])) return { nulls: nullCount[0], min: null, max: null, distinct: used };
      let min: string | null = null;
      let max: string | null = null;
      for (let c = 0; c < seen.length; c++) {
        if (seen[c] === 0) continue;
        const s = dictionaryEntry(v, c);
        add(reg, base, hashStringFast(s));
        if (min === null || s < min) min = s;
        if (max === null || s > max) max = s;
      }
      return { nulls: nullCount[0], min, max };
    }
    case 'interval':
      for (let i = 0; i < n; i++) {
        if (out !== null && out[i] === 1) continue;
        add(reg, base, fmix32(hashDouble(v.micros[i]) ^ Math.imul(v.months[i], 0x27d4eb2d) ^ Math.imul(v.days[i], 0x165667b1)));
      }
      return { nulls: nullCount[0], min: null, max: null };
    default: {
      // int32 values, doubles, and numerics' scaled integers (hashed as scaled: a column keeps its scale).
      numberStats(v.values, n, out, reg, base);
      lo = RANGE[0];
      hi = RANGE[1];
    }
  }
  if (v.kind === 'numeric' && lo <= hi) {
    const div = Math.pow(10, v.scale);
    lo /= div;
    hi /= div;
  }
  const ordered = v.kind !== 'bool' && lo <= hi;
  return { nulls: nullCount[0], min: ordered ? lo : null, max: ordered ? hi : null };
}

/**
 * A column's statistics collected where its chunk was encoded (a COPY parse worker), taken once by
 * the collectGroupStats that sees this vector (it cannot have changed in between: see setColumnStats).
 */
const collected = new WeakMap<object, { stats: ColumnGroupStats; sketch: Uint8Array }>();

/** Records statistics already collected over v's rows (as collectGroupStats would, no rows deleted). */
export function setColumnStats(v: Vector, stats: ColumnGroupStats, sketch: Uint8Array): void {
  collected.set(v, { stats, sketch });
}

/** Column k's sketch registers in s. */
export function sketchOf(s: GroupStats, k: number): Uint8Array {
  return s.sketches.subarray(k * M, (k + 1) * M);
}

/** Statistics of a row group's columns; rows with `deleted` = 1 are left out (ANALYZE). */
export function collectGroupStats(columns: Vector[], deleted: Uint8Array | null = null): GroupStats {
  const sketches = new Uint8Array(M * columns.length);
  const rows = columns[0]?.length ?? 0;
  let live = rows;
  if (deleted !== null) for (let i = 0; i < rows; i++) live -= deleted[i];
  const stats = columns.map((c, k) => {
    const pre = deleted === null ? collected.get(c) : undefined;
    if (pre === undefined) return columnStats(c, sketches, k * M, deleted);
    collected.delete(c);
    sketches.set(pre.sketch, k * M);
    return pre.stats;
  });
  return { rows: live, columns: stats, sketches };
}

function lesser(a: number | string | null, b: number | string | null): number | string | null {
  if (a === null) return b;
  if (b === null) return a;
  return b < a ? b : a;
}
function greater(a: number | string | null, b: number | string | null): number | string | null {
  if (a === null) return b;
  if (b === null) return a;
  return b > a ? b : a;
}

/** The statistics of a and b's rows together. */
export function mergeGroupStats(a: GroupStats, b: GroupStats): GroupStats {
  const sketches = a.sketches.slice();
  const s = b.sketches;
  for (let i = 0; i < sketches.length; i++) if (s[i] > sketches[i]) sketches[i] = s[i];
  return {
    rows: a.rows + b.rows,
    columns: a.columns.map((c, k) => {
      const d = b.columns[k];
      const merged: ColumnGroupStats = { nulls: c.nulls + d.nulls, min: lesser(c.min, d.min), max: greater(c.max, d.max) };
      if (c.distinct !== undefined || d.distinct !== undefined)
        merged.distinct = (c.distinct ?? estimateDistinct(a.sketches, k * M)) + (d.distinct ?? estimateDistinct(b.sketches, k * M));
      return merged;
    }),
    sketches,
  };
}

/** 2^-r for every register value. */
const INVERSE_POWERS = Float64Array.from({ length: 64 }, (_, r) => Math.pow(2, -r));

function estimateDistinct(reg: Uint8Array, base: number): number {
  let sum = 0;
  let zeros = 0;
  for (let j = 0; j < M; j++) {
    const r = reg[base + j];
    sum += INVERSE_POWERS[r];
    if (r === 0) zeros++;
  }
  const e = (ALPHA * M * M) / sum;
  if (e <= 2.5 * M && zeros > 0) return M * Math.log(M / zeros);
  return e;
}

/** The table's statistics from its groups' (groups without statistics are left out); null when none have any. */
export function tableStatistics(groups: (GroupStats | null | undefined)[], width: number): TableStatistics | null {
  let merged: GroupStats | null = null;
  for (const g of groups) {
    if (g === null || g === undefined || g.columns.length !== width) continue;
    merged = merged === null ? g : mergeGroupStats(merged, g);
  }
  if (merged === null) return null;
  const rows = merged.rows;
  const columns: ColumnStatistics[] = merged.columns.map((c, k) => {
    const nonNull = Math.max(0, rows - c.nulls);
    const d = nonNull === 0 ? 0 : Math.max(1, Math.min(nonNull, Math.round(c.distinct ?? estimateDistinct(merged!.sketches, k * M))));
    return { distinct: d, nullFraction: rows > 0 ? c.nulls / rows : 0, min: c.min, max: c.max };
  });
  return { rowCount: rows, columns };
}

/** Bytes: u32 header length | header JSON (rows, columns) | sketches. */
export function encodeGroupStats(s: GroupStats): Buffer {
  const header = Buffer.from(JSON.stringify({ rows: s.rows, columns: s.columns.map((c) => [c.nulls, nonFinite(c.min), nonFinite(c.max), ...(c.distinct !== undefined ? [c.distinct] : [])]) }));
  const out = Buffer.alloc(4 + header.length + s.sketches.length);
  out.writeUInt32LE(header.length, 0);
  header.copy(out, 4);
  out.set(s.sketches, 4 + header.length);
  return out;
}

export function decodeGroupStats(b: Buffer): GroupStats {
  const len = b.readUInt32LE(0);
  const header = JSON.parse(b.subarray(4, 4 + len).toString()) as { rows: number; columns: [number, unknown, unknown, number?][] };
  return {
    rows: header.rows,
    columns: header.columns.map(([nulls, min, max, distinct]) => ({ nulls, min: finite(min), max: finite(max), ...(distinct !== undefined ? { distinct } : {}) })),
    sketches: new Uint8Array(b.subarray(4 + len)),
  };
}

// JSON has no ±Infinity/NaN (float columns may hold them): they travel as tagged strings.
function nonFinite(x: number | string | null): unknown {
  return typeof x === 'number' && !Number.isFinite(x) ? { n: String(x) } : x;
}
function finite(x: unknown): number | string | null {
  if (x !== null && typeof x === 'object') return Number((x as { n: string }).n);
  return x as number | string | null;
}
