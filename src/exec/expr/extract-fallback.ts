// extract(field FROM date|timestamp|timestamptz|interval) → numeric, PostgreSQL 14+ semantics.
// A stand-in until types/datetime exports extractField (kernels-datetime.ts prefers that one).
import { Decimal, Interval } from '../../types/vector';
import { decimal } from '../../types/numeric';
import { MICROS_PER_DAY, canonicalUnit, daysFromCivil, isoDayOfWeek, isoWeek, splitTimestamp, unitNotRecognized, zoneOffsetMicros } from '../../types/datetime';

const int = (x: number): Decimal => decimal(BigInt(x), 0);

export function extractFieldFallback(field: string, kind: 'date' | 'timestamp' | 'timestamptz' | 'interval', value: number | Interval, tz: string): Decimal {
  const unit = canonicalUnit(field);
  if (kind === 'interval') {
    const iv = value as Interval;
    const secs = Math.trunc(iv.micros / 1e6);
    switch (unit) {
      case 'year': return int(Math.trunc(iv.months / 12));
      case 'month': return int(iv.months % 12);
      case 'day': return int(iv.days);
      case 'hour': return int(Math.trunc(secs / 3600));
      case 'minute': return int(Math.trunc((secs % 3600) / 60));
      case 'second': return decimal(BigInt(Math.round(iv.micros % 60e6)), 6);
      case 'milliseconds': return decimal(BigInt(Math.round(iv.micros % 60e6)), 3);
      case 'microseconds': return int(Math.round(iv.micros % 60e6));
      case 'quarter': return int(Math.trunc((iv.months % 12) / 3) + 1);
      case 'decade': return int(Math.trunc(iv.months / 120));
      case 'century': return int(Math.trunc(iv.months / 1200));
      case 'millennium': return int(Math.trunc(iv.months / 12000));
      case 'epoch': {
        // months count 365.25/12 days, as PostgreSQL's interval_part.
        const yearsMicros = Math.trunc(iv.months / 12) * 365.25 * 86400e6;
        const monthMicros = (iv.months % 12) * 30 * 86400e6;
        return decimal(BigInt(Math.round(yearsMicros + monthMicros + iv.days * 86400e6 + iv.micros)), 6);
      }
      default: throw unitNotRecognized(field, 'interval');
    }
  }
  const isDate = kind === 'date';
  let micros = isDate ? (value as number) * MICROS_PER_DAY : (value as number);
  if (unit === 'epoch') return isDate ? decimal(BigInt(value as number) * 86400n, 0) : decimal(BigInt(Math.round(micros)), 6);
  if (kind === 'timestamptz') micros += zoneOffsetMicros(tz, micros);
  const p = splitTimestamp(micros);
  const typeName = isDate ? 'date' : kind === 'timestamptz' ? 'timestamp with time zone' : 'timestamp without time zone';
  switch (unit) {
    case 'year': return int(p.year > 0 ? p.year : p.year - 1);
    case 'month': return int(p.month);
    case 'day': return int(p.day);
    case 'quarter': return int(Math.floor((p.month - 1) / 3) + 1);
    case 'dow': return int(isoDayOfWeek(p.days) % 7);
    case 'isodow': return int(isoDayOfWeek(p.days));
    case 'doy': return int(p.days - daysFromCivil(p.year, 1, 1) + 1);
    case 'week': return int(isoWeek(p.days).week);
    case 'isoyear': return int(isoWeek(p.days).isoYear);
    case 'decade': return int(Math.floor(p.year / 10));
    case 'century': return int(p.year > 0 ? Math.floor((p.year + 99) / 100) : -Math.floor((99 - (p.year - 1)) / 100));
    case 'millennium': return int(p.year > 0 ? Math.floor((p.year + 999) / 1000) : -Math.floor((999 - (p.year - 1)) / 1000));
    case 'julian': return isDate ? int(p.days + 2440588) : decimal(BigInt(Math.round((micros / MICROS_PER_DAY + 2440588) * 1e6)), 6);
    case 'hour':
    case 'minute':
    case 'second':
    case 'milliseconds':
    case 'microseconds':
      if (isDate) throw unitNotRecognized(field, typeName);
      if (unit === 'hour') return int(p.hour);
      if (unit === 'minute') return int(p.minute);
      if (unit === 'second') return decimal(BigInt(p.secondMicros), 6);
      if (unit === 'milliseconds') return decimal(BigInt(p.secondMicros), 3);
      return int(p.secondMicros);
    default:
      throw unitNotRecognized(field, typeName);
  }
}
