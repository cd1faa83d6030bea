// set_config(name, value, is_local): volatile (never folded), it changes the session's setting as
// each row is evaluated and returns the value as SHOW would print it, as PostgreSQL's does.
import { CallExpr } from '../../plan/expr';
import { SqlError, SqlState } from '../../types/sql-error';
import { StringVector } from '../../types/vector';
import { getScalar } from '../../types/vector-ops';
import { CompiledExpr, ExprEnv } from './compiled';

export function setConfigCall(e: CallExpr, args: CompiledExpr[], env: ExprEnv): CompiledExpr {
  const evalFn = (batch: { length: number; columns: any[] }) => {
    const setConfig = env.ctx.setConfig;
    if (setConfig === undefined) throw new SqlError(SqlState.featureNotSupported, 'set_config() is not available here');
    const n = batch.length;
    const argv = args.map((a) => a.eval(batch as never));
    const dict: string[] = [];
    const codes = new Int32Array(n);
    let nulls: Uint8Array | null = null;
    for (let i = 0; i < n; i++) {
      const name = getScalar(argv[0], i);
      if (name === null) throw new SqlError(SqlState.nullValueNotAllowed, 'SET requires parameter name');
      const value = getScalar(argv[1], i);
      const isLocal = getScalar(argv[2], i) === true;
      const shown = setConfig(name as string, value === null ? null : (value as string), isLocal);
      if (shown === null) {
        nulls ??= new Uint8Array(n);
        nulls[i] = 1;
        continue;
      }
      codes[i] = dict.length;
      dict.push(shown);
    }
    const out: StringVector = { kind: 'string', type: e.type, length: n, codes, dict, nulls };
    return out;
  };
  return { type: e.type, eval: evalFn, isConst: false, value: null, canError: true, columns: [...new Set(args.flatMap((a) => a.columns))] };
}
