// What hash and nested-loop joins share once candidate pairs (probe row, build row) are known:
// the residual predicate over the pairs, then output by join type — matched pairs, NULL-extended
// probe rows (left/full), probe rows with/without a match (semi/anti), and at the end the build
// rows no pair matched (right/full). Output batches are at most BATCH_SIZE rows.
import { JoinType } from '../../plan/plan';
import { DataType } from '../../types/data-type';
import { BATCH_SIZE, Batch, BoolVector, Vector } from '../../types/vector';
import { gatherVector } from '../../types/vector-ops';
import { placeholder } from '../vector-util';
import { CompiledExpr } from '../expr/compiled';

/** Growable pair lists (probe row, build row) in typed arrays. */
export class PairBuffer {
  left = new Uint32Array(BATCH_SIZE);
  right = new Uint32Array(BATCH_SIZE);
  count = 0;
  push(l: number, r: number): void {
    if (this.count === this.left.length) {
      const cap = this.left.length * 2;
      const a = new Uint32Array(cap);
      a.set(this.left);
      this.left = a;
      const b = new Uint32Array(cap);
      b.set(this.right);
      this.right = b;
    }
    this.left[this.count] = l;
    this.right[this.count] = r;
    this.count++;
  }
  reset(): void {
    this.count = 0;
  }
  /** Makes room for cap pairs (keeping those held); then left/right may be written directly. */
  ensure(cap: number): void {
    if (this.left.length >= cap) return;
    const a = new Uint32Array(cap);
    a.set(this.left.subarray(0, this.count));
    this.left = a;
    const b = new Uint32Array(cap);
    b.set(this.right.subarray(0, this.count));
    this.right = b;
  }
}

export class JoinEmitter {
  /** Build rows matched by some pair (right/full joins). */
  private readonly buildMatched: Uint8Array | null;
  private readonly residualNeeded: boolean[] | null;

  private readonly nl: number;

  constructor(
    readonly joinType: JoinType,
    private readonly leftTypes: readonly DataType[],
    private readonly build: Batch,
    private readonly residual: CompiledExpr | null,
    /** Output columns some consumer reads (null = all); the others are NULL placeholders. */
    private readonly need: readonly boolean[] | null = null,
  ) {
    this.nl = leftTypes.length;
    this.buildMatched = joinType === 'right' || joinType === 'full' ? new Uint8Array(build.length) : null;
    if (residual !== null) {
      const needed: boolean[] = [];
      for (const c of residual.columns) needed[c] = true;
      this.residualNeeded = needed;
    } else this.residualNeeded = null;
  }

  private leftCols(probe: Batch, idx: ArrayLike<number>, m: number): Vector[] {
    const need = this.need;
    return probe.columns.map((c, k) => (need === null || need[k] !== false ? gatherVector(c, idx, m) : placeholder(c.type, m)));
  }
  private rightCols(idx: ArrayLike<number>, m: number): Vector[] {
    const need = this.need;
    const nl = this.nl;
    return this.build.columns.map((c, k) => (need === null || need[nl + k] !== false ? gatherVector(c, idx, m) : placeholder(c.type, m)));
  }
  private nullCols(types: readonly DataType[], m: number): Vector[] {
    return types.map((t) => placeholder(t, m));
  }

  /** Pairs surviving the residual (in place: returns the new count). */
  private applyResidual(probe: Batch, pairs: PairBuffer): number {
    const residual = this.residual;
    if (residual === null || pairs.count === 0) return pairs.count;
    const n = pairs.count;
    const nl = probe.columns.length;
    const needed = this.residualNeeded!;
    const cols: Vector[] = new Array(nl + this.build.columns.length);
    for (let c = 0; c < cols.length; c++) {
      if (!needed[c]) continue;
      cols[c] = c < nl ? gatherVector(probe.columns[c], pairs.left, n) : gatherVector(this.build.columns[c - nl], pairs.right, n);
    }
    const ok = residual.eval({ length: n, columns: cols }) as BoolVector;
    let k = 0;
    const vals = ok.values;
    const nulls = ok.nulls;
    for (let p = 0; p < n; p++) {
      if (vals[p] === 1 && (nulls === null || nulls[p] === 0)) {
        pairs.left[k] = pairs.left[p];
        pairs.right[k] = pairs.right[p];
        k++;
      }
    }
    pairs.count = k;
    return k;
  }

  /** Emits the output for one probe batch given its candidate pairs. */
  emit(probe: Batch, pairs: PairBuffer, out: Batch[]): void {
    const n = this.applyResidual(probe, pairs);
    const type = this.joinType;
    if (type === 'semi' || type === 'anti') {
      const matched = new Uint8Array(probe.length);
      for (let p = 0; p < n; p++) matched[pairs.left[p]] = 1;
      const want = type === 'semi' ? 1 : 0;
      const idx = new Uint32Array(probe.length);
      let k = 0;
      for (let i = 0; i < probe.length; i++) if (matched[i] === want) idx[k++] = i;
      if (k === probe.length) out.push(probe);
      else if (k > 0) out.push({ length: k, columns: this.leftCols(probe, idx, k) });
      return;
    }
    const bm = this.buildMatched;
    if (bm !== null) for (let p = 0; p < n; p++) bm[pairs.right[p]] = 1;
    for (let start = 0; start < n; start += BATCH_SIZE) {
      const m = Math.min(BATCH_SIZE, n - start);
      const li = pairs.left.subarray(start, start + m);
      const ri = pairs.right.subarray(start, start + m);
      out.push({
        length: m,
        columns: [...this.leftCols(probe, li, m), ...this.rightCols(ri, m)],
      });
    }
    if (type === 'left' || type === 'full') {
      const matched = new Uint8Array(probe.length);
      for (let p = 0; p < n; p++) matched[pairs.left[p]] = 1;
      const idx = new Uint32Array(probe.length);
      let k = 0;
      for (let i = 0; i < probe.length; i++) if (matched[i] === 0) idx[k++] = i;
      if (k > 0)
        out.push({
          length: k,
          columns: [...this.leftCols(probe, idx, k), ...this.nullCols(this.build.columns.map((c) => c.type), k)],
        });
    }
  }

  /** Probe rows when the build side is empty: only left/full/anti joins emit anything. */
  emitUnmatchedProbe(probe: Batch, out: Batch[]): void {
    const type = this.joinType;
    if (type === 'anti') out.push(probe);
    else if (type === 'left' || type === 'full')
      out.push({ length: probe.length, columns: [...probe.columns, ...this.nullCols(this.build.columns.map((c) => c.type), probe.length)] });
  }

  /** After the last probe batch: build rows no pair matched, NULL-extended on the left (right/full). */
  finish(out: Batch[]): void {
    const bm = this.buildMatched;
    if (bm === null) return;
    const idx = new Uint32Array(bm.length);
    let k = 0;
    for (let r = 0; r < bm.length; r++) if (bm[r] === 0) idx[k++] = r;
    for (let start = 0; start < k; start += BATCH_SIZE) {
      const m = Math.min(BATCH_SIZE, k - start);
      const ri = idx.subarray(start, start + m);
      out.push({ length: m, columns: [...this.nullCols(this.leftTypes, m), ...this.rightCols(ri, m)] });
    }
  }
}
