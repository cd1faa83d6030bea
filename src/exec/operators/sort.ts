// Sort: materializes the input, computes each key once as a comparable column — numbers as they
// are, strings as their rank in code-point order (PostgreSQL's C collation; bpchar without trailing
// spaces), numeric as scaled integers at one scale (exact decimals when a value is wide), intervals
// by span — then sorts row indexes with a comparator that breaks ties by input position (stable).
// With a limit (top-N), a bounded max-heap keeps only the best `limit` rows: O(n log limit).
import { SortKey, SortNode } from '../../plan/plan';
import { Decimal, NumericVector, StringVector, Vector } from '../../types/vector';
import { decimalAt, decimalCompare } from '../../types/numeric';
import { BATCH_SIZE, Batch } from '../../types/vector';
import { CompiledExpr, ExprEnv } from '../expr/compiled';
import { compileExpr } from '../expr/compile';
import { compareFloat } from '../expr/kernels-compare';
import { intervalSpans } from '../hash/key-hash';
import { comparableDict, dictRanks } from '../string-order';
import { concatBatches, gatherNeeded } from '../vector-util';
import { InputCollector, Operator, PrepareChild, PreparedNode, Pulled, YIELD } from './operator';

export function prepareSort(node: SortNode, env: ExprEnv, child: PrepareChild): PreparedNode {
  const input = child(node.input);
  const keys = node.keys.map((k) => compileExpr(k.expr, env));
  const need = env.needed.get(node) ?? null;
  return { node, open: () => new SortOp(node, env, input.open(), keys, need) };
}

/** A sort key as a column the comparator reads: numbers (values) or exact decimals (slow). */
export interface KeyColumnForSort {
  values: ArrayLike<number> | null;
  decimals: Decimal[] | null;
  float: boolean;
  nulls: Uint8Array | null;
  sign: number;
  /** Result when a is NULL and b is not (after the direction is applied). */
  nullOrder: number;
}

export function sortColumn(v: Vector, key: SortKey): KeyColumnForSort {
  const base = { nulls: v.nulls, sign: key.descending ? -1 : 1, nullOrder: key.nullsFirst ? -1 : 1, float: false, decimals: null, values: null };
  switch (v.kind) {
    case 'string': {
      // A dictionary much larger than the rows (a substring of a unique column: Q22 sorts 7 groups
      // over a 150000-entry dictionary) is ranked only over the entries the rows use.
      if (v.dict.length > 4 * v.length + 64) return { ...base, values: usedCodeRanks(v) };
      const ranks = dictRanks(comparableDict(v.type, v.dict));
      const r = new Int32Array(v.length);
      for (let i = 0; i < v.length; i++) r[i] = ranks[v.codes[i]];
      return { ...base, values: r };
    }
    case 'numeric':
      return numericSortColumn(v, base);
    case 'interval':
      return { ...base, values: intervalSpans(v) };
    case 'float64':
      return { ...base, values: v.values, float: true };
    default:
      return { ...base, values: v.values };
  }
}

/** Each row's rank among the distinct dictionary entries its vector's rows use (NULL rows: 0). */
function usedCodeRanks(v: StringVector): Int32Array {
  const n = v.length;
  const remap = new Map<number, number>();
  const used: string[] = [];
  const local = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (v.nulls !== null && v.nulls[i] === 1) continue;
    const code = v.codes[i];
    let j = remap.get(code);
    if (j === undefined) {
      remap.set(code, (j = used.length));
      used.push(v.dict[code]);
    }
    local[i] = j;
  }
  const ranks = dictRanks(comparableDict(v.type, used));
  for (let i = 0; i < n; i++) local[i] = ranks[local[i]];
  return local;
}

function numericSortColumn(v: NumericVector, base: Omit<KeyColumnForSort, 'values' | 'decimals'>): KeyColumnForSort {
  if (v.wide === null) return { ...base, values: v.values, decimals: null };
  const d: Decimal[] = new Array(v.length);
  for (let i = 0; i < v.length; i++) d[i] = decimalAt(v, i);
  return { ...base, values: null, decimals: d };
}

/** -1/0/1 comparing rows a and b on the key columns only (0 = peers). */
export function compareKeys(cols: KeyColumnForSort[], a: number, b: number): number {
  for (let k = 0; k < cols.length; k++) {
    const c = cols[k];
    const nulls = c.nulls;
    if (nulls !== null) {
      const na = nulls[a];
      const nb = nulls[b];
      if (na !== nb) return na === 1 ? c.nullOrder : -c.nullOrder;
      if (na === 1) continue;
    }
    let r: number;
    if (c.values !== null) {
      const x = c.values[a];
      const y = c.values[b];
      r = x < y ? -1 : x > y ? 1 : x === y ? 0 : c.float ? compareFloat(x, y) : 0;
    } else r = decimalCompare(c.decimals![a], c.decimals![b]);
    if (r !== 0) return r * c.sign;
  }
  return 0;
}

/** -1/0/1 comparator over row indexes for the given keys, ties broken by index (stable). */
export function rowComparator(cols: KeyColumnForSort[]): (a: number, b: number) => number {
  return (a, b) => compareKeys(cols, a, b) || a - b;
}

/** Indexes of the `limit` smallest rows under cmp, in order (bounded max-heap). */
function topN(n: number, limit: number, cmp: (a: number, b: number) => number): Uint32Array {
  const heap = new Uint32Array(limit);
  let size = 0;
  const siftDown = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < size && cmp(heap[l], heap[m]) > 0) m = l;
      if (r < size && cmp(heap[r], heap[m]) > 0) m = r;
      if (m === i) return;
      const t = heap[i];
      heap[i] = heap[m];
      heap[m] = t;
      i = m;
    }
  };
  for (let row = 0; row < n; row++) {
    if (size < limit) {
      let i = size++;
      heap[i] = row;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (cmp(heap[i], heap[p]) <= 0) break;
        const t = heap[i];
        heap[i] = heap[p];
        heap[p] = t;
        i = p;
      }
    } else if (cmp(row, heap[0]) < 0) {
      heap[0] = row;
      siftDown(0);
    }
  }
  return heap.subarray(0, size).sort(cmp);
}

function comparatorSort(n: number, cmp: ((a: number, b: number) => number) | null): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (cmp !== null) order.sort(cmp);
  return order;
}

const PACK_ROWS = 2 ** 20;
const PACK_OFFSET = 2 ** 31 + 1;

/**
 * One integer key (int4, int8 within int32 range, date, string ranks) over at most 2^20 rows:
 * each row becomes the exact double (key + offset) * 2^20 + row index, sorted natively without a
 * comparator — 4-6x faster than sorting indexes through a JS comparator, and stable since the index
 * breaks ties. NULLs become key 2^31 + 1 (or -2^31 - 1 when they come first). Null when it doesn't apply.
 */
function packedSort(c: KeyColumnForSort, n: number): Uint32Array | null {
  const vals = c.values;
  if (vals === null || c.float || n > PACK_ROWS) return null;
  const packed = new Float64Array(n);
  const nulls = c.nulls;
  const nullKey = c.nullOrder > 0 ? PACK_OFFSET : -PACK_OFFSET;
  for (let i = 0; i < n; i++) {
    let k: number;
    if (nulls !== null && nulls[i] === 1) k = nullKey;
    else {
      k = vals[i] * c.sign;
      if ((k | 0) !== k) return null;
    }
    packed[i] = (k + PACK_OFFSET) * PACK_ROWS + i;
  }
  packed.sort();
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = packed[i] % PACK_ROWS;
  return order;
}

class SortOp extends Operator {
  private all: Batch | null = null;
  private order: Uint32Array | null = null;
  private pos = 0;
  private readonly input: InputCollector;

  constructor(
    private readonly node: SortNode,
    env: ExprEnv,
    input: Operator,
    private readonly keys: CompiledExpr[],
    private readonly need: boolean[] | null,
  ) {
    super(node, env);
    this.input = new InputCollector(input);
  }

  protected produce(): Pulled {
    if (this.order === null) {
      const batches = this.input.pull();
      if (batches === YIELD) return YIELD;
      this.sort(batches);
    }
    const order = this.order!;
    if (this.pos >= order.length) return null;
    const start = this.pos;
    const end = Math.min(order.length, start + BATCH_SIZE);
    this.pos = end;
    const idx = order.subarray(start, end);
    return gatherNeeded(this.all!, idx, this.need);
  }

  /** Columns to materialize: the needed ones and the sort keys' inputs. */
  private needForConcat(): boolean[] | null {
    if (this.need === null) return null;
    const need = this.need.slice();
    for (const k of this.keys) for (const c of k.columns) need[c] = true;
    return need;
  }

  private sort(batches: Batch[]): void {
    const all = concatBatches(batches, this.node.output.map((o) => o.type), this.needForConcat());
    this.all = all;
    const n = all.length;
    const cols = this.keys.map((k, i) => sortColumn(k.eval(all), this.node.keys[i]));
    const cmp = rowComparator(cols);
    const limit = this.node.limit;
    if (limit !== null && limit < n) {
      this.order = topN(n, Math.max(0, limit), cmp);
      return;
    }
    this.order = cols.length === 1 ? packedSort(cols[0], n) ?? comparatorSort(n, cmp) : comparatorSort(n, cols.length > 0 ? cmp : null);
  }
}
