// Binary wire format (PostgreSQL's typsend/typrecv) for the types where it is simple; the rest
// answer 0A000 until binary support for them is added (numeric, interval).
import { DataType } from '../types/data-type';
import { SqlError, SqlState } from '../types/sql-error';
import { fitCharLength } from '../types/text-format';
import { Scalar, Vector } from '../types/vector';
import { MessageWriter } from './message-writer';

const BINARY = new Set(['bool', 'int2', 'int4', 'int8', 'float4', 'float8', 'text', 'varchar', 'bpchar', 'name', 'unknown', 'date', 'timestamp', 'timestamptz']);
/** PostgreSQL's epoch (2000-01-01) in days after ours (1970-01-01). */
const PG_EPOCH_DAYS = 10957;
const PG_EPOCH_MICROS = PG_EPOCH_DAYS * 86400e6;

/** Text-stored types whose binary form is their text's bytes ("char" included; not the catalogs' arrays). */
const TEXT_LIKE_OIDS = new Set([18, 19, 25, 705, 1042, 1043]);

export function supportsBinary(t: DataType): boolean {
  return BINARY.has(t.name) && (t.storage !== 'string' || TEXT_LIKE_OIDS.has(t.oid));
}

export function binaryNotSupported(t: DataType, direction: 'input' | 'output'): SqlError {
  return new SqlError(SqlState.featureNotSupported, `binary ${direction} of type ${t.name} is not supported`);
}

/** Writes one DataRow cell of a column whose type supportsBinary(): int32 length + bytes, or -1. */
export function writeBinaryCell(w: MessageWriter, v: Vector, row: number): void {
  if (v.nulls !== null && v.nulls[row] === 1) {
    w.int32(-1);
    return;
  }
  switch (v.kind) {
    case 'bool':
      w.int32(1).int8(v.values[row] === 1 ? 1 : 0);
      return;
    case 'int32':
      if (v.type.name === 'int2') w.int32(2).int16(v.values[row]);
      else if (v.type.name === 'date') w.int32(4).int32(v.values[row] - PG_EPOCH_DAYS);
      else w.int32(4).int32(v.values[row]);
      return;
    case 'int64':
      if (v.type.oid === 26) {
        // oid (stored like int8): PostgreSQL sends 4 bytes, unsigned.
        const b = Buffer.allocUnsafe(4);
        b.writeUInt32BE(v.values[row] >>> 0);
        w.int32(4).bytes(b);
      } else w.int32(8).bytes(int64Bytes(v.values[row]));
      return;
    case 'float64': {
      const b = Buffer.allocUnsafe(v.type.name === 'float4' ? 4 : 8);
      if (b.length === 4) b.writeFloatBE(v.values[row]);
      else b.writeDoubleBE(v.values[row]);
      w.int32(b.length).bytes(b);
      return;
    }
    case 'timestamp':
      w.int32(8).bytes(int64Bytes(Math.round(v.values[row] - PG_EPOCH_MICROS)));
      return;
    case 'string':
      w.cell(v.dict[v.codes[row]]);
      return;
    default:
      throw binaryNotSupported(v.type, 'output');
  }
}

function int64Bytes(x: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigInt64BE(BigInt(x));
  return b;
}

function checkLength(b: Buffer, n: number, param: number): void {
  if (b.length !== n) throw new SqlError('22P03' as SqlError['code'], `incorrect binary data format in bind parameter ${param}`);
}

/** Decodes a binary Bind parameter (1-based `param` for error messages). */
export function decodeBinaryParam(b: Buffer, t: DataType, param: number): Scalar {
  switch (t.name) {
    case 'bool':
      checkLength(b, 1, param);
      return b[0] !== 0;
    case 'int2':
      checkLength(b, 2, param);
      return b.readInt16BE(0);
    case 'int4':
      checkLength(b, 4, param);
      return b.readInt32BE(0);
    case 'int8': {
      checkLength(b, 8, param);
      const v = b.readBigInt64BE(0);
      // int8 values live in a Float64Array: beyond 2^53 they would silently lose precision.
      if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER))
        throw new SqlError(SqlState.numericValueOutOfRange, `bigint value ${v} in bind parameter ${param} is beyond the supported range (±2^53)`);
      return Number(v);
    }
    case 'float4':
      checkLength(b, 4, param);
      return b.readFloatBE(0);
    case 'float8':
      checkLength(b, 8, param);
      return b.readDoubleBE(0);
    case 'date':
      checkLength(b, 4, param);
      return b.readInt32BE(0) + PG_EPOCH_DAYS;
    case 'timestamp':
    case 'timestamptz':
      checkLength(b, 8, param);
      return Number(b.readBigInt64BE(0)) + PG_EPOCH_MICROS;
    case 'varchar':
    case 'bpchar':
      return fitCharLength(t, b.toString('utf8'), false);
    case 'text':
    case 'name':
    case 'unknown':
      return b.toString('utf8');
    default:
      throw binaryNotSupported(t, 'input');
  }
}
