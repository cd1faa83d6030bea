// extract / date_part / date_trunc and the current-time functions (constant per transaction).
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
    default:
      throw new Error(`datetimeKernel ${fn}`);
  }
}
