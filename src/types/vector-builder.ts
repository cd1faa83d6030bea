// Builds a vector from values as they arrive (COPY FROM): text values are parsed straight into
// growing typed arrays (numbers, dates) or a dictionary of UTF-8 bytes (strings, see
// string-bytes.ts), the rest through parseScalar; decoded binary values (appendScalar) go in as they
// are. Finished vectors' typed arrays are in shared memory (the buffer pool keeps them so, and a
// worker thread encodes their chunks without a copy).
import { DataType, charLength, isOpaqueString, numericPrecision, numericScale } from './data-type';
import { SqlError, SqlState } from './sql-error';
import { Scalar, Vector, isDecimal } from './vector';
import { decimalToString } from './numeric';
import { newVector, vectorFromScalars } from './vector-ops';
import { FormatSettings, fitCharLength, formatCell, parseDate, parseScalar } from './text-format';
import { daysFromCivil } from './datetime';
import { StringBytesBuilder, setStringBytes } from './string-bytes';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
/** appendBytes' parsers: through appendText, string bytes, ISO date, integer, fixed-scale numeric. */
const BYTES_OTHER = 0;
const BYTES_STRING = 1;
const BYTES_DATE = 2;
const BYTES_INT = 3;
const BYTES_SCALED = 4;

/** A copy of a[0, n) in shared memory. */
function sharedSlice<T extends Uint8Array | Int32Array | Float64Array>(a: T, n: number): T {
  const Ctor = a.constructor as { new (buffer: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number };
  const out = new Ctor(new SharedArrayBuffer(n * Ctor.BYTES_PER_ELEMENT));
  out.set(a.subarray(0, n) as never);
  return out;
}

export class VectorBuilder {
  private n = 0;
  private nulls: Uint8Array;
  private nums: Float64Array | Int32Array | null = null;
  private codes: Int32Array | null = null;
  private strings: StringBytesBuilder | null = null;
  /** char(n)/varchar(n): n (characters), else -1; char(n) values are padded to it. */
  private readonly charLimit: number;
  private readonly padded: boolean;
  /** How appendBytes parses this type's values (BYTES_*). */
  private readonly byteKind: number;
  private scalars: Scalar[] | null = null;
  private anyNull = false;
  private readonly scale: number;
  /** 10^precision: scaled values at or above it overflow numeric(p,s). */
  private readonly limit: number;

  constructor(
    readonly type: DataType,
    private readonly fs: FormatSettings,
    capacity = 1024,
  ) {
    this.nulls = new Uint8Array(capacity);
    this.scale = numericScale(type);
    this.limit = this.scale >= 0 ? Math.pow(10, numericPrecision(type)) : Infinity;
    this.charLimit = type.storage === 'string' && !isOpaqueString(type) ? charLength(type) : -1;
    this.padded = type.name === 'bpchar' && this.charLimit >= 0;
    const name = type.name;
    this.byteKind =
      type.storage === 'string' ? (isOpaqueString(type) ? BYTES_OTHER : BYTES_STRING)
      : name === 'date' ? BYTES_DATE
      : name === 'int4' || name === 'int2' || name === 'int8' ? BYTES_INT
      : type.storage === 'numeric' && this.scale >= 0 ? BYTES_SCALED
      : BYTES_OTHER;
    switch (type.storage) {
      case 'int32':
        this.nums = new Int32Array(capacity);
        break;
      case 'int64':
      case 'float64':
      case 'timestamp':
        this.nums = new Float64Array(capacity);
        break;
      case 'numeric':
        // Fixed-scale numeric takes the fast path; unconstrained numeric keeps each value's scale.
        if (this.scale >= 0) this.nums = new Float64Array(capacity);
        else this.scalars = [];
        break;
      case 'string':
        this.codes = new Int32Array(capacity);
        this.strings = new StringBytesBuilder();
        break;
      default:
        this.scalars = [];
    }
  }

  get length(): number {
    return this.n;
  }

  private grow(): void {
    const cap = this.nulls.length * 2;
    const nulls = new Uint8Array(cap);
    nulls.set(this.nulls);
    this.nulls = nulls;
    if (this.nums !== null) {
      const nums = this.nums instanceof Int32Array ? new Int32Array(cap) : new Float64Array(cap);
      nums.set(this.nums);
      this.nums = nums;
    }
    if (this.codes !== null) {
      const codes = new Int32Array(cap);
      codes.set(this.codes);
      this.codes = codes;
    }
  }

  appendNull(): void {
    if (this.n === this.nulls.length) this.grow();
    this.nulls[this.n] = 1;
    // A NULL's slot holds 0, as in a fresh array (the arrays are reused batch after batch: see finish).
    if (this.nums !== null) this.nums[this.n] = 0;
    if (this.codes !== null) this.codes[this.n] = 0;
    this.anyNull = true;
    if (this.scalars !== null) this.scalars.push(null);
    this.n++;
  }

  appendText(text: string): void {
    if (this.n === this.nulls.length) this.grow();
    const i = this.n;
    const t = this.type;
    if (this.codes !== null) {
      const s = isOpaqueString(t) ? (parseScalar(t, text, this.fs) as string) : t.typmod >= 4 ? fitCharLength(t, text, false) : text;
      this.codes[i] = this.strings!.addString(s);
    } else if (this.nums !== null) {
      // The byte parsers serve text too, through a scratch copy of short ASCII values.
      const len = asciiScratch(text);
      if (t.name === 'date') {
        const x = len < 0 ? NaN : bytesDate(SCRATCH, 0, len);
        this.nums[i] = x === x ? x : parseDate(text);
      } else if (t.name === 'int4' || t.name === 'int2' || t.name === 'int8') {
        const x = len < 0 ? NaN : bytesInt(SCRATCH, 0, len, t.name);
        this.nums[i] = x === x ? x : (parseScalar(t, text, this.fs) as number);
      }
      else if (t.storage === 'numeric') {
        const x = len < 0 ? NaN : bytesScaled(SCRATCH, 0, len, this.scale);
        this.nums[i] = Math.abs(x) < this.limit ? x : this.slowScaled(text);
      }
      else this.nums[i] = parseScalar(t, text, this.fs) as number;
    } else this.scalars!.push(parseScalar(t, text, this.fs));
    this.n++;
  }

  /**
   * The value in UTF-8 bytes buf[start, end) (COPY's byte parser: no escapes, not NULL). Integers,
   * fixed-scale numerics and ISO dates are parsed from the bytes; ASCII strings that fit their
   * length go to the byte dictionary as they are (char(n) padded there), no JS string made. Anything
   * unusual goes through appendText, the reference path. `ascii`: the caller knows buf is all ASCII.
   */
  appendBytes(buf: Buffer, start: number, end: number, ascii = false): void {
    switch (this.byteKind) {
      case BYTES_STRING: {
        const len = end - start;
        const limit = this.charLimit;
        if (limit >= 0 && len > limit) break;
        const code = this.strings!.addAscii(buf, start, end, this.padded ? limit - len : 0, ascii);
        // Not ASCII: the string path (it checks characters, not bytes, and replaces bad UTF-8).
        if (code < 0) break;
        if (this.n === this.nulls.length) this.grow();
        this.codes![this.n++] = code;
        return;
      }
      case BYTES_DATE:
        if (this.pushNumber(bytesDate(buf, start, end))) return;
        break;
      case BYTES_INT:
        if (this.pushNumber(bytesInt(buf, start, end, this.type.name))) return;
        break;
      case BYTES_SCALED: {
        const x = bytesScaled(buf, start, end, this.scale);
        if (Math.abs(x) < this.limit && this.pushNumber(x)) return;
        break;
      }
    }
    this.appendText(buf.toString('utf8', start, end));
  }

  /** Appends x unless it is NaN (not parsed); whether it did. */
  private pushNumber(x: number): boolean {
    if (x !== x) return false;
    if (this.n === this.nulls.length) this.grow();
    this.nums![this.n++] = x;
    return true;
  }

  /** A value already in this type's internal form (as decoded from binary input, lengths checked). */
  appendScalar(value: Scalar): void {
    if (value === null) return this.appendNull();
    if (this.codes !== null && typeof value === 'string') {
      if (this.n === this.nulls.length) this.grow();
      this.codes[this.n++] = this.strings!.addString(value);
      return;
    }
    // Plain numbers (ints, floats, dates, timestamps) go straight into the typed array.
    if (this.nums !== null && typeof value === 'number' && this.type.storage !== 'numeric') {
      if (this.n === this.nulls.length) this.grow();
      this.nums[this.n++] = value;
      return;
    }
    if (this.scalars !== null) {
      if (this.n === this.nulls.length) this.grow();
      this.scalars.push(value);
      this.n++;
      return;
    }
    // Numerics through their exact text (fixed-scale columns then take the scaled-integer fast path).
    if (isDecimal(value)) return this.appendText(decimalToString(value));
    const v = vectorFromScalars(this.type, [value]);
    this.appendText(formatCell(v, 0, this.fs)!);
  }

  private slowScaled(text: string): number {
    const d = parseScalar(this.type, text, this.fs) as { digits: bigint };
    const x = Number(d.digits);
    if (!Number.isSafeInteger(x)) throw new SqlError(SqlState.numericValueOutOfRange, `numeric value ${text} is too large for the vector fast path`);
    return x;
  }

  /** The rows so far as a vector; `lazyStrings`: a string dictionary stays bytes until ensureStrings (see string-bytes.ts). */
  finish(lazyStrings = false): Vector {
    const n = this.n;
    let v: Vector;
    if (this.scalars !== null) v = vectorFromScalars(this.type, this.scalars);
    else {
      // Made empty, then given the rows' arrays (newVector(type, n) would allocate arrays of n only to drop them).
      v = newVector(this.type, 0);
      (v as { length: number }).length = n;
      if (this.codes !== null && v.kind === 'string') {
        v.codes = sharedSlice(this.codes, n);
        const { dict, form } = this.strings!.finish(lazyStrings);
        v.dict = dict;
        setStringBytes(v, form);
      } else if (this.nums !== null) (v as { values: Float64Array | Int32Array }).values = sharedSlice(this.nums, n);
      v.nulls = this.anyNull ? sharedSlice(this.nulls, n) : null;
    }
    this.n = 0;
    // The rows were copied out (sharedSlice): the arrays take the next batch's (COPY's batches are
    // row groups: new arrays each time made a bulk load allocate and collect megabytes per group).
    if (this.anyNull) this.nulls.fill(0, 0, n);
    this.anyNull = false;
    if (this.scalars !== null) this.scalars = [];
    return v;
  }
}

const SCRATCH = Buffer.alloc(64);

/** Copies text into SCRATCH when it is ASCII and fits; its length, or -1. */
function asciiScratch(text: string): number {
  const n = text.length;
  if (n > SCRATCH.length) return -1;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c > 127) return -1;
    SCRATCH[i] = c;
  }
  return n;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** ISO 'YYYY-MM-DD' in bytes (year 1 or later) → days since 1970; NaN for anything else (left to the full parser). */
function bytesDate(b: Buffer, s: number, e: number): number {
  if (e - s !== 10 || b[s + 4] !== 45 || b[s + 7] !== 45) return NaN;
  let y = 0;
  for (let k = 0; k < 4; k++) {
    const c = b[s + k] - 48;
    if (c < 0 || c > 9) return NaN;
    y = y * 10 + c;
  }
  const m1 = b[s + 5] - 48;
  const m2 = b[s + 6] - 48;
  const d1 = b[s + 8] - 48;
  const d2 = b[s + 9] - 48;
  if (m1 < 0 || m1 > 9 || m2 < 0 || m2 > 9 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) return NaN;
  const m = m1 * 10 + m2;
  const d = d1 * 10 + d2;
  if (m < 1 || m > 12 || d < 1 || y < 1) return NaN;
  if (d > 28 && d > (m === 2 ? (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28) : MONTH_DAYS[m - 1])) return NaN;
  return daysFromCivil(y, m, d);
}

/** Decimal integer in bytes (optional '-'), in the type's range; NaN otherwise. */
function bytesInt(b: Buffer, s: number, e: number, type: string): number {
  const len = e - s;
  if (len === 0 || len > 15) return NaN;
  let i = s;
  let neg = false;
  if (b[i] === 45) {
    neg = true;
    i++;
    if (len === 1) return NaN;
  }
  let x = 0;
  for (; i < e; i++) {
    const c = b[i] - 48;
    if (c < 0 || c > 9) return NaN;
    x = x * 10 + c;
  }
  if (neg) x = -x;
  if (type === 'int4' && (x < -2147483648 || x > 2147483647)) return NaN;
  if (type === 'int2' && (x < -32768 || x > 32767)) return NaN;
  return x;
}

/** '123.45' in bytes at scale s → 12345, when it has at most s fraction digits and fits; NaN otherwise. */
function bytesScaled(b: Buffer, s: number, e: number, scale: number): number {
  const len = e - s;
  if (len === 0 || len > 17) return NaN;
  let i = s;
  let neg = false;
  if (b[i] === 45) {
    neg = true;
    i++;
  }
  let x = 0;
  let frac = -1;
  let digits = 0;
  for (; i < e; i++) {
    const c = b[i];
    if (c === 46) {
      if (frac !== -1) return NaN;
      frac = 0;
      continue;
    }
    const d = c - 48;
    if (d < 0 || d > 9) return NaN;
    x = x * 10 + d;
    digits++;
    if (frac !== -1) frac++;
  }
  if (digits === 0) return NaN;
  if (frac === -1) frac = 0;
  if (frac > scale) return NaN;
  for (let k = frac; k < scale; k++) x *= 10;
  if (x > MAX_SAFE) return NaN;
  return neg ? -x : x;
}

export function isAsciiRange(b: Uint8Array, s: number, e: number): boolean {
  let bits = 0;
  for (let i = s; i < e; i++) bits |= b[i];
  return bits < 128;
}

/** a equals b[s, e) (a JS loop: short values, where a native compare call costs more than it saves). */
export function sameBytes(a: Uint8Array, b: Uint8Array, s: number, e: number): boolean {
  if (a.length !== e - s) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[s + i]) return false;
  return true;
}
