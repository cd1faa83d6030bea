// ProjectSet: generate_series and unnest calls in a select list (or reading earlier FROM items). Per input batch each call's arguments are
// evaluated as vectors and each row's series lengths computed; the row repeats as often as its
// longest series (a gather index) and every call writes its values beside it, NULL once its own
// series is exhausted (PostgreSQL runs several set-returning functions in lockstep). Integer
// series go straight into typed arrays; numeric and timestamp series through scalars. Output is
// re-chunked to BATCH_SIZE rows.
import { ProjectSetNode } from '../../plan/plan';
import { DataType } from '../../types/data-type';
import { SqlError, SqlState } from '../../types/sql-error';
import { Batch, Decimal, Interval, Scalar, Vector } from '../../types/vector';
import { getScalar, newVector, vectorFromScalars } from '../../types/vector-ops';
import { decimalAdd, decimalCompare } from '../../types/numeric';
import { timestampAddInterval } from '../../types/datetime';
import { arrayElements } from '../../types/array-ops';
import { CompiledExpr, ExprEnv } from '../expr/compiled';
import { compileExpr } from '../expr/compile';
import { chunkBatch, gatherNeeded } from '../vector-util';
import { Operator, PrepareChild, PreparedNode, Pulled, YIELD } from './operator';

export function prepareProjectSet(node: ProjectSetNode, env: ExprEnv, child: PrepareChild): PreparedNode {
  const input = child(node.input);
  const calls = node.calls.map((args) => args.map((a) => compileExpr(a, env)));
  const need = env.needed.get(node) ?? null;
  return { node, open: () => new ProjectSetOp(node, env, input.open(), calls, need) };
}

function stepZero(): SqlError {
  return new SqlError(SqlState.invalidParameterValue, 'step size cannot equal zero');
}

/** One call's series for the rows of a batch: per-row lengths, and a writer of row i's values from `at`. */
interface Series {
  counts: Float64Array;
  write(i: number, at: number): void;
  finish(total: number): Vector;
}

class ProjectSetOp extends Operator {
  private readonly queue: Batch[] = [];
  constructor(
    private readonly node: ProjectSetNode,
    private readonly env: ExprEnv,
    private readonly input: Operator,
    private readonly calls: CompiledExpr[][],
    private readonly need: boolean[] | null,
  ) {
    super(node, env);
  }

  protected produce(): Pulled {
    for (;;) {
      const q = this.queue.shift();
      if (q !== undefined) return q;
      const b = this.input.next();
      if (b === null || b === YIELD) return b;
      const out = this.expand(b);
      if (out !== null) chunkBatch(out, this.queue);
    }
  }

  private expand(b: Batch): Batch | null {
    const n = b.length;
    const width = this.node.input.output.length;
    const series = this.calls.map((args, j) => this.series(args.map((a) => a.eval(b)), this.node.output[width + j].type, n));
    const reps = new Float64Array(n);
    let total = 0;
    for (let i = 0; i < n; i++) {
      let m = 0;
      for (const s of series) if (s.counts[i] > m) m = s.counts[i];
      reps[i] = m;
      total += m;
    }
    if (total === 0) return null;
    const idx = new Uint32Array(total);
    let k = 0;
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < reps[i]; c++) idx[k + c] = i;
      for (const s of series) s.write(i, k);
      k += reps[i];
    }
    const repeated = gatherNeeded(b, idx, this.need === null ? null : this.need.slice(0, b.columns.length));
    return { length: total, columns: [...repeated.columns, ...series.map((s) => s.finish(total))] };
  }

  private series(vecs: Vector[], type: DataType, n: number): Series {
    const counts = new Float64Array(n);
    if ((type.storage === 'int32' || type.storage === 'int64') && vecs[0].type.name !== 'array') {
      const [start, stop, step] = vecs as { values: ArrayLike<number>; nulls: Uint8Array | null }[];
      for (let i = 0; i < n; i++) {
        if (start.nulls?.[i] === 1 || stop.nulls?.[i] === 1 || (step !== undefined && step.nulls?.[i] === 1)) continue;
        const s = step === undefined ? 1 : step.values[i];
        if (s === 0) throw stepZero();
        const c = Math.floor((stop.values[i] - start.values[i]) / s) + 1;
        counts[i] = c > 0 ? c : 0;
      }
      let values: Float64Array = new Float64Array(0);
      let written: Uint8Array = new Uint8Array(0);
      return {
        counts,
        write: (i, at) => {
          const s = step === undefined ? 1 : step.values[i];
          const c = counts[i];
          if (values.length < at + c) {
            const grown = new Float64Array(Math.max(at + c, values.length * 2, 1024));
            grown.set(values);
            values = grown;
            const w = new Uint8Array(grown.length);
            w.set(written);
            written = w;
          }
          let x = start.values[i];
          for (let q = 0; q < c; q++, x += s) {
            values[at + q] = x;
            written[at + q] = 1;
          }
        },
        finish: (rows) => {
          const v = newVector(type, rows) as { values: Int32Array | Float64Array; nulls: Uint8Array | null };
          let nulls: Uint8Array | null = null;
          for (let r = 0; r < rows; r++) {
            if (r < written.length && written[r] === 1) v.values[r] = values[r];
            else (nulls ??= new Uint8Array(rows))[r] = 1;
          }
          v.nulls = nulls;
          return v as unknown as Vector;
        },
      };
    }
    // numeric and timestamps: values per row as scalars.
    const zone = type.name === 'timestamptz' ? this.env.ctx.format.timeZone : null;
    const perRow: Scalar[][] = new Array(n);
    if (vecs.length === 1 && vecs[0].type.name === 'array') {
      // unnest(array): the elements in row-major order.
      const elem = vecs[0].type.elem!;
      for (let i = 0; i < n; i++) {
        const a = getScalar(vecs[0], i);
        perRow[i] = a === null ? [] : arrayElements(elem, a as string);
        counts[i] = perRow[i].length;
      }
    } else for (let i = 0; i < n; i++) {
      const [start, stop, step] = vecs.map((v) => getScalar(v, i));
      const vals: Scalar[] = [];
      perRow[i] = vals;
      if (start === null || stop === null || (vecs.length > 2 && step === null)) continue;
      if (type.storage === 'timestamp') {
        const iv = step as Interval;
        const span = iv.months * 30 * 86400e6 + iv.days * 86400e6 + iv.micros;
        if (span === 0) throw stepZero();
        for (let x = start as number; span > 0 ? x <= (stop as number) : x >= (stop as number); x = timestampAddInterval(x, iv, zone)) vals.push(x);
      } else {
        const st = (step as Decimal | null) ?? ({ decimal: true, digits: 1n, scale: 0 } as Decimal);
        if (st.digits === 0n) throw stepZero();
        const up = st.digits > 0n;
        for (let x = start as Decimal; up ? decimalCompare(x, stop as Decimal) <= 0 : decimalCompare(x, stop as Decimal) >= 0; x = decimalAdd(x, st)) vals.push(x);
      }
      counts[i] = vals.length;
    }
    const out: Scalar[] = [];
    return {
      counts,
      write: (i, at) => {
        while (out.length < at) out.push(null);
        for (const x of perRow[i]) out.push(x);
      },
      finish: (rows) => {
        while (out.length < rows) out.push(null);
        return vectorFromScalars(type, out);
      },
    };
  }
}
