// The worker side of a parallel filtered scan (parallel-scan.ts): claim morsels of the table from
// the shared counter, find the rows of each that survive the deleted-row check, the join's runtime
// filters and the scan's WHERE, and publish their offsets in shared memory. The main thread reads
// the rows themselves from its own copy of the chunks, in morsel order, so the scan's output is
// the serial one whatever the number of workers. A morsel's kept rows are bits in `selected`
// (bit d of the morsel's words: row start + d), its count in `counts`.
import { ROW_GROUP_ROWS, TableSnapshot } from '../../storage/api';
import { SqlError, SqlState } from '../../types/sql-error';
import { Batch } from '../../types/vector';
import { sliceVector } from '../../types/vector-ops';
import { ExecContext } from '../context';
import { ExprEnv } from '../expr/compiled';
import { SelectionFilter, compileSelection } from '../expr/select-filter';
import { BloomFilter } from '../hash/bloom-filter';
import { IntBitmapFilter } from '../hash/int-bitmap-filter';
import { absentVector } from '../needed-columns';
import { RuntimeFilterSlot, runtimeFilterRows } from '../operators/runtime-filter';
import { gatherNeeded } from '../vector-util';
import { ScanTask } from './messages';

/**
 * A parallel scan's morsels are whole row groups: a string column's dictionary belongs to its
 * row group, and a filter over it (LIKE on o_comment, Q13) is evaluated once per dictionary entry,
 * so a worker taking a quarter of a group would still evaluate the whole dictionary.
 */
export const SCAN_MORSEL_ROWS = ROW_GROUP_ROWS;

/** Morsel results in `counts`: not done yet, and failed (the main thread redoes it serially). */
export const MORSEL_PENDING = -1;
export const MORSEL_FAILED = -2;

/** Offsets (in the row group) of the rows of [start, end) that are live and pass the runtime filters and the WHERE. */
function selectMorsel(task: ScanTask, snap: TableSnapshot, filter: SelectionFilter | null, slots: RuntimeFilterSlot[], group: number, start: number, end: number, out: Uint32Array): number {
  const node = task.scan;
  const read = task.read;
  const n = end - start;
  let batch: Batch = { length: n, columns: node.columns.map((c, k) => (read[k] ? sliceVector(snap.readColumn(group, c), start, end) : absentVector(node.output[k].type, n))) };
  // idx: positions in [0, n) kept so far (null: all of them).
  let idx: Uint32Array | null = null;
  const deleted = snap.deleted(group);
  if (deleted !== null) {
    const live = new Uint32Array(n);
    let k = 0;
    for (let i = 0; i < n; i++) if (deleted[start + i] === 0) live[k++] = i;
    if (k < n) {
      idx = live.subarray(0, k);
      batch = gatherNeeded(batch, idx, read);
    }
  }
  if (slots.length > 0 && batch.length > 0) {
    const rows = runtimeFilterRows(slots, batch);
    if (rows !== null) {
      idx = compose(idx, rows);
      batch = gatherNeeded(batch, rows, read);
    }
  }
  if (filter !== null && batch.length > 0) {
    const keep = filter.select(batch);
    if (keep !== null) idx = compose(idx, keep);
  }
  if (idx === null) {
    for (let i = 0; i < n; i++) out[i] = start + i;
    return n;
  }
  for (let i = 0; i < idx.length; i++) out[i] = start + idx[i];
  return idx.length;
}

function compose(idx: Uint32Array | null, rows: Uint32Array): Uint32Array {
  if (idx === null) return rows;
  const out = new Uint32Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = idx[rows[i]];
  return out;
}

/** Values per participant in ScanTask.stats: morsels, kept rows, milliseconds. */
export const SCAN_PARTICIPANT_STATS = 3;

/**
 * Runs the task until no morsel is left (or the scan is closed); every claimed morsel gets a count.
 * `onClaim` runs after each claim (a test hook).
 */
export function runScanTask(task: ScanTask, snap: TableSnapshot, morselRows: number, onClaim?: () => void): void {
  const counter = new Int32Array(task.counter);
  const cancel = new Int32Array(task.cancel);
  const counts = new Int32Array(task.counts);
  const selected = new Int32Array(task.selected);
  const stats = new Float64Array(task.stats);
  const scratch = new Uint32Array(morselRows);
  const total = task.morsels.length / 3;
  let filter: SelectionFilter | null = null;
  let slots: RuntimeFilterSlot[] = [];
  try {
    const ctx: ExecContext = {
      params: task.params,
      snapshot: () => snap,
      format: task.format,
      statementStartMicros: task.statementStartMicros,
      transactionStartMicros: task.transactionStartMicros,
      checkCancel: () => {
        if (Atomics.load(cancel, 0) !== 0) throw new SqlError(SqlState.queryCanceled, 'canceling statement due to user request');
      },
    };
    const env: ExprEnv = {
      ctx,
      outer: [],
      ctes: new Map(),
      stats: new Map(),
      needed: new Map(),
      prepareSubplan: () => {
        throw new Error('parallel scan: subqueries are not sent to workers');
      },
    };
    filter = task.scan.filter === null ? null : compileSelection(task.scan.filter, env);
    slots = task.runtimeFilters.map((f) => {
      const slot = new RuntimeFilterSlot(null, f.keyIndexes, f.scanColumns, f.kinds);
      slot.arm(f.bitmap !== null ? IntBitmapFilter.fromState(f.bitmap) : new BloomFilter(0, f.bloom!));
      return slot;
    });
  } catch {
    // Nothing claimed: the main thread does every morsel itself.
    return;
  }
  for (;;) {
    if (Atomics.load(cancel, 0) !== 0) return;
    const m = Atomics.add(counter, 0, 1);
    if (m >= total) return;
    onClaim?.();
    const started = performance.now();
    let count: number;
    try {
      const start = task.morsels[m * 3 + 1];
      count = selectMorsel(task, snap, filter, slots, task.morsels[m * 3], start, task.morsels[m * 3 + 2], scratch);
      // One bit per row of the morsel: a few hundred KiB for a whole table.
      const base = (m * morselRows) >>> 5;
      for (let i = 0; i < count; i++) {
        const d = scratch[i] - start;
        selected[base + (d >>> 5)] |= 1 << (d & 31);
      }
    } catch {
      count = MORSEL_FAILED;
    }
    // Before the count is published: the main thread reads these once it has seen every count.
    const at = task.slot * SCAN_PARTICIPANT_STATS;
    stats[at]++;
    if (count > 0) stats[at + 1] += count;
    stats[at + 2] += performance.now() - started;
    Atomics.store(counts, m, count);
    Atomics.notify(counts, m);
  }
}
