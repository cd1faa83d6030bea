// Whole-vector building blocks shared by storage and the executor: allocate, gather, slice, concat,
// and the slow per-value accessors used only outside hot loops (constants, RETURNING, wire output).
import { DataType, numericScale } from './data-type';
import {
  Batch,
  Decimal,
  Interval,
  NumericVector,
  Scalar,
  StringVector,
  Vector,
  isDecimal,
} from './vector';

/** A vector of `length` rows, values zeroed, no NULLs. Numeric vectors get the type's declared scale (0 if none). */
export function newVector(type: DataType, length: number, numericScaleOverride?: number): Vector {
  switch (type.storage) {
    case 'bool':
      return { kind: 'bool', type, length, nulls: null, values: new Uint8Array(length) };
    case 'int32':
      return { kind: 'int32', type, length, nulls: null, values: new Int32Array(length) };
    case 'int64':
    case 'float64':
    case 'timestamp':
      return { kind: type.storage, type, length, nulls: null, values: new Float64Array(length) };
    case 'numeric':
      return {
        kind: 'numeric',
        type,
        length,
        nulls: null,
        values: new Float64Array(length),
        scale: numericScaleOverride ?? Math.max(0, numericScale(type)),
        dscale: null,
        wide: null,
      };
    case 'string':
      return { kind: 'string', type, length, nulls: null, codes: new Int32Array(length), dict: [] };
    case 'interval':
      return {
        kind: 'interval',
        type,
        length,
        nulls: null,
        months: new Int32Array(length),
        days: new Int32Array(length),
        micros: new Float64Array(length),
      };
  }
}

/** A vector of `length` NULLs. */
export function nullVector(type: DataType, length: number): Vector {
  const v = newVector(type, length);
  v.nulls = new Uint8Array(length).fill(1);
  return v;
}

export function isNullAt(v: Vector, row: number): boolean {
  return v.nulls !== null && v.nulls[row] === 1;
}

function gatherNulls(nulls: Uint8Array | null, idx: ArrayLike<number>, n: number): Uint8Array | null {
  if (nulls === null) return null;
  const out = new Uint8Array(n);
  let any = 0;
  for (let i = 0; i < n; i++) any |= out[i] = nulls[idx[i]];
  return any ? out : null;
}

/** Rows idx[0..n) of v, in that order (a selection applied, or join output rows). */
export function gatherVector(v: Vector, idx: ArrayLike<number>, n = idx.length): Vector {
  const nulls = gatherNulls(v.nulls, idx, n);
  switch (v.kind) {
    case 'bool': {
      const values = new Uint8Array(n);
      for (let i = 0; i < n; i++) values[i] = v.values[idx[i]];
      return { kind: 'bool', type: v.type, length: n, nulls, values };
    }
    case 'int32': {
      const values = new Int32Array(n);
      for (let i = 0; i < n; i++) values[i] = v.values[idx[i]];
      return { kind: 'int32', type: v.type, length: n, nulls, values };
    }
    case 'int64':
    case 'float64':
    case 'timestamp': {
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) values[i] = v.values[idx[i]];
      return { kind: v.kind, type: v.type, length: n, nulls, values };
    }
    case 'numeric': {
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) values[i] = v.values[idx[i]];
      let dscale: Uint8Array | null = null;
      if (v.dscale !== null) {
        dscale = new Uint8Array(n);
        for (let i = 0; i < n; i++) dscale[i] = v.dscale[idx[i]];
      }
      let wide: (bigint | undefined)[] | null = null;
      if (v.wide !== null) {
        wide = new Array(n);
        for (let i = 0; i < n; i++) wide[i] = v.wide[idx[i]];
      }
      return { kind: 'numeric', type: v.type, length: n, nulls, values, scale: v.scale, dscale, wide };
    }
    case 'string': {
      const codes = new Int32Array(n);
      for (let i = 0; i < n; i++) codes[i] = v.codes[idx[i]];
      return { kind: 'string', type: v.type, length: n, nulls, codes, dict: v.dict };
    }
    case 'interval': {
      const months = new Int32Array(n);
      const days = new Int32Array(n);
      const micros = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const j = idx[i];
        months[i] = v.months[j];
        days[i] = v.days[j];
        micros[i] = v.micros[j];
      }
      return { kind: 'interval', type: v.type, length: n, nulls, months, days, micros };
    }
  }
}

/** Rows [start, end) of v; shares the underlying buffers (no copy). */
export function sliceVector(v: Vector, start: number, end: number): Vector {
  const n = end - start;
  const nulls = v.nulls === null ? null : v.nulls.subarray(start, end);
  switch (v.kind) {
    case 'bool':
      return { kind: 'bool', type: v.type, length: n, nulls, values: v.values.subarray(start, end) };
    case 'int32':
      return { kind: 'int32', type: v.type, length: n, nulls, values: v.values.subarray(start, end) };
    case 'int64':
    case 'float64':
    case 'timestamp':
      return { kind: v.kind, type: v.type, length: n, nulls, values: v.values.subarray(start, end) };
    case 'numeric':
      return {
        kind: 'numeric',
        type: v.type,
        length: n,
        nulls,
        values: v.values.subarray(start, end),
        scale: v.scale,
        dscale: v.dscale === null ? null : v.dscale.subarray(start, end),
        wide: v.wide === null ? null : v.wide.slice(start, end),
      };
    case 'string':
      return { kind: 'string', type: v.type, length: n, nulls, codes: v.codes.subarray(start, end), dict: v.dict };
    case 'interval':
      return {
        kind: 'interval',
        type: v.type,
        length: n,
        nulls,
        months: v.months.subarray(start, end),
        days: v.days.subarray(start, end),
        micros: v.micros.subarray(start, end),
      };
  }
}

/** The batch with its selection applied (every column gathered), or the batch itself when it has none. */
export function compactBatch(batch: Batch): Batch {
  const sel = batch.selection;
  if (sel === undefined) return batch;
  return { length: sel.length, columns: batch.columns.map((c) => gatherVector(c, sel)) };
}

/** Power of ten as a float (exact up to 10^22). */
export function pow10(n: number): number {
  return POW10[n] ?? Math.pow(10, n);
}
const POW10: number[] = [];
for (let i = 0; i <= 22; i++) POW10.push(Math.pow(10, i));

/** Row `row` of v as a Scalar (slow path: constants, RETURNING, tests). */
export function getScalar(v: Vector, row: number): Scalar {
  if (v.nulls !== null && v.nulls[row] === 1) return null;
  switch (v.kind) {
    case 'bool':
      return v.values[row] === 1;
    case 'int32':
    case 'int64':
    case 'float64':
    case 'timestamp':
      return v.values[row];
    case 'numeric': {
      const scale = v.scale;
      const wide = v.wide !== null ? v.wide[row] : undefined;
      const digits = wide !== undefined ? wide : BigInt(v.values[row]);
      const dscale = v.dscale !== null ? v.dscale[row] : scale;
      return decimalWithDisplayScale(digits, scale, dscale);
    }
    case 'string':
      return v.dict[v.codes[row]];
    case 'interval':
      return { months: v.months[row], days: v.days[row], micros: v.micros[row] } satisfies Interval;
  }
}

/** A Decimal whose digits are rescaled so that scale = dscale (dscale <= scale drops zeros only). */
function decimalWithDisplayScale(digits: bigint, scale: number, dscale: number): Decimal {
  if (dscale === scale) return { decimal: true, digits, scale };
  if (dscale > scale) return { decimal: true, digits: digits * 10n ** BigInt(dscale - scale), scale: dscale };
  return { decimal: true, digits: digits / 10n ** BigInt(scale - dscale), scale: dscale };
}

/** Builds a vector from scalars (slow path: VALUES, RETURNING, parameters). Numeric scale = max of the values'. */
export function vectorFromScalars(type: DataType, values: Scalar[]): Vector {
  const n = values.length;
  if (type.storage === 'numeric') {
    let scale = Math.max(0, numericScale(type));
    if (numericScale(type) < 0) for (const x of values) if (x !== null && isDecimal(x)) scale = Math.max(scale, x.scale);
    const v = newVector(type, n, scale) as NumericVector;
    let varying = false;
    for (let i = 0; i < n; i++) {
      const x = values[i];
      if (x === null) continue;
      const d = x as Decimal;
      if (d.scale !== scale) varying = true;
    }
    if (varying) v.dscale = new Uint8Array(n).fill(scale);
    for (let i = 0; i < n; i++) {
      const x = values[i];
      if (x === null) {
        (v.nulls ??= new Uint8Array(n))[i] = 1;
        continue;
      }
      const d = x as Decimal;
      const scaled = d.digits * 10n ** BigInt(scale - d.scale);
      if (scaled <= 9007199254740991n && scaled >= -9007199254740991n) v.values[i] = Number(scaled);
      else {
        v.values[i] = NaN;
        (v.wide ??= new Array(n))[i] = scaled;
      }
      if (v.dscale !== null) v.dscale[i] = d.scale;
    }
    return v;
  }
  const v = newVector(type, n);
  if (v.kind === 'string') {
    const index = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const x = values[i];
      if (x === null) {
        (v.nulls ??= new Uint8Array(n))[i] = 1;
        continue;
      }
      const s = x as string;
      let code = index.get(s);
      if (code === undefined) {
        code = v.dict.length;
        v.dict.push(s);
        index.set(s, code);
      }
      v.codes[i] = code;
    }
    return v;
  }
  for (let i = 0; i < n; i++) {
    const x = values[i];
    if (x === null) {
      (v.nulls ??= new Uint8Array(n))[i] = 1;
      continue;
    }
    switch (v.kind) {
      case 'bool':
        v.values[i] = x ? 1 : 0;
        break;
      case 'int32':
      case 'int64':
      case 'float64':
      case 'timestamp':
        v.values[i] = x as number;
        break;
      case 'interval': {
        const iv = x as Interval;
        v.months[i] = iv.months;
        v.days[i] = iv.days;
        v.micros[i] = iv.micros;
        break;
      }
    }
  }
  return v;
}

/**
 * Concatenates vectors of one type. String dictionaries are merged (codes remapped); numeric
 * vectors are brought to the largest scale.
 */
export function concatVectors(type: DataType, parts: Vector[]): Vector {
  if (parts.length === 1) return parts[0];
  let n = 0;
  for (const p of parts) n += p.length;
  let anyNull = false;
  for (const p of parts) if (p.nulls !== null) anyNull = true;
  let nulls: Uint8Array | null = null;
  if (anyNull) {
    nulls = new Uint8Array(n);
    let off = 0;
    for (const p of parts) {
      if (p.nulls !== null) nulls.set(p.nulls, off);
      off += p.length;
    }
  }
  if (type.storage === 'string') {
    const dict: string[] = [];
    const codes = new Int32Array(n);
    const index = new Map<string, number>();
    let off = 0;
    let sharedDict: string[] | null = (parts[0] as StringVector).dict;
    for (const p of parts) if ((p as StringVector).dict !== sharedDict) sharedDict = null;
    if (sharedDict !== null) {
      for (const p of parts) {
        codes.set((p as StringVector).codes, off);
        off += p.length;
      }
      return { kind: 'string', type, length: n, nulls, codes, dict: sharedDict };
    }
    for (const p of parts) {
      const sv = p as StringVector;
      const remap = new Int32Array(sv.dict.length).fill(-1);
      for (let i = 0; i < sv.length; i++) {
        if (sv.nulls !== null && sv.nulls[i] === 1) continue;
        const c = sv.codes[i];
        let m = remap[c];
        if (m === -1) {
          const s = sv.dict[c];
          let existing = index.get(s);
          if (existing === undefined) {
            existing = dict.length;
            dict.push(s);
            index.set(s, existing);
          }
          m = remap[c] = existing;
        }
        codes[off + i] = m;
      }
      off += sv.length;
    }
    return { kind: 'string', type, length: n, nulls, codes, dict };
  }
  if (type.storage === 'numeric') {
    let scale = 0;
    let varying = false;
    for (const p of parts) scale = Math.max(scale, (p as NumericVector).scale);
    for (const p of parts) if ((p as NumericVector).scale !== scale || (p as NumericVector).dscale !== null) varying = true;
    const out = newVector(type, n, scale) as NumericVector;
    out.nulls = nulls;
    if (varying) out.dscale = new Uint8Array(n);
    let off = 0;
    for (const p of parts) {
      const nv = p as NumericVector;
      const factor = pow10(scale - nv.scale);
      for (let i = 0; i < nv.length; i++) {
        const w = nv.wide !== null ? nv.wide[i] : undefined;
        if (w !== undefined) {
          (out.wide ??= new Array(n))[off + i] = w * 10n ** BigInt(scale - nv.scale);
          out.values[off + i] = NaN;
        } else {
          const scaled = nv.values[i] * factor;
          if (Math.abs(scaled) <= Number.MAX_SAFE_INTEGER) out.values[off + i] = scaled;
          else {
            (out.wide ??= new Array(n))[off + i] = BigInt(nv.values[i]) * 10n ** BigInt(scale - nv.scale);
            out.values[off + i] = NaN;
          }
        }
        if (out.dscale !== null) out.dscale[off + i] = nv.dscale !== null ? nv.dscale[i] : nv.scale;
      }
      off += nv.length;
    }
    return out;
  }
  const out = newVector(type, n);
  out.nulls = nulls;
  let off = 0;
  for (const p of parts) {
    switch (out.kind) {
      case 'bool':
      case 'int32':
      case 'int64':
      case 'float64':
      case 'timestamp':
        (out.values as Uint8Array).set((p as typeof out).values as Uint8Array, off);
        break;
      case 'interval': {
        const iv = p as typeof out;
        out.months.set(iv.months, off);
        out.days.set(iv.days, off);
        out.micros.set(iv.micros, off);
        break;
      }
    }
    off += p.length;
  }
  return out;
}
