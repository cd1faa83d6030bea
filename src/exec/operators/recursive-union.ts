// WITH RECURSIVE: the initial term's rows are the first working table; each round runs the
// recursive term afresh (its CTE scan of this CTE reads the working table, see CteScanOp) and its
// new rows become the next working table, until a round produces none. UNION keeps only rows not
// seen before (a KeyTable over whole rows, NULLs equal); UNION ALL keeps everything.
import { RecursiveUnionNode } from '../../plan/plan';
import { Batch } from '../../types/vector';
import { gatherVector } from '../../types/vector-ops';
import { ExprEnv } from '../expr/compiled';
import { KeyKind, keyKindOf } from '../hash/key-hash';
import { KeyTable } from '../hash/key-table';
import { growU8 } from '../aggregates/accumulator';
import { Operator, PrepareChild, PreparedNode, drain } from './operator';
import { rowIds } from './distinct-setop';
import { chunkBatch, concatBatches } from '../vector-util';

export function prepareRecursiveUnion(node: RecursiveUnionNode, env: ExprEnv, child: PrepareChild): PreparedNode {
  const initial = child(node.initial);
  const recursive = child(node.recursive);
  const kinds = node.output.map((o) => keyKindOf(o.type));
  return { node, open: () => new RecursiveUnionOp(node, env, initial, recursive, kinds) };
}

class RecursiveUnionOp extends Operator {
  private result: Batch[] | null = null;
  private pos = 0;
  private readonly table: KeyTable | null;
  private seen = new Uint8Array(1024);

  constructor(
    private readonly node: RecursiveUnionNode,
    private readonly env: ExprEnv,
    private readonly initial: PreparedNode,
    private readonly recursive: PreparedNode,
    private readonly kinds: KeyKind[],
  ) {
    super(node, env);
    this.table = node.all ? null : new KeyTable(kinds);
  }

  protected produce(): Batch | null {
    if (this.result === null) this.result = this.iterate();
    return this.result[this.pos++] ?? null;
  }

  private iterate(): Batch[] {
    const result: Batch[] = [];
    let work = this.fresh(drain(this.initial.open()));
    result.push(...work);
    while (work.length > 0) {
      this.env.ctes.set(this.node.cteId, work);
      work = this.fresh(drain(this.recursive.open()));
      for (const b of work) result.push(b);
    }
    // Rounds often add a row or two: hand out full batches instead of thousands of tiny ones.
    if (result.length <= 1) return result;
    const out: Batch[] = [];
    chunkBatch(concatBatches(result, this.node.output.map((o) => o.type)), out);
    return out;
  }

  /** The rows not produced before (UNION), or all of them (UNION ALL). */
  private fresh(batches: Batch[]): Batch[] {
    const table = this.table;
    if (table === null) return batches.filter((b) => b.length > 0);
    const out: Batch[] = [];
    for (const b of batches) {
      const n = b.length;
      const ids = rowIds(table, b.columns, this.kinds, n);
      this.seen = growU8(this.seen, table.size);
      const keep = new Uint32Array(n);
      let k = 0;
      for (let i = 0; i < n; i++)
        if (this.seen[ids[i]] === 0) {
          this.seen[ids[i]] = 1;
          keep[k++] = i;
        }
      if (k === n) out.push(b);
      else if (k > 0) out.push({ length: k, columns: b.columns.map((c) => gatherVector(c, keep, k)) });
    }
    return out;
  }
}
