// DISTINCT [ON], set operations, and WITH. All use a KeyTable over whole rows (NULLs equal):
//  - DISTINCT keeps the first row of each key in input order (DISTINCT ON: the ON expressions' key).
//  - UNION ALL streams both inputs; UNION is DISTINCT over both.
//  - INTERSECT/EXCEPT insert the right input first, counting rows per key, then stream the left:
//    INTERSECT emits a key once if the right had it, INTERSECT ALL min(m, n) times; EXCEPT emits a
//    key once if the right lacked it, EXCEPT ALL max(m − n, 0) times (SQL's multiset semantics).
import { DistinctNode, PlanNode, SetOpNode, WithNode } from '../../plan/plan';
import { Batch, Vector } from '../../types/vector';
import { gatherVector } from '../../types/vector-ops';
import { CompiledExpr, ExprEnv } from '../expr/compiled';
import { compileExpr } from '../expr/compile';
import { KeyKind, hashKeys, keyKindOf, pairKind, toKeyColumn } from '../hash/key-hash';
import { KeyTable } from '../hash/key-table';
import { InputCollector, Operator, PrepareChild, PreparedNode, Pulled, YIELD, drain } from './operator';
import { growF64, growU8 } from '../aggregates/accumulator';

/** Ids of each row's key (inserting new keys). */
export function rowIds(table: KeyTable, keyVecs: Vector[], kinds: readonly KeyKind[], n: number): Int32Array {
  const keys = keyVecs.map((v, c) => toKeyColumn(v, kinds[c]));
  const hashes = new Int32Array(n);
  hashKeys(keys, n, hashes);
  const ids = new Int32Array(n);
  table.findOrInsert(keys, hashes, n, ids);
  return ids;
}

function keepRows(b: Batch, keep: Uint32Array, k: number): Batch | null {
  if (k === 0) return null;
  if (k === b.length) return b;
  return { length: k, columns: b.columns.map((c) => gatherVector(c, keep, k)) };
}

export function prepareDistinct(node: DistinctNode, env: ExprEnv, child: PrepareChild): PreparedNode {
  const input = child(node.input);
  const on = node.on === null ? null : node.on.map((e) => compileExpr(e, env));
  const kinds = on === null ? node.output.map((o) => keyKindOf(o.type)) : on.map((e) => keyKindOf(e.type));
  return { node, open: () => new DistinctOp(node, env, [input.open()], on, kinds) };
}

class DistinctOp extends Operator {
  private readonly table: KeyTable;
  private emitted = new Uint8Array(1024);
  private current = 0;
  constructor(
    node: PlanNode,
    env: ExprEnv,
    private readonly inputs: Operator[],
    private readonly on: CompiledExpr[] | null,
    private readonly kinds: KeyKind[],
  ) {
    super(node, env);
    this.table = new KeyTable(kinds);
  }
  protected produce(): Pulled {
    while (this.current < this.inputs.length) {
      const b = this.inputs[this.current].next();
      if (b === YIELD) return YIELD;
      if (b === null) {
        this.current++;
        continue;
      }
      const n = b.length;
      const keyVecs = this.on === null ? b.columns : this.on.map((e) => e.eval(b));
      const ids = rowIds(this.table, keyVecs, this.kinds, n);
      this.emitted = growU8(this.emitted, this.table.size);
      const keep = new Uint32Array(n);
      let k = 0;
      for (let i = 0; i < n; i++) {
        const id = ids[i];
        if (this.emitted[id] === 0) {
          this.emitted[id] = 1;
          keep[k++] = i;
        }
      }
      const out = keepRows(b, keep, k);
      if (out !== null) return out;
    }
    return null;
  }
}

export function prepareSetOp(node: SetOpNode, env: ExprEnv, child: PrepareChild): PreparedNode {
  const left = child(node.left);
  const right = child(node.right);
  const kinds = node.output.map((o, c) => pairKind(node.left.output[c]?.type ?? o.type, node.right.output[c]?.type ?? o.type));
  if (node.op === 'union') {
    if (node.all) return { node, open: () => new ConcatOp(node, env, [left.open(), right.open()]) };
    return { node, open: () => new DistinctOp(node, env, [left.open(), right.open()], null, kinds) };
  }
  return { node, open: () => new IntersectExceptOp(node, env, left.open(), right.open(), kinds) };
}

class ConcatOp extends Operator {
  private current = 0;
  constructor(
    node: PlanNode,
    env: ExprEnv,
    private readonly inputs: Operator[],
  ) {
    super(node, env);
  }
  protected produce(): Pulled {
    while (this.current < this.inputs.length) {
      const b = this.inputs[this.current].next();
      if (b !== null) return b;
      this.current++;
    }
    return null;
  }
}

class IntersectExceptOp extends Operator {
  private table: KeyTable | null = null;
  private rightCount = new Float64Array(1024);
  private emitted = new Uint8Array(1024);
  private readonly rightRows: InputCollector;
  constructor(
    private readonly node: SetOpNode,
    env: ExprEnv,
    private readonly left: Operator,
    right: Operator,
    private readonly kinds: KeyKind[],
  ) {
    super(node, env);
    this.rightRows = new InputCollector(right);
  }
  protected produce(): Pulled {
    if (this.table === null) {
      const rightBatches = this.rightRows.pull();
      if (rightBatches === YIELD) return YIELD;
      this.table = new KeyTable(this.kinds);
      for (const b of rightBatches) {
        const ids = rowIds(this.table, b.columns, this.kinds, b.length);
        this.rightCount = growF64(this.rightCount, this.table.size);
        for (let i = 0; i < b.length; i++) this.rightCount[ids[i]]++;
      }
    }
    const table = this.table;
    const intersect = this.node.op === 'intersect';
    const all = this.node.all;
    for (;;) {
      const b = this.left.next();
      if (b === null || b === YIELD) return b;
      const n = b.length;
      const ids = rowIds(table, b.columns, this.kinds, n);
      this.rightCount = growF64(this.rightCount, table.size);
      this.emitted = growU8(this.emitted, table.size);
      const counts = this.rightCount;
      const emitted = this.emitted;
      const keep = new Uint32Array(n);
      let k = 0;
      for (let i = 0; i < n; i++) {
        const id = ids[i];
        let take: boolean;
        if (intersect) {
          if (all) {
            take = counts[id] > 0;
            if (take) counts[id]--;
          } else {
            take = counts[id] > 0 && emitted[id] === 0;
            if (take) emitted[id] = 1;
          }
        } else if (all) {
          take = counts[id] === 0;
          if (!take) counts[id]--;
        } else {
          take = counts[id] === 0 && emitted[id] === 0;
          if (take) emitted[id] = 1;
        }
        if (take) keep[k++] = i;
      }
      const out = keepRows(b, keep, k);
      if (out !== null) return out;
    }
  }
}

export function prepareWith(node: WithNode, env: ExprEnv, child: PrepareChild): PreparedNode {
  const ctes = node.ctes.map((c) => ({ id: c.id, plan: child(c.plan) }));
  const input = child(node.input);
  return {
    node,
    open: () => {
      return new WithOp(node, env, ctes, input);
    },
  };
}

class WithOp extends Operator {
  private input: Operator | null = null;
  constructor(
    node: WithNode,
    private readonly env: ExprEnv,
    private readonly ctes: { id: number; plan: PreparedNode }[],
    private readonly prepared: PreparedNode,
  ) {
    super(node, env);
  }
  protected produce(): Pulled {
    if (this.input === null) {
      // Each CTE runs once, before the query that reads it (materialized, as PostgreSQL's MATERIALIZED).
      for (const c of this.ctes) this.env.ctes.set(c.id, drain(c.plan.open()));
      this.input = this.prepared.open();
    }
    return this.input.next();
  }
}
