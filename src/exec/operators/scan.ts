// Table scan: reads the snapshot's row groups column by column, cuts them into BATCH_SIZE slices
// (no copy), drops deleted rows (a selection, then compacted), appends the RowId column when asked
// (rowGroup * ROW_GROUP_ROWS + offset) and evaluates the pushed-down filter inside the scan.
import { ScanNode } from '../../plan/plan';
import { ROW_GROUP_ROWS, TableSnapshot } from '../../storage/api';
import { Types } from '../../types/data-type';
import { BATCH_SIZE, Batch, BoolVector, Float64Vector, Vector } from '../../types/vector';
import { sliceVector } from '../../types/vector-ops';
import { CompiledExpr, ExprEnv } from '../expr/compiled';
import { compileExpr } from '../expr/compile';
import { gatherNeeded, trueRows } from '../vector-util';
import { absentVector, exprColumns } from '../needed-columns';
import { Operator, PreparedNode, Pulled, YIELD } from './operator';

export function prepareScan(node: ScanNode, env: ExprEnv): PreparedNode {
  const filter = node.filter === null ? null : compileExpr(node.filter, env);
  // Columns to read: those a consumer needs and those the filter reads; the rest are absent.
  const need = env.needed.get(node);
  const read = node.output.map((_, c) => need === undefined || need[c] === true);
  if (node.filter !== null) for (const c of exprColumns(node.filter, new Set())) read[c] = true;
  return { node, open: () => new ScanOp(node, env, filter, read) };
}

class ScanOp extends Operator {
  private snapshot: TableSnapshot | null = null;
  private group = -1;
  private groupRows = 0;
  private offset = 0;
  private columns: Vector[] = [];
  private deleted: Uint8Array | null = null;

  constructor(
    private readonly node: ScanNode,
    private readonly env: ExprEnv,
    private readonly filter: CompiledExpr | null,
    private readonly read: boolean[],
  ) {
    super(node, env);
  }

  protected produce(): Pulled {
    this.snapshot ??= this.env.ctx.snapshot(this.node.tableId);
    const snap = this.snapshot;
    const shouldYield = this.env.ctx.shouldYield;
    for (;;) {
      // Before taking the next slice, so resuming continues exactly here.
      if (shouldYield !== undefined && shouldYield()) return YIELD;
      if (this.offset >= this.groupRows) {
        this.group++;
        if (this.group >= snap.rowGroupCount) return null;
        this.groupRows = snap.rowCount(this.group);
        this.offset = 0;
        this.deleted = snap.deleted(this.group);
        const rows = this.groupRows;
        this.columns = this.node.columns.map((c, k) => (this.read[k] ? snap.readColumn(this.group, c) : absentVector(this.node.output[k].type, rows)));
        continue;
      }
      const start = this.offset;
      const end = Math.min(this.groupRows, start + BATCH_SIZE);
      this.offset = end;
      const batch = this.sliceLive(start, end);
      if (batch.length === 0) continue;
      if (this.filter === null) return batch;
      const keep = trueRows(this.filter.eval(batch) as BoolVector, batch.length);
      if (keep.length === 0) continue;
      if (keep.length === batch.length) return batch;
      return gatherNeeded(batch, keep, this.read);
    }
  }

  /** Rows [start, end) of the current group without the deleted ones, RowIds appended when asked. */
  private sliceLive(start: number, end: number): Batch {
    const n = end - start;
    const deleted = this.deleted;
    let live: Uint32Array | null = null;
    if (deleted !== null) {
      const idx = new Uint32Array(n);
      let k = 0;
      for (let i = 0; i < n; i++) if (deleted[start + i] === 0) idx[k++] = i;
      if (k < n) live = idx.subarray(0, k);
    }
    const columns = this.columns.map((c) => sliceVector(c, start, end));
    if (this.node.withRowId) {
      const ids = new Float64Array(n);
      const base = this.group * ROW_GROUP_ROWS + start;
      for (let i = 0; i < n; i++) ids[i] = base + i;
      const rowIds: Float64Vector = { kind: 'int64', type: Types.int8, length: n, nulls: null, values: ids };
      columns.push(rowIds);
    }
    if (live === null) return { length: n, columns };
    return gatherNeeded({ length: n, columns }, live, this.read);
  }
}
