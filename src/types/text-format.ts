// PostgreSQL's text output and input for every type: one place, used by the wire encoders, COPY,
// casts to and from text, and error details.
import { DataType, charLength, formatType, numericScale } from './data-type';
import { SqlError, SqlState } from './sql-error';
import { Interval, Scalar, Vector, isDecimal } from './vector';
import { getScalar } from './vector-ops';
import { decimalToString, fitTypmod, parseDecimal } from './numeric';
import { MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_MINUTE, MICROS_PER_SECOND, civilFromDays, daysFromCivil, daysInMonth, zoneOffsetMicros } from './datetime';
import { parseInterval, formatInterval } from './interval-text';
import { formatBytea, parseBytea, parseUuid } from './bytea-uuid';
import { jsonIn, jsonbIn } from './json';
import { arrayIn, arrayOut } from './array-text';

export interface FormatSettings {
  timeZone: string;
  dateStyle: string;
  extraFloatDigits: number;
  intervalStyle: string;
}

export const DEFAULT_FORMAT: FormatSettings = { timeZone: 'UTC', dateStyle: 'ISO, MDY', extraFloatDigits: 1, intervalStyle: 'postgres' };

// ---------------------------------------------------------------------------------------------
// Output

/** One cell as PostgreSQL prints it; null for SQL NULL. */
export function formatCell(v: Vector, row: number, fs: FormatSettings): string | null {
  if (v.nulls !== null && v.nulls[row] === 1) return null;
  switch (v.kind) {
    case 'bool':
      return v.values[row] === 1 ? 't' : 'f';
    case 'int32':
      return v.type.name === 'date' ? formatDate(v.values[row]) : String(v.values[row]);
    case 'int64':
      return String(v.values[row]);
    case 'float64':
      return v.type.name === 'float4' ? formatFloat4(v.values[row], fs.extraFloatDigits) : formatFloat8(v.values[row], fs.extraFloatDigits);
    case 'timestamp':
      return v.type.name === 'timestamptz' ? formatTimestamptz(v.values[row], fs.timeZone) : formatTimestamp(v.values[row]);
    case 'string':
      if (v.type.name === 'array') return arrayOut(v.dict[v.codes[row]], v.type, fs);
      return v.type.name === 'bytea' ? formatBytea(v.dict[v.codes[row]]) : v.dict[v.codes[row]];
    default:
      return formatScalar(v.type, getScalar(v, row), fs);
  }
}

export function formatScalar(type: DataType, value: Scalar, fs: FormatSettings): string | null {
  if (value === null) return null;
  switch (type.name) {
    case 'bool':
      return value ? 't' : 'f';
    case 'int2':
    case 'int4':
    case 'int8':
      return String(value);
    case 'float4':
      return formatFloat4(value as number, fs.extraFloatDigits);
    case 'float8':
      return formatFloat8(value as number, fs.extraFloatDigits);
    case 'numeric':
      return isDecimal(value) ? decimalToString(value) : String(value);
    case 'date':
      return formatDate(value as number);
    case 'timestamp':
      return formatTimestamp(value as number);
    case 'timestamptz':
      return formatTimestamptz(value as number, fs.timeZone);
    case 'interval':
      return formatInterval(value as Interval);
    case 'bytea':
      return formatBytea(value as string);
    case 'array':
      return arrayOut(value as string, type, fs);
    default:
      return String(value);
  }
}

/** float8 output: shortest round-trip digits (PostgreSQL 12+ with extra_float_digits > 0). */
export function formatFloat8(x: number, extraFloatDigits = 1): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  if (extraFloatDigits > 0) return shortestToPg(x.toExponential(), 15);
  return shortestToPg(Number(x.toPrecision(Math.max(1, 15 + extraFloatDigits))).toExponential(), 15);
}

export function formatFloat4(x: number, extraFloatDigits = 1): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const f = Math.fround(x);
  if (extraFloatDigits <= 0) return shortestToPg(Number(f.toPrecision(Math.max(1, 6 + extraFloatDigits))).toExponential(), 6);
  for (let p = 1; p <= 9; p++) {
    const s = f.toPrecision(p);
    if (Math.fround(Number(s)) === f) return shortestToPg(Number(s).toExponential(), 6);
  }
  return shortestToPg(f.toExponential(), 6);
}

/** From JS exponential form ('1.5e-7') to PostgreSQL's: plain digits unless exp < -4 or exp >= limit. */
function shortestToPg(exp: string, limit: number): string {
  const [mant, e] = exp.split('e');
  const power = Number(e);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  if (power < -4 || power >= limit) {
    const m = digits.length > 1 ? digits[0] + '.' + digits.slice(1) : digits;
    const ee = Math.abs(power) < 10 ? '0' + Math.abs(power) : String(Math.abs(power));
    return `${neg ? '-' : ''}${m}e${power < 0 ? '-' : '+'}${ee}`;
  }
  let out: string;
  if (power < 0) out = '0.' + '0'.repeat(-power - 1) + digits;
  else if (digits.length <= power + 1) out = digits + '0'.repeat(power + 1 - digits.length);
  else out = digits.slice(0, power + 1) + '.' + digits.slice(power + 1);
  return (neg ? '-' : '') + out;
}

function pad(n: number, width: number): string {
  const s = String(n);
  return s.length >= width ? s : '0'.repeat(width - s.length) + s;
}

export function formatDate(days: number): string {
  const { year, month, day } = civilFromDays(days);
  if (year <= 0) return `${pad(1 - year, 4)}-${pad(month, 2)}-${pad(day, 2)} BC`;
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
}

function formatTime(micros: number): string {
  const h = Math.floor(micros / MICROS_PER_HOUR);
  const m = Math.floor((micros - h * MICROS_PER_HOUR) / MICROS_PER_MINUTE);
  const rest = micros - h * MICROS_PER_HOUR - m * MICROS_PER_MINUTE;
  const s = Math.floor(rest / MICROS_PER_SECOND);
  const frac = rest - s * MICROS_PER_SECOND;
  let out = `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}`;
  if (frac > 0) out += '.' + pad(frac, 6).replace(/0+$/, '');
  return out;
}

export function formatTimestamp(micros: number): string {
  const days = Math.floor(micros / MICROS_PER_DAY);
  const date = formatDate(days);
  const time = formatTime(micros - days * MICROS_PER_DAY);
  return date.endsWith(' BC') ? `${date.slice(0, -3)} ${time} BC` : `${date} ${time}`;
}

export function formatTimestamptz(micros: number, timeZone: string): string {
  const offset = zoneOffsetMicros(timeZone, micros);
  const local = formatTimestamp(micros + offset);
  const totalMinutes = Math.round(offset / MICROS_PER_MINUTE);
  const sign = totalMinutes < 0 ? '-' : '+';
  const abs = Math.abs(totalMinutes);
  const zone = `${sign}${pad(Math.floor(abs / 60), 2)}${abs % 60 !== 0 ? ':' + pad(abs % 60, 2) : ''}`;
  return local.endsWith(' BC') ? `${local.slice(0, -3)}${zone} BC` : local + zone;
}

// ---------------------------------------------------------------------------------------------
// Input

function invalid(typeName: string, text: string): SqlError {
  return new SqlError(SqlState.invalidTextRepresentation, `invalid input syntax for type ${typeName}: "${text}"`);
}

const INT_RANGES: Record<string, [number, number, string]> = {
  int2: [-32768, 32767, 'smallint'],
  int4: [-2147483648, 2147483647, 'integer'],
  int8: [-9223372036854775808, 9223372036854775807, 'bigint'],
};

export function parseInteger(type: DataType, text: string): number {
  const [lo, hi, name] = INT_RANGES[type.name];
  const t = text.trim();
  if (!/^[+-]?\d+$/.test(t)) throw invalid(name, text);
  const n = Number(t);
  if (n < lo || n > hi) throw new SqlError(SqlState.numericValueOutOfRange, `value "${text}" is out of range for type ${name}`);
  if (type.name === 'int8' && !Number.isSafeInteger(n))
    throw new SqlError(SqlState.numericValueOutOfRange, `value "${text}" is beyond the exact range of Tessera's bigint (±2^53)`);
  return n === 0 ? 0 : n;
}

export function parseFloat8(type: DataType, text: string): number {
  const t = text.trim().toLowerCase();
  const name = type.name === 'float4' ? 'real' : 'double precision';
  let x: number;
  if (t === 'nan') x = NaN;
  else if (t === 'infinity' || t === '+infinity' || t === 'inf' || t === '+inf') x = Infinity;
  else if (t === '-infinity' || t === '-inf') x = -Infinity;
  else {
    if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) throw invalid(name, text);
    x = Number(t);
    if (!Number.isFinite(x)) throw new SqlError(SqlState.numericValueOutOfRange, `"${text}" is out of range for type ${name}`);
  }
  if (type.name === 'float4') {
    const f = Math.fround(x);
    if (Number.isFinite(x) && !Number.isFinite(f)) throw new SqlError(SqlState.numericValueOutOfRange, `"${text}" is out of range for type real`);
    return f;
  }
  return x;
}

export function parseBool(text: string): boolean {
  const t = text.trim().toLowerCase();
  if (t.length > 0) {
    if ('true'.startsWith(t) || 'yes'.startsWith(t) || t === 'on' || t === '1') return true;
    if ('false'.startsWith(t) || t === 'no' || t === 'n' || t === 'off' || t === 'of' || t === '0') return false;
  }
  throw invalid('boolean', text);
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** Date part of an input string: ISO 'YYYY-MM-DD', 'MM/DD/YYYY' (MDY), 'Mon DD YYYY', with optional ' BC'. */
function parseDatePart(text: string, typeName: string, original: string): { days: number; rest: string } {
  let t = text.trim();
  let bc = false;
  if (/\s+bc$/i.test(t)) {
    bc = true;
    t = t.replace(/\s+bc$/i, '');
  }
  let y: number, m: number, d: number, rest: string;
  let mm = /^(\d{1,})-(\d{1,2})-(\d{1,2})(.*)$/.exec(t);
  if (mm !== null) {
    [y, m, d] = [Number(mm[1]), Number(mm[2]), Number(mm[3])];
    rest = mm[4];
  } else if ((mm = /^(\d{1,2})\/(\d{1,2})\/(\d{1,4})(.*)$/.exec(t)) !== null) {
    [m, d, y] = [Number(mm[1]), Number(mm[2]), Number(mm[3])];
    rest = mm[4];
  } else if ((mm = /^([a-z]{3})[a-z]*\.?\s+(\d{1,2}),?\s+(\d{1,4})(.*)$/i.exec(t)) !== null && MONTHS.includes(mm[1].toLowerCase())) {
    [m, d, y] = [MONTHS.indexOf(mm[1].toLowerCase()) + 1, Number(mm[2]), Number(mm[3])];
    rest = mm[4];
  } else if ((mm = /^(\d{4})(\d{2})(\d{2})(.*)$/.exec(t)) !== null) {
    [y, m, d] = [Number(mm[1]), Number(mm[2]), Number(mm[3])];
    rest = mm[4];
  } else throw invalid(typeName, original);
  if (m < 1 || m > 12 || d < 1 || d > daysInMonth(bc ? 1 - y : y, m))
    throw new SqlError(SqlState.datetimeFieldOverflow, `date/time field value out of range: "${original}"`);
  if (bc) y = 1 - y;
  return { days: daysFromCivil(y, m, d), rest };
}

export function parseDate(text: string): number {
  const t = text.trim().toLowerCase();
  if (t === 'epoch') return 0;
  const { days, rest } = parseDatePart(text, 'date', text);
  // A time part after the date is accepted and ignored, as PostgreSQL's date input does.
  if (rest.trim() !== '' && !/^[ t]\d{1,2}:\d{2}/i.test(rest)) throw invalid('date', text);
  return days;
}

/** Time of day and zone: ' 13:14:15.5', 'T13:14:15Z', ' 13:14+02', '' → {micros, offsetMinutes|null}. */
function parseTimePart(rest: string, typeName: string, original: string): { micros: number; offset: number | null } {
  let t = rest.trim().replace(/^t/i, '');
  if (t === '') return { micros: 0, offset: null };
  let offset: number | null = null;
  const z = /(z|utc|gmt|[+-]\d{1,2}(?::?\d{2})?(?::?\d{2})?)$/i.exec(t);
  if (z !== null && z.index > 0) {
    const zone = z[1].toLowerCase();
    if (zone === 'z' || zone === 'utc' || zone === 'gmt') offset = 0;
    else {
      const m = /^([+-])(\d{1,2})(?::?(\d{2}))?/.exec(zone)!;
      offset = (Number(m[2]) * 60 + Number(m[3] ?? 0)) * (m[1] === '-' ? -1 : 1);
    }
    t = t.slice(0, z.index).trim();
  }
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?$/.exec(t);
  if (m === null) throw invalid(typeName, original);
  const h = Number(m[1]);
  const mi = Number(m[2]);
  const s = Number(m[3] ?? 0);
  if (h > 24 || mi > 59 || s > 60) throw new SqlError(SqlState.datetimeFieldOverflow, `date/time field value out of range: "${original}"`);
  // Fractions beyond microseconds round half up, as PostgreSQL.
  const fracText = (m[4] ?? '').padEnd(7, '0');
  const micros = Number(fracText.slice(0, 6)) + (Number(fracText[6]) >= 5 ? 1 : 0);
  return { micros: h * MICROS_PER_HOUR + mi * MICROS_PER_MINUTE + s * MICROS_PER_SECOND + micros, offset };
}

export function parseTimestamp(text: string, withZone: boolean, fs: FormatSettings): number {
  const typeName = withZone ? 'timestamp with time zone' : 'timestamp without time zone';
  const t = text.trim().toLowerCase();
  if (t === 'epoch') return 0;
  if (t === 'infinity' || t === '-infinity') throw new SqlError(SqlState.featureNotSupported, 'infinite timestamps are not supported');
  const { days, rest } = parseDatePart(text.replace(/T/, ' '), typeName, text);
  const { micros, offset } = parseTimePart(rest, typeName, text);
  const local = days * MICROS_PER_DAY + micros;
  if (!withZone) return local;
  if (offset !== null) return local - offset * MICROS_PER_MINUTE;
  // No zone given: the session's TimeZone (offset found at the local time, adjusted once for DST edges).
  const guess = local - zoneOffsetMicros(fs.timeZone, local);
  return local - zoneOffsetMicros(fs.timeZone, guess);
}

/** Text → value of `type`, with PostgreSQL's errors. */
export function parseScalar(type: DataType, text: string, fs: FormatSettings): Scalar {
  switch (type.name) {
    case 'bool':
      return parseBool(text);
    case 'int2':
    case 'int4':
    case 'int8':
      return parseInteger(type, text);
    case 'float4':
    case 'float8':
      return parseFloat8(type, text);
    case 'numeric': {
      const d = parseDecimal(text);
      if (d === null) {
        if (text.trim().toLowerCase() === 'nan') throw new SqlError(SqlState.featureNotSupported, 'numeric NaN is not supported');
        throw invalid('numeric', text);
      }
      return numericScale(type) >= 0 ? fitTypmod(d, type) : d;
    }
    case 'date':
      return parseDate(text);
    case 'timestamp':
      return parseTimestamp(text, false, fs);
    case 'timestamptz':
      return parseTimestamp(text, true, fs);
    case 'interval':
      return parseInterval(text);
    case 'varchar':
    case 'bpchar':
      return fitCharLength(type, text, false);
    case 'bytea':
      return parseBytea(text);
    case 'uuid':
      return parseUuid(text);
    case 'json':
      return jsonIn(text);
    case 'jsonb':
      return jsonbIn(text);
    case 'array':
      return arrayIn(text, type, fs);
    default:
      return text;
  }
}

/**
 * varchar(n)/char(n) length rules: too long → 22001 unless the excess is spaces (or the cast is
 * explicit, which truncates); char(n) is blank-padded to n.
 */
function hasSurrogate(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) return true;
  }
  return false;
}

export function fitCharLength(type: DataType, text: string, explicit: boolean): string {
  const n = charLength(type);
  if (n < 0) return text;
  // Fast path: no surrogate pairs, so UTF-16 length = characters.
  if (text.length <= n && !hasSurrogate(text)) return type.name === 'bpchar' && text.length < n ? text + ' '.repeat(n - text.length) : text;
  const chars = [...text];
  let out = text;
  if (chars.length > n) {
    if (!explicit && chars.slice(n).some((c) => c !== ' '))
      throw new SqlError(SqlState.stringDataRightTruncation, `value too long for type ${formatType(type)}`);
    out = chars.slice(0, n).join('');
  }
  if (type.name === 'bpchar') {
    const len = explicit || chars.length <= n ? Math.min(chars.length, n) : n;
    if (len < n) out = out + ' '.repeat(n - len);
  }
  return out;
}

