// Vectors whose typed arrays live in SharedArrayBuffers: posting one to a worker thread shares the
// memory instead of copying it (parallel query reads the buffer pool's chunks from every worker).
// String dictionaries stay JS arrays (they cannot be shared); numeric's rare `wide` values too.
import { Vector } from './vector';

type Typed = Uint8Array | Int32Array | Float64Array;

function isSharedArray(a: Typed | null): boolean {
  return a === null || a.buffer instanceof SharedArrayBuffer;
}

function shareArray<T extends Typed>(a: T): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const Ctor = a.constructor as { new (buffer: SharedArrayBuffer): T };
  const out = new Ctor(new SharedArrayBuffer(a.byteLength));
  out.set(a as never);
  return out;
}

/** True when every typed array of the vector is in shared memory. */
export function isSharedVector(v: Vector): boolean {
  if (!isSharedArray(v.nulls)) return false;
  switch (v.kind) {
    case 'string':
      return isSharedArray(v.codes);
    case 'interval':
      return isSharedArray(v.months) && isSharedArray(v.days) && isSharedArray(v.micros);
    case 'numeric':
      return isSharedArray(v.values) && isSharedArray(v.dscale);
    default:
      return isSharedArray(v.values);
  }
}

/** The vector itself when already shared, else a copy whose typed arrays are in shared memory. */
export function shareVector(v: Vector): Vector {
  if (isSharedVector(v)) return v;
  const nulls = v.nulls === null ? null : shareArray(v.nulls);
  switch (v.kind) {
    case 'string':
      return { ...v, nulls, codes: shareArray(v.codes) };
    case 'interval':
      return { ...v, nulls, months: shareArray(v.months), days: shareArray(v.days), micros: shareArray(v.micros) };
    case 'numeric':
      return { ...v, nulls, values: shareArray(v.values), dscale: v.dscale === null ? null : shareArray(v.dscale) };
    case 'bool':
      return { ...v, nulls, values: shareArray(v.values) };
    case 'int32':
      return { ...v, nulls, values: shareArray(v.values) };
    default:
      return { ...v, nulls, values: shareArray(v.values) };
  }
}
