// Builds one vector from pieces that each cover some rows (CASE branches, COALESCE choices):
// the piece's k-th chosen row (src[k], or k) goes to output row rows[k] (or k). Rows no piece covers are NULL.
import { DataType } from '../../types/data-type';
import { NumericVector, StringVector, Vector } from '../../types/vector';
import { newVector, pow10 } from '../../types/vector-ops';

export interface Piece {
  vector: Vector;
  /** Output row of each chosen row; null = the identity (k → output row k). */
  rows: ArrayLike<number> | null;
  /** Row of `vector` for each chosen row; null/absent = k. */
  src?: ArrayLike<number> | null;
}

export function assembleVector(type: DataType, n: number, pieces: readonly Piece[]): Vector {
  const nulls = new Uint8Array(n).fill(1);
  let out: Vector;
  if (type.storage === 'numeric') out = assembleNumeric(type, n, pieces, nulls);
  else if (type.storage === 'string') out = assembleStrings(type, n, pieces, nulls);
  else {
    out = newVector(type, n);
    for (const p of pieces) {
      const v = p.vector;
      const rows = p.rows;
      const src = p.src ?? null;
      const m = rows !== null ? rows.length : src !== null ? src.length : v.length;
      const vn = v.nulls;
      switch (out.kind) {
        case 'bool':
        case 'int32':
        case 'int64':
        case 'float64':
        case 'timestamp': {
          const vals = (v as { values: ArrayLike<number> }).values;
          const dst = out.values;
          for (let k = 0; k < m; k++) {
            const r = rows === null ? k : rows[k];
            const j = src === null ? k : src[k];
            dst[r] = vals[j];
            nulls[r] = vn === null ? 0 : vn[j];
          }
          break;
        }
        case 'interval': {
          const iv = v as typeof out;
          for (let k = 0; k < m; k++) {
            const r = rows === null ? k : rows[k];
            const j = src === null ? k : src[k];
            out.months[r] = iv.months[j];
            out.days[r] = iv.days[j];
            out.micros[r] = iv.micros[j];
            nulls[r] = vn === null ? 0 : vn[j];
          }
          break;
        }
      }
    }
  }
  let any = false;
  for (let i = 0; i < n; i++)
    if (nulls[i] === 1) {
      any = true;
      break;
    }
  out.nulls = any ? nulls : null;
  return out;
}

function assembleStrings(type: DataType, n: number, pieces: readonly Piece[], nulls: Uint8Array): StringVector {
  const codes = new Int32Array(n);
  let shared: string[] | null = pieces.length > 0 ? (pieces[0].vector as StringVector).dict : [];
  for (const p of pieces) if ((p.vector as StringVector).dict !== shared) shared = null;
  const dict: string[] = shared ?? [];
  const index = shared === null ? new Map<string, number>() : null;
  for (const p of pieces) {
    const v = p.vector as StringVector;
    const rows = p.rows;
    const src = p.src ?? null;
      const m = rows !== null ? rows.length : src !== null ? src.length : v.length;
    const vn = v.nulls;
    let remap: Int32Array | null = null;
    if (index !== null) remap = new Int32Array(v.dict.length).fill(-1);
    for (let k = 0; k < m; k++) {
      const r = rows === null ? k : rows[k];
      const j = src === null ? k : src[k];
      if (vn !== null && vn[j] === 1) {
        nulls[r] = 1;
        continue;
      }
      nulls[r] = 0;
      let c = v.codes[j];
      if (remap !== null) {
        let mc = remap[c];
        if (mc === -1) {
          const s = v.dict[c];
          let e = index!.get(s);
          if (e === undefined) {
            e = dict.length;
            dict.push(s);
            index!.set(s, e);
          }
          mc = remap[c] = e;
        }
        c = mc;
      }
      codes[r] = c;
    }
  }
  return { kind: 'string', type, length: n, nulls, codes, dict };
}

function assembleNumeric(type: DataType, n: number, pieces: readonly Piece[], nulls: Uint8Array): NumericVector {
  let scale = 0;
  let varying = false;
  for (const p of pieces) scale = Math.max(scale, (p.vector as NumericVector).scale);
  for (const p of pieces) {
    const v = p.vector as NumericVector;
    if (v.scale !== scale || v.dscale !== null) varying = true;
  }
  const out = newVector(type, n, scale) as NumericVector;
  if (varying) out.dscale = new Uint8Array(n).fill(scale);
  for (const p of pieces) {
    const v = p.vector as NumericVector;
    const rows = p.rows;
    const src = p.src ?? null;
      const m = rows !== null ? rows.length : src !== null ? src.length : v.length;
    const vn = v.nulls;
    const f = pow10(scale - v.scale);
    for (let k = 0; k < m; k++) {
      const r = rows === null ? k : rows[k];
      const j = src === null ? k : src[k];
      if (vn !== null && vn[j] === 1) {
        nulls[r] = 1;
        continue;
      }
      nulls[r] = 0;
      const w = v.wide !== null ? v.wide[j] : undefined;
      const x = v.values[j] * f;
      if (w === undefined && Math.abs(x) <= Number.MAX_SAFE_INTEGER) out.values[r] = x;
      else {
        out.values[r] = NaN;
        (out.wide ??= new Array(n))[r] = (w ?? BigInt(v.values[j])) * 10n ** BigInt(scale - v.scale);
      }
      if (out.dscale !== null) out.dscale[r] = v.dscale !== null ? v.dscale[j] : v.scale;
    }
  }
  return out;
}
