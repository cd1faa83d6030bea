// Calendar arithmetic on plain numbers (days since 1970-01-01, microseconds since 1970-01-01 UTC),
// so loops over date/timestamp vectors never allocate Date objects. Civil-from-days after
// Howard Hinnant's "chrono-Compatible Low-Level Date Algorithms".
import { Interval } from './vector';
import { SqlError, SqlState } from './sql-error';

export const MICROS_PER_SECOND = 1_000_000;
export const MICROS_PER_MINUTE = 60 * MICROS_PER_SECOND;
export const MICROS_PER_HOUR = 60 * MICROS_PER_MINUTE;
export const MICROS_PER_DAY = 24 * MICROS_PER_HOUR;

export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return { year, month, day };
}

export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

export function daysInMonth(y: number, m: number): number {
  return m === 2 ? (isLeapYear(y) ? 29 : 28) : [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
}

/** Adds months to a date, clamping the day to the month's end (Jan 31 + 1 month = Feb 28/29), as PostgreSQL. */
export function addMonthsToDays(days: number, months: number): number {
  if (months === 0) return days;
  const { year, month, day } = civilFromDays(days);
  const total = year * 12 + (month - 1) + months;
  const ny = Math.floor(total / 12);
  const nm = total - ny * 12 + 1;
  return daysFromCivil(ny, nm, Math.min(day, daysInMonth(ny, nm)));
}

/** timestamp + interval: months first (with clamping), then days, then microseconds. */
export function timestampAddInterval(micros: number, iv: Interval, timeZone: string | null): number {
  let result = micros;
  if (iv.months !== 0 || iv.days !== 0) {
    // For timestamptz the calendar arithmetic happens in the session's zone.
    const offset = timeZone === null ? 0 : zoneOffsetMicros(timeZone, micros);
    const local = micros + offset;
    const days = Math.floor(local / MICROS_PER_DAY);
    const timeOfDay = local - days * MICROS_PER_DAY;
    const newDays = addMonthsToDays(days, iv.months) + iv.days;
    const newLocal = newDays * MICROS_PER_DAY + timeOfDay;
    result = timeZone === null ? newLocal : newLocal - zoneOffsetMicros(timeZone, newLocal - offset);
  }
  return result + iv.micros;
}

export function dateAddInterval(days: number, iv: Interval): number {
  return timestampAddInterval(days * MICROS_PER_DAY, iv, null);
}

/** timestamp - timestamp: days and time, as PostgreSQL's timestamp_mi (justified hours into days). */
export function timestampSub(a: number, b: number): Interval {
  const diff = a - b;
  const days = diff < 0 ? Math.ceil(diff / MICROS_PER_DAY) : Math.floor(diff / MICROS_PER_DAY);
  return { months: 0, days, micros: diff - days * MICROS_PER_DAY };
}

// ---- time zones ----

const zoneFormatters = new Map<string, Intl.DateTimeFormat>();

/** Offset of a zone from UTC at an instant, in microseconds (east positive). */
export function zoneOffsetMicros(timeZone: string, utcMicros: number): number {
  const fixed = fixedOffsetMinutes(timeZone);
  if (fixed !== null) return fixed * MICROS_PER_MINUTE;
  let fmt = zoneFormatters.get(timeZone);
  if (fmt === undefined) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    zoneFormatters.set(timeZone, fmt);
  }
  const ms = Math.floor(utcMicros / 1000);
  const parts = fmt.formatToParts(new Date(ms - (ms % 1000 + 1000) % 1000));
  const get = (t: string) => Number(parts.find((p) => p.type === t)!.value);
  const localDays = daysFromCivil(get('year'), get('month'), get('day'));
  const localSeconds = localDays * 86400 + get('hour') * 3600 + get('minute') * 60 + get('second');
  const utcSeconds = Math.floor(ms / 1000);
  return (localSeconds - utcSeconds) * MICROS_PER_SECOND;
}

/** 'UTC', 'GMT', '+02', '-05:30' (POSIX-style names are not supported) → minutes east, or null for a named zone. */
function fixedOffsetMinutes(tz: string): number | null {
  const t = tz.trim().toUpperCase();
  if (t === 'UTC' || t === 'GMT' || t === 'Z' || t === 'ZULU' || t === 'ETC/UTC') return 0;
  const m = /^([+-])?(\d{1,2})(?::?(\d{2}))?$/.exec(t);
  if (m === null) return null;
  // PostgreSQL's SET TIME ZONE '+5' means 5 hours east in ISO sign convention when given as a number.
  const minutes = Number(m[2]) * 60 + Number(m[3] ?? 0);
  return m[1] === '-' ? -minutes : minutes;
}

// ---- extract / date_trunc ----

const UNIT_ALIASES: Record<string, string> = {
  years: 'year', y: 'year', yr: 'year', yrs: 'year',
  months: 'month', mon: 'month', mons: 'month',
  days: 'day', d: 'day',
  hours: 'hour', h: 'hour', hr: 'hour', hrs: 'hour',
  minutes: 'minute', min: 'minute', mins: 'minute', m: 'minute',
  seconds: 'second', sec: 'second', secs: 'second', s: 'second',
  milliseconds: 'milliseconds', ms: 'milliseconds', millisecond: 'milliseconds',
  microseconds: 'microseconds', us: 'microseconds', microsecond: 'microseconds',
  weeks: 'week', w: 'week',
  quarters: 'quarter', decades: 'decade', centuries: 'century', millenniums: 'millennium', millennia: 'millennium',
};

export function canonicalUnit(field: string): string {
  const f = field.toLowerCase();
  return UNIT_ALIASES[f] ?? f;
}

export interface ExtractParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  /** Seconds including the fraction, in microseconds. */
  secondMicros: number;
  days: number;
}

export function splitTimestamp(micros: number): ExtractParts {
  const days = Math.floor(micros / MICROS_PER_DAY);
  const rest = micros - days * MICROS_PER_DAY;
  const { year, month, day } = civilFromDays(days);
  const hour = Math.floor(rest / MICROS_PER_HOUR);
  const minute = Math.floor((rest - hour * MICROS_PER_HOUR) / MICROS_PER_MINUTE);
  const secondMicros = rest - hour * MICROS_PER_HOUR - minute * MICROS_PER_MINUTE;
  return { year, month, day, hour, minute, secondMicros, days };
}

/** ISO 8601 week number and ISO year of a day. */
export function isoWeek(days: number): { week: number; isoYear: number } {
  const dow = isoDayOfWeek(days); // 1..7, Monday = 1
  const thursday = days + (4 - dow);
  const { year } = civilFromDays(thursday);
  const jan1 = daysFromCivil(year, 1, 1);
  return { week: Math.floor((thursday - jan1) / 7) + 1, isoYear: year };
}

export function isoDayOfWeek(days: number): number {
  // 1970-01-01 was a Thursday (ISO 4).
  return ((((days + 3) % 7) + 7) % 7) + 1;
}

export function unitNotRecognized(field: string, typeName: string): SqlError {
  return new SqlError(SqlState.invalidParameterValue, `unit "${field}" not recognized for type ${typeName}`);
}

/** date_trunc(field, timestamp) on local microseconds. */
export function truncateMicros(field: string, micros: number): number {
  const unit = canonicalUnit(field);
  const p = splitTimestamp(micros);
  switch (unit) {
    case 'microseconds':
      return micros;
    case 'milliseconds':
      return Math.floor(micros / 1000) * 1000;
    case 'second':
      return Math.floor(micros / MICROS_PER_SECOND) * MICROS_PER_SECOND;
    case 'minute':
      return Math.floor(micros / MICROS_PER_MINUTE) * MICROS_PER_MINUTE;
    case 'hour':
      return Math.floor(micros / MICROS_PER_HOUR) * MICROS_PER_HOUR;
    case 'day':
      return p.days * MICROS_PER_DAY;
    case 'week':
      return (p.days - (isoDayOfWeek(p.days) - 1)) * MICROS_PER_DAY;
    case 'month':
      return daysFromCivil(p.year, p.month, 1) * MICROS_PER_DAY;
    case 'quarter':
      return daysFromCivil(p.year, Math.floor((p.month - 1) / 3) * 3 + 1, 1) * MICROS_PER_DAY;
    case 'year':
      return daysFromCivil(p.year, 1, 1) * MICROS_PER_DAY;
    case 'decade':
      return daysFromCivil(Math.floor(p.year / 10) * 10, 1, 1) * MICROS_PER_DAY;
    case 'century':
      return daysFromCivil(Math.floor((p.year - 1) / 100) * 100 + 1, 1, 1) * MICROS_PER_DAY;
    case 'millennium':
      return daysFromCivil(Math.floor((p.year - 1) / 1000) * 1000 + 1, 1, 1) * MICROS_PER_DAY;
    default:
      throw unitNotRecognized(field, 'timestamp without time zone');
  }
}

/** The wall clock in microseconds since 1970 (PostgreSQL's timestamps keep microseconds; Date.now() only has milliseconds). */
export function currentMicros(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}
