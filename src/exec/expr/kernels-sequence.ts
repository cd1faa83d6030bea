// nextval / currval / setval / lastval: volatile, so never folded to a constant — each row of the
// batch calls the session's sequence functions once (nextval in a VALUES list or a DEFAULT runs
// once per inserted row, as in PostgreSQL). Not a hot path: one call per row is what it means.
import { CallExpr } from '../../plan/expr';
import { SqlError, SqlState } from '../../types/sql-error';
import { Float64Vector } from '../../types/vector';
import { getScalar } from '../../types/vector-ops';
import { CompiledExpr, ExprEnv } from './compiled';

export const SEQUENCE_FNS = new Set<string>(['nextval', 'currval', 'setval', 'lastval']);

export function sequenceCall(e: CallExpr, args: CompiledExpr[], env: ExprEnv): CompiledExpr {
  const fn = e.fn;
  const evalFn = (batch: { length: number; columns: any[] }) => {
    const seqs = env.ctx.sequences;
    if (seqs === undefined) throw new SqlError(SqlState.featureNotSupported, `${fn}() is not available here`);
    const n = batch.length;
    const argv = args.map((a) => a.eval(batch as never));
    const values = new Float64Array(n);
    let nulls: Uint8Array | null = null;
    for (let i = 0; i < n; i++) {
      const a = argv.map((v) => getScalar(v, i));
      if (a.some((x) => x === null)) {
        nulls ??= new Uint8Array(n);
        nulls[i] = 1;
        continue;
      }
      switch (fn) {
        case 'nextval':
          values[i] = seqs.nextval(a[0] as string);
          break;
        case 'currval':
          values[i] = seqs.currval(a[0] as string);
          break;
        case 'setval':
          values[i] = seqs.setval(a[0] as string, Number(a[1]), a.length > 2 ? (a[2] as boolean) : true);
          break;
        default:
          values[i] = seqs.lastval();
      }
    }
    const out: Float64Vector = { kind: 'int64', type: e.type, length: n, values, nulls };
    return out;
  };
  return { type: e.type, eval: evalFn, isConst: false, value: null, canError: true, columns: [...new Set(args.flatMap((a) => a.columns))] };
}
