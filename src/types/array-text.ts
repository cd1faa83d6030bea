// Array values. Tessera keeps an array as its canonical text form — PostgreSQL's array_out of the
// value with every element written as it prints under the default settings (UTC, extra_float_digits
// 1) — inside an ordinary StringVector. Why text and not offsets + a child vector: every layer
// already moves dictionary-coded strings at full speed (scans, the chunk codec, hashing, sorts,
// COPY, the text wire format), so array columns get all of them unchanged; equal arrays have equal
// text, and the array operators (subscripts, ||, @>, ANY…) work once per dictionary entry, not per
// row. What needs the elements' own order (sorting, < >, grouping numeric 1.0 with 1.00) uses an
// order key per dictionary entry (arrayOrderKey), as jsonb does.
import { DataType } from './data-type';
import { SqlError, SqlState } from './sql-error';
import { Decimal, Interval, Scalar, isDecimal } from './vector';
import { DEFAULT_FORMAT, FormatSettings, formatScalar, parseScalar } from './text-format';

/** An array value: elements in row-major order as their canonical text (null for NULL). */
export interface ArrayValue {
  /** Length of each dimension; [] for the empty array. */
  dims: number[];
  /** Lower bound of each dimension (1 unless the literal said otherwise). */
  lbounds: number[];
  items: (string | null)[];
}

export const EMPTY_ARRAY: ArrayValue = { dims: [], lbounds: [], items: [] };

function malformed(text: string, detail: string): SqlError {
  return new SqlError(SqlState.invalidTextRepresentation, `malformed array literal: "${text}"`, { detail });
}

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\v' || c === '\f';
}

/** array_in's syntax: optional [lo:hi] decoration, nested braces, quoted or bare elements. */
export function parseArrayLiteral(text: string): ArrayValue {
  let i = 0;
  const n = text.length;
  const skip = () => {
    while (i < n && isSpace(text[i])) i++;
  };
  skip();
  let declared: { lo: number; hi: number }[] | null = null;
  if (text[i] === '[') {
    declared = [];
    while (text[i] === '[') {
      const m = /^\[\s*([+-]?\d+)\s*(?::\s*([+-]?\d+)\s*)?\]/.exec(text.slice(i));
      if (m === null) throw malformed(text, 'Missing "]" after array dimensions.');
      const lo = m[2] === undefined ? 1 : Number(m[1]);
      const hi = Number(m[2] ?? m[1]);
      if (hi < lo) throw new SqlError(SqlState.invalidTextRepresentation, 'upper bound cannot be less than lower bound');
      declared.push({ lo, hi });
      i += m[0].length;
      skip();
    }
    if (text[i] !== '=') throw malformed(text, 'Missing "=" after array dimensions.');
    i++;
    skip();
  }
  if (text[i] !== '{') throw malformed(text, 'Array value must start with "{" or dimension information.');
  const items: (string | null)[] = [];
  // Lengths seen at each depth; every sub-array of one depth must match.
  const lengths: number[] = [];
  let leafDepth = -1;
  const level = (depth: number): void => {
    i++; // '{'
    let count = 0;
    let sawElement = false;
    let sawSub = false;
    skip();
    if (text[i] === '}') {
      if (depth > 0) throw malformed(text, 'Unexpected "}" character.');
      i++;
      lengths[depth] = 0;
      return;
    }
    for (;;) {
      skip();
      if (i >= n) throw malformed(text, 'Unexpected end of input.');
      const c = text[i];
      if (c === '{') {
        if (sawElement) throw malformed(text, 'Unexpected "{" character.');
        sawSub = true;
        level(depth + 1);
      } else if (c === '}' || c === ',') {
        throw malformed(text, `Unexpected "${c}" character.`);
      } else {
        if (sawSub) throw malformed(text, 'Unexpected array element.');
        sawElement = true;
        if (leafDepth === -1) leafDepth = depth;
        else if (leafDepth !== depth) throw malformed(text, 'Multidimensional arrays must have sub-arrays with matching dimensions.');
        items.push(element());
      }
      count++;
      skip();
      if (i >= n) throw malformed(text, 'Unexpected end of input.');
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') {
        i++;
        break;
      }
      throw malformed(text, 'Unexpected array element.');
    }
    if (lengths[depth] === undefined) lengths[depth] = count;
    else if (lengths[depth] !== count) throw malformed(text, 'Multidimensional arrays must have sub-arrays with matching dimensions.');
  };
  const element = (): string | null => {
    let out = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= n) throw malformed(text, 'Unexpected end of input.');
        const c = text[i++];
        if (c === '"') break;
        if (c === '\\') {
          if (i >= n) throw malformed(text, 'Unexpected end of input.');
          out += text[i++];
        } else out += c;
      }
      return out;
    }
    let escaped = false;
    let keep = 0; // length of `out` that trailing-space trimming must not cut (escaped characters)
    while (i < n) {
      const c = text[i];
      if (c === ',' || c === '}') break;
      if (c === '{' || c === '"') throw malformed(text, c === '{' ? 'Unexpected "{" character.' : 'Unexpected array element.');
      i++;
      if (c === '\\') {
        if (i >= n) throw malformed(text, 'Unexpected end of input.');
        out += text[i++];
        escaped = true;
        keep = out.length;
      } else out += c;
    }
    let end = out.length;
    while (end > keep && isSpace(out[end - 1])) end--;
    out = out.slice(0, end);
    if (!escaped && out.toUpperCase() === 'NULL') return null;
    return out;
  };
  level(0);
  skip();
  if (i < n) throw malformed(text, 'Junk after closing right brace.');
  const dims = items.length === 0 && lengths[0] === 0 ? [] : lengths.slice(0, leafDepth + 1);
  if (declared !== null) {
    if (declared.length !== dims.length || declared.some((d, k) => d.hi - d.lo + 1 !== dims[k]))
      throw malformed(text, 'Specified array dimensions do not match array contents.');
    return { dims, lbounds: declared.map((d) => d.lo), items };
  }
  return { dims, lbounds: dims.map(() => 1), items };
}

/** Whether array_out must quote an element. */
function needsQuotes(s: string): boolean {
  if (s === '' || s.toUpperCase() === 'NULL') return true;
  for (let k = 0; k < s.length; k++) {
    const c = s[k];
    if (c === '"' || c === '\\' || c === '{' || c === '}' || c === ',' || isSpace(c)) return true;
  }
  return false;
}

function quoteElement(s: string | null): string {
  if (s === null) return 'NULL';
  return needsQuotes(s) ? '"' + s.replace(/[\\"]/g, '\\$&') + '"' : s;
}

/** array_out: '{1,2}', '{{1,2},{3,4}}', '[0:1]={1,2}', '{}'. */
export function formatArray(a: ArrayValue): string {
  if (a.dims.length === 0) return '{}';
  let prefix = '';
  if (a.lbounds.some((l) => l !== 1)) prefix = a.dims.map((d, k) => `[${a.lbounds[k]}:${a.lbounds[k] + d - 1}]`).join('') + '=';
  let pos = 0;
  const level = (depth: number): string => {
    const parts: string[] = [];
    for (let k = 0; k < a.dims[depth]; k++) parts.push(depth === a.dims.length - 1 ? quoteElement(a.items[pos++]) : level(depth + 1));
    return '{' + parts.join(',') + '}';
  };
  return prefix + level(0);
}

/** A one-dimensional array (lower bound 1) of these element texts. */
export function vectorArray(items: (string | null)[]): ArrayValue {
  return items.length === 0 ? EMPTY_ARRAY : { dims: [items.length], lbounds: [1], items };
}

/** Text input for an array type: every element is checked and canonicalized by the element type's input. */
export function arrayIn(text: string, type: DataType, fs: FormatSettings): string {
  const a = parseArrayLiteral(text);
  const elem = type.elem!;
  for (let k = 0; k < a.items.length; k++) {
    const item = a.items[k];
    if (item !== null) a.items[k] = elementText(elem, parseScalar(elem, item, fs));
  }
  return formatArray(a);
}

/** The canonical text of an element value. */
export function elementText(elem: DataType, value: Scalar): string | null {
  return formatScalar(elem, value, DEFAULT_FORMAT);
}
/** An element's value from its canonical text. */
export function elementValue(elem: DataType, text: string | null): Scalar {
  return text === null ? null : parseScalar(elem, text, DEFAULT_FORMAT);
}

/** Output of a stored array under the session's settings (only time zone and float digits can differ). */
export function arrayOut(stored: string, type: DataType, fs: FormatSettings): string {
  const elem = type.elem!;
  const zoned = elem.name === 'timestamptz' && fs.timeZone !== DEFAULT_FORMAT.timeZone;
  const floats = (elem.name === 'float4' || elem.name === 'float8') && fs.extraFloatDigits !== DEFAULT_FORMAT.extraFloatDigits && fs.extraFloatDigits <= 0;
  if (!zoned && !floats) return stored;
  const a = parseArrayLiteral(stored);
  a.items = a.items.map((t) => (t === null ? null : formatScalar(elem, parseScalar(elem, t, DEFAULT_FORMAT), fs)));
  return formatArray(a);
}

// ---- order keys ----

const CH = String.fromCharCode;

/** Eight characters (one per byte, big-endian, sign-flipped) that order like the double. */
function floatKey(x: number): string {
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x === 0 ? 0 : x);
  let hi = buf.getUint32(0);
  let lo = buf.getUint32(4);
  if (hi & 0x80000000) {
    hi = ~hi >>> 0;
    lo = ~lo >>> 0;
  } else hi = (hi | 0x80000000) >>> 0;
  let s = '';
  for (const w of [hi, lo]) s += CH((w >>> 24) & 255, (w >>> 16) & 255, (w >>> 8) & 255, w & 255);
  return s;
}

/** Orders decimals exactly: sign, then exponent, then significant digits. */
function decimalKey(d: Decimal): string {
  if (d.digits === 0n) return 'O';
  const neg = d.digits < 0n;
  const digits = (neg ? -d.digits : d.digits).toString().replace(/0+$/, '');
  const full = (neg ? -d.digits : d.digits).toString();
  const exponent = full.length - d.scale; // position of the decimal point from the first digit
  if (!neg) return 'P' + CH(0x4000 + exponent) + digits + '\u0000';
  let inv = '';
  for (let k = 0; k < digits.length; k++) inv += CH(0x39 - (digits.charCodeAt(k) - 0x30));
  return 'N' + CH(0x4000 - exponent) + inv + '~';
}

function intervalSpan(iv: Interval): number {
  return iv.months * 2592e9 + iv.days * 864e8 + iv.micros;
}

/** A key for one non-NULL element that orders (and equals) as the element type does; prefix-free. */
export function elementKey(elem: DataType, text: string): string {
  const v = parseScalar(elem, text, DEFAULT_FORMAT);
  if (typeof v === 'number') return floatKey(v);
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (isDecimal(v)) return decimalKey(v);
  if (typeof v === 'string') return (elem.name === 'bpchar' ? v.replace(/ +$/, '') : v) + '\u0000';
  return floatKey(intervalSpan(v as Interval));
}

/**
 * A string whose code-point order is PostgreSQL's array order (element by element, NULL after
 * any value, a prefix before the longer array, then the number of dimensions) and that is equal
 * exactly for equal arrays.
 */
export function arrayOrderKey(stored: string, type: DataType): string {
  const a = parseArrayLiteral(stored);
  const elem = type.elem!;
  let key = '';
  for (const item of a.items) key += item === null ? '\u0003' : '\u0002' + elementKey(elem, item);
  return key + '\u0001' + CH(0x30 + a.dims.length) + a.dims.map((d) => CH(0x30 + d)).join('');
}

/** Equality of two elements of one type (numeric 1.0 = 1.00). */
export function elementsEqual(elem: DataType, a: string, b: string): boolean {
  return a === b || elementKey(elem, a) === elementKey(elem, b);
}
