// Interval text I/O in PostgreSQL's 'postgres' IntervalStyle ('1 year 2 mons 3 days 04:05:06').
import { SqlError, SqlState } from './sql-error';
import { Interval } from './vector';
import { MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_MINUTE, MICROS_PER_SECOND } from './datetime';

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

/** EncodeInterval, INTSTYLE_POSTGRES: a '+' marks a positive field after a negative one. */
export function formatInterval(iv: Interval): string {
  const years = Math.trunc(iv.months / 12);
  const months = iv.months - years * 12;
  const parts: string[] = [];
  let before = false;
  let zero = true;
  const add = (value: number, unit: string) => {
    if (value === 0) return;
    parts.push(`${before && value > 0 ? '+' : ''}${value} ${unit}${value === 1 ? '' : 's'}`);
    before = value < 0;
    zero = false;
  };
  add(years, 'year');
  add(months, 'mon');
  add(iv.days, 'day');
  if (iv.micros !== 0 || zero) {
    const neg = iv.micros < 0;
    let m = Math.abs(iv.micros);
    const h = Math.floor(m / MICROS_PER_HOUR);
    m -= h * MICROS_PER_HOUR;
    const mi = Math.floor(m / MICROS_PER_MINUTE);
    m -= mi * MICROS_PER_MINUTE;
    const s = Math.floor(m / MICROS_PER_SECOND);
    const frac = m - s * MICROS_PER_SECOND;
    let time = `${neg ? '-' : before ? '+' : ''}${pad2(h)}:${pad2(mi)}:${pad2(s)}`;
    if (frac > 0) time += '.' + String(frac).padStart(6, '0').replace(/0+$/, '');
    parts.push(time);
  }
  return parts.join(' ');
}

const UNITS: Record<string, [field: 'months' | 'days' | 'micros', factor: number]> = {};
function unit(names: string[], field: 'months' | 'days' | 'micros', factor: number): void {
  for (const n of names) UNITS[n] = [field, factor];
}
unit(['microsecond', 'microseconds', 'us', 'usec', 'usecs'], 'micros', 1);
unit(['millisecond', 'milliseconds', 'ms', 'msec', 'msecs'], 'micros', 1000);
unit(['second', 'seconds', 's', 'sec', 'secs'], 'micros', MICROS_PER_SECOND);
unit(['minute', 'minutes', 'm', 'min', 'mins'], 'micros', MICROS_PER_MINUTE);
unit(['hour', 'hours', 'h', 'hr', 'hrs'], 'micros', MICROS_PER_HOUR);
unit(['day', 'days', 'd'], 'days', 1);
unit(['week', 'weeks', 'w'], 'days', 7);
unit(['month', 'months', 'mon', 'mons'], 'months', 1);
unit(['year', 'years', 'y', 'yr', 'yrs'], 'months', 12);
unit(['decade', 'decades'], 'months', 120);
unit(['century', 'centuries'], 'months', 1200);
unit(['millennium', 'millennia', 'millenniums'], 'months', 12000);

function invalid(text: string): SqlError {
  return new SqlError(SqlState.invalidDatetimeFormat, `invalid input syntax for type interval: "${text}"`);
}

/** '1 year 2 months', '3 days 04:05:06', '-1 day', '1.5 hours', '2 weeks ago', '01:02'. */
export function parseInterval(text: string): Interval {
  const tokens = text.trim().toLowerCase().replace(/,/g, ' ').split(/\s+/).filter((t) => t !== '' && t !== '@');
  if (tokens.length === 0) throw invalid(text);
  let months = 0;
  let days = 0;
  let micros = 0;
  let ago = false;
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i];
    if (tok === 'ago') {
      ago = true;
      continue;
    }
    const time = /^([+-])?(\d+):(\d{1,2})(?::(\d{1,2})(?:\.(\d+))?)?$/.exec(tok);
    if (time !== null) {
      const sign = time[1] === '-' ? -1 : 1;
      const frac = Number((time[5] ?? '').padEnd(6, '0').slice(0, 6));
      micros += sign * (Number(time[2]) * MICROS_PER_HOUR + Number(time[3]) * MICROS_PER_MINUTE + Number(time[4] ?? 0) * MICROS_PER_SECOND + frac);
      continue;
    }
    const num = /^([+-]?(?:\d+\.?\d*|\.\d+))([a-z]*)$/.exec(tok);
    if (num === null) throw invalid(text);
    let unitName = num[2];
    if (unitName === '') {
      unitName = tokens[i + 1] ?? 'second';
      if (tokens[i + 1] !== undefined) i++;
    }
    const u = UNITS[unitName];
    if (u === undefined) throw invalid(text);
    const value = Number(num[1]) * u[1];
    // Fractions spill into smaller fields as PostgreSQL does (months → 30-day days → time).
    if (u[0] === 'months') {
      const whole = Math.trunc(value);
      months += whole;
      const dayFrac = (value - whole) * 30;
      const wholeDays = Math.trunc(dayFrac);
      days += wholeDays;
      micros += Math.round((dayFrac - wholeDays) * MICROS_PER_DAY);
    } else if (u[0] === 'days') {
      const whole = Math.trunc(value);
      days += whole;
      micros += Math.round((value - whole) * MICROS_PER_DAY);
    } else micros += Math.round(value);
  }
  if (ago) return { months: -months || 0, days: -days || 0, micros: -micros || 0 };
  return { months, days, micros };
}
