// Set-returning functions in FROM: generate_series(start, stop[, step]) over int4, int8, numeric,
// and timestamp/timestamptz with an interval step. Arguments are evaluated once when the scan
// starts; NULL arguments give no rows; values are produced a batch at a time into typed arrays.
import { FunctionScanNode } from '../../plan/plan';
import { SqlError, SqlState } from '../../types/sql-error';
import { BATCH_SIZE, Batch, Decimal, Interval, Scalar } from '../../types/vector';
import { getScalar, newVector, vectorFromScalars } from '../../types/vector-ops';
import { decimalAdd, decimalCompare } from '../../types/numeric';
import { timestampAddInterval } from '../../types/datetime';
import { CompiledExpr, ExprEnv } from '../expr/compiled';
import { compileExpr } from '../expr/compile';
import { Operator, PreparedNode, Pulled, YIELD } from './operator';

const ONE_ROW: Batch = { length: 1, columns: [] };

export function prepareFunctionScan(node: FunctionScanNode, env: ExprEnv): PreparedNode {
  const args = node.args.map((a) => compileExpr(a, env));
  return { node, open: () => new GenerateSeriesOp(node, env, args) };
}

class GenerateSeriesOp extends Operator {
  private started = false;
  private done = false;
  private cur: Scalar = null;
  private stop: Scalar = null;
  private step: Scalar = null;

  constructor(
    private readonly node: FunctionScanNode,
    private readonly env: ExprEnv,
    private readonly args: CompiledExpr[],
  ) {
    super(node, env);
  }

  private emitted = 0;

  protected produce(): Pulled {
    // A series can be as long as a table: let the event loop in between batches too.
    const shouldYield = this.env.ctx.shouldYield;
    if (shouldYield !== undefined && shouldYield()) return YIELD;
    const b = this.series();
    if (b === null || !this.node.ordinality) return b;
    // WITH ORDINALITY: 1, 2, … across batches.
    const ord = new Float64Array(b.length);
    for (let i = 0; i < b.length; i++) ord[i] = ++this.emitted;
    return { length: b.length, columns: [b.columns[0], { kind: 'int64', type: this.node.output[1].type, length: b.length, nulls: null, values: ord }] };
  }

  private series(): Batch | null {
    if (!this.started) this.start();
    if (this.done) return null;
    const type = this.node.output[0].type;
    if (type.storage === 'int32' || type.storage === 'int64') return this.numbers();
    const values: Scalar[] = [];
    const ts = type.storage === 'timestamp';
    const zone = type.name === 'timestamptz' ? this.env.ctx.format.timeZone : null;
    while (values.length < BATCH_SIZE) {
      if (ts) {
        const c = this.cur as number;
        const down = stepSign(this.step as Interval) < 0;
        if (down ? c < (this.stop as number) : c > (this.stop as number)) break;
        values.push(c);
        this.cur = timestampAddInterval(c, this.step as Interval, zone);
      } else {
        const c = this.cur as Decimal;
        const down = (this.step as Decimal).digits < 0n;
        const cmp = decimalCompare(c, this.stop as Decimal);
        if (down ? cmp < 0 : cmp > 0) break;
        values.push(c);
        this.cur = decimalAdd(c, this.step as Decimal);
      }
    }
    if (values.length < BATCH_SIZE) this.done = true;
    if (values.length === 0) return null;
    return { length: values.length, columns: [vectorFromScalars(type, values)] };
  }

  private numbers(): Batch | null {
    const type = this.node.output[0].type;
    let c = this.cur as number;
    const stop = this.stop as number;
    const step = this.step as number;
    const left = step > 0 ? Math.floor((stop - c) / step) + 1 : Math.floor((c - stop) / -step) + 1;
    const n = Math.max(0, Math.min(BATCH_SIZE, left));
    if (n < BATCH_SIZE || n === left) this.done = true;
    if (n === 0) return null;
    const v = newVector(type, n) as { values: Int32Array | Float64Array };
    const values = v.values;
    for (let i = 0; i < n; i++) {
      values[i] = c;
      c += step;
    }
    this.cur = c;
    return { length: n, columns: [v as never] };
  }

  private start(): void {
    this.started = true;
    const vals = this.args.map((a) => getScalar(a.eval(ONE_ROW), 0));
    if (vals.some((v) => v === null)) {
      this.done = true;
      return;
    }
    const type = this.node.output[0].type;
    this.cur = vals[0];
    this.stop = vals[1];
    this.step = vals[2] ?? (type.storage === 'numeric' ? ({ decimal: true, digits: 1n, scale: 0 } as Decimal) : 1);
    const zero =
      typeof this.step === 'number' ? this.step === 0 : (this.step as Decimal).decimal === true ? (this.step as Decimal).digits === 0n : stepSign(this.step as Interval) === 0;
    if (zero) throw new SqlError(SqlState.invalidParameterValue, 'step size cannot equal zero');
  }
}

/** Sign of an interval step, by its rough span (as PostgreSQL compares it with a zero interval). */
function stepSign(iv: Interval): number {
  const span = iv.months * 30 * 86400e6 + iv.days * 86400e6 + iv.micros;
  return span > 0 ? 1 : span < 0 ? -1 : 0;
}
