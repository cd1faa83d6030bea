// Parallel filtered scan: the probe side of a hash join (or any large scan with a WHERE or armed
// runtime filters) evaluated by worker threads, consumed by the serial plan on the main thread.
//
// Many plans cannot run as one parallel fragment (parallel/fragment.ts): TPC-H Q21 probes three
// scans of lineitem against hash tables built on the main thread. Their scans are most of the work,
// though, and a scan's selection needs no hash table: only the row groups, the WHERE and the
// runtime (Bloom / bitmap) filters its joins armed before pulling it. So when such a scan starts,
// workers are sent the filter columns' chunks (shared memory) and the filters, claim morsels from
// a shared counter and mark each morsel's kept rows in a shared bitmap. The main thread
// takes the morsels in order: one already claimed by a worker it waits for (Atomics.wait), the
// next unclaimed one it claims and scans itself, so it never waits while work is left in front of
// it, and the rows come out in the serial order whatever the number of workers. It then gathers
// the needed columns of the kept rows from its own chunks. All of this stays synchronous, so the
// pull-based operators above the scan are unchanged.
import { ScanNode } from '../../plan/plan';
import { TableSnapshot } from '../../storage/api';
import { ExprEnv } from '../expr/compiled';
import { BloomFilter } from '../hash/bloom-filter';
import { exprColumns } from '../needed-columns';
import { RuntimeFilterSlot } from '../operators/runtime-filter';
import { exprOk } from './fragment';
import { ScanTask, SentRuntimeFilter } from './messages';
import { WorkerHandle, checkWorkersAlive, leaseWorkers, releaseWorkers } from './pool';
import { dictBytesToSend, dictsFor, keptDictBytes, morselsOf, sharedTable } from './run-parallel';
import { MORSEL_FAILED, MORSEL_PENDING, SCAN_MORSEL_ROWS, SCAN_PARTICIPANT_STATS } from './scan-task';
import { NodeStats, ParticipantStats, addParallelStats } from '../expr/compiled';

/** Below this many live rows a scan stays serial (parallel_min_rows overrides it). */
const MIN_PARALLEL_ROWS = 4 * 65536;
/** How long the main thread waits for a worker's morsel before checking for cancellation again. */
const WAIT_SLICE_MS = 50;

/** Counters for tests: scans run in parallel, and morsels done by workers. */
export const parallelScanStats = { scans: 0, workerMorsels: 0 };

/** A morsel to emit: rows [start, end) of `group`; `selected` = its kept offsets (null: scan them serially). */
export interface ScanMorsel {
  group: number;
  start: number;
  end: number;
  selected: Uint32Array | null;
}

export class ParallelScan {
  private next = 0;
  private closed = false;
  /** Morsels the main thread scanned itself. */
  private ownMorsels = 0;
  /** The node's row count when this run started (the main thread's rows are the rest of this run's). */
  private readonly rowsBefore: number;

  private constructor(
    private readonly env: ExprEnv,
    private readonly workers: WorkerHandle[],
    private readonly morsels: Int32Array,
    private readonly counter: Int32Array,
    private readonly cancel: Int32Array,
    private readonly counts: Int32Array,
    private readonly selected: Int32Array,
    /** Per participant morsels, kept rows and ms (scan-task.ts); participant 0 (the main thread) is not filled in. */
    private readonly shares: Float64Array,
    private readonly planned: number,
    private readonly stats: NodeStats | undefined,
  ) {
    env.closeAtEnd?.add(this);
    this.rowsBefore = stats?.rows ?? 0;
  }

  /**
   * Starts workers on the scan when it is worth it (a full scan of a large table with a WHERE or
   * armed runtime filters, workers free, not itself inside a worker); null = scan serially.
   */
  static start(node: ScanNode, env: ExprEnv, snap: TableSnapshot, slots: readonly RuntimeFilterSlot[]): ParallelScan | null {
    const ctx = env.ctx;
    const want = ctx.parallelWorkers ?? 0;
    if (want < 1 || ctx.morselsFor !== undefined || typeof SharedArrayBuffer === 'undefined' || node.index !== undefined) return null;
    if (snap.liveRowCount < (ctx.parallelMinRows ?? MIN_PARALLEL_ROWS)) return null;
    // A scan run again and again (a correlated subplan, the inner side of a nested loop) often stops
    // at its first rows (EXISTS): starting workers each time would cost more than it saves.
    if (env.outer.length > 0 || (env.stats.get(node)?.loops ?? 1) > 1) return null;
    const armed = slots.filter((s) => s.filter !== null);
    if (node.filter === null && armed.length === 0) return null;
    if (node.filter !== null && !exprOk(node.filter)) return null;
    const read = node.output.map(() => false);
    if (node.filter !== null) for (const c of exprColumns(node.filter, new Set())) read[c] = true;
    for (const s of armed) for (const c of s.scanColumns) read[c] = true;
    // The workers get the read columns of the whole table at once: a table whose columns would not
    // fit in the round budget (half the buffer pool; SF 10's lineitem) is scanned serially.
    const roughBytes = snap.liveRowCount * read.filter((r) => r).length * 8;
    if (roughBytes > (ctx.parallelRoundBytes ?? Infinity)) return null;
    const workers = leaseWorkers(want);
    if (workers.length === 0) return null;
    try {
      const dicts = new Map<number, string[]>();
      // Reading stops once the decoded chunks (string dictionaries included) pass the round budget,
      // and each worker gets its own copy of the dictionaries it does not hold yet: both count
      // against the budget (SF 10's o_comment, 15M strings, about 1.7 GB decoded, is scanned serially).
      const budget = ctx.parallelRoundBytes ?? Infinity;
      const { table, end, bytes } = sharedTable(node.tableId, snap, node.columns.filter((_, k) => read[k]), dicts, 0, budget);
      // The measured bytes now, not the 8-bytes-a-value estimate the check before leasing used.
      if (end < snap.rowGroupCount || bytes + dictBytesToSend(workers, dicts) > budget) {
        releaseWorkers(workers);
        return null;
      }
      const morsels = morselsOf(table.rowCounts, 0, table.rowCounts.length, SCAN_MORSEL_ROWS);
      const total = morsels.length / 3;
      const counter = new SharedArrayBuffer(4);
      const cancel = new SharedArrayBuffer(4);
      const counts = new SharedArrayBuffer(4 * total);
      new Int32Array(counts).fill(MORSEL_PENDING);
      const selected = new SharedArrayBuffer((total * SCAN_MORSEL_ROWS) / 8);
      const shares = new SharedArrayBuffer(8 * SCAN_PARTICIPANT_STATS * (workers.length + 1));
      const runtimeFilters: SentRuntimeFilter[] = armed.map((s) => ({
        keyIndexes: [...s.keyIndexes],
        scanColumns: [...s.scanColumns],
        kinds: [...s.kinds],
        bloom: s.filter instanceof BloomFilter ? s.filter.state() : null,
        bitmap: s.filter instanceof BloomFilter ? null : s.filter!.state(),
      }));
      for (const [i, w] of workers.entries()) {
        const { send, clear } = dictsFor(w, dicts, keptDictBytes(ctx, workers.length));
        const task: ScanTask = {
          kind: 'scan',
          scan: node,
          read,
          runtimeFilters,
          params: ctx.params,
          format: ctx.format,
          statementStartMicros: ctx.statementStartMicros,
          transactionStartMicros: ctx.transactionStartMicros,
          table,
          morsels,
          counter,
          cancel,
          counts,
          selected,
          stats: shares,
          slot: i + 1,
          dicts: send,
          clearDicts: clear,
        };
        w.post(task);
      }
      parallelScanStats.scans++;
      return new ParallelScan(env, workers, morsels, new Int32Array(counter), new Int32Array(cancel), new Int32Array(counts), new Int32Array(selected), new Float64Array(shares), want, env.stats.get(node));
    } catch (err) {
      releaseWorkers(workers);
      throw err;
    }
  }

  /** The next morsel in table order, null after the last. */
  nextMorsel(): ScanMorsel | null {
    const m = this.next;
    const total = this.morsels.length / 3;
    if (this.closed || m >= total) {
      this.close();
      return null;
    }
    this.next++;
    const at = { group: this.morsels[m * 3], start: this.morsels[m * 3 + 1], end: this.morsels[m * 3 + 2] };
    // The next unclaimed morsel is this one: the main thread scans it itself.
    if (Atomics.compareExchange(this.counter, 0, m, m + 1) === m) {
      this.ownMorsels++;
      return { ...at, selected: null };
    }
    let count: number;
    while ((count = Atomics.load(this.counts, m)) === MORSEL_PENDING) {
      // A worker that died holding this morsel never counts it: fail rather than wait for ever.
      if (Atomics.wait(this.counts, m, MORSEL_PENDING, WAIT_SLICE_MS) === 'timed-out') checkWorkersAlive(this.workers);
      this.env.ctx.checkCancel();
    }
    if (count === MORSEL_FAILED) return { ...at, selected: null };
    parallelScanStats.workerMorsels++;
    return { ...at, selected: this.keptRows(m, at.start, count) };
  }

  /** The offsets (in the group) of morsel m's kept rows, from its bits. */
  private keptRows(m: number, start: number, count: number): Uint32Array {
    const out = new Uint32Array(count);
    const bits = this.selected;
    const first = (m * SCAN_MORSEL_ROWS) >>> 5;
    const words = SCAN_MORSEL_ROWS >>> 5;
    let k = 0;
    for (let w = 0; w < words && k < count; w++) {
      let x = bits[first + w];
      while (x !== 0) {
        const low = x & -x;
        out[k++] = start + w * 32 + 31 - Math.clz32(low);
        x ^= low;
      }
    }
    return out;
  }

  /** Stops the workers' claiming (a scan stopped early) and gives them back. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.cancel, 0, 1);
    // Workers still busy with a morsel finish it into buffers nobody reads; a task posted to them
    // next waits in their queue until then.
    releaseWorkers(this.workers);
    this.env.closeAtEnd?.delete(this);
    if (this.stats !== undefined) addParallelStats(this.stats, { kind: 'scan', planned: this.planned, launched: this.workers.length, participants: this.participants(this.stats.rows - this.rowsBefore) });
  }

  /** The main thread's and each worker's morsels and kept rows (`rows`: the scan's output rows of this run). */
  private participants(rows: number): ParticipantStats[] {
    const s = this.shares;
    const workers = this.workers.map((_, i): ParticipantStats => {
      const at = (i + 1) * SCAN_PARTICIPANT_STATS;
      return { worker: i, units: s[at], rows: s[at + 1], ms: s[at + 2] };
    });
    // The main thread's time on its own morsels is not separable from its consumers' (it pulls them).
    const leader: ParticipantStats = { worker: null, units: this.ownMorsels, rows: Math.max(0, rows - workers.reduce((n, w) => n + w.rows, 0)) };
    return [leader, ...workers];
  }
}
