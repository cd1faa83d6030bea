// Morsel-driven parallel execution of one plan fragment (see fragment.ts for the shape).
//
// The main thread reads the chunks every scan of the fragment needs from the statement's own
// snapshots (so workers see exactly the rows the statement sees), in shared memory, and cuts the
// driving scan into morsels of MORSEL_ROWS rows. Each worker owns a queue of neighbouring morsels
// and, once it is empty, steals the back half of the fullest other queue (morsel-queues.ts), so a
// worker that finishes early takes over the work of a busy one. While the workers run, the main thread's event loop stays free:
// it polls for cancellation and statement_timeout and, when either fires, raises a shared flag
// the workers check once per batch. The partial rows come back as a CTE that the merge plan reads.
// A driving table larger than ctx.parallelRoundBytes (decoded) is handed out in rounds of row
// groups within that budget, one task per worker and round, so the chunks held for the workers
// stay within the buffer pool's size instead of the whole table (TPC-H SF 10's lineitem: ~4 GB).
import { PlanNode } from '../../plan/plan';
import { ROW_GROUP_ROWS, TableSnapshot } from '../../storage/api';
import { vectorBytes } from '../../storage/chunk-codec';
import { shareVector } from '../../types/shared-vector';
import { SqlError, SqlStateCode } from '../../types/sql-error';
import { Batch, Vector } from '../../types/vector';
import { ExecContext } from '../context';
import { neededColumns } from '../needed-columns';
import { scanReadColumns } from '../operators/scan';
import { ParallelFragment, findFragment, mergePlan, replaceNode, scansUnder } from './fragment';
import { SentPrebuiltJoin, SentTable, SentVector, WorkerReply, WorkerTask } from './messages';
import { prebuildJoins } from './shared-joins';
import { MAX_QUEUED_MORSELS, MorselQueues } from './morsel-queues';
import { WorkerHandle, dictBytes, dictId, leaseWorkers, releaseWorkers } from './pool';

/** Rows per morsel: a quarter row group, so small tables still split and big ones balance. */
export const MORSEL_ROWS = ROW_GROUP_ROWS / 4;
/**
 * Below this many driving rows a parallel run costs more than it saves (the default of
 * parallel_min_rows, which sets it per session). Four row groups: at 2 morsels
 * (32k rows) TPC-H SF 0.1's Q2 (partsupp, 80k rows) ran 49 ms in parallel against 25 ms serially and
 * Q22 38 against 25 ms (embedded bench, best of 5); the lineitem scans that gain (Q1, Q6) are larger.
 */
const MIN_PARALLEL_ROWS = 4 * ROW_GROUP_ROWS;
/** How often the main thread checks for cancel / statement_timeout while workers run. */
const CANCEL_POLL_MS = 10;
/** The CTE id under which the merge plan reads the workers' rows (the binder numbers CTEs from 0). */
const PARTIAL_CTE_ID = -1001;

/** Counters for tests and EXPLAIN-like diagnostics: statements run in parallel, by how many workers. */
export const parallelStats = { statements: 0, workers: 0, morsels: 0, rounds: 0, stolen: 0, sharedJoins: 0 };

/**
 * Runs the plan's parallel fragment, if it has one and workers are free, and returns the plan and
 * context to run serially for the rest (the fragment replaced by a merge of the workers' rows);
 * null = run the whole plan serially.
 */
export function runParallelFragment(plan: PlanNode, ctx: ExecContext): Promise<{ plan: PlanNode; ctx: ExecContext } | null> | null {
  // Null at once (no promise to await) when the plan runs serially: every small statement.
  const want = ctx.parallelWorkers ?? 0;
  if (want < 1 || typeof SharedArrayBuffer === 'undefined') return null;
  const fragment = findFragment(plan, (id) => ctx.snapshot(id).liveRowCount, ctx.parallelSharedJoinRows);
  if (fragment === null) return null;
  const driving = ctx.snapshot(fragment.driving.tableId);
  if (driving.liveRowCount < (ctx.parallelMinRows ?? MIN_PARALLEL_ROWS)) return null;
  return runFragment(plan, ctx, fragment, want);
}

async function runFragment(plan: PlanNode, ctx: ExecContext, fragment: ParallelFragment, want: number): Promise<{ plan: PlanNode; ctx: ExecContext } | null> {
  // Before leasing the fragment's workers: the shared build sides' own parallel scans and builds use them.
  const prebuilt = fragment.shared.length > 0 ? prebuildJoins(fragment, ctx) : null;
  const workers = leaseWorkers(want);
  // No worker free (another statement holds them): the serial plan builds those sides again.
  if (workers.length === 0) return null;
  try {
    const work = prebuilt === null ? fragment : { ...fragment, partial: prebuilt.plan };
    const batches = await runOnWorkers(work, ctx, workers, prebuilt?.joins ?? [], prebuilt?.dicts ?? new Map());
    const ctes = new Map(ctx.ctes ?? []);
    ctes.set(PARTIAL_CTE_ID, batches);
    return { plan: replaceNode(plan, fragment.aggregate, mergePlan(fragment, PARTIAL_CTE_ID)), ctx: { ...ctx, ctes } };
  } finally {
    releaseWorkers(workers);
  }
}

/**
 * Every table the fragment scans, with the chunks of the columns its scans read: for the driving
 * table the row groups from `from` on while their decoded bytes stay within `budget` (at least
 * one; `end` is the first group left out, other groups' chunks are null), other tables whole.
 */
function tablesOf(fragment: ParallelFragment, ctx: ExecContext, from: number, budget: number): { tables: SentTable[]; dicts: Map<number, string[]>; rowCounts: number[]; end: number } {
  const need = neededColumns(fragment.partial);
  const columnsByTable = new Map<number, Set<number>>();
  for (const s of scansUnder(fragment.partial, [])) {
    const read = scanReadColumns(s, need.get(s));
    let set = columnsByTable.get(s.tableId);
    if (set === undefined) columnsByTable.set(s.tableId, (set = new Set()));
    s.columns.forEach((c, k) => {
      if (read[k]) set!.add(c);
    });
  }
  const dicts = new Map<number, string[]>();
  const tables: SentTable[] = [];
  let drivingRowCounts: number[] = [];
  let end = 0;
  for (const [tableId, columns] of columnsByTable) {
    const driving = tableId === fragment.driving.tableId;
    const shared = sharedTable(tableId, ctx.snapshot(tableId), columns, dicts, driving ? from : 0, driving ? budget : Infinity);
    if (driving) {
      drivingRowCounts = shared.table.rowCounts;
      end = shared.end;
    }
    tables.push(shared.table);
  }
  return { tables, dicts, rowCounts: drivingRowCounts, end };
}

/**
 * A table's row groups and the chunks of `columns` as a worker receives them (dictionaries
 * collected in `dicts`): the groups from `from` on while their decoded bytes stay within `budget`
 * (at least one; `end` is the first group left out, other groups' chunks are null).
 */
export function sharedTable(
  tableId: number,
  snap: TableSnapshot,
  columns: Iterable<number>,
  dicts: Map<number, string[]>,
  from = 0,
  budget = Infinity,
): { table: SentTable; end: number } {
  const groups = snap.rowGroupCount;
  const rowCounts: number[] = [];
  const deleted: (Uint8Array | null)[] = [];
  for (let g = 0; g < groups; g++) {
    rowCounts.push(snap.rowCount(g));
    deleted.push(snap.deleted(g));
  }
  const sent: [number, SentVector[]][] = [...columns].map((c) => [c, new Array<SentVector>(groups).fill(null as unknown as SentVector)]);
  let bytes = 0;
  let g = from;
  for (; g < groups && (g === from || bytes < budget); g++) {
    for (const [c, chunks] of sent) {
      const v = shareVector(snap.readColumn(g, c));
      if (budget !== Infinity) bytes += vectorBytes(v);
      chunks[g] = sendVector(v, dicts);
    }
  }
  return { table: { tableId, def: snap.def, rowCounts, deleted, liveRowCount: snap.liveRowCount, columns: sent }, end: g };
}

/** A vector as a worker receives it: typed arrays shared, a string dictionary by id (collected in `dicts`). */
export function sendVector(v: Vector, dicts: Map<number, string[]>): SentVector {
  const s = shareVector(v);
  if (s.kind !== 'string') return s;
  const id = dictId(s.dict);
  dicts.set(id, s.dict);
  return { ...s, dict: null, dictId: id };
}

/**
 * The dictionaries of `dicts` worker w does not hold yet (all of them, with clear = true, when it
 * must drop its own first: it keeps at most keepBytes of them across tasks).
 */
export function dictsFor(w: WorkerHandle, dicts: Map<number, string[]>, keepBytes?: number): { send: [number, string[]][]; clear: boolean } {
  let send: [number, string[]][] = [...dicts].filter(([id]) => !w.sentDicts.has(id));
  const clear = w.shouldClear(send.reduce((n, [, d]) => n + dictBytes(d), 0), keepBytes);
  if (clear) send = [...dicts];
  for (const [id, d] of send) {
    w.sentDicts.add(id);
    w.sentBytes += dictBytes(d);
  }
  return { send, clear };
}

/** Estimated bytes of dictionaries the workers would receive for `dicts` (each gets its own copy). */
export function dictBytesToSend(workers: readonly WorkerHandle[], dicts: Map<number, string[]>): number {
  let bytes = 0;
  for (const w of workers) for (const [id, d] of dicts) if (!w.sentDicts.has(id)) bytes += dictBytes(d);
  return bytes;
}

/** Each worker's share of the round budget for dictionaries kept across tasks (undefined: the pool's default). */
export function keptDictBytes(ctx: ExecContext, workers: number): number | undefined {
  return ctx.parallelRoundBytes === undefined ? undefined : ctx.parallelRoundBytes / Math.max(1, workers);
}

/** Morsels of `size` rows over row groups [from, end). */
export function morselsOf(rowCounts: readonly number[], from = 0, end = rowCounts.length, size = MORSEL_ROWS): Int32Array {
  const triples: number[] = [];
  for (let g = from; g < end; g++) {
    const rows = rowCounts[g];
    for (let start = 0; start < rows; start += size) triples.push(g, start, Math.min(rows, start + size));
  }
  return Int32Array.from(triples);
}

async function runOnWorkers(fragment: ParallelFragment, ctx: ExecContext, workers: WorkerHandle[], joins: SentPrebuiltJoin[], joinDicts: Map<number, string[]>): Promise<Batch[]> {
  const groups = ctx.snapshot(fragment.driving.tableId).rowGroupCount;
  // A table the fragment scans twice is needed whole in every task: one round.
  const drivingScans = scansUnder(fragment.partial, []).filter((s) => s.tableId === fragment.driving.tableId).length;
  const budget = drivingScans === 1 ? (ctx.parallelRoundBytes ?? Infinity) : Infinity;
  const batches: Batch[] = [];
  for (let from = 0; from < groups || from === 0; ) {
    const round = tablesOf(fragment, ctx, from, budget);
    for (const [id, d] of joinDicts) round.dicts.set(id, d);
    batches.push(...(await runRound(fragment, ctx, workers, round.tables, round.dicts, morselsOf(round.rowCounts, from, round.end), joins)));
    from = round.end;
    parallelStats.rounds++;
    if (groups === 0) break;
  }
  parallelStats.statements++;
  parallelStats.sharedJoins += joins.length;
  parallelStats.workers += workers.length;
  return batches;
}

async function runRound(fragment: ParallelFragment, ctx: ExecContext, workers: WorkerHandle[], tables: SentTable[], dicts: Map<number, string[]>, morsels: Int32Array, joins: SentPrebuiltJoin[]): Promise<Batch[]> {
  const counter = new SharedArrayBuffer(4);
  const cancel = new SharedArrayBuffer(4);
  const total = morsels.length / 3;
  const queues = total <= MAX_QUEUED_MORSELS ? MorselQueues.share(total, workers.length) : null;
  const replies = workers.map((w, queue) => {
    const { send: newDicts, clear: clearDicts } = dictsFor(w, dicts, keptDictBytes(ctx, workers.length));
    const task: WorkerTask = {
      plan: fragment.partial,
      path: fragment.path,
      params: ctx.params,
      format: ctx.format,
      statementStartMicros: ctx.statementStartMicros,
      transactionStartMicros: ctx.transactionStartMicros,
      tables,
      morsels,
      counter,
      queues,
      queue,
      cancel,
      dicts: newDicts,
      clearDicts,
      joins,
    };
    return w.run(task).catch((err: Error): WorkerReply => {
      // A worker that died lost what it was sent; its dictionaries go with it.
      w.sentDicts.clear();
      return { error: { code: 'XX000', message: err.message } };
    });
  });
  let cancelled: unknown = null;
  const poll = setInterval(() => {
    try {
      ctx.checkCancel();
    } catch (err) {
      cancelled = err;
      Atomics.store(new Int32Array(cancel), 0, 1);
      clearInterval(poll);
    }
  }, CANCEL_POLL_MS);
  let results: WorkerReply[];
  try {
    results = await Promise.all(replies);
  } finally {
    clearInterval(poll);
  }
  if (cancelled !== null) throw cancelled;
  const batches: Batch[] = [];
  for (const r of results) {
    if ('error' in r) {
      throw new SqlError(r.error.code as SqlStateCode, r.error.message, { detail: r.error.detail, hint: r.error.hint });
    }
    batches.push(...r.batches);
    parallelStats.morsels += r.morsels;
    parallelStats.stolen += r.stolen;
  }
  return batches;
}
