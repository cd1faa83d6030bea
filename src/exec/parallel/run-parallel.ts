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
import { memoizedForFrozen } from '../../plan/frozen-memo';
import { ROW_GROUP_ROWS, TableSnapshot } from '../../storage/api';
import { vectorBytes } from '../../storage/chunk-codec';
import { shareVector } from '../../types/shared-vector';
import { SqlError, SqlState, SqlStateCode } from '../../types/sql-error';
import { ColumnExpr } from '../../plan/expr';
import { keySlice } from './key-range';
import { Batch, Vector } from '../../types/vector';
import { ExecContext } from '../context';
import { neededColumns } from '../needed-columns';
import { scanReadColumns } from '../operators/scan';
import { ClusterFragmentOptions, MAX_PARTIAL_GROUPS, ParallelFragment, disjointMergePlan, findFragment, hasFragmentCandidates, mergePlan, replaceNode, scansUnder, uncorrelatedSubplans } from './fragment';
import { SentNodeStats, SentPrebuiltJoin, SentTable, SentVector, WorkerReply, WorkerTask } from './messages';
import { ParticipantStats } from '../expr/compiled';
import { FragmentRun } from './fragment-stats';
import { prebuildJoins } from './shared-joins';
import { MAX_QUEUED_MORSELS, MorselQueues } from './morsel-queues';
import { WorkerHandle, dictBytes, dictId, leaseWorkers, releaseWorkers } from './pool';
import { remotePlanOf } from './remote-request';
import { fragmentBase, snapshotGroups } from './fragment-context';
import { runRemoteRanges } from './remote-round';
import { runShuffledFragment } from './shuffle-round';

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
export const parallelStats = { statements: 0, workers: 0, morsels: 0, rounds: 0, stolen: 0, sharedJoins: 0, shuffleFallbackFragments: 0 };

/**
 * Runs the plan's parallel fragments, if it has any and workers are free, and returns the plan and
 * context to run serially for the rest; null = run the whole plan serially. The fragments: the
 * aggregate of each uncorrelated subquery that has one (Q18's IN (SELECT l_orderkey … GROUP BY
 * l_orderkey HAVING …)), replaced through ctx.replacedNodes, and then the plan's own, replaced in
 * the returned plan; each by a merge of its workers' rows.
 */
export function runParallelFragment(plan: PlanNode, ctx: ExecContext): Promise<{ plan: PlanNode; ctx: ExecContext; runs: FragmentRun[] } | null> | null {
  // Null at once (no promise to await) when the plan runs serially: every small statement.
  const want = ctx.parallelWorkers ?? 0;
  if (want < 1 || typeof SharedArrayBuffer === 'undefined' || !mayHaveFragments(plan)) return null;
  const rows = (id: number): number => ctx.snapshot(id).liveRowCount;
  const cluster = clusterOptions(ctx);
  const subs: [PlanNode, ParallelFragment][] = [];
  for (const sub of uncorrelatedSubplans(plan)) {
    const found = findFragment(sub, rows, ctx.parallelSharedJoinRows, Infinity, cluster);
    if (found !== null) subs.push([sub, found]);
  }
  const top = findFragment(plan, rows, ctx.parallelSharedJoinRows, MAX_PARTIAL_GROUPS, cluster);
  if (top === null && subs.length === 0) return null;
  return runParallelFragments(plan, ctx, subs, top, (root) => findFragment(root, rows, ctx.parallelSharedJoinRows, root === plan ? MAX_PARTIAL_GROUPS : Infinity, unshuffled(cluster)));
}

/**
 * The cluster options without shuffles: what findFragment picks when a shuffled fragment could not
 * run (a participant failed or lacks rows) — the fragment the plan gets without a shuffle runner
 * (local workers plus remote morsel ranges), not serial execution of a join the shuffle was to split.
 */
function unshuffled(cluster: ClusterFragmentOptions | null): ClusterFragmentOptions | null {
  return cluster === null ? null : { ...cluster, shuffle: false };
}

/** What other cluster nodes let fragments do now (null: none takes part). */
function clusterOptions(ctx: ExecContext): ClusterFragmentOptions | null {
  const provider = ctx.remoteFragments;
  if (provider === undefined || provider.participants().length === 0) return null;
  return { shuffle: provider.shuffle !== undefined, broadcast: ctx.clusterJoinDistribution === 'broadcast' };
}

/** hasFragmentCandidates, remembered for frozen plans (the engine's statement cache runs one plan many times). */
const mayHaveFragments = memoizedForFrozen(hasFragmentCandidates);

/** Runs the fragments runParallelFragment found: the subqueries' (`subs`), then the plan's own (`top`). */
async function runParallelFragments(
  plan: PlanNode,
  ctx: ExecContext,
  subs: [PlanNode, ParallelFragment][],
  top: ParallelFragment | null,
  withoutShuffle: (root: PlanNode) => ParallelFragment | null,
): Promise<{ plan: PlanNode; ctx: ExecContext; runs: FragmentRun[] } | null> {
  const runs: FragmentRun[] = [];
  const ctes = new Map(ctx.ctes ?? []);
  const replacedNodes = new Map(ctx.replacedNodes ?? []);
  let cteId = PARTIAL_CTE_ID;
  for (const [sub, found] of subs) {
    const partitioned = keyRange(found, ctx);
    // Many groups and not partitioned: the merge would cost what the workers save.
    if (partitioned === null && found.aggregate.groupBy.length > 0 && (found.aggregate.estimatedRows ?? 0) > MAX_PARTIAL_GROUPS) continue;
    const r = await preRun({ ...found, partitioned }, sub, ctx, cteId, withoutShuffle);
    if (r === null) continue;
    ctes.set(cteId--, r.batches);
    replacedNodes.set(r.run.aggregate, r.run.merge);
    runs.push(r.run);
  }
  let rest = plan;
  // A shuffled fragment's coordinator runs its subqueries (shuffle-subqueries.ts): with the merges of the ones run above.
  const r = top === null ? null : await runOrFallBack(top, plan, ctx, cteId, withoutShuffle, { ...ctx, ctes, replacedNodes });
  if (r !== null) {
    ctes.set(cteId, r.batches);
    rest = r.run.rewritten = replaceNode(plan, r.run.aggregate, r.run.merge);
    runs.push(r.run);
  }
  if (runs.length === 0) return null;
  parallelStats.statements++;
  parallelStats.workers += Math.max(...runs.map((x) => x.parallel.launched));
  return { plan: rest, ctx: { ...ctx, ctes, replacedNodes }, runs };
}

/**
 * The key range over which a subquery's fragment runs key-partitioned (fragment.ts), or null: a
 * single integer group key that is a column of the driving scan straight below (filters aside:
 * no join whose probe every worker would repeat), whose groups are not known to be few, with the
 * column's min and max from the table statistics (stale ones only unbalance the slices). Q18's
 * IN (SELECT l_orderkey FROM lineitem GROUP BY l_orderkey HAVING …): 1.5M groups of 6M rows,
 * where a merge of the workers' groups on the main thread cost about half the serial aggregate.
 * Top-level fragments keep their morsel split (their planner estimates bound the groups).
 */
function keyRange(f: ParallelFragment, ctx: ExecContext): { lo: number; hi: number } | null {
  const a = f.aggregate;
  const groups = a.estimatedRows;
  if (a.groupBy.length !== 1 || (groups !== undefined && groups <= MAX_PARTIAL_GROUPS)) return null;
  const key = a.groupBy[0];
  if (key.kind !== 'column' || !INTEGER_KEYS.has(key.type.name)) return null;
  let n: PlanNode = a.input;
  while (n.kind === 'filter') n = n.input;
  if (n !== f.driving) return null;
  const stats = ctx.snapshot(f.driving.tableId).statistics()?.columns[f.driving.columns[key.index]];
  const lo = stats?.min;
  const hi = stats?.max;
  return typeof lo === 'number' && typeof hi === 'number' && hi > lo ? { lo, hi } : null;
}

const INTEGER_KEYS = new Set(['int2', 'int4', 'int8', 'date']);

/**
 * For each of `parts` slices of the key range, the morsels (triples) holding a key of it (a NULL key
 * belongs to slice 0), from the minimum and maximum key of each morsel in the round's chunks.
 */
function morselsBySlice(fragment: ParallelFragment, range: { lo: number; hi: number }, tables: SentTable[], morsels: Int32Array, parts: number): Int32Array[] {
  const key = fragment.aggregate.groupBy[0] as ColumnExpr;
  const column = fragment.driving.columns[key.index];
  const chunks = tables.find((t) => t.tableId === fragment.driving.tableId)?.columns.find(([c]) => c === column)?.[1];
  if (chunks === undefined) return Array.from({ length: parts }, () => morsels);
  const out: number[][] = Array.from({ length: parts }, () => []);
  for (let m = 0; m < morsels.length; m += 3) {
    const [g, start, end] = [morsels[m], morsels[m + 1], morsels[m + 2]];
    const v = chunks[g] as Vector & { values: ArrayLike<number> };
    let lo = Infinity;
    let hi = -Infinity;
    let hasNull = false;
    for (let i = start; i < end; i++) {
      if (v.nulls !== null && v.nulls[i] === 1) hasNull = true;
      else {
        const x = v.values[i];
        if (x < lo) lo = x;
        if (x > hi) hi = x;
      }
    }
    const first = hasNull || lo > hi ? 0 : keySlice(lo, false, range.lo, range.hi, parts);
    const last = lo > hi ? 0 : keySlice(hi, false, range.lo, range.hi, parts);
    for (let p = first; p <= last; p++) out[p].push(g, start, end);
  }
  return out.map((t) => Int32Array.from(t));
}

/**
 * A subquery's fragment run ahead of the statement. PostgreSQL evaluates such a subquery only when
 * the statement reaches it (a CASE branch not taken, an AND already false, an empty outer query
 * never do), so an error raised here (22012 in an aggregate's argument, a lost worker) is not the
 * statement's: the subquery is left to the serial plan, which raises it only if it evaluates it.
 * A cancel or statement_timeout is the statement's and goes on.
 */
async function preRun(f: ParallelFragment, sub: PlanNode, ctx: ExecContext, cteId: number, withoutShuffle: (root: PlanNode) => ParallelFragment | null): Promise<{ batches: Batch[]; run: FragmentRun } | null> {
  try {
    return await runOrFallBack(f, sub, ctx, cteId, withoutShuffle, ctx);
  } catch (err) {
    if (err instanceof SqlError && err.code !== SqlState.queryCanceled) return null;
    throw err;
  }
}

/**
 * Runs `fragment`; one with a shuffled join (run with `shuffleCtx`: its coordinator runs the
 * fragment's subqueries, with the merges of those already run) that cannot run — a participant
 * failed, lacks rows, or none takes part — falls back to the fragment `root` gets without shuffles
 * (`withoutShuffle`), if any: the parallel plan the query has with cluster_join_distribution =
 * broadcast-or-local, rather than the whole shuffled join run serially on this node.
 */
async function runOrFallBack(
  fragment: ParallelFragment,
  root: PlanNode,
  ctx: ExecContext,
  cteId: number,
  withoutShuffle: (root: PlanNode) => ParallelFragment | null,
  shuffleCtx: ExecContext,
): Promise<{ batches: Batch[]; run: FragmentRun } | null> {
  if (fragment.shuffle == null) return runFragment(fragment, root, ctx, cteId);
  // Too small to run in parallel: so is the fragment without shuffles (its driving table is never larger).
  if (tooSmall(fragment, ctx)) return null;
  const shuffled = await runFragment(fragment, root, shuffleCtx, cteId);
  if (shuffled !== null) return shuffled;
  const plain = withoutShuffle(root);
  if (plain === null) return null;
  parallelStats.shuffleFallbackFragments++;
  // A subquery's fragment (partitioned set by the caller) is key-partitioned as its own shape allows.
  return runFragment(fragment.partitioned === undefined ? plain : { ...plain, partitioned: keyRange(plain, ctx) }, root, ctx, cteId);
}

/** Whether the fragment's driving table has fewer live rows than a parallel run pays for (parallel_min_rows). */
function tooSmall(fragment: ParallelFragment, ctx: ExecContext): boolean {
  return ctx.snapshot(fragment.driving.tableId).liveRowCount < (ctx.parallelMinRows ?? MIN_PARALLEL_ROWS);
}

/** Runs one fragment on the workers: its partial rows (for CTE `cteId`) and the merge that reads them; null = not run (too small, no worker free). */
async function runFragment(fragment: ParallelFragment, root: PlanNode, ctx: ExecContext, cteId: number): Promise<{ batches: Batch[]; run: FragmentRun } | null> {
  const want = ctx.parallelWorkers ?? 0;
  if (tooSmall(fragment, ctx)) return null;
  if (fragment.shuffle != null) return runShuffled(fragment, root, ctx, cteId);
  // Before leasing the fragment's workers: the shared build sides' own parallel scans and builds use them.
  const prebuilt = fragment.shared.length > 0 ? prebuildJoins(fragment, ctx) : null;
  const workers = leaseWorkers(want);
  // No worker free (another statement holds them): the serial plan builds those sides again.
  if (workers.length === 0) return null;
  try {
    const started = performance.now();
    const work = prebuilt === null ? fragment : { ...fragment, partial: prebuilt.plan };
    const shares = workers.map((_, i): WorkerShare => ({ participant: { worker: i, units: 0, rows: 0, ms: 0 }, nodeStats: [] }));
    const { batches, rounds } = await runOnWorkers(work, ctx, workers, prebuilt?.joins ?? [], prebuilt?.dicts ?? new Map(), shares);
    const run: FragmentRun = {
      rewritten: null,
      root,
      aggregate: fragment.aggregate,
      // Key slices keep each group on one worker within a round only: a key whose rows fall in two
      // rounds comes out as two partial groups, which the general merge combines.
      merge: fragment.partitioned != null && rounds === 1 ? disjointMergePlan(fragment, cteId) : mergePlan(fragment, cteId),
      workPlan: work.partial,
      partial: fragment.partial,
      driving: fragment.driving,
      workerNodeStats: shares.map((s) => s.nodeStats),
      parallel: { kind: 'aggregate', planned: want, launched: workers.length, participants: shares.map((s) => s.participant) },
      phaseMs: performance.now() - started,
    };
    return { batches, run };
  } finally {
    releaseWorkers(workers);
  }
}

/** A fragment with a shuffled join, run over the cluster's nodes (shuffle-round.ts); null: run it serially here instead. */
async function runShuffled(fragment: ParallelFragment, root: PlanNode, ctx: ExecContext, cteId: number): Promise<{ batches: Batch[]; run: FragmentRun } | null> {
  const started = performance.now();
  const batches = await runShuffledFragment(fragment, ctx);
  if (batches === null) return null;
  const run: FragmentRun = {
    rewritten: null,
    root,
    aggregate: fragment.aggregate,
    merge: mergePlan(fragment, cteId),
    workPlan: fragment.partial,
    partial: fragment.partial,
    driving: fragment.driving,
    workerNodeStats: [],
    parallel: { kind: 'aggregate', planned: ctx.parallelWorkers ?? 0, launched: 0, participants: [] },
    phaseMs: performance.now() - started,
  };
  return { batches, run };
}

/**
 * Every table the fragment scans, with the chunks of the columns its scans read: for the driving
 * table the row groups from `from` on while their decoded bytes stay within `budget` (at least
 * one; `end` is the first group left out, other groups' chunks are null), other tables whole.
 */
function tablesOf(fragment: ParallelFragment, ctx: ExecContext, from: number, budget: number): { tables: SentTable[]; dicts: Map<number, string[]>; rowCounts: number[]; end: number } {
  const columnsByTable = columnsReadByTable(fragment.partial);
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

/** The table columns the scans of `plan` read (`need`: neededColumns(plan)), by table. */
export function columnsReadByTable(plan: PlanNode, need = neededColumns(plan)): Map<number, Set<number>> {
  const byTable = new Map<number, Set<number>>();
  for (const s of scansUnder(plan, [])) {
    const read = scanReadColumns(s, need.get(s));
    let set = byTable.get(s.tableId);
    if (set === undefined) byTable.set(s.tableId, (set = new Set()));
    s.columns.forEach((c, k) => {
      if (read[k]) set!.add(c);
    });
  }
  return byTable;
}

/**
 * A table's row groups and the chunks of `columns` as a worker receives them (dictionaries
 * collected in `dicts`): the groups from `from` on while their decoded bytes stay within `budget`
 * (at least one; `end` is the first group left out, other groups' chunks are null). `bytes`: the
 * decoded bytes of the groups read, measured when there is a budget (else 0).
 */
export function sharedTable(
  tableId: number,
  snap: TableSnapshot,
  columns: Iterable<number>,
  dicts: Map<number, string[]>,
  from = 0,
  budget = Infinity,
): { table: SentTable; end: number; bytes: number } {
  const groups = snap.rowGroupCount;
  const { rowCounts, deleted } = snapshotGroups(snap);
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
  return { table: { tableId, def: snap.def, rowCounts, deleted, liveRowCount: snap.liveRowCount, columns: sent }, end: g, bytes };
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

/** One worker's part of a fragment, summed over rounds. */
interface WorkerShare {
  participant: ParticipantStats;
  nodeStats: SentNodeStats[];
}

function addShare(share: WorkerShare, reply: Exclude<WorkerReply, { error: unknown }>): void {
  share.participant.units += reply.morsels;
  share.participant.rows += reply.batches.reduce((n, b) => n + b.length, 0);
  share.participant.ms = (share.participant.ms ?? 0) + reply.elapsedMs;
  reply.nodeStats.forEach((s, i) => {
    const t = share.nodeStats[i];
    if (s === null) return;
    share.nodeStats[i] = t === null || t === undefined ? [...s] : [t[0] + s[0], t[1] + s[1], t[2] + s[2], t[3] + s[3]];
  });
}

/** The workers' partial rows, and in how many rounds the driving table was read (see tablesOf). */
async function runOnWorkers(fragment: ParallelFragment, ctx: ExecContext, workers: WorkerHandle[], joins: SentPrebuiltJoin[], joinDicts: Map<number, string[]>, shares: WorkerShare[]): Promise<{ batches: Batch[]; rounds: number }> {
  const groups = ctx.snapshot(fragment.driving.tableId).rowGroupCount;
  // A table the fragment scans twice is needed whole in every task: one round.
  const drivingScans = scansUnder(fragment.partial, []).filter((s) => s.tableId === fragment.driving.tableId).length;
  const budget = drivingScans === 1 ? (ctx.parallelRoundBytes ?? Infinity) : Infinity;
  const batches: Batch[] = [];
  let rounds = 0;
  for (let from = 0; from < groups || from === 0; ) {
    const round = tablesOf(fragment, ctx, from, budget);
    for (const [id, d] of joinDicts) round.dicts.set(id, d);
    batches.push(...(await runRound(fragment, ctx, workers, round.tables, round.dicts, morselsOf(round.rowCounts, from, round.end), joins, shares)));
    from = round.end;
    rounds++;
    parallelStats.rounds++;
    if (groups === 0) break;
  }
  parallelStats.sharedJoins += joins.length;
  return { batches, rounds };
}

async function runRound(fragment: ParallelFragment, ctx: ExecContext, workers: WorkerHandle[], tables: SentTable[], dicts: Map<number, string[]>, morsels: Int32Array, joins: SentPrebuiltJoin[], shares: WorkerShare[]): Promise<Batch[]> {
  const counter = new SharedArrayBuffer(4);
  const cancel = new SharedArrayBuffer(4);
  const total = morsels.length / 3;
  // Key-partitioned: each worker claims every morsel from a counter of its own.
  const range = fragment.partitioned ?? null;
  const partitioned = range !== null;
  // Other cluster nodes draw ranges of morsels from the same counter (remote-round.ts): no queues then.
  const remote = partitioned || joins.length > 0 ? null : remotePlanOf(fragment, ctx, tables);
  const queues = !partitioned && remote === null && total <= MAX_QUEUED_MORSELS ? MorselQueues.share(total, workers.length) : null;
  let lost: unknown = null;
  // Key-partitioned: each worker only the morsels whose keys reach its slice (sorted data: about its share).
  const own = range === null ? null : morselsBySlice(fragment, range, tables, morsels, workers.length);
  const taskFor = (w: WorkerHandle, queue: number, taskMorsels: Int32Array, taskCounter: SharedArrayBuffer, taskQueues: SharedArrayBuffer | null): WorkerTask => {
    const { send: newDicts, clear: clearDicts } = dictsFor(w, dicts, keptDictBytes(ctx, workers.length));
    return {
      ...fragmentBase(fragment, ctx),
      tables,
      morsels: taskMorsels,
      counter: taskCounter,
      queues: taskQueues,
      queue,
      cancel,
      dicts: newDicts,
      clearDicts,
      joins,
      partition: range === null ? null : { part: queue, parts: workers.length, ...range },
    };
  };
  let cancelled: unknown = null;
  // The remote nodes claim their first ranges before the local workers start: their answers take longer to come back.
  let localDoneWith: (perMorsel: number[]) => void = () => undefined;
  const localDone = new Promise<number[]>((resolve) => (localDoneWith = resolve));
  const remoteRows =
    remote === null
      ? null
      : runRemoteRanges({
          ...remote,
          counter: new Int32Array(counter),
          morsels,
          drivingKeys: remote.tables.find((t) => t.tableId === fragment.driving.tableId)?.keys[0] ?? null,
          localSlots: workers.length,
          runLocal: localRunner(workers, (w, m) => taskFor(w, 0, m, new SharedArrayBuffer(4), null)),
          localDone,
          stopped: () => cancelled !== null || lost !== null,
        });
  const replies = workers.map((w, queue) => {
    const task = taskFor(w, queue, own?.[queue] ?? morsels, partitioned ? new SharedArrayBuffer(4) : counter, queues);
    return w.run(task).catch((err: unknown): WorkerReply => {
      // A worker that died (pool.ts): the others stop claiming morsels, the statement fails.
      Atomics.store(new Int32Array(cancel), 0, 1);
      lost ??= err;
      return { error: { code: SqlState.objectNotInPrerequisiteState, message: String(err) } };
    });
  });
  void Promise.all(replies).then((rs) => localDoneWith(rs.flatMap((r) => ('error' in r || r.morsels === 0 ? [] : [r.elapsedMs / r.morsels]))));
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
  let remoteBatches: Batch[] = [];
  try {
    results = await Promise.all(replies);
    if (remoteRows !== null) remoteBatches = await remoteRows;
  } finally {
    clearInterval(poll);
  }
  if (cancelled !== null) throw cancelled;
  if (lost !== null) throw lost;
  remote?.recheck();
  const batches: Batch[] = [];
  for (const [i, r] of results.entries()) {
    if ('error' in r) {
      throw new SqlError(r.error.code as SqlStateCode, r.error.message, { detail: r.error.detail, hint: r.error.hint });
    }
    addShare(shares[i], r);
    batches.push(...r.batches);
    parallelStats.morsels += r.morsels;
    parallelStats.stolen += r.stolen;
  }
  batches.push(...remoteBatches);
  return batches;
}

/** Runs morsels on one of `workers` that is free (they all are once the round's own tasks are done). */
function localRunner(workers: WorkerHandle[], taskFor: (w: WorkerHandle, morsels: Int32Array) => WorkerTask): (morsels: Int32Array) => Promise<Batch[]> {
  const free = [...workers];
  return async (morsels) => {
    const w = free.pop();
    if (w === undefined) throw new Error('parallel query: no free worker for a remote fragment run locally');
    try {
      const r = await w.run(taskFor(w, morsels));
      if ('error' in r) throw new SqlError(r.error.code as SqlStateCode, r.error.message, { detail: r.error.detail, hint: r.error.hint });
      parallelStats.morsels += r.morsels;
      return r.batches;
    } finally {
      free.push(w);
    }
  };
}
