// Binary wire format (send/recv functions) for the types where it is simple; the rest answer 0A000
// until the client-compatibility work adds them.
import { DataType } from '../types/data-type';
import { SqlError, SqlState } from '../types/sql-error';
import { Scalar, Vector } from '../types/vector';
import { getScalar } from '../types/vector-ops';

const BINARY = new Set(['bool', 'int2', 'int4', 'int8', 'float4', 'float8', 'text', 'varchar', 'bpchar', 'name', 'date', 'timestamp', 'timestamptz']);
/** PostgreSQL's epoch (2000-01-01) relative to ours (1970-01-01). */
const PG_EPOCH_DAYS = 10957;
const PG_EPOCH_MICROS = PG_EPOCH_DAYS * 86400e6;

export function supportsBinary(t: DataType): boolean {
  return BINARY.has(t.name);
}

export function encodeBinaryCell(v: Vector, row: number, t: DataType): Buffer | null {
  const x = getScalar(v, row);
  if (x === null) return null;
  switch (t.name) {
    case 'bool':
      return Buffer.from([x ? 1 : 0]);
    case 'int2': {
      const b = Buffer.alloc(2);
      b.writeInt16BE(x as number);
      return b;
    }
    case 'int4': {
      const b = Buffer.alloc(4);
      b.writeInt32BE(x as number);
      return b;
    }
    case 'int8': {
      const b = Buffer.alloc(8);
      b.writeBigInt64BE(BigInt(x as number));
      return b;
    }
    case 'float4': {
      const b = Buffer.alloc(4);
      b.writeFloatBE(x as number);
      return b;
    }
    case 'float8': {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(x as number);
      return b;
    }
    case 'date': {
      const b = Buffer.alloc(4);
      b.writeInt32BE((x as number) - PG_EPOCH_DAYS);
      return b;
    }
    case 'timestamp':
    case 'timestamptz': {
      const b = Buffer.alloc(8);
      b.writeBigInt64BE(BigInt(Math.round((x as number) - PG_EPOCH_MICROS)));
      return b;
    }
    default:
      if (BINARY.has(t.name)) return Buffer.from(String(x), 'utf8');
      throw new SqlError(SqlState.featureNotSupported, `binary output of type ${t.name} is not supported yet`);
  }
}

export function decodeBinaryParam(b: Buffer, t: DataType): Scalar {
  switch (t.name) {
    case 'bool':
      return b[0] !== 0;
    case 'int2':
      return b.readInt16BE(0);
    case 'int4':
      return b.readInt32BE(0);
    case 'int8':
      return Number(b.readBigInt64BE(0));
    case 'float4':
      return b.readFloatBE(0);
    case 'float8':
      return b.readDoubleBE(0);
    case 'date':
      return b.readInt32BE(0) + PG_EPOCH_DAYS;
    case 'timestamp':
    case 'timestamptz':
      return Number(b.readBigInt64BE(0)) + PG_EPOCH_MICROS;
    case 'text':
    case 'varchar':
    case 'bpchar':
    case 'name':
      return b.toString('utf8');
    default:
      throw new SqlError(SqlState.featureNotSupported, `binary input of type ${t.name} is not supported yet`);
  }
}
