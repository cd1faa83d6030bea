// extract / date_part / date_trunc, to_char (dates, intervals and numbers) and the current-time functions (constant per transaction).
import { FunctionName } from '../../plan/expr';
import { DataType, Types } from '../../types/data-type';
import { Decimal, Interval } from '../../types/vector';
import * as datetime from '../../types/datetime';
import { MICROS_PER_DAY, truncateMicros, zoneOffsetMicros } from '../../types/datetime';
import { decimalToString } from '../../types/numeric';
import { ConstVectorSource } from '../vector-util';
import { CompiledExpr, ExprEnv, VectorFn } from './compiled';
import { rowKernel } from './kernels-string';
import { extractFieldFallback } from './extract-fallback';
import { compileToChar, formatIntervalToChar, formatToChar } from '../../types/to-char';
import { numberToChar } from '../../types/to-char-number';
import { parseDecimal } from '../../types/numeric';
import { SqlError, SqlState } from '../../types/sql-error';

const abbrevFormatters = new Map<string, Intl.DateTimeFormat>();
/** The zone's abbreviation at an instant (to_char's TZ): UTC for UTC, else what Intl knows ('EST', 'GMT+1'). */
function zoneAbbrev(zone: string, micros: number, offset: number): string {
  const z = zone.trim().toUpperCase();
  if (z === 'UTC' || z === 'ETC/UTC' || z === 'Z' || z === 'ZULU') return 'UTC';
  if (z === 'GMT') return 'GMT';
  try {
    let f = abbrevFormatters.get(zone);
    if (f === undefined) abbrevFormatters.set(zone, (f = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'short' })));
    const part = f.formatToParts(new Date(Math.floor(micros / 1000))).find((p) => p.type === 'timeZoneName');
    if (part !== undefined && !part.value.startsWith('GMT')) return part.value;
  } catch {
    // Not a zone Intl knows (a fixed offset such as '+05'): fall through to the numeric form.
  }
  const minutes = Math.round(offset / 60e6);
  const h = Math.floor(Math.abs(minutes) / 60);
  const m = Math.abs(minutes) % 60;
  return (minutes < 0 ? '-' : '+') + String(h).padStart(2, '0') + (m !== 0 ? ':' + String(m).padStart(2, '0') : '');
}

type ExtractFn = (field: string, kind: 'date' | 'timestamp' | 'timestamptz' | 'interval', value: number | Interval, timeZone: string) => Decimal;

// types/datetime is gaining extractField/dateTrunc; until then the fallback beside this file serves.
const extractField: ExtractFn = ((datetime as unknown as { extractField?: ExtractFn }).extractField ?? extractFieldFallback) as ExtractFn;

export function datetimeKernel(fn: FunctionName, args: CompiledExpr[], type: DataType, env: ExprEnv): VectorFn {
  const ctx = env.ctx;
  const tz = ctx.format.timeZone;
  switch (fn) {
    case 'now': {
      const src = new ConstVectorSource(Types.timestamptz, ctx.transactionStartMicros);
      return (b) => src.get(b.length);
    }
    case 'statement_timestamp': {
      const src = new ConstVectorSource(Types.timestamptz, ctx.statementStartMicros);
      return (b) => src.get(b.length);
    }
    case 'clock_timestamp':
      // Volatile: the clock when each row is evaluated (one reading per batch row).
      return (b) => {
        const values = new Float64Array(b.length);
        for (let i = 0; i < b.length; i++) values[i] = datetime.currentMicros();
        return { kind: 'timestamp', type: Types.timestamptz, length: b.length, nulls: null, values };
      };
    case 'localtimestamp': {
      const src = new ConstVectorSource(Types.timestamp, ctx.transactionStartMicros + zoneOffsetMicros(tz, ctx.transactionStartMicros));
      return (b) => src.get(b.length);
    }
    case 'current_date': {
      const local = ctx.transactionStartMicros + zoneOffsetMicros(tz, ctx.transactionStartMicros);
      const src = new ConstVectorSource(Types.date, Math.floor(local / MICROS_PER_DAY));
      return (b) => src.get(b.length);
    }
    case 'extract':
    case 'date_part': {
      const kind = args[1].type.name as 'date' | 'timestamp' | 'timestamptz' | 'interval';
      const asFloat = fn === 'date_part';
      return rowKernel(args, type, ([field, v]) => {
        const d = extractField(field as string, kind, v as number | Interval, tz);
        return asFloat ? Number(decimalToString(d)) : d;
      });
    }
    case 'date_trunc': {
      const zone = args[1].type.name === 'timestamptz' ? tz : null;
      return rowKernel(args, type, ([field, v]) => {
        const micros = v as number;
        if (zone === null) return truncateMicros(field as string, micros);
        // Truncate the local wall-clock time, then map back to UTC with the offset in force then.
        const truncated = truncateMicros(field as string, micros + zoneOffsetMicros(zone, micros));
        return truncated - zoneOffsetMicros(zone, truncated - zoneOffsetMicros(zone, truncated));
      });
    }
    case 'to_char': {
      if (args[0].type.name === 'interval') return rowKernel(args, type, ([v, format]) => formatIntervalToChar(v as Interval, compileToChar(format as string)));
      const st = args[0].type.storage;
      if (st === 'numeric' || st === 'int32' || st === 'int64' || st === 'float64')
        return rowKernel(args, type, ([v, format]) => {
          // Floats go through their shortest decimal text, as PostgreSQL formats them from digits.
          const d = typeof v === 'number' ? (Number.isInteger(v) ? { decimal: true as const, digits: BigInt(v), scale: 0 } : parseDecimal(String(v))) : (v as Decimal);
          if (d === null) throw new SqlError(SqlState.featureNotSupported, 'to_char of a non-finite or exponent-form float is not supported');
          return numberToChar(d, format as string);
        });
      const zone = args[0].type.name === 'timestamptz' ? tz : null;
      return rowKernel(args, type, ([v, format]) => {
        const micros = v as number;
        const tokens = compileToChar(format as string);
        if (zone === null) return formatToChar(micros, tokens, null);
        const offset = zoneOffsetMicros(zone, micros);
        return formatToChar(micros + offset, tokens, { offsetMicros: offset, abbrev: zoneAbbrev(zone, micros, offset) });
      });
    }
    default:
      throw new Error(`datetimeKernel ${fn}`);
  }
}
