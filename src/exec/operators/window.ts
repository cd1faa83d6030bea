// Window functions. The operator materializes its input once; for each distinct window (partition
// and order keys) it sorts row positions by those keys, finds partition and peer boundaries and
// every row's frame as typed arrays, and computes each call over the sorted rows:
//  - ranking functions from the boundaries (row_number, rank, dense_rank, percent_rank, cume_dist, ntile);
//  - lag/lead/first_value/last_value/nth_value as one gather from [values ++ defaults ++ NULL];
//  - aggregates with the ordinary accumulators: frames that start at the partition start grow
//    incrementally (one finish per distinct frame end), other frames feed (row, frame member)
//    pairs with the row as the group id.
// Results are scattered back to input order; the output follows the last window's sort order.
import { WindowCall, WindowNode } from '../../plan/plan';
import { Types } from '../../types/data-type';
import { SqlError, SqlState } from '../../types/sql-error';
import { BATCH_SIZE, Batch, BoolVector, Float64Vector, Int32Vector, Vector } from '../../types/vector';
import { gatherVector, getScalar, newVector, nullVector, sliceVector } from '../../types/vector-ops';
import { CompiledExpr, ExprEnv } from '../expr/compiled';
import { compileExpr } from '../expr/compile';
import { concatBatches, concatColumn, sliceBatch, trueMask } from '../vector-util';
import { makeAccumulator } from '../aggregates/make';
import { KeyColumnForSort, compareKeys, rowComparator, sortColumn } from './sort';
import { Operator, PrepareChild, PreparedNode, drain } from './operator';
import { computeFrames, FrameOffsets } from './window-frame';

const ONE_ROW: Batch = { length: 1, columns: [] };

interface CompiledCall {
  call: WindowCall;
  args: CompiledExpr[];
  filter: CompiledExpr | null;
}
/** Calls sharing one partition + order specification (one sort). */
interface CompiledWindow {
  partition: CompiledExpr[];
  order: CompiledExpr[];
  calls: { index: number; c: CompiledCall }[];
}

export function prepareWindow(node: WindowNode, env: ExprEnv, child: PrepareChild): PreparedNode {
  const input = child(node.input);
  const windows = new Map<string, CompiledWindow>();
  node.calls.forEach((call, index) => {
    const key = JSON.stringify([call.partitionBy, call.orderBy], (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
    let w = windows.get(key);
    if (w === undefined)
      windows.set(key, (w = { partition: call.partitionBy.map((e) => compileExpr(e, env)), order: call.orderBy.map((k) => compileExpr(k.expr, env)), calls: [] }));
    w.calls.push({ index, c: { call, args: call.args.map((e) => compileExpr(e, env)), filter: call.filter === null ? null : compileExpr(call.filter, env) } });
  });
  return { node, open: () => new WindowOp(node, env, input.open(), [...windows.values()]) };
}

/** Positions of a sorted window: partition bounds and peer bounds per position (end exclusive). */
export interface Partitioning {
  n: number;
  partStart: Int32Array;
  partEnd: Int32Array;
  peerStart: Int32Array;
  peerEnd: Int32Array;
}

function partitioning(n: number, partCols: KeyColumnForSort[], orderCols: KeyColumnForSort[], perm: Uint32Array): Partitioning {
  const partStart = new Int32Array(n);
  const partEnd = new Int32Array(n);
  const peerStart = new Int32Array(n);
  const peerEnd = new Int32Array(n);
  let ps = 0;
  let qs = 0;
  for (let i = 0; i < n; i++) {
    if (i > 0) {
      const newPart = partCols.length > 0 && compareKeys(partCols, perm[i - 1], perm[i]) !== 0;
      if (newPart) ps = i;
      if (newPart || (orderCols.length > 0 && compareKeys(orderCols, perm[i - 1], perm[i]) !== 0)) qs = i;
    }
    partStart[i] = ps;
    peerStart[i] = qs;
  }
  let pe = n;
  let qe = n;
  for (let i = n - 1; i >= 0; i--) {
    if (i < n - 1) {
      if (partStart[i + 1] !== partStart[i]) pe = i + 1;
      if (peerStart[i + 1] !== peerStart[i]) qe = i + 1;
    }
    partEnd[i] = pe;
    peerEnd[i] = qe;
  }
  return { n, partStart, partEnd, peerStart, peerEnd };
}

class WindowOp extends Operator {
  private out: Batch | null = null;
  private pos = 0;

  constructor(
    private readonly node: WindowNode,
    private readonly env: ExprEnv,
    private readonly input: Operator,
    private readonly windows: CompiledWindow[],
  ) {
    super(node, env);
  }

  protected produce(): Batch | null {
    if (this.out === null) this.out = this.compute();
    if (this.pos >= this.out.length) return null;
    const start = this.pos;
    this.pos = Math.min(this.out.length, start + BATCH_SIZE);
    return sliceBatch(this.out, start, this.pos);
  }

  private compute(): Batch {
    const inputTypes = this.node.input.output.map((o) => o.type);
    const all = concatBatches(drain(this.input), inputTypes);
    const n = all.length;
    const results: Vector[] = new Array(this.node.calls.length);
    let lastPerm: Uint32Array | null = null;
    for (const w of this.windows) {
      const partCols = w.partition.map((e) => sortColumn(e.eval(all), { expr: null as never, descending: false, nullsFirst: false }));
      const orderKeys = w.calls[0].c.call.orderBy;
      const orderVecs = w.order.map((e) => e.eval(all));
      const orderCols = orderVecs.map((v, k) => sortColumn(v, orderKeys[k]));
      const perm = new Uint32Array(n);
      for (let i = 0; i < n; i++) perm[i] = i;
      if (partCols.length + orderCols.length > 0) perm.sort(rowComparator([...partCols, ...orderCols]));
      const parts = partitioning(n, partCols, orderCols, perm);
      const inv = new Uint32Array(n);
      for (let i = 0; i < n; i++) inv[perm[i]] = i;
      for (const { index, c } of w.calls) {
        const sortedArgs = c.args.map((a) => gatherVector(a.eval(all), perm));
        const mask = c.filter === null ? null : trueMask(gatherVector(c.filter.eval(all), perm) as BoolVector, n);
        const offsets = this.frameOffsets(c.call);
        const sorted = computeCall(c.call, sortedArgs, mask, parts, orderVecs.length === 1 ? gatherVector(orderVecs[0], perm) : null, offsets, this.env.ctx.format.timeZone);
        results[index] = gatherVector(sorted, inv);
      }
      lastPerm = perm;
    }
    const columns = [...all.columns, ...results];
    if (lastPerm === null || n === 0) return { length: n, columns };
    return { length: n, columns: columns.map((v) => gatherVector(v, lastPerm!)) };
  }

  /** Frame offsets: constants or parameters, checked as PostgreSQL checks them. */
  private frameOffsets(call: WindowCall): FrameOffsets {
    const value = (e: WindowCall['frame']['start']['offset'], which: string) => {
      if (e === null) return null;
      const v = getScalar(compileExpr(e, this.env).eval(ONE_ROW), 0);
      if (v === null) throw new SqlError(SqlState.nullValueNotAllowed, `frame ${which} offset must not be null`);
      return v;
    };
    return { start: value(call.frame.start.offset, 'starting'), end: value(call.frame.end.offset, 'ending') };
  }
}

/** The call's values in sorted order. */
function computeCall(
  call: WindowCall,
  args: Vector[],
  mask: Uint8Array | null,
  p: Partitioning,
  orderKey: Vector | null,
  offsets: FrameOffsets,
  zone: string,
): Vector {
  const n = p.n;
  switch (call.fn) {
    case 'row_number':
    case 'rank':
    case 'dense_rank': {
      const out = new Float64Array(n);
      let dense = 0;
      for (let i = 0; i < n; i++) {
        if (call.fn === 'row_number') out[i] = i - p.partStart[i] + 1;
        else if (call.fn === 'rank') out[i] = p.peerStart[i] - p.partStart[i] + 1;
        else {
          if (i === p.partStart[i]) dense = 1;
          else if (i === p.peerStart[i]) dense++;
          out[i] = dense;
        }
      }
      return { kind: 'int64', type: Types.int8, length: n, nulls: null, values: out } as Float64Vector;
    }
    case 'percent_rank':
    case 'cume_dist': {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const size = p.partEnd[i] - p.partStart[i];
        if (call.fn === 'percent_rank') out[i] = size <= 1 ? 0 : (p.peerStart[i] - p.partStart[i]) / (size - 1);
        else out[i] = (p.peerEnd[i] - p.partStart[i]) / size;
      }
      return { kind: 'float64', type: Types.float8, length: n, nulls: null, values: out } as Float64Vector;
    }
    case 'ntile':
      return ntile(args[0] as Int32Vector, p);
    case 'lag':
    case 'lead':
      return lagLead(call, args, p);
    case 'first_value':
    case 'last_value':
    case 'nth_value': {
      const f = computeFrames(call.frame, p, orderKey, offsets, call.orderBy[0]?.descending === true, zone);
      const ex = exclusion(call, p);
      const idx = new Int32Array(n);
      const nth = args[1] as Int32Vector | undefined;
      for (let i = 0; i < n; i++) {
        let k = 1;
        if (call.fn === 'nth_value') {
          if (nth!.nulls !== null && nth!.nulls[i] === 1) {
            idx[i] = n;
            continue;
          }
          k = nth!.values[i];
          if (k <= 0) throw new SqlError(SqlState.invalidArgumentForNthValue, 'argument of nth_value must be greater than zero');
        }
        idx[i] = frameMember(f.start[i], f.end[i], i, ex, call.fn === 'last_value' ? -1 : k, n);
      }
      return gatherVector(concatColumn(call.type, [args[0], nullVector(call.type, 1)]), idx);
    }
    case 'aggregate':
      return frameAggregate(call, args, mask, p, computeFrames(call.frame, p, orderKey, offsets, call.orderBy[0]?.descending === true, zone), exclusion(call, p));
  }
}

/** Per row, the positions EXCLUDE removes from its frame: [from, to) except `keep` (TIES keeps the row). */
interface Exclusion {
  from: Int32Array;
  to: Int32Array;
  keepSelf: boolean;
}

function exclusion(call: WindowCall, p: Partitioning): Exclusion | null {
  switch (call.frame.exclude) {
    case 'no_others':
      return null;
    case 'current_row': {
      const from = new Int32Array(p.n);
      const to = new Int32Array(p.n);
      for (let i = 0; i < p.n; i++) {
        from[i] = i;
        to[i] = i + 1;
      }
      return { from, to, keepSelf: false };
    }
    case 'group':
    case 'ties':
      return { from: p.peerStart, to: p.peerEnd, keepSelf: call.frame.exclude === 'ties' };
  }
}

function excluded(ex: Exclusion | null, i: number, m: number): boolean {
  return ex !== null && m >= ex.from[i] && m < ex.to[i] && !(ex.keepSelf && m === i);
}

/** The k-th member (1-based; -1 = the last) of row i's frame [start, end) after exclusion, or `none`. */
function frameMember(start: number, end: number, i: number, ex: Exclusion | null, k: number, none: number): number {
  if (ex === null) {
    const t = k === -1 ? end - 1 : start + k - 1;
    return t >= start && t < end ? t : none;
  }
  if (k === -1) {
    for (let m = end - 1; m >= start; m--) if (!excluded(ex, i, m)) return m;
    return none;
  }
  let seen = 0;
  for (let m = start; m < end; m++) if (!excluded(ex, i, m) && ++seen === k) return m;
  return none;
}

function ntile(buckets: Int32Vector, p: Partitioning): Vector {
  const n = p.n;
  const out = new Int32Array(n);
  let nulls: Uint8Array | null = null;
  for (let s = 0; s < n; s = p.partEnd[s]) {
    // The bucket count is read at the partition's first row, as PostgreSQL does.
    if (buckets.nulls !== null && buckets.nulls[s] === 1) {
      nulls ??= new Uint8Array(n);
      nulls.fill(1, s, p.partEnd[s]);
      continue;
    }
    const k = buckets.values[s];
    if (k <= 0) throw new SqlError(SqlState.invalidArgumentForNtile, 'argument of ntile must be greater than zero');
    const size = p.partEnd[s] - s;
    const per = Math.floor(size / k);
    const extra = size % k;
    let bucket = 1;
    let left = per + (extra > 0 ? 1 : 0);
    for (let i = s; i < p.partEnd[s]; i++) {
      if (left === 0) {
        bucket++;
        left = per + (bucket <= extra ? 1 : 0);
      }
      out[i] = bucket;
      left--;
    }
  }
  return { kind: 'int32', type: Types.int4, length: n, nulls, values: out };
}

/** lag/lead(value[, offset[, default]]): one gather from [values ++ defaults ++ one NULL]. */
function lagLead(call: WindowCall, args: Vector[], p: Partitioning): Vector {
  const n = p.n;
  const offset = args[1] as Int32Vector | undefined;
  const sign = call.fn === 'lag' ? -1 : 1;
  const idx = new Int32Array(n);
  const nullAt = args.length >= 3 ? 2 * n : n;
  for (let i = 0; i < n; i++) {
    let off = 1;
    if (offset !== undefined) {
      if (offset.nulls !== null && offset.nulls[i] === 1) {
        idx[i] = nullAt;
        continue;
      }
      off = offset.values[i];
    }
    const t = i + sign * off;
    idx[i] = t >= p.partStart[i] && t < p.partEnd[i] ? t : args.length >= 3 ? n + i : nullAt;
  }
  const parts = args.length >= 3 ? [args[0], args[2], nullVector(call.type, 1)] : [args[0], nullVector(call.type, 1)];
  return gatherVector(concatColumn(call.type, parts), idx);
}

/** Rows with a non-empty frame in a chunk of pair updates (bounded memory for wide frames). */
const PAIRS_PER_UPDATE = 1 << 20;

function frameAggregate(call: WindowCall, args: Vector[], mask: Uint8Array | null, p: Partitioning, f: { start: Int32Array; end: Int32Array }, ex: Exclusion | null): Vector {
  const n = p.n;
  const aggCall = { fn: call.aggregate!, args: call.args, distinct: false, filter: call.filter, type: call.type };
  let growing = ex === null;
  for (let i = 0; i < n && growing; i++) if (f.start[i] !== p.partStart[i]) growing = false;
  if (growing) {
    const fast = growingFast(call, args, mask, p, f);
    if (fast !== null) return fast;
    // Frames that start at the partition start: add rows as the frame end advances.
    const pieces: Vector[] = [];
    const which = new Int32Array(n);
    let zeros = new Int32Array(0);
    for (let s = 0; s < n; s = p.partEnd[s]) {
      const acc = makeAccumulator(aggCall);
      acc.resize(1);
      let cursor = s;
      let lastEnd = -1;
      for (let i = s; i < p.partEnd[s]; i++) {
        const e = Math.max(f.end[i], s);
        if (e > cursor) {
          const len = e - cursor;
          if (zeros.length < len) zeros = new Int32Array(Math.max(len, 1024));
          acc.update(zeros, args.map((a) => sliceVector(a, cursor, e)), len, mask === null ? null : mask.subarray(cursor, e));
          cursor = e;
        }
        if (e !== lastEnd) {
          pieces.push(acc.finish(1));
          lastEnd = e;
        }
        which[i] = pieces.length - 1;
      }
    }
    if (pieces.length === 0) return newVector(call.type, 0);
    return relabel(gatherVector(concatColumn(pieces[0].type, pieces), which), call);
  }
  // Other frames: every (row, frame member) pair, with the row as the group.
  const acc = makeAccumulator(aggCall);
  acc.resize(n);
  let i = 0;
  while (i < n) {
    let pairs = 0;
    let j = i;
    while (j < n) {
      const size = Math.max(0, f.end[j] - f.start[j]);
      if (pairs > 0 && pairs + size > PAIRS_PER_UPDATE) break;
      pairs += size;
      j++;
    }
    const groups = new Int32Array(pairs);
    const idx = new Int32Array(pairs);
    let k = 0;
    for (let r = i; r < j; r++)
      for (let m = f.start[r]; m < f.end[r]; m++) {
        if (ex !== null && excluded(ex, r, m)) continue;
        groups[k] = r;
        idx[k++] = m;
      }
    if (k > 0) {
      let m: Uint8Array | null = null;
      if (mask !== null) {
        m = new Uint8Array(k);
        for (let q = 0; q < k; q++) m[q] = mask[idx[q]];
      }
      acc.update(groups, args.map((a) => gatherVector(a, idx, k)), k, m);
    }
    i = j;
  }
  return relabel(acc.finish(n), call);
}

/**
 * Growing frames of count, sum/avg over integers and floats, and min/max over fixed-width values:
 * one running state per partition in plain numbers, written into a typed array per row (sums
 * accumulate in sorted order, exactly as PostgreSQL's running aggregate does). Null when the
 * call needs the general accumulators (numeric, strings, intervals, …).
 */
function growingFast(call: WindowCall, args: Vector[], mask: Uint8Array | null, p: Partitioning, f: { end: Int32Array }): Vector | null {
  const fn = call.aggregate!;
  const a = args[0] as Vector | undefined;
  const t = call.type;
  const fixed = a !== undefined && (a.kind === 'int32' || a.kind === 'int64' || a.kind === 'float64' || a.kind === 'timestamp');
  // sum(numeric with one display scale) and sum(int8): exact while the scaled sums stay below 2^53.
  const exactSum = fn === 'sum' && t.storage === 'numeric' && a !== undefined && ((a.kind === 'numeric' && a.wide === null && a.dscale === null) || a.kind === 'int64');
  const ok =
    exactSum ||
    fn === 'count_star' ||
    fn === 'count' ||
    ((fn === 'sum' || fn === 'avg') && fixed && (t.storage === 'float64' || (t.name === 'int8' && a!.kind === 'int32'))) ||
    ((fn === 'min' || fn === 'max') && fixed && t.storage === a!.kind);
  if (!ok) return null;
  const n = p.n;
  const x = a !== undefined && (fixed || exactSum) ? (a as { values: ArrayLike<number> }).values : null;
  const argNulls = fn === 'count_star' || a === undefined ? null : a.nulls;
  const out = new Float64Array(n);
  let nulls: Uint8Array | null = null;
  const isFloat = a?.kind === 'float64';
  for (let s = 0; s < n; s = p.partEnd[s]) {
    let cursor = s;
    let count = 0;
    let sum = 0;
    let best = 0;
    for (let i = s; i < p.partEnd[s]; i++) {
      const e = f.end[i];
      for (; cursor < e; cursor++) {
        if (mask !== null && mask[cursor] === 0) continue;
        if (argNulls !== null && argNulls[cursor] === 1) continue;
        count++;
        if (x === null) continue;
        const v = x[cursor];
        sum += v;
        if (count === 1) best = v;
        else if (fn === 'max' ? greater(v, best, isFloat) : greater(best, v, isFloat)) best = v;
      }
      if (fn === 'count_star' || fn === 'count') out[i] = count;
      else if (count === 0) (nulls ??= new Uint8Array(n))[i] = 1;
      else if (fn === 'sum') {
        if (exactSum && !(Math.abs(sum) <= Number.MAX_SAFE_INTEGER)) return null;
        out[i] = t.name === 'float4' ? Math.fround(sum) : sum;
      }
      else if (fn === 'avg') out[i] = sum / count;
      else out[i] = best;
    }
  }
  if (exactSum) return { kind: 'numeric', type: t, length: n, nulls, values: out, scale: a!.kind === 'numeric' ? a!.scale : 0, dscale: null, wide: null };
  if (t.storage === 'int32') return { kind: 'int32', type: t, length: n, nulls, values: Int32Array.from(out) };
  return { kind: t.storage as 'int64' | 'float64' | 'timestamp', type: t, length: n, nulls, values: out };
}

/** a > b, with NaN above every other float (PostgreSQL's float ordering). */
function greater(a: number, b: number, float: boolean): boolean {
  if (float && a !== a) return b === b;
  return a > b;
}

function relabel(v: Vector, call: WindowCall): Vector {
  return v.type === call.type || v.type.storage !== call.type.storage ? v : ({ ...v, type: call.type } as Vector);
}
