// Semi/anti hash join that builds on the LEFT input (the rows it outputs) and probes with the right
// ("Hash Right Semi/Anti Join"): chosen by the planner when the left side is much smaller, e.g.
// TPC-H Q21's few thousand candidate lineitems against EXISTS over all of lineitem. Left rows are
// marked when some right row matches (and passes the residual, evaluated over left ++ right
// columns); at the end the marked (semi) or unmarked (anti) left rows are emitted in input order.
// The left keys also become runtime filters for the right input's scans (runtime-filter.ts).
import { HashJoinNode } from '../../plan/plan';
import { BATCH_SIZE, Batch, BoolVector, Vector } from '../../types/vector';
import { gatherVector } from '../../types/vector-ops';
import { CompiledExpr, ExprEnv } from '../expr/compiled';
import { KeyKind, toKeyColumn } from '../hash/key-hash';
import { KeyTable } from '../hash/key-table';
import { concatBatches, placeholder } from '../vector-util';
import { PairBuffer } from './join-emit';
import { Operator, drain, nextBatch } from './operator';
import { RuntimeFilterSlot, armRuntimeFilters } from './runtime-filter';

export class HashSemiBuildLeftOp extends Operator {
  private out: Batch[] | null = null;
  private outPos = 0;

  constructor(
    private readonly node: HashJoinNode,
    private readonly env: ExprEnv,
    private readonly left: Operator,
    private readonly right: Operator,
    private readonly leftKeys: CompiledExpr[],
    private readonly rightKeys: CompiledExpr[],
    private readonly kinds: KeyKind[],
    private readonly residual: CompiledExpr | null,
    private readonly filterSlots: readonly RuntimeFilterSlot[],
  ) {
    super(node, env);
    // A previous run's filters must not reach this run's scans.
    for (const s of filterSlots) s.arm(null);
  }

  protected produce(): Batch | null {
    if (this.out === null) this.out = this.run();
    if (this.outPos < this.out.length) {
      const b = this.out[this.outPos];
      this.out[this.outPos++] = undefined as unknown as Batch;
      return b;
    }
    return null;
  }

  private run(): Batch[] {
    const build = concatBatches(drain(this.left), this.node.left.output.map((o) => o.type), this.env.needed.get(this.node.left) ?? null);
    const n = build.length;
    const matched = new Uint8Array(n);
    if (n > 0) this.probeAll(build, matched);
    const want = this.node.joinType === 'semi' ? 1 : 0;
    const idx = new Uint32Array(n);
    let k = 0;
    for (let r = 0; r < n; r++) if (matched[r] === want) idx[k++] = r;
    const out: Batch[] = [];
    const need = this.env.needed.get(this.node) ?? null;
    for (let start = 0; start < k; start += BATCH_SIZE) {
      const m = Math.min(BATCH_SIZE, k - start);
      const sel = idx.subarray(start, start + m);
      out.push({ length: m, columns: build.columns.map((c, j) => (need === null || need[j] !== false ? gatherVector(c, sel, m) : placeholder(c.type, m))) });
    }
    return out;
  }

  private probeAll(build: Batch, matched: Uint8Array): void {
    const n = build.length;
    const keys = this.leftKeys.map((e, k) => toKeyColumn(e.eval(build), this.kinds[k]));
    const table = new KeyTable(this.kinds, n);
    const ids = new Int32Array(n);
    table.findOrInsert(keys, null, n, ids, true);
    // The right input's scans drop rows no left key matches (they would mark nothing).
    if (this.filterSlots.length > 0) armRuntimeFilters(this.filterSlots, keys, ids, n, table.size);
    const groups = table.size;
    const head = new Int32Array(groups).fill(-1);
    const next = new Int32Array(n);
    for (let r = n - 1; r >= 0; r--) {
      const g = ids[r];
      if (g < 0) continue;
      next[r] = head[g];
      head[g] = r;
    }
    // Without a residual a key group matches as a whole.
    const groupMatched = new Uint8Array(groups);
    let unmatchedGroups = groups;
    const pairs = new PairBuffer();
    for (let probe = nextBatch(this.right); probe !== null; probe = nextBatch(this.right)) {
      if (this.residual === null && unmatchedGroups === 0) continue;
      const m = probe.length;
      const pkeys = this.rightKeys.map((e, k) => toKeyColumn(e.eval(probe), this.kinds[k]));
      const pid = new Int32Array(m);
      table.find(pkeys, null, m, pid, false);
      if (this.residual === null) {
        for (let i = 0; i < m; i++) {
          const g = pid[i];
          if (g >= 0 && groupMatched[g] === 0) {
            groupMatched[g] = 1;
            unmatchedGroups--;
          }
        }
        continue;
      }
      pairs.reset();
      for (let i = 0; i < m; i++) {
        const g = pid[i];
        if (g < 0) continue;
        for (let r = head[g]; r !== -1; r = next[r]) if (matched[r] === 0) pairs.push(r, i);
      }
      if (pairs.count > 0) this.applyResidual(build, probe, pairs, matched);
    }
    if (this.residual === null) for (let r = 0; r < n; r++) if (ids[r] >= 0 && groupMatched[ids[r]] === 1) matched[r] = 1;
  }

  /** Marks the left rows of pairs (left row, probe row) that pass the residual. */
  private applyResidual(build: Batch, probe: Batch, pairs: PairBuffer, matched: Uint8Array): void {
    const residual = this.residual!;
    const count = pairs.count;
    const nl = build.columns.length;
    const cols: Vector[] = new Array(nl + probe.columns.length);
    const needed = new Set(residual.columns);
    for (let c = 0; c < cols.length; c++) {
      if (!needed.has(c)) continue;
      cols[c] = c < nl ? gatherVector(build.columns[c], pairs.left, count) : gatherVector(probe.columns[c - nl], pairs.right, count);
    }
    const ok = residual.eval({ length: count, columns: cols }) as BoolVector;
    const vals = ok.values;
    const nulls = ok.nulls;
    for (let p = 0; p < count; p++) if (vals[p] === 1 && (nulls === null || nulls[p] === 0)) matched[pairs.left[p]] = 1;
  }
}

