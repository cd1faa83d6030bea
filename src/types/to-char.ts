// to_char(timestamp, format): PostgreSQL's template patterns for dates and times. A format is
// compiled once into tokens (keyword with its FM/TH modifiers, or literal text), then applied to
// each value's civil fields. Keywords match case-insensitively, longest first; the case of text
// fields (MONTH/Month/month, DAY, MON, DY, AM, BC, RM, TZ) follows the case the format used.
import { SqlError, SqlState } from './sql-error';
import { MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_MINUTE, civilFromDays, daysFromCivil, isoDayOfWeek, isoWeek } from './datetime';

const KEYWORDS = [
  'A.D.', 'A.M.', 'AD', 'AM', 'B.C.', 'BC', 'CC', 'DAY', 'DDD', 'DD', 'DY', 'D',
  'FF1', 'FF2', 'FF3', 'FF4', 'FF5', 'FF6', 'HH24', 'HH12', 'HH', 'IDDD', 'ID', 'IW', 'IYYY', 'IYY', 'IY', 'I',
  'J', 'MI', 'MM', 'MONTH', 'MON', 'MS', 'OF', 'P.M.', 'PM', 'Q', 'RM', 'SSSSS', 'SSSS', 'SS',
  'TZH', 'TZM', 'TZ', 'US', 'WW', 'W', 'Y,YYY', 'YYYY', 'YYY', 'YY', 'Y',
].sort((a, b) => b.length - a.length);

type Case = 'upper' | 'capital' | 'lower';

export interface Token {
  /** Upper-case keyword, or null for literal text. */
  key: string | null;
  text: string;
  fm: boolean;
  th: 'TH' | 'th' | null;
  letterCase: Case;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const ROMAN = ['I', 'II', 'III', 'IV', 'V', 'VI', 'VII', 'VIII', 'IX', 'X', 'XI', 'XII'];

function caseOf(s: string): Case {
  const a = s.charAt(0);
  const b = s.length > 1 ? s.charAt(1) : '';
  if (a === a.toLowerCase()) return 'lower';
  if (b !== '' && b === b.toLowerCase() && b !== b.toUpperCase()) return 'capital';
  return 'upper';
}

const compiled = new Map<string, Token[]>();

/** The format's tokens (cached per format string). */
export function compileToChar(format: string): Token[] {
  let tokens = compiled.get(format);
  if (tokens !== undefined) return tokens;
  tokens = [];
  let i = 0;
  const literal = (t: string) => {
    const last = tokens![tokens!.length - 1];
    if (last !== undefined && last.key === null) last.text += t;
    else tokens!.push({ key: null, text: t, fm: false, th: null, letterCase: 'upper' });
  };
  while (i < format.length) {
    const ch = format.charAt(i);
    if (ch === '"') {
      // Quoted literal text; a backslash escapes the next character.
      i++;
      while (i < format.length && format.charAt(i) !== '"') {
        if (format.charAt(i) === '\\' && i + 1 < format.length) i++;
        literal(format.charAt(i++));
      }
      i++;
      continue;
    }
    if (ch === '\\' && format.charAt(i + 1) === '"') {
      literal('"');
      i += 2;
      continue;
    }
    let fm = false;
    let j = i;
    for (;;) {
      const p = format.substr(j, 2).toUpperCase();
      if (p === 'FM') {
        fm = true;
        j += 2;
      } else if (p === 'FX') j += 2;
      else break;
    }
    const rest = format.substr(j, 5).toUpperCase();
    const key = KEYWORDS.find((k) => rest.startsWith(k));
    if (key === undefined) {
      if (j > i) {
        // A lone FM/FX modifier prints nothing.
        i = j;
        continue;
      }
      literal(ch);
      i++;
      continue;
    }
    const text = format.substr(j, key.length);
    j += key.length;
    let th: Token['th'] = null;
    const suffix = format.substr(j, 2);
    if (suffix === 'TH' || suffix === 'th') {
      th = suffix;
      j += 2;
    }
    tokens.push({ key, text, fm, th, letterCase: caseOf(text) });
    i = j;
  }
  compiled.set(format, tokens);
  return tokens;
}

function applyCase(s: string, c: Case): string {
  return c === 'upper' ? s.toUpperCase() : c === 'lower' ? s.toLowerCase() : s;
}

function pad(n: number, width: number, fm: boolean): string {
  const neg = n < 0;
  let s = String(Math.abs(n));
  if (!fm) while (s.length < width) s = '0' + s;
  return neg ? '-' + s : s;
}

function ordinal(n: number, th: 'TH' | 'th'): string {
  const last2 = Math.abs(n) % 100;
  const last = Math.abs(n) % 10;
  const s = last2 >= 11 && last2 <= 13 ? 'th' : last === 1 ? 'st' : last === 2 ? 'nd' : last === 3 ? 'rd' : 'th';
  return th === 'TH' ? s.toUpperCase() : s;
}

/** Time zone fields for timestamptz values (null for timestamp without time zone). */
export interface ZoneInfo {
  offsetMicros: number;
  abbrev: string;
}

/** Formats local civil time `micros` (microseconds since 1970, already shifted to the zone). */
export function formatToChar(micros: number, tokens: Token[], zone: ZoneInfo | null): string {
  const days = Math.floor(micros / MICROS_PER_DAY);
  const rest = micros - days * MICROS_PER_DAY;
  const { year, month, day } = civilFromDays(days);
  const hour = Math.floor(rest / MICROS_PER_HOUR);
  const minute = Math.floor((rest % MICROS_PER_HOUR) / MICROS_PER_MINUTE);
  const second = Math.floor((rest % MICROS_PER_MINUTE) / 1_000_000);
  const frac = rest % 1_000_000;
  const doy = days - daysFromCivil(year, 1, 1) + 1;
  return formatFields({ year, month, day, hour, minute, second, frac, doy, days, interval: false }, tokens, zone);
}

/** Fields not tied to a calendar date: PostgreSQL's to_char(interval) refuses these. */
const CALENDAR_ONLY = new Set(['MONTH', 'MON', 'DAY', 'DY', 'D', 'ID', 'W', 'WW', 'IW', 'IYYY', 'IYY', 'IY', 'I', 'IDDD', 'J', 'RM', 'TZ', 'TZH', 'TZM', 'OF']);

/** to_char(interval): years and months from the month count, then days, and hours that may pass 24. */
export function formatIntervalToChar(iv: { months: number; days: number; micros: number }, tokens: Token[]): string {
  for (const t of tokens)
    if (t.key !== null && CALENDAR_ONLY.has(t.key))
      throw new SqlError(SqlState.invalidDatetimeFormat, 'invalid format specification for an interval value', { hint: 'Intervals are not tied to specific calendar dates.' });
  const year = Math.trunc(iv.months / 12);
  const month = iv.months % 12;
  const hour = Math.trunc(iv.micros / MICROS_PER_HOUR);
  const minute = Math.trunc((iv.micros % MICROS_PER_HOUR) / MICROS_PER_MINUTE);
  const second = Math.trunc((iv.micros % MICROS_PER_MINUTE) / 1_000_000);
  const frac = Math.abs(iv.micros % 1_000_000);
  return formatFields({ year, month, day: iv.days, hour, minute, second, frac, doy: iv.days, days: 0, interval: true }, tokens, null);
}

interface Fields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  frac: number;
  doy: number;
  /** Days since 1970 (calendar fields only). */
  days: number;
  interval: boolean;
}

function formatFields(f: Fields, tokens: Token[], zone: ZoneInfo | null): string {
  const { year, month, day, hour, minute, second, frac, doy, days } = f;
  const dow = isoDayOfWeek(days) % 7; // 0 = Sunday
  // Intervals print their (signed) years as they are; dates before year 1 count as BC.
  const bc = !f.interval && year <= 0;
  const y = bc ? 1 - year : year;
  let out = '';
  for (const t of tokens) {
    if (t.key === null) {
      out += t.text;
      continue;
    }
    let num: number | null = null;
    let s = '';
    switch (t.key) {
      case 'HH':
      case 'HH12':
        num = hour % 12 === 0 ? 12 : hour % 12;
        if (f.interval && num < 0) num = -num;
        s = pad(num, 2, t.fm);
        break;
      case 'HH24':
        num = hour;
        s = pad(hour, 2, t.fm);
        break;
      case 'MI':
        num = minute;
        s = pad(minute, 2, t.fm);
        break;
      case 'SS':
        num = second;
        s = pad(second, 2, t.fm);
        break;
      case 'MS':
        num = Math.floor(frac / 1000);
        s = pad(num, 3, t.fm);
        break;
      case 'US':
        num = frac;
        s = pad(frac, 6, t.fm);
        break;
      case 'FF1':
      case 'FF2':
      case 'FF3':
      case 'FF4':
      case 'FF5':
      case 'FF6': {
        const k = Number(t.key.charAt(2));
        num = Math.floor(frac / Math.pow(10, 6 - k));
        s = pad(num, k, t.fm);
        break;
      }
      case 'SSSS':
      case 'SSSSS':
        num = hour * 3600 + minute * 60 + second;
        s = String(num);
        break;
      case 'AM':
      case 'PM':
        s = applyCase(hour % 24 < 12 ? 'AM' : 'PM', t.letterCase === 'lower' ? 'lower' : 'upper');
        break;
      case 'A.M.':
      case 'P.M.':
        s = applyCase(hour % 24 < 12 ? 'A.M.' : 'P.M.', t.letterCase === 'lower' ? 'lower' : 'upper');
        break;
      case 'AD':
      case 'BC':
        s = applyCase(bc ? 'BC' : 'AD', t.letterCase === 'lower' ? 'lower' : 'upper');
        break;
      case 'A.D.':
      case 'B.C.':
        s = applyCase(bc ? 'B.C.' : 'A.D.', t.letterCase === 'lower' ? 'lower' : 'upper');
        break;
      case 'Y,YYY': {
        const digits = pad(y, 4, false);
        s = digits.slice(0, digits.length - 3) + ',' + digits.slice(-3);
        break;
      }
      case 'YYYY':
        num = y;
        s = pad(y, 4, t.fm);
        break;
      case 'YYY':
        num = y % 1000;
        s = pad(num, 3, t.fm);
        break;
      case 'YY':
        num = y % 100;
        s = pad(num, 2, t.fm);
        break;
      case 'Y':
        num = y % 10;
        s = String(num);
        break;
      case 'IYYY':
      case 'IYY':
      case 'IY':
      case 'I': {
        const iy = isoWeek(days).isoYear;
        const w = t.key.length;
        num = w === 4 ? iy : iy % Math.pow(10, w);
        s = pad(num, w, t.fm);
        break;
      }
      case 'MONTH':
        s = applyCase(MONTHS[month - 1], t.letterCase);
        if (!t.fm) s = s.padEnd(9, ' ');
        break;
      case 'MON':
        s = applyCase(MONTHS[month - 1].slice(0, 3), t.letterCase);
        break;
      case 'MM':
        num = month;
        s = pad(month, 2, t.fm);
        break;
      case 'DAY':
        s = applyCase(DAYS[dow], t.letterCase);
        if (!t.fm) s = s.padEnd(9, ' ');
        break;
      case 'DY':
        s = applyCase(DAYS[dow].slice(0, 3), t.letterCase);
        break;
      case 'DDD':
        num = doy;
        s = pad(doy, 3, t.fm);
        break;
      case 'IDDD': {
        const { week } = isoWeek(days);
        num = (week - 1) * 7 + isoDayOfWeek(days);
        s = pad(num, 3, t.fm);
        break;
      }
      case 'DD':
        num = day;
        s = pad(day, 2, t.fm);
        break;
      case 'D':
        num = dow + 1;
        s = String(num);
        break;
      case 'ID':
        num = isoDayOfWeek(days);
        s = String(num);
        break;
      case 'W':
        num = Math.floor((day - 1) / 7) + 1;
        s = String(num);
        break;
      case 'WW':
        num = Math.floor((doy - 1) / 7) + 1;
        s = pad(num, 2, t.fm);
        break;
      case 'IW':
        num = isoWeek(days).week;
        s = pad(num, 2, t.fm);
        break;
      case 'CC':
        num = year > 0 ? Math.floor((year + 99) / 100) : -Math.floor((99 - (year - 1)) / 100);
        s = pad(num, 2, t.fm);
        break;
      case 'J':
        num = days + 2440588;
        s = String(num);
        break;
      case 'Q':
        num = Math.floor((month - 1) / 3) + 1;
        s = String(num);
        break;
      case 'RM':
        s = applyCase(ROMAN[month - 1], t.letterCase === 'lower' ? 'lower' : 'upper');
        if (!t.fm) s = s.padEnd(4, ' ');
        break;
      case 'TZ':
        s = zone === null ? '' : applyCase(zone.abbrev, t.letterCase === 'lower' ? 'lower' : 'upper');
        break;
      case 'TZH':
        if (zone !== null) {
          const h = Math.trunc(zone.offsetMicros / MICROS_PER_HOUR);
          s = (zone.offsetMicros < 0 ? '-' : '+') + pad(Math.abs(h), 2, false);
        }
        break;
      case 'TZM':
        if (zone !== null) s = pad(Math.abs(Math.trunc((zone.offsetMicros % MICROS_PER_HOUR) / MICROS_PER_MINUTE)), 2, false);
        break;
      case 'OF':
        if (zone !== null) {
          const total = Math.abs(Math.round(zone.offsetMicros / MICROS_PER_MINUTE));
          s = (zone.offsetMicros < 0 ? '-' : '+') + pad(Math.floor(total / 60), 2, false) + (total % 60 !== 0 ? ':' + pad(total % 60, 2, false) : '');
        }
        break;
    }
    if (t.th !== null && num !== null) s += ordinal(num, t.th);
    out += s;
  }
  return out;
}
