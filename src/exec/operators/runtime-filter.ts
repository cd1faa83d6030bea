// Runtime (Bloom) filters from a hash join's build side to the scans under its probe side.
//
// A hash join builds its whole right input before it pulls the left one, so by the time the left
// side's scan reads its first row, the join knows every key that can match. For inner, semi and
// right joins a probe row whose key is not among them produces nothing, so the scan may drop it
// right away, before filters, gathers, hashing and lower joins spend time on it (late
// materialization: only surviving rows are gathered for the columns above).
//
// When the join is prepared, each probe key that is a plain column is traced down the left input
// to the scan column it comes from: through filters, column projections and the probe side of
// lower joins (whose output rows carry the probe row's values, so a row the upper join would drop
// can go early), and through the build side of lower inner joins (whose build rows only appear in
// matched pairs). Keys reaching the same scan share one filter over their combined hash, in key
// order, as hashKeys would compute it over those columns. The slot objects link the prepared join
// and scan; each run of the join arms them with a fresh filter (or none) before its left input is
// pulled. The scan checks the first rows and turns a filter off for the run when it keeps nearly
// every row (the build side holds most keys: a foreign key to an unfiltered table).
import { Expr } from '../../plan/expr';
import { HashJoinNode, PlanNode, ScanNode } from '../../plan/plan';
import { Batch, Vector } from '../../types/vector';
import { BloomFilter } from '../hash/bloom-filter';
import { IntBitmapFilter } from '../hash/int-bitmap-filter';
import { KeyColumn, KeyKind, NumKey, anyNullKey, hashKeys, toKeyColumn } from '../hash/key-hash';
import { NodeStats } from '../expr/compiled';

/** After this many rows a filter that kept more than MAX_PASS of them is switched off. */
const SAMPLE_ROWS = 32768;
const MAX_PASS = 0.85;
/** Build sides with more distinct keys than this get no filter (memory; they rarely filter much). */
const MAX_FILTER_KEYS = 1 << 23;

/** One filter from a join to one scan: which join keys, and where they are in the scan's output. */
export class RuntimeFilterSlot {
  filter: BloomFilter | IntBitmapFilter | null = null;
  private checked = 0;
  private passed = 0;

  constructor(
    /** The join whose build side arms this filter (rows it drops are rows that join drops); null in a parallel worker. */
    readonly owner: PlanNode | null,
    /** Positions in the join's key lists. */
    readonly keyIndexes: readonly number[],
    /** The same keys as the scan's output columns. */
    readonly scanColumns: readonly number[],
    readonly kinds: readonly KeyKind[],
  ) {}

  /** Called by the join for each run, before its left input is pulled. */
  arm(filter: BloomFilter | IntBitmapFilter | null): void {
    this.filter = filter;
    this.checked = 0;
    this.passed = 0;
  }

  /** Counts a batch's outcome; a filter that passes nearly everything is dropped for the run. */
  record(checked: number, passed: number): void {
    this.checked += checked;
    this.passed += passed;
    if (this.checked >= SAMPLE_ROWS && this.passed > this.checked * MAX_PASS) this.filter = null;
  }
}

// Slots waiting for their scan while the join's left input is being prepared (preparation is
// synchronous and recursive, so the scans under it take them before the join's child() returns).
const pending = new Map<ScanNode, RuntimeFilterSlot[]>();

/**
 * The filters a join can push into scans of its left input; they are offered to those scans while
 * prepareLeft runs. Returns them with the prepared left input.
 */
export function prepareWithRuntimeFilters<T>(node: HashJoinNode, kinds: readonly KeyKind[], prepareLeft: () => T): { left: T; slots: RuntimeFilterSlot[] } {
  const type = node.joinType;
  if (node.buildLeft === true || (type !== 'inner' && type !== 'semi' && type !== 'right')) return { left: prepareLeft(), slots: [] };
  const { prepared, slots } = prepareProbeWithRuntimeFilters(node, node.left, node.leftKeys, kinds, prepareLeft);
  return { left: prepared, slots };
}

/**
 * As prepareWithRuntimeFilters for any probe input: `probe` with its key expressions `probeKeys`.
 * A semi/anti join that builds on its left input (hash-semi-build-left.ts) probes with its right
 * one, whose rows only mark left rows as matched: a right row no left key matches does nothing,
 * so its scans may drop such rows for anti joins too.
 */
export function prepareProbeWithRuntimeFilters<T>(owner: PlanNode, probe: PlanNode, probeKeys: readonly Expr[], kinds: readonly KeyKind[], prepareProbe: () => T): { prepared: T; slots: RuntimeFilterSlot[] } {
  const prepareLeft = prepareProbe;
  const byScan = new Map<ScanNode, { keys: number[]; cols: number[] }>();
  probeKeys.forEach((k, i) => {
    if (k.kind !== 'column') return;
    const at = traceColumn(probe, k.index);
    if (at === null) return;
    let t = byScan.get(at.scan);
    if (t === undefined) byScan.set(at.scan, (t = { keys: [], cols: [] }));
    t.keys.push(i);
    t.cols.push(at.column);
  });
  const slots: RuntimeFilterSlot[] = [];
  for (const [scan, t] of byScan) {
    const slot = new RuntimeFilterSlot(owner, t.keys, t.cols, t.keys.map((i) => kinds[i]));
    slots.push(slot);
    let list = pending.get(scan);
    if (list === undefined) pending.set(scan, (list = []));
    list.push(slot);
  }
  try {
    return { prepared: prepareLeft(), slots };
  } finally {
    for (const [scan] of byScan) {
      const list = pending.get(scan);
      if (list === undefined) continue;
      const rest = list.filter((s) => !slots.includes(s));
      if (rest.length === 0) pending.delete(scan);
      else pending.set(scan, rest);
    }
  }
}

/** The filters offered to this scan by joins above it (taken: another preparation gets none). */
export function takeRuntimeFilters(scan: ScanNode): RuntimeFilterSlot[] {
  const list = pending.get(scan);
  if (list === undefined) return [];
  pending.delete(scan);
  return list;
}

/** Where column `col` of node's output comes from unchanged, when a dropped row there drops every output row built from it. */
function traceColumn(node: PlanNode, col: number): { scan: ScanNode; column: number } | null {
  switch (node.kind) {
    case 'scan':
      return col < node.columns.length ? { scan: node, column: col } : null;
    case 'filter':
      return traceColumn(node.input, col);
    case 'project': {
      const e = node.exprs[col];
      return e !== undefined && e.kind === 'column' ? traceColumn(node.input, e.index) : null;
    }
    case 'hashjoin':
    case 'nljoin': {
      const nl = node.left.output.length;
      const t = node.joinType;
      if (col < nl) return t === 'inner' || t === 'semi' || t === 'anti' || t === 'left' ? traceColumn(node.left, col) : null;
      return t === 'inner' ? traceColumn(node.right, col - nl) : null;
    }
    default:
      return null;
  }
}

/**
 * Arms each slot with a filter of the build rows' keys (ids[r] < 0: a row with a NULL key, left
 * out): an exact bitmap for one integer key over a narrow range, a Bloom filter otherwise.
 * A Bloom filter hashes the slot's key columns as hashKeys does.
 */
export function armRuntimeFilters(slots: readonly RuntimeFilterSlot[], keys: readonly KeyColumn[], ids: Int32Array, n: number, distinct: number): void {
  for (const slot of slots) {
    if (distinct > MAX_FILTER_KEYS) {
      slot.arm(null);
      continue;
    }
    if (slot.keyIndexes.length === 1 && slot.kinds[0] === 'num') {
      const bitmap = IntBitmapFilter.build((keys[slot.keyIndexes[0]] as NumKey).values, ids, n, distinct);
      if (bitmap !== null) {
        slot.arm(bitmap);
        continue;
      }
    }
    const h = new Int32Array(n);
    hashKeys(slot.keyIndexes.map((i) => keys[i]), n, h);
    const filter = new BloomFilter(distinct);
    filter.addAll(h, n, ids);
    slot.arm(filter);
  }
}

/**
 * The rows of a scan batch that pass every armed filter, as ascending row numbers, or null when
 * no filter is armed or all rows pass.
 */
export function runtimeFilterRows(slots: readonly RuntimeFilterSlot[], batch: Batch): Uint32Array | null {
  const n = batch.length;
  let rows: Uint32Array | null = null;
  let count = n;
  let hashes: Int32Array | null = null;
  for (const slot of slots) {
    const filter = slot.filter;
    if (filter === null) continue;
    const out: Uint32Array = rows ?? new Uint32Array(n);
    const before = count;
    const first = batch.columns[slot.scanColumns[0]] as Vector;
    if (filter instanceof IntBitmapFilter) {
      const key = toKeyColumn(first, 'num') as NumKey;
      count = filter.select(key.values, key.nulls, rows, count, out);
    } else if (slot.scanColumns.length === 1 && slot.kinds[0] === 'num' && first.kind === 'int32') {
      count = filter.selectInt32(first.values, first.nulls, rows, count, out);
    } else {
      const keys: KeyColumn[] = slot.scanColumns.map((c, k) => toKeyColumn(batch.columns[c] as Vector, slot.kinds[k]));
      hashes ??= new Int32Array(n);
      hashKeys(keys, n, hashes);
      count = filter.selectHashes(hashes, anyNullKey(keys, n), rows, count, out);
    }
    rows = out;
    slot.record(before, count);
    if (count === 0) break;
  }
  return rows === null || count === n ? null : rows.subarray(0, count);
}

/** Records on a scan's stats the joins whose armed filters cut its rows (those rows are not the scan's true count). */
export function markPruned(stats: NodeStats, armed: readonly RuntimeFilterSlot[]): void {
  for (const f of armed) if (f.owner !== null) (stats.prunedBy ??= new Set()).add(f.owner);
}
