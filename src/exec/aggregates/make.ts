// Picks the accumulator for an aggregate call from its function and argument type.
import { AggregateCall } from '../../plan/plan';
import { SqlError, SqlState } from '../../types/sql-error';
import { Accumulator } from './accumulator';
import { CountAccumulator } from './count';
import { FloatSumAccumulator, IntervalSumAccumulator, NumericSumAccumulator } from './sum-avg';
import { FixedMinMaxAccumulator, IntervalMinMaxAccumulator, NumericMinMaxAccumulator, StringMinMaxAccumulator } from './min-max';
import { BoolAccumulator, FloatVarianceAccumulator, NumericVarianceAccumulator, StringAggAccumulator } from './misc';
import { ArrayAggAccumulator } from './array-agg';

export function makeAccumulator(call: AggregateCall): Accumulator {
  const arg = call.args[0]?.type;
  const t = call.type;
  switch (call.fn) {
    case 'count_star':
      return new CountAccumulator(true);
    case 'count':
      return new CountAccumulator(false);
    case 'sum':
    case 'avg': {
      const avg = call.fn === 'avg';
      if (arg.storage === 'interval') return new IntervalSumAccumulator(t, avg);
      if (t.storage === 'numeric') return new NumericSumAccumulator(t, avg);
      return new FloatSumAccumulator(t, avg);
    }
    case 'min':
    case 'max': {
      const max = call.fn === 'max';
      switch (arg.storage) {
        case 'string': return new StringMinMaxAccumulator(t, max);
        case 'numeric': return new NumericMinMaxAccumulator(t, max);
        case 'interval': return new IntervalMinMaxAccumulator(t, max);
        default: return new FixedMinMaxAccumulator(t, max);
      }
    }
    case 'bool_and':
    case 'bool_or':
      return new BoolAccumulator(t, call.fn === 'bool_and');
    case 'string_agg':
      return new StringAggAccumulator(t);
    case 'array_agg':
      return new ArrayAggAccumulator(t);
    case 'stddev_samp':
    case 'var_samp':
      if (t.storage === 'numeric') return new NumericVarianceAccumulator(t, call.fn === 'stddev_samp');
      return new FloatVarianceAccumulator(t, call.fn === 'stddev_samp');
    default:
      throw new SqlError(SqlState.undefinedFunction, `aggregate ${String(call.fn)} is not implemented`);
  }
}
