// Table scan: reads the snapshot's row groups column by column, cuts them into BATCH_SIZE slices
// (no copy), drops deleted rows (a selection, then compacted), appends the RowId column when asked
// (rowGroup * ROW_GROUP_ROWS + offset) and evaluates the pushed-down filter inside the scan. Bloom
// filters armed by hash joins above (runtime-filter.ts) drop rows first, before the filter runs and
// before any column is gathered.
import { ScanNode } from '../../plan/plan';
import { ChunkScan, ROW_GROUP_ROWS, TableSnapshot } from '../../storage/api';
import { AccessPattern } from '../../storage/access-pattern';
import { Types } from '../../types/data-type';
import { BATCH_SIZE, Batch, Float64Vector, Vector } from '../../types/vector';
import { getScalar, gatherVector, sliceVector } from '../../types/vector-ops';
import { IndexScanSpec } from '../../plan/plan';
import { ExprEnv } from '../expr/compiled';
import { compileExpr } from '../expr/compile';
import { SelectionFilter, compileSelection } from '../expr/select-filter';
import { gatherNeeded } from '../vector-util';
import { absentVector, exprColumns } from '../needed-columns';
import { Operator, PreparedNode, Pulled, YIELD } from './operator';
import { RuntimeFilterSlot, markPruned, runtimeFilterRows, takeRuntimeFilters } from './runtime-filter';
import { MorselSource } from '../context';
import { ParallelScan } from '../parallel/parallel-scan';

export function prepareScan(node: ScanNode, env: ExprEnv): PreparedNode {
  const filter = node.filter === null ? null : compileSelection(node.filter, env);
  // Columns to read: those a consumer needs and those the filter reads (and the runtime filters); the rest are absent.
  const runtimeFilters = takeRuntimeFilters(node);
  const { read, readColumns } = runtimeFilters.length === 0 ? readSets(node, env.needed.get(node)) : readSetsWith(node, env.needed.get(node), runtimeFilters);
  const pattern = new AccessPattern();
  // Runs of one scan node follow each other (rescans, correlated subplans): a new run ends the
  // previous one's chunk reader, so runs stopped early (EXISTS, LIMIT) do not pile up pins until
  // the statement ends.
  let last: ScanOp | null = null;
  return {
    node,
    open: () => {
      last?.finish();
      return (last = new ScanOp(node, env, filter, read, readColumns, pattern, runtimeFilters));
    },
  };
}

/** The columns a scan reads: by output position (`read`) and as table columns (`readColumns`). Both read-only. */
interface ReadSets {
  read: boolean[];
  readColumns: number[];
}

function readSetsWith(node: ScanNode, need: readonly boolean[] | undefined, runtimeFilters: readonly RuntimeFilterSlot[]): ReadSets {
  const read = scanReadColumns(node, need);
  for (const s of runtimeFilters) for (const c of s.scanColumns) read[c] = true;
  // Loops rather than filter/map: a cached plan's arrays are frozen, which the array builtins handle slowly.
  const readColumns: number[] = [];
  for (let k = 0; k < node.columns.length; k++) if (read[k]) readColumns.push(node.columns[k]);
  return { read, readColumns };
}

/** The read sets of frozen scan nodes (the statement cache's plans), by the needed columns they were made for. */
const readSetsOfFrozen = new WeakMap<ScanNode, { need: readonly boolean[] | undefined; sets: ReadSets }>();

function readSets(node: ScanNode, need: readonly boolean[] | undefined): ReadSets {
  if (!Object.isFrozen(node)) return readSetsWith(node, need, []);
  const hit = readSetsOfFrozen.get(node);
  if (hit !== undefined && hit.need === need) return hit.sets;
  const sets = readSetsWith(node, need, []);
  readSetsOfFrozen.set(node, { need, sets });
  return sets;
}

/** Which output columns of a scan are read (a consumer needs them, or the filter does); the rest are absent. */
export function scanReadColumns(node: ScanNode, need: readonly boolean[] | undefined): boolean[] {
  const read: boolean[] = new Array(node.output.length);
  for (let c = 0; c < read.length; c++) read[c] = need === undefined || need[c] === true;
  if (node.filter !== null) for (const c of exprColumns(node.filter, new Set())) read[c] = true;
  return read;
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
    private readonly filter: SelectionFilter | null,
    private readonly read: boolean[],
    private readonly readColumns: number[],
    private readonly pattern: AccessPattern,
    private readonly runtimeFilters: readonly RuntimeFilterSlot[],
  ) {
    super(node, env);
  }

  /** The pinned, counted, prefetching chunk reader of this run (when the snapshot offers one). */
  private chunks: ChunkScan | null | undefined = undefined;

  /** The current group's column vectors (absent ones for columns nobody reads). */
  private loadGroup(snap: TableSnapshot, group: number, rows: number): Vector[] {
    if (this.chunks === undefined) {
      this.chunks = snap.openScan?.(this.readColumns, this.pattern) ?? null;
      if (this.chunks !== null) this.env.closeAtEnd?.add(this.chunks);
    }
    const chunks = this.chunks;
    if (chunks === null) return this.node.columns.map((c, k) => (this.read[k] ? snap.readColumn(group, c) : absentVector(this.node.output[k].type, rows)));
    const loaded = chunks.load(group);
    let j = 0;
    return this.node.columns.map((_, k) => (this.read[k] ? loaded[j++] : absentVector(this.node.output[k].type, rows)));
  }

  /** End of the run: unpin, and add this run's buffer counts to the node's EXPLAIN ANALYZE stats. */
  finish(): null {
    this.parallel?.close();
    const chunks = this.chunks;
    if (chunks !== null && chunks !== undefined) {
      chunks.close();
      this.env.closeAtEnd?.delete(chunks);
      const s = this.env.stats.get(this.node);
      if (s !== undefined) {
        s.bufferHits = (s.bufferHits ?? 0) + chunks.counts.hits;
        s.bufferReads = (s.bufferReads ?? 0) + chunks.counts.reads;
        s.prefetchHits = (s.prefetchHits ?? 0) + chunks.counts.prefetchHits;
      }
      this.chunks = null;
    }
    return null;
  }

  /** The batch without the rows the joins' Bloom filters rule out (gathered only when some go). */
  private applyRuntimeFilters(batch: Batch): Batch {
    if (this.runtimeFilters.length === 0) return batch;
    const armed = this.runtimeFilters.filter((f) => f.filter !== null);
    const rows = runtimeFilterRows(this.runtimeFilters, batch);
    if (rows === null) return batch;
    const stats = this.env.stats.get(this.node);
    if (stats !== undefined) markPruned(stats, armed);
    return gatherNeeded(batch, rows, this.read);
  }

  /** Index Scan: the candidate RowIds (ascending) and how far they have been read; null = full scan. */
  private indexRows: Float64Array | null | undefined = undefined;
  private indexPos = 0;

  protected produce(): Pulled {
    this.snapshot ??= this.env.ctx.snapshot(this.node.tableId);
    const snap = this.snapshot;
    const shouldYield = this.env.ctx.shouldYield;
    if (this.indexRows === undefined) this.indexRows = this.node.index === undefined ? null : indexCandidates(this.node.index, snap, this.env);
    if (this.indexRows !== null) return this.produceIndexed(snap, this.indexRows, shouldYield);
    this.morsels ??= this.env.ctx.morselsFor?.(this.node) ?? null;
    if (this.parallel === undefined) {
      this.parallel = this.morsels === null ? ParallelScan.start(this.node, this.env, snap, this.runtimeFilters) : null;
      // The workers apply the armed runtime filters: this scan's row count is not its true count.
      const stats = this.env.stats.get(this.node);
      if (this.parallel !== null && stats !== undefined) markPruned(stats, this.runtimeFilters.filter((f) => f.filter !== null));
    }
    for (;;) {
      // Before taking the next slice, so resuming continues exactly here.
      if (shouldYield !== undefined && shouldYield()) return YIELD;
      if (this.selected !== null) {
        const out = this.selectedRows();
        if (out !== null) return out;
        continue;
      }
      if (this.offset >= this.groupRows && this.parallel !== null) {
        if (!this.takeParallelMorsel(snap, this.parallel)) return this.finish();
        continue;
      }
      if (this.offset >= this.groupRows && this.morsels !== null) {
        if (!this.claimMorsel(snap, this.morsels)) return null;
        continue;
      }
      if (this.offset >= this.groupRows) {
        this.group++;
        if (this.group >= snap.rowGroupCount) return this.finish();
        this.groupRows = snap.rowCount(this.group);
        this.offset = 0;
        this.deleted = snap.deleted(this.group);
        this.columns = this.loadGroup(snap, this.group, this.groupRows);
        continue;
      }
      const start = this.offset;
      const end = Math.min(this.groupRows, start + BATCH_SIZE);
      this.offset = end;
      const out = this.keptRows(this.sliceLive(start, end));
      if (out !== null) return out;
    }
  }

  /** The batch without the rows the runtime filters and the WHERE drop; null when none is left. */
  private keptRows(rows: Batch): Batch | null {
    const batch = this.applyRuntimeFilters(rows);
    if (batch.length === 0) return null;
    if (this.filter === null) return batch;
    const keep = this.filter.select(batch);
    if (keep === null) return batch;
    if (keep.length === 0) return null;
    return gatherNeeded(batch, keep, this.read);
  }

  /** Workers selecting this scan's rows (parallel-scan.ts); null = serial. */
  private parallel: ParallelScan | null | undefined = undefined;
  /** Offsets (in the current group) of the rows the workers kept in the current morsel, and how many are out. */
  private selected: Uint32Array | null = null;
  private selectedPos = 0;
  /** Columns the scan's consumers read (read minus those only the WHERE needs). */
  private handedOut: boolean[] | null = null;

  /** The next morsel from the parallel scan: its selected rows, or its range to scan here; false at the end. */
  private takeParallelMorsel(snap: TableSnapshot, parallel: ParallelScan): boolean {
    const m = parallel.nextMorsel();
    if (m === null) return false;
    if (m.group !== this.group) {
      this.group = m.group;
      this.deleted = snap.deleted(m.group);
      this.columns = this.loadGroup(snap, m.group, snap.rowCount(m.group));
    }
    if (m.selected === null) {
      this.offset = m.start;
      this.groupRows = m.end;
    } else {
      this.selected = m.selected;
      this.selectedPos = 0;
    }
    return true;
  }

  /** Up to BATCH_SIZE of the workers' selected rows, gathered from the group's chunks; null when the morsel is done. */
  private selectedRows(): Batch | null {
    const sel = this.selected!;
    const from = this.selectedPos;
    // Columns only the WHERE read (the workers evaluated it) are not gathered.
    if (this.handedOut === null) {
      const need = this.env.needed.get(this.node);
      this.handedOut = this.read.map((r, k) => r && (need === undefined || need[k] === true));
    }
    const n = Math.min(BATCH_SIZE, sel.length - from);
    if (n <= 0) {
      this.selected = null;
      return null;
    }
    this.selectedPos = from + n;
    const idx = sel.subarray(from, from + n);
    const first = idx[0];
    // A run of consecutive rows is sliced, not gathered.
    const columns = idx[n - 1] - first === n - 1 ? this.columns.map((c) => sliceVector(c, first, first + n)) : this.columns.map((c, k) => (this.handedOut![k] ? gatherVector(c, idx, n) : absentVector(this.node.output[k].type, n)));
    if (this.node.withRowId) {
      const ids = new Float64Array(n);
      const base = this.group * ROW_GROUP_ROWS;
      for (let i = 0; i < n; i++) ids[i] = base + idx[i];
      const rowIds: Float64Vector = { kind: 'int64', type: Types.int8, length: n, nulls: null, values: ids };
      columns.push(rowIds);
    }
    return { length: n, columns };
  }

  /** Parallel workers: rows of the next morsel (groupRows is then the morsel's end); false when none is left. */
  private morsels: MorselSource | null | undefined = undefined;
  private claimMorsel(snap: TableSnapshot, source: MorselSource): boolean {
    const m = source.claim();
    if (m === null) return false;
    if (m.group !== this.group) {
      this.group = m.group;
      this.deleted = snap.deleted(m.group);
      const rows = snap.rowCount(m.group);
      this.columns = this.node.columns.map((c, k) => (this.read[k] ? snap.readColumn(m.group, c) : absentVector(this.node.output[k].type, rows)));
    }
    this.offset = m.start;
    this.groupRows = m.end;
    return true;
  }

  /** The next batch of index candidates: up to BATCH_SIZE rows of one group, gathered, then filtered. */
  private produceIndexed(snap: TableSnapshot, ids: Float64Array, shouldYield: (() => boolean) | undefined): Pulled {
    while (this.indexPos < ids.length) {
      if (shouldYield !== undefined && shouldYield()) return YIELD;
      const g = Math.floor(ids[this.indexPos] / ROW_GROUP_ROWS);
      const base = g * ROW_GROUP_ROWS;
      let end = this.indexPos + 1;
      while (end < ids.length && end - this.indexPos < BATCH_SIZE && ids[end] < base + ROW_GROUP_ROWS) end++;
      const n = end - this.indexPos;
      const offsets = new Uint32Array(n);
      for (let i = 0; i < n; i++) offsets[i] = ids[this.indexPos + i] - base;
      this.indexPos = end;
      const columns: Vector[] = new Array(this.node.columns.length);
      if (snap.readRows !== undefined && (snap.ownRowsFrom?.(g) ?? Infinity) < snap.rowCount(g)) {
        // A group this transaction appended to (an UPDATE's new row version): only the rows looked
        // up are read, where loading the group would assemble each column read from all its rows.
        for (let k = 0; k < columns.length; k++) columns[k] = this.read[k] ? snap.readRows(g, this.node.columns[k], offsets) : absentVector(this.node.output[k].type, n);
      } else {
        if (g !== this.group) {
          this.group = g;
          this.columns = this.loadGroup(snap, g, snap.rowCount(g));
        }
        for (let k = 0; k < columns.length; k++) columns[k] = this.read[k] ? gatherVector(this.columns[k], offsets) : absentVector(this.node.output[k].type, n);
      }
      if (this.node.withRowId) {
        const values = new Float64Array(n);
        for (let i = 0; i < n; i++) values[i] = base + offsets[i];
        const rowIds: Float64Vector = { kind: 'int64', type: Types.int8, length: n, nulls: null, values };
        columns.push(rowIds);
      }
      const out = this.keptRows({ length: n, columns });
      if (out !== null) return out;
    }
    return this.finish();
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

const ONE_ROW: Batch = { length: 1, columns: [] };

/** Whether a one-row vector of this storage reads a constant back unchanged. */
function exactInVector(value: unknown, storage: string): boolean {
  if (value === null) return true;
  if (typeof value === 'string') return storage === 'string';
  if (typeof value !== 'number') return false;
  if (storage === 'int32') return Object.is(value | 0, value);
  return storage === 'int64' || storage === 'float64' || storage === 'timestamp';
}

/** Evaluates the index bounds and asks the snapshot for candidates; null = scan the whole table. */
function indexCandidates(spec: IndexScanSpec, snap: TableSnapshot, env: ExprEnv): Float64Array | null {
  if (snap.indexLookup === undefined) return null;
  const value = (e: IndexScanSpec['low']): number | string | null | undefined => {
    if (e === null) return undefined;
    const c = compileExpr(e, env);
    // A constant bound (a literal or parameter, as in every point lookup) is its value: no vector
    // is built to read it back — where the vector holds exactly that value (a string, a double,
    // an integer in int32 range), else the vector's reading stays the bound.
    const v = c.isConst && exactInVector(c.value, c.type.storage) ? c.value : getScalar(c.eval(ONE_ROW), 0);
    return typeof v === 'number' || typeof v === 'string' || v === null ? v : undefined;
  };
  const low = value(spec.low);
  const high = value(spec.high);
  // A NULL bound matches nothing (the comparison is never true).
  if (low === null || high === null) return new Float64Array(0);
  if ((spec.low !== null && low === undefined) || (spec.high !== null && high === undefined)) return null;
  return snap.indexLookup(spec.indexId, { low: low ?? null, lowInclusive: spec.lowInclusive, high: high ?? null, highInclusive: spec.highInclusive });
}
