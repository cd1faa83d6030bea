// Small whole-vector helpers the operators and kernels share: boolean vectors, NULL masks,
// constant vectors, sparse gathers, batch concatenation and re-chunking.
import { DataType, Types } from '../types/data-type';
import { BATCH_SIZE, Batch, BoolVector, Scalar, StringVector, Vector } from '../types/vector';
import { concatVectors, gatherVector, newVector, sliceVector, vectorFromScalars } from '../types/vector-ops';

export function boolVector(n: number, values: Uint8Array, nulls: Uint8Array | null): BoolVector {
  return { kind: 'bool', type: Types.bool, length: n, nulls, values };
}

/** OR of the NULL masks of vs over n rows, or null when none has NULLs. */
export function orNulls(vs: readonly Vector[], n: number): Uint8Array | null {
  let out: Uint8Array | null = null;
  for (const v of vs) {
    const nulls = v.nulls;
    if (nulls === null) continue;
    if (out === null) out = nulls.slice(0, n);
    else for (let i = 0; i < n; i++) out[i] |= nulls[i];
  }
  return out;
}

/** A zero-filled mask of at least n bytes (shared; never written). */
let zeros = new Uint8Array(BATCH_SIZE);
export function zeroMask(n: number): Uint8Array {
  if (zeros.length < n) zeros = new Uint8Array(Math.max(n, zeros.length * 2));
  return zeros;
}

/** 1 where a boolean vector is TRUE (not FALSE, not NULL). */
export function trueMask(v: BoolVector, n: number): Uint8Array {
  const out = new Uint8Array(n);
  const vals = v.values;
  const nulls = v.nulls;
  if (nulls === null) for (let i = 0; i < n; i++) out[i] = vals[i];
  else for (let i = 0; i < n; i++) out[i] = vals[i] & (nulls[i] ^ 1);
  return out;
}

/** Row indexes where a boolean vector is TRUE. */
export function trueRows(v: BoolVector, n: number): Uint32Array {
  const idx = new Uint32Array(n);
  const vals = v.values;
  const nulls = v.nulls;
  let k = 0;
  if (nulls === null) {
    for (let i = 0; i < n; i++) if (vals[i] === 1) idx[k++] = i;
  } else for (let i = 0; i < n; i++) if (vals[i] === 1 && nulls[i] === 0) idx[k++] = i;
  return idx.subarray(0, k);
}

/**
 * A source of constant vectors: one vector of the largest length asked so far, sliced (no copy)
 * for shorter batches, and the last slice kept (batches mostly have the same length), so a
 * constant costs nothing per batch.
 */
export class ConstVectorSource {
  private cached: Vector | null = null;
  private lastSlice: Vector | null = null;
  constructor(
    readonly type: DataType,
    readonly value: Scalar,
  ) {}
  get(n: number): Vector {
    let c = this.cached;
    if (c === null || c.length < n) c = this.cached = constVector(this.type, this.value, Math.max(n, c === null ? 0 : c.length * 2));
    if (c.length === n) return c;
    const last = this.lastSlice;
    if (last !== null && last.length === n) return last;
    return (this.lastSlice = sliceVector(c, 0, n));
  }
}

/** A vector of n copies of one value, filled as typed arrays. */
export function constVector(type: DataType, value: Scalar, n: number): Vector {
  if (value === null) {
    const v = newVector(type, n);
    v.nulls = new Uint8Array(n).fill(1);
    return v;
  }
  const v = newVector(type, n);
  switch (v.kind) {
    case 'string':
      v.dict = [value as string];
      return v;
    case 'bool':
      v.values.fill(value ? 1 : 0);
      return v;
    case 'int32':
    case 'int64':
    case 'float64':
    case 'timestamp':
      v.values.fill(value as number);
      return v;
    case 'interval': {
      const iv = value as { months: number; days: number; micros: number };
      v.months.fill(iv.months);
      v.days.fill(iv.days);
      v.micros.fill(iv.micros);
      return v;
    }
    case 'numeric': {
      const one = vectorFromScalars(type, [value]) as typeof v;
      const out = newVector(type, n, one.scale) as typeof v;
      if (one.wide !== null) out.wide = new Array(n).fill(one.wide[0]);
      out.values.fill(one.values[0]);
      if (one.dscale !== null) out.dscale = new Uint8Array(n).fill(one.dscale[0]);
      return out;
    }
  }
}

/**
 * Rows idx of the batch's columns; only the columns flagged in `needed` are gathered (the others
 * are left undefined: callers pass the set of columns their expressions read).
 */
export function gatherBatch(batch: Batch, idx: ArrayLike<number>, n: number, needed: readonly boolean[] | null): Batch {
  const cols = batch.columns;
  const out: Vector[] = new Array(cols.length);
  for (let c = 0; c < cols.length; c++) if (needed === null || needed[c]) out[c] = gatherVector(cols[c], idx, n);
  return { length: n, columns: out };
}

/**
 * Rows idx of the batch; columns not flagged in `needed` (null = all) become all-NULL
 * placeholders instead of being gathered (nobody reads them, see needed-columns.ts).
 */
export function gatherNeeded(batch: Batch, idx: ArrayLike<number>, needed: readonly boolean[] | null, n: number = idx.length): Batch {
  const cols = batch.columns;
  const out: Vector[] = new Array(cols.length);
  for (let c = 0; c < cols.length; c++) out[c] = needed === null || needed[c] !== false ? gatherVector(cols[c], idx, n) : placeholder(cols[c].type, n);
  return { length: n, columns: out };
}

const placeholders = new Map<DataType | string, ConstVectorSource>();
/** n NULLs of a type, shared (the stand-in for a column nobody reads). */
export function placeholder(type: DataType, n: number): Vector {
  // By name and typmod, not by object: plans sent to workers and other nodes arrive with copies of
  // their types, one set per statement, and each would otherwise keep a source here for good.
  const key = type.elem === undefined ? `${type.name}:${type.typmod}` : type;
  let src = placeholders.get(key);
  if (src === undefined) placeholders.set(key, (src = new ConstVectorSource(type, null)));
  return src.get(n);
}

/** All batches as one (numeric scales unified; string dictionaries appended, see concatStrings). */
export function concatBatches(batches: readonly Batch[], types: readonly DataType[], needed: readonly boolean[] | null = null): Batch {
  const live = batches.filter((b) => b.length > 0);
  if (live.length === 1) return live[0];
  let n = 0;
  for (const b of live) n += b.length;
  if (n === 0) return { length: 0, columns: types.map((t) => newVector(t, 0)) };
  return {
    length: n,
    columns: types.map((t, c) => (needed === null || needed[c] !== false ? concatColumn(t, live.map((b) => b.columns[c]), n) : placeholder(t, n))),
  };
}

/** One vector from parts of a column (see concatStrings for string dictionaries). */
export function concatColumn(type: DataType, parts: Vector[], n: number = parts.reduce((m, p) => m + p.length, 0)): Vector {
  if (type.storage === 'string' && parts.length > 1) return concatStrings(type, parts as StringVector[], n);
  return concatVectors(type, parts);
}

/**
 * Concatenates string vectors by appending their distinct dictionaries (codes offset), without
 * de-duplicating entries: hashing every string of large dictionaries (a scan's chunks of comment
 * columns) costs far more than the duplicates, which the executor tolerates (it compares, hashes
 * and ranks dictionary entries by value).
 */
function concatStrings(type: DataType, parts: StringVector[], n: number): StringVector {
  const offsets = new Map<string[], number>();
  const dict: string[] = [];
  for (const p of parts)
    if (!offsets.has(p.dict)) {
      offsets.set(p.dict, dict.length);
      for (let k = 0; k < p.dict.length; k++) dict.push(p.dict[k]);
    }
  const codes = new Int32Array(n);
  let nulls: Uint8Array | null = null;
  let off = 0;
  for (const p of parts) {
    const base = offsets.get(p.dict)!;
    const src = p.codes;
    if (base === 0) codes.set(src.subarray(0, p.length), off);
    else for (let i = 0; i < p.length; i++) codes[off + i] = src[i] + base;
    if (p.nulls !== null) (nulls ??= new Uint8Array(n)).set(p.nulls.subarray(0, p.length), off);
    off += p.length;
  }
  return { kind: 'string', type, length: n, nulls, codes, dict: offsets.size === 1 ? parts[0].dict : dict };
}

export function sliceBatch(batch: Batch, start: number, end: number): Batch {
  if (start === 0 && end === batch.length) return batch;
  return { length: end - start, columns: batch.columns.map((c) => sliceVector(c, start, end)) };
}

/** Cuts a batch into batches of at most BATCH_SIZE rows (no copy). */
export function chunkBatch(batch: Batch, out: Batch[]): void {
  if (batch.length <= BATCH_SIZE) {
    if (batch.length > 0) out.push(batch);
    return;
  }
  for (let start = 0; start < batch.length; start += BATCH_SIZE) out.push(sliceBatch(batch, start, Math.min(batch.length, start + BATCH_SIZE)));
}

/** Types of a batch's columns as given by the plan, falling back to the vectors' own types. */
export function columnTypes(batch: Batch): DataType[] {
  return batch.columns.map((c) => c.type);
}
