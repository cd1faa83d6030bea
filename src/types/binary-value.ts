// Binary format of values: PostgreSQL's typsend/typrecv layouts for every type Tessera has, used for
// DataRow cells of binary result columns and binary Bind parameters (src/wire) and for
// COPY … (FORMAT binary) (src/engine).
//   bool: 1 byte; int2/int4/int8, float4/float8: big-endian; date: int32 days since 2000-01-01;
//   timestamp(tz): int64 microseconds since 2000-01-01 (UTC for timestamptz);
//   interval: int64 micros, int32 days, int32 months; numeric: int16 ndigits, weight, sign, dscale,
//   then ndigits base-10000 digits; text types and json: UTF-8; bytea: the bytes; uuid: 16 bytes;
//   jsonb: version byte 1 then the text.
import { DataType, numericScale } from './data-type';
import { SqlError, SqlState } from './sql-error';
import { fitCharLength } from './text-format';
import { decimalToString, fitTypmod } from './numeric';
import { byteaFromBuffer, byteaToBuffer, uuidFromBuffer, uuidToBuffer } from './bytea-uuid';
import { jsonIn, jsonbIn } from './json';
import { Decimal, Interval, Scalar, Vector } from './vector';
import { getScalar } from './vector-ops';
import { elementText, elementValue, formatArray, parseArrayLiteral } from './array-text';

export const BINARY_TYPES = new Set([
  'bool', 'int2', 'int4', 'int8', 'float4', 'float8', 'numeric', 'text', 'varchar', 'bpchar', 'name', 'unknown',
  'date', 'timestamp', 'timestamptz', 'interval', 'bytea', 'uuid', 'json', 'jsonb',
]);
/** PostgreSQL's epoch (2000-01-01) in days after ours (1970-01-01). */
export const PG_EPOCH_DAYS = 10957;
const PG_EPOCH_MICROS = PG_EPOCH_DAYS * 86400e6;
const NUMERIC_POS = 0x0000;
const NUMERIC_NEG = 0x4000;
const NUMERIC_NAN = 0xc000;

/** Text-stored types whose binary form is their text's bytes ("char" included; not the catalogs' arrays kept as text). */
const TEXT_LIKE_OIDS = new Set([18, 19, 25, 705, 1042, 1043]);
const STRING_STORED_WITH_OWN_BINARY = new Set(['bytea', 'uuid', 'json', 'jsonb']);

export function supportsBinary(t: DataType): boolean {
  if (t.name === 'array') return supportsBinary(t.elem!);
  return BINARY_TYPES.has(t.name) && (t.storage !== 'string' || TEXT_LIKE_OIDS.has(t.oid) || STRING_STORED_WITH_OWN_BINARY.has(t.name));
}

export function binaryNotSupported(t: DataType, direction: 'input' | 'output'): SqlError {
  return new SqlError(SqlState.featureNotSupported, `binary ${direction} of type ${t.name} is not supported`);
}

/** The binary send form of one non-NULL value (for COPY binary and the less common DataRow cells). */
export function binaryValue(t: DataType, value: Scalar): Buffer {
  switch (t.name) {
    case 'bool':
      return Buffer.from([value ? 1 : 0]);
    case 'int2': {
      const b = Buffer.allocUnsafe(2);
      b.writeInt16BE(value as number);
      return b;
    }
    case 'int4': {
      const b = Buffer.allocUnsafe(4);
      b.writeInt32BE(value as number);
      return b;
    }
    case 'date': {
      const b = Buffer.allocUnsafe(4);
      b.writeInt32BE((value as number) - PG_EPOCH_DAYS);
      return b;
    }
    case 'int8':
      if (t.oid === 26) {
        // oid is stored like int8 but sent as PostgreSQL does: 4 bytes, unsigned.
        const b = Buffer.allocUnsafe(4);
        b.writeUInt32BE((value as number) >>> 0);
        return b;
      }
      return int64Bytes(value as number);
    case 'float4': {
      const b = Buffer.allocUnsafe(4);
      b.writeFloatBE(value as number);
      return b;
    }
    case 'float8': {
      const b = Buffer.allocUnsafe(8);
      b.writeDoubleBE(value as number);
      return b;
    }
    case 'timestamp':
    case 'timestamptz':
      return int64Bytes(Math.round((value as number) - PG_EPOCH_MICROS));
    case 'interval': {
      const iv = value as Interval;
      const b = Buffer.allocUnsafe(16);
      b.writeBigInt64BE(BigInt(Math.round(iv.micros)), 0);
      b.writeInt32BE(iv.days, 8);
      b.writeInt32BE(iv.months, 12);
      return b;
    }
    case 'numeric':
      return numericSend(decimalToString(value as Decimal));
    case 'bytea':
      return byteaToBuffer(value as string);
    case 'uuid':
      return uuidToBuffer(value as string);
    case 'jsonb':
      return Buffer.concat([Buffer.from([1]), Buffer.from(value as string, 'utf8')]);
    case 'array':
      return arraySend(t, value as string);
    default:
      return Buffer.from(value as string, 'utf8');
  }
}

/** The binary form of a cell of a vector, or null for NULL (COPY binary). */
export function binaryCell(v: Vector, row: number): Buffer | null {
  if (v.nulls !== null && v.nulls[row] === 1) return null;
  if (v.kind === 'string') return binaryValue(v.type, v.dict[v.codes[row]]);
  return binaryValue(v.type, getScalar(v, row));
}

function int64Bytes(x: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigInt64BE(BigInt(x));
  return b;
}

/**
 * numeric_send from the value's text ('-12.340'): base-10000 digits around the decimal point,
 * without leading or trailing zero groups; dscale is the number of fraction digits shown.
 */
export function numericSend(text: string): Buffer {
  const len = text.length;
  const neg = text.charCodeAt(0) === 45;
  const first = neg ? 1 : 0;
  let dot = text.indexOf('.', first);
  if (dot < 0) dot = len;
  const dscale = dot === len ? 0 : len - dot - 1;
  // Digit at power 10^e goes to group floor(e/4) (group 0 = units … 9999), weighted 10^(e mod 4).
  const top = Math.floor((dot - first - 1) / 4);
  const bottom = Math.floor(-dscale / 4);
  const groups = new Array<number>(Math.max(0, top - bottom + 1)).fill(0);
  for (let i = first; i < len; i++) {
    if (i === dot) continue;
    const d = text.charCodeAt(i) - 48;
    if (d === 0) continue;
    const e = i < dot ? dot - 1 - i : dot - i;
    const g = Math.floor(e / 4);
    groups[top - g] += d * POW10[e - 4 * g];
  }
  let firstGroup = 0;
  while (firstGroup < groups.length && groups[firstGroup] === 0) firstGroup++;
  let lastGroup = groups.length;
  while (lastGroup > firstGroup && groups[lastGroup - 1] === 0) lastGroup--;
  const n = lastGroup - firstGroup;
  const b = Buffer.allocUnsafe(8 + n * 2);
  b.writeInt16BE(n, 0);
  b.writeInt16BE(n === 0 ? 0 : top - firstGroup, 2);
  b.writeUInt16BE(n > 0 && neg ? NUMERIC_NEG : NUMERIC_POS, 4);
  b.writeInt16BE(dscale, 6);
  for (let i = 0; i < n; i++) b.writeInt16BE(groups[firstGroup + i], 8 + i * 2);
  return b;
}

const POW10 = [1, 10, 100, 1000];

function badBinary(param: number | null): SqlError {
  return new SqlError(SqlState.invalidBinaryRepresentation, param === null ? 'incorrect binary data format' : `incorrect binary data format in bind parameter ${param}`);
}

/** numeric_recv: back to an exact Decimal with the sent display scale. */
export function numericRecv(b: Buffer, param: number | null): Decimal {
  if (b.length < 8) throw insufficientData();
  const ndigits = b.readInt16BE(0);
  const weight = b.readInt16BE(2);
  const sign = b.readUInt16BE(4);
  const dscale = b.readInt16BE(6);
  if (ndigits < 0) throw new SqlError(SqlState.invalidBinaryRepresentation, 'invalid length in external "numeric" value');
  if (sign === NUMERIC_NAN) throw new SqlError(SqlState.featureNotSupported, 'numeric NaN is not supported');
  if (sign !== NUMERIC_POS && sign !== NUMERIC_NEG) throw new SqlError(SqlState.invalidBinaryRepresentation, 'invalid sign in external "numeric" value');
  if (dscale < 0) throw new SqlError(SqlState.invalidBinaryRepresentation, 'invalid scale in external "numeric" value');
  let digits = 0n;
  for (let i = 0; i < ndigits; i++) {
    if (b.length < 10 + i * 2) throw insufficientData();
    const d = b.readInt16BE(8 + i * 2);
    if (d < 0 || d > 9999) throw new SqlError(SqlState.invalidBinaryRepresentation, 'invalid digit in external "numeric" value');
    digits = digits * 10000n + BigInt(d);
  }
  if (b.length > 8 + ndigits * 2) throw badBinary(param);
  // digits holds the value × 10^(4·(ndigits − weight − 1)); bring it to dscale fraction digits.
  let scale = 4 * (ndigits - weight - 1);
  if (scale < dscale) {
    digits *= 10n ** BigInt(dscale - scale);
    scale = dscale;
  } else if (scale > dscale) {
    digits /= 10n ** BigInt(scale - dscale);
    scale = dscale;
  }
  return { decimal: true, digits: sign === NUMERIC_NEG ? -digits : digits, scale };
}

/** PostgreSQL's checks around a typrecv: too little data is a protocol error, leftover data a 22P03. */
function checkLength(b: Buffer, n: number, param: number | null): void {
  if (b.length < n) throw insufficientData();
  if (b.length > n) throw badBinary(param);
}

function insufficientData(): SqlError {
  return new SqlError(SqlState.protocolViolation, 'insufficient data left in message');
}

/** Decodes a binary Bind parameter or COPY binary field (1-based `param` for error messages). */
export function decodeBinaryParam(b: Buffer, t: DataType, param: number | null): Scalar {
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
        throw new SqlError(SqlState.numericValueOutOfRange, `bigint value ${v} ${param === null ? '' : `in bind parameter ${param} `}is beyond the supported range (±2^53)`);
      return Number(v);
    }
    case 'float4':
      checkLength(b, 4, param);
      return b.readFloatBE(0);
    case 'float8':
      checkLength(b, 8, param);
      return b.readDoubleBE(0);
    case 'numeric': {
      const d = numericRecv(b, param);
      return numericScale(t) >= 0 ? fitTypmod(d, t) : d;
    }
    case 'date':
      checkLength(b, 4, param);
      return b.readInt32BE(0) + PG_EPOCH_DAYS;
    case 'timestamp':
    case 'timestamptz':
      checkLength(b, 8, param);
      return Number(b.readBigInt64BE(0)) + PG_EPOCH_MICROS;
    case 'interval':
      checkLength(b, 16, param);
      return { micros: Number(b.readBigInt64BE(0)), days: b.readInt32BE(8), months: b.readInt32BE(12) };
    case 'bytea':
      return byteaFromBuffer(b);
    case 'uuid':
      checkLength(b, 16, param);
      return uuidFromBuffer(b);
    case 'json':
      return jsonIn(b.toString('utf8'));
    case 'jsonb':
      if (b.length < 1) throw insufficientData();
      // PostgreSQL raises this one as an internal error (elog), XX000.
      if (b[0] !== 1) throw new SqlError(SqlState.internalError, `unsupported jsonb version number ${b[0]}`);
      return jsonbIn(b.subarray(1).toString('utf8'));
    case 'varchar':
    case 'bpchar':
      return fitCharLength(t, b.toString('utf8'), false);
    case 'text':
    case 'name':
    case 'unknown':
      return b.toString('utf8');
    case 'array':
      return arrayRecv(b, t, param);
    default:
      throw binaryNotSupported(t, 'input');
  }
}

/** array_send: ndim, has-nulls flag, element OID, (length, lower bound) per dimension, then each element as int32 length + bytes (-1: NULL). */
function arraySend(t: DataType, stored: string): Buffer {
  const a = parseArrayLiteral(stored);
  const elem = t.elem!;
  const parts: Buffer[] = [];
  const head = Buffer.allocUnsafe(12 + 8 * a.dims.length);
  head.writeInt32BE(a.dims.length, 0);
  head.writeInt32BE(a.items.includes(null) ? 1 : 0, 4);
  head.writeInt32BE(elem.oid, 8);
  a.dims.forEach((d, k) => {
    head.writeInt32BE(d, 12 + 8 * k);
    head.writeInt32BE(a.lbounds[k], 16 + 8 * k);
  });
  parts.push(head);
  for (const item of a.items) {
    const len = Buffer.allocUnsafe(4);
    if (item === null) {
      len.writeInt32BE(-1);
      parts.push(len);
      continue;
    }
    const body = binaryValue(elem, elementValue(elem, item));
    len.writeInt32BE(body.length);
    parts.push(len, body);
  }
  return Buffer.concat(parts);
}

/** array_recv: the layout arraySend writes; the element OID must be the column's element type. */
function arrayRecv(b: Buffer, t: DataType, param: number | null): string {
  const elem = t.elem!;
  if (b.length < 12) throw insufficientData();
  const ndim = b.readInt32BE(0);
  const flags = b.readInt32BE(4);
  const elemOid = b.readInt32BE(8);
  if (ndim < 0 || ndim > 6) throw new SqlError(SqlState.invalidBinaryRepresentation, `invalid number of dimensions: ${ndim}`);
  if (flags !== 0 && flags !== 1) throw new SqlError(SqlState.invalidBinaryRepresentation, 'invalid array flags');
  if (elemOid !== elem.oid) throw new SqlError(SqlState.datatypeMismatch, `binary data has array element type ${elemOid} instead of expected ${elem.oid}`);
  if (b.length < 12 + 8 * ndim) throw insufficientData();
  const dims: number[] = [];
  const lbounds: number[] = [];
  let count = ndim === 0 ? 0 : 1;
  for (let k = 0; k < ndim; k++) {
    dims.push(b.readInt32BE(12 + 8 * k));
    lbounds.push(b.readInt32BE(16 + 8 * k));
    count *= dims[k];
  }
  let at = 12 + 8 * ndim;
  const items: (string | null)[] = [];
  for (let i = 0; i < count; i++) {
    if (b.length < at + 4) throw insufficientData();
    const len = b.readInt32BE(at);
    at += 4;
    if (len === -1) {
      items.push(null);
      continue;
    }
    if (len < 0 || b.length < at + len) throw insufficientData();
    items.push(elementText(elem, decodeBinaryParam(b.subarray(at, at + len), elem, param)));
    at += len;
  }
  if (at !== b.length) throw new SqlError(SqlState.invalidBinaryRepresentation, 'incorrect binary data format in array');
  return formatArray(count === 0 ? { dims: [], lbounds: [], items: [] } : { dims, lbounds, items });
}
