// Decoder of version-1 column chunks (written before per-chunk compression), so data directories
// made by earlier builds keep working. Layout after the common header (u8 version, u8 kind, u32 rows):
//   u8 hasNulls | [rows bytes of nulls] | payload | u32 checksum
// Payloads: fixed-width values as raw typed-array bytes; strings as a deflated JSON dictionary plus
// i32 codes; numerics with their scale, per-row display scales, wide values as JSON, then values.
import { inflateSync } from 'fflate';
import { DataType } from '../types/data-type';
import { Vector } from '../types/vector';
import { newVector } from '../types/vector-ops';
import { ByteReader } from './byte-io';

/** Decodes the body of a v1 chunk; r is positioned just after the row count. */
export function decodeChunkV1(r: ByteReader, n: number, type: DataType): Vector {
  const nulls = r.u8() === 1 ? r.bytes(n) : null;
  const v = newVector(type, n);
  v.nulls = nulls;
  switch (v.kind) {
    case 'bool':
      v.values = r.bytes(n);
      break;
    case 'int32':
      v.values = new Int32Array(r.bytes(n * 4).buffer);
      break;
    case 'int64':
    case 'float64':
    case 'timestamp':
      v.values = new Float64Array(r.bytes(n * 8).buffer);
      break;
    case 'numeric': {
      v.scale = r.i32();
      if (r.u8() === 1) v.dscale = r.bytes(n);
      const wide = JSON.parse(Buffer.from(r.blob()).toString()) as [number, string][];
      if (wide.length > 0) {
        v.wide = new Array(n);
        for (const [i, s] of wide) v.wide[i] = BigInt(s);
      }
      v.values = new Float64Array(r.bytes(n * 8).buffer);
      break;
    }
    case 'string':
      v.dict = JSON.parse(Buffer.from(inflateSync(r.blob())).toString()) as string[];
      v.codes = new Int32Array(r.bytes(n * 4).buffer);
      break;
    case 'interval':
      v.months = new Int32Array(r.bytes(n * 4).buffer);
      v.days = new Int32Array(r.bytes(n * 4).buffer);
      v.micros = new Float64Array(r.bytes(n * 8).buffer);
      break;
  }
  return v;
}
