// Hash and nested-loop joins. The right input is the build side: its rows are concatenated, keys
// hashed (a numeric key map for a single integer/date key, a composite text key otherwise), and
// the left batches probe it. Candidate pairs go through the residual predicate; then the join type
// decides which rows are emitted and which are NULL-extended.
import { Expr } from '../plan/expr';
import { HashJoinNode, JoinType, NestedLoopJoinNode, OutputColumn } from '../plan/plan';
import { Batch, BoolVector, Vector } from '../types/vector';
import { concatVectors, gatherVector, getScalar, newVector, nullVector } from '../types/vector-ops';
import { ExecContext } from './context';
import { evalExpr } from './eval-expr';
import { keyOf } from './scalar-compare';

export function concatBatches(batches: Batch[], output: OutputColumn[]): Batch {
  if (batches.length === 1) return batches[0];
  let n = 0;
  for (const b of batches) n += b.length;
  if (n === 0) return { length: 0, columns: output.map((o) => newVector(o.type, 0)) };
  return { length: n, columns: output.map((o, c) => concatVectors(o.type, batches.filter((b) => b.length > 0).map((b) => b.columns[c]))) };
}

function isIntKey(v: Vector): boolean {
  return v.kind === 'int32' || v.kind === 'int64';
}

/** Per-row key for hashing; null when any key column is NULL (never matches). */
function rowKeys(keys: Vector[], n: number): { numeric: Float64Array | null; text: (string | null)[] | null; nullRow: Uint8Array } {
  const nullRow = new Uint8Array(n);
  for (const k of keys) if (k.nulls !== null) for (let i = 0; i < n; i++) nullRow[i] |= k.nulls[i];
  if (keys.length === 1 && isIntKey(keys[0])) {
    const vals = (keys[0] as { values: ArrayLike<number> }).values;
    const numeric = new Float64Array(n);
    for (let i = 0; i < n; i++) numeric[i] = vals[i];
    return { numeric, text: null, nullRow };
  }
  const text: (string | null)[] = new Array(n);
  for (let i = 0; i < n; i++) {
    if (nullRow[i]) {
      text[i] = null;
      continue;
    }
    let s = '';
    for (let k = 0; k < keys.length; k++) s += (k > 0 ? '\u0000' : '') + keyOf(getScalar(keys[k], i), keys[k].type);
    text[i] = s;
  }
  return { numeric: null, text, nullRow };
}

interface BuildTable {
  batch: Batch;
  /** First build row per key; next[] chains rows with the same key. */
  heads: Map<number | string, number>;
  next: Int32Array;
  numeric: boolean;
}

function build(right: Batch, rightKeys: Expr[], ctx: ExecContext): BuildTable {
  const n = right.length;
  const keys = rowKeys(rightKeys.map((k) => evalExpr(k, right, ctx)), n);
  const heads = new Map<number | string, number>();
  const next = new Int32Array(n).fill(-1);
  // Insert in reverse so chains list rows in input order.
  for (let i = n - 1; i >= 0; i--) {
    if (keys.nullRow[i]) continue;
    const k = keys.numeric !== null ? keys.numeric[i] : keys.text![i]!;
    const head = heads.get(k);
    if (head !== undefined) next[i] = head;
    heads.set(k, i);
  }
  return { batch: right, heads, next, numeric: keys.numeric !== null };
}

/** Keys of the two sides may differ in representation (int4 vs int8): compare as the probe computes. */
function probeKeys(left: Batch, leftKeys: Expr[], table: BuildTable, ctx: ExecContext) {
  const keys = rowKeys(leftKeys.map((k) => evalExpr(k, left, ctx)), left.length);
  if (table.numeric && keys.numeric === null) {
    // Mixed: fall back to text keys on the build side as well.
    throw new Error('hash join key representations differ');
  }
  return keys;
}

export function runJoin(node: HashJoinNode | NestedLoopJoinNode, left: Batch[], right: Batch[], ctx: ExecContext): Batch[] {
  const rightAll = concatBatches(right, node.right.output);
  const out: Batch[] = [];
  const rightMatched = node.joinType === 'right' || node.joinType === 'full' ? new Uint8Array(rightAll.length) : null;
  const table = node.kind === 'hashjoin' ? build(rightAll, node.rightKeys, ctx) : null;
  const condition = node.kind === 'hashjoin' ? node.residual : node.condition;
  for (const lb of left) {
    ctx.checkCancel();
    if (lb.length === 0) continue;
    const li: number[] = [];
    const ri: number[] = [];
    if (table !== null) {
      const keys = probeKeys(lb, (node as HashJoinNode).leftKeys, table, ctx);
      for (let i = 0; i < lb.length; i++) {
        if (keys.nullRow[i]) continue;
        const k = keys.numeric !== null ? keys.numeric[i] : keys.text![i]!;
        for (let r = table.heads.get(k) ?? -1; r !== -1; r = table.next[r]) {
          li.push(i);
          ri.push(r);
        }
      }
    } else {
      for (let i = 0; i < lb.length; i++) for (let r = 0; r < rightAll.length; r++) {
        li.push(i);
        ri.push(r);
      }
    }
    let pairsL = Uint32Array.from(li);
    let pairsR = Uint32Array.from(ri);
    if (condition !== null && pairsL.length > 0) {
      const cand: Batch = { length: pairsL.length, columns: [...lb.columns.map((c) => gatherVector(c, pairsL)), ...rightAll.columns.map((c) => gatherVector(c, pairsR))] };
      const ok = evalExpr(condition, cand, ctx) as BoolVector;
      const keepL: number[] = [];
      const keepR: number[] = [];
      for (let p = 0; p < pairsL.length; p++)
        if ((ok.nulls === null || ok.nulls[p] === 0) && ok.values[p] === 1) {
          keepL.push(pairsL[p]);
          keepR.push(pairsR[p]);
        }
      pairsL = Uint32Array.from(keepL);
      pairsR = Uint32Array.from(keepR);
    }
    out.push(...emit(node.joinType, lb, rightAll, pairsL, pairsR, rightMatched, node));
  }
  if (rightMatched !== null) {
    const unmatched: number[] = [];
    for (let r = 0; r < rightMatched.length; r++) if (rightMatched[r] === 0) unmatched.push(r);
    if (unmatched.length > 0) {
      const idx = Uint32Array.from(unmatched);
      out.push({
        length: idx.length,
        columns: [...node.left.output.map((o) => nullVector(o.type, idx.length)), ...rightAll.columns.map((c) => gatherVector(c, idx))],
      });
    }
  }
  return out;
}

function emit(joinType: JoinType, lb: Batch, right: Batch, pl: Uint32Array, pr: Uint32Array, rightMatched: Uint8Array | null, node: HashJoinNode | NestedLoopJoinNode): Batch[] {
  if (rightMatched !== null) for (let p = 0; p < pr.length; p++) rightMatched[pr[p]] = 1;
  if (joinType === 'semi' || joinType === 'anti') {
    const matched = new Uint8Array(lb.length);
    for (let p = 0; p < pl.length; p++) matched[pl[p]] = 1;
    const keep: number[] = [];
    for (let i = 0; i < lb.length; i++) if ((matched[i] === 1) === (joinType === 'semi')) keep.push(i);
    const idx = Uint32Array.from(keep);
    return idx.length === 0 ? [] : [{ length: idx.length, columns: lb.columns.map((c) => gatherVector(c, idx)) }];
  }
  const out: Batch[] = [];
  if (pl.length > 0) out.push({ length: pl.length, columns: [...lb.columns.map((c) => gatherVector(c, pl)), ...right.columns.map((c) => gatherVector(c, pr))] });
  if (joinType === 'left' || joinType === 'full') {
    const matched = new Uint8Array(lb.length);
    for (let p = 0; p < pl.length; p++) matched[pl[p]] = 1;
    const un: number[] = [];
    for (let i = 0; i < lb.length; i++) if (matched[i] === 0) un.push(i);
    if (un.length > 0) {
      const idx = Uint32Array.from(un);
      out.push({ length: idx.length, columns: [...lb.columns.map((c) => gatherVector(c, idx)), ...node.right.output.map((o) => nullVector(o.type, idx.length))] });
    }
  }
  return out;
}
