// The streaming one-input operators: VALUES, Filter, Project, Limit/Offset, and CTE scans.
import { Expr } from '../../plan/expr';
import { CteScanNode, FilterNode, LimitNode, ProjectNode, ValuesNode } from '../../plan/plan';
import { SqlError, SqlState } from '../../types/sql-error';
import { Types } from '../../types/data-type';
import { castScalar } from '../../types/cast';
import { parseArrayLiteral } from '../../types/pg-types';
import { Batch, Scalar, Vector } from '../../types/vector';
import { compactBatch, getScalar, vectorFromScalars } from '../../types/vector-ops';
import { CompiledExpr, ExprEnv } from '../expr/compiled';
import { compileAll, compileExpr } from '../expr/compile';
import { arrayElements } from '../../types/array-ops';
import { SelectionFilter, compileSelection } from '../expr/select-filter';
import { chunkBatch, gatherNeeded, sliceBatch, trueRows } from '../vector-util';
import { Operator, PrepareChild, PreparedNode, Pulled, YIELD } from './operator';

const ONE_ROW: Batch = { length: 1, columns: [] };

export function prepareValues(node: ValuesNode, env: ExprEnv): PreparedNode {
  const rows: CompiledExpr[][] = [];
  for (const r of node.rows) rows.push(compileAll(r, env));
  if (node.arrayElements !== undefined) {
    const array = compileExpr(node.arrayElements, env);
    return { node, open: () => new ValuesOp(node, env, arrayRows(array, node, env)) };
  }
  return { node, open: () => new ValuesOp(node, env, rows) };
}

/** unnest(): the array's elements (from its text form) as one-column constant rows. */
function arrayRows(array: CompiledExpr, node: ValuesNode, env: ExprEnv): CompiledExpr[][] {
  const value = getScalar(array.eval(ONE_ROW), 0);
  if (value === null) return [];
  if (array.type.name === 'array') {
    const type = array.type.elem!;
    return arrayElements(type, value as string).map((v) => [compileExpr({ kind: 'const', value: v, type: node.output[0].type }, env)]);
  }
  const items = parseArrayLiteral(String(value));
  if (items === null) throw new SqlError(SqlState.invalidTextRepresentation, `malformed array literal: "${value}"`);
  const type = node.output[0].type;
  return items.map((item) => [compileExpr({ kind: 'const', value: item === null ? null : castScalar(item, Types.text, type, env.ctx.format, false), type }, env)]);
}

class ValuesOp extends Operator {
  private pending: Batch[] | null = null;
  constructor(
    private readonly node: ValuesNode,
    env: ExprEnv,
    private readonly rows: CompiledExpr[][],
  ) {
    super(node, env);
  }
  protected produce(): Batch | null {
    if (this.pending === null) {
      this.pending = [];
      const types = this.node.output.map((o) => o.type);
      const literal = this.node.scalarRows;
      const n = literal !== undefined ? literal.length : this.rows.length;
      if (literal !== undefined && n > 0) {
        const cols: Scalar[][] = types.map(() => new Array(n));
        for (let r = 0; r < n; r++) for (let c = 0; c < types.length; c++) cols[c][r] = literal[r][c];
        chunkBatch({ length: n, columns: types.map((t, c) => vectorFromScalars(t, cols[c])) }, this.pending);
      } else if (n > 0) {
        const cols: Scalar[][] = types.map(() => new Array(n));
        for (let r = 0; r < n; r++) for (let c = 0; c < types.length; c++) cols[c][r] = getScalar(this.rows[r][c].eval(ONE_ROW), 0);
        chunkBatch({ length: n, columns: types.map((t, c) => vectorFromScalars(t, cols[c])) }, this.pending);
      }
      this.pending.reverse();
    }
    return this.pending.pop() ?? null;
  }
}

export function prepareFilter(node: FilterNode, env: ExprEnv, child: PrepareChild): PreparedNode {
  const input = child(node.input);
  const predicate = compileSelection(node.predicate, env);
  const need = env.needed.get(node) ?? null;
  return { node, open: () => new FilterOp(node, env, input.open(), predicate, need) };
}

class FilterOp extends Operator {
  constructor(
    node: FilterNode,
    env: ExprEnv,
    private readonly input: Operator,
    private readonly predicate: SelectionFilter,
    private readonly need: boolean[] | null,
  ) {
    super(node, env);
  }
  protected produce(): Pulled {
    for (;;) {
      const b = this.input.next();
      if (b === null || b === YIELD) return b;
      const keep = this.predicate.select(b);
      if (keep === null) return b;
      if (keep.length === 0) continue;
      return gatherNeeded(b, keep, this.need);
    }
  }
}

export function prepareProject(node: ProjectNode, env: ExprEnv, child: PrepareChild): PreparedNode {
  const input = child(node.input);
  const exprs = compileAll(node.exprs, env);
  return { node, open: () => new ProjectOp(node, env, input.open(), exprs) };
}

class ProjectOp extends Operator {
  constructor(
    node: ProjectNode,
    env: ExprEnv,
    private readonly input: Operator,
    private readonly exprs: CompiledExpr[],
  ) {
    super(node, env);
  }
  protected produce(): Pulled {
    const b = this.input.next();
    if (b === null || b === YIELD) return b;
    const columns: Vector[] = new Array(this.exprs.length);
    for (let c = 0; c < this.exprs.length; c++) columns[c] = this.exprs[c].eval(b);
    return { length: b.length, columns };
  }
}

/** LIMIT/OFFSET count: a constant or parameter; NULL = none; negative → 2201W / 2201X. */
function rowCount(e: Expr | null, env: ExprEnv, what: 'LIMIT' | 'OFFSET'): number | null {
  if (e === null) return null;
  const c = compileExpr(e, env);
  const v = c.isConst ? c.value : getScalar(c.eval(ONE_ROW), 0);
  if (v === null) return null;
  const x = typeof v === 'number' ? v : Number(v);
  if (x < 0)
    throw new SqlError(what === 'LIMIT' ? SqlState.invalidRowCountInLimitClause : SqlState.invalidRowCountInResultOffsetClause, `${what} must not be negative`);
  return x;
}

export function prepareLimit(node: LimitNode, env: ExprEnv, child: PrepareChild): PreparedNode {
  const input = child(node.input);
  return {
    node,
    open: () => {
      // Evaluated when the node starts (parameters and outer values are known by then).
      const limit = rowCount(node.limit, env, 'LIMIT');
      const offset = rowCount(node.offset, env, 'OFFSET') ?? 0;
      return new LimitOp(node, env, input.open(), limit, offset);
    },
  };
}

class LimitOp extends Operator {
  constructor(
    node: LimitNode,
    env: ExprEnv,
    private readonly input: Operator,
    private left: number | null,
    private skip: number,
  ) {
    super(node, env);
  }
  protected produce(): Pulled {
    for (;;) {
      if (this.left !== null && this.left <= 0) return null;
      const b = this.input.next();
      if (b === null || b === YIELD) return b;
      let start = 0;
      if (this.skip > 0) {
        start = Math.min(this.skip, b.length);
        this.skip -= start;
      }
      const end = this.left === null ? b.length : Math.min(b.length, start + this.left);
      if (end <= start) continue;
      if (this.left !== null) this.left -= end - start;
      return sliceBatch(b, start, end);
    }
  }
}

export function prepareCteScan(node: CteScanNode, env: ExprEnv): PreparedNode {
  return { node, open: () => new CteScanOp(node, env) };
}

class CteScanOp extends Operator {
  private batches: Batch[] | null = null;
  private pos = 0;
  constructor(
    private readonly node: CteScanNode,
    private readonly env: ExprEnv,
  ) {
    super(node, env);
  }
  protected produce(): Batch | null {
    if (this.batches === null) {
      const rows = this.env.ctes.get(this.node.cteId);
      if (rows === undefined) throw new Error(`CTE ${this.node.cteId} is not materialized`);
      this.batches = [];
      for (const b of rows) if (b.length > 0) chunkBatch(compactBatch(b), this.batches);
    }
    return this.batches[this.pos++] ?? null;
  }
}

