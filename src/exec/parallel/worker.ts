// A parallel query worker thread: runs plan fragments (a partial aggregate over morsels of the
// driving scan) against chunks the main thread shares with it, and posts the partial rows back.
// The chunks' typed arrays are SharedArrayBuffers (no copy); string dictionaries are kept across
// tasks by id so a hot table's dictionaries cross the thread boundary once.
import { parentPort, workerData } from 'node:worker_threads';
import { TableSnapshot } from '../../storage/api';
import { SqlError, SqlState } from '../../types/sql-error';
import { Batch, StringVector, Vector } from '../../types/vector';
import { ExecContext, MorselSource, PrebuiltJoin } from '../context';
import { executePlanWithStats } from '../execute';
import { claimPartitions } from '../hash/partitioned-join-table';
import { JoinBuildTask, ScanTask, SentTable, SentVector, WorkerReply, WorkerTask, nodeAt } from './messages';
import { PlanNode } from '../../plan/plan';
import { MorselQueues } from './morsel-queues';
import { SCAN_MORSEL_ROWS, runScanTask } from './scan-task';
import { recordWorkerMemory } from './worker-memory';
import { watchOwnExit } from './worker-liveness';
import { TestExits, isTestCrash, maybeExitForTest } from './test-exits';
import { nodeStatsInOrder } from './fragment-stats';
import { fragmentContext, sentSnapshot } from './fragment-context';

const data = workerData as { memory: SharedArrayBuffer; liveness: SharedArrayBuffer; testExits: TestExits | null };
const memory = new Float64Array(data.memory);
watchOwnExit(new Int32Array(data.liveness));
const testExits = data.testExits;

const dicts = new Map<number, string[]>();

function receiveVector(v: SentVector): Vector {
  // null: a row group of the driving table outside this round (never read).
  if (v === null || v.kind !== 'string' || v.dict !== null) return v as Vector;
  const dict = dicts.get((v as { dictId: number }).dictId);
  if (dict === undefined) throw new Error('parallel worker: unknown dictionary');
  const { dictId: _, ...rest } = v as SentVector & { dictId: number };
  return { ...rest, dict } as Vector;
}

function snapshotOf(t: SentTable): TableSnapshot {
  const columns = new Map<number, Vector[]>(t.columns.map(([c, chunks]) => [c, chunks.map(receiveVector)]));
  return sentSnapshot(t, (g, c) => {
    const chunks = columns.get(c);
    if (chunks === undefined) throw new Error(`parallel worker: column ${c} of ${t.def.name} was not sent`);
    return chunks[g];
  });
}

function receiveDicts(task: WorkerTask | ScanTask): void {
  if (task.clearDicts) dicts.clear();
  for (const [id, d] of task.dicts) dicts.set(id, d);
}

function run(task: WorkerTask): WorkerReply {
  receiveDicts(task);
  const tables = new Map(task.tables.map((t) => [t.tableId, snapshotOf(t)]));
  const prebuilt = new Map<PlanNode, PrebuiltJoin>();
  for (const j of task.joins) prebuilt.set(nodeAt(task.plan, j.path), { build: { length: j.length, columns: j.columns.map(receiveVector) }, table: j.table, nullRows: j.nullRows });
  const counter = new Int32Array(task.counter);
  const cancel = new Int32Array(task.cancel);
  const m = task.morsels;
  const queues = task.queues === null ? null : new MorselQueues(task.queues);
  let claimed = 0;
  const started = performance.now();
  const source: MorselSource = {
    claim: () => {
      const i = queues !== null ? queues.claim(task.queue) : Atomics.add(counter, 0, 1);
      if (i < 0 || i * 3 >= m.length) return null;
      maybeExitForTest(testExits, 'aggregate');
      claimed++;
      return { group: m[i * 3], start: m[i * 3 + 1], end: m[i * 3 + 2] };
    },
  };
  const ctx: ExecContext = {
    ...fragmentContext(task, tables, source, () => {
      // The main thread raises the real error (cancel or timeout); this only stops the work.
      if (Atomics.load(cancel, 0) !== 0) throw new SqlError(SqlState.queryCanceled, 'canceling statement due to user request');
    }, 'parallel worker'),
    prebuiltJoin: (node) => prebuilt.get(node),
    aggregatePartition: task.partition === null ? undefined : { node: task.plan, ...task.partition },
  };
  const { batches, stats } = executePlanWithStats(task.plan, ctx);
  return { batches: batches.map(compactDictionaries), morsels: claimed, stolen: queues?.stolen ?? 0, elapsedMs: performance.now() - started, nodeStats: nodeStatsInOrder(task.plan, stats) };
}

/**
 * Result string vectors keep only the dictionary entries they use: a group key taken from a chunk
 * (c_comment) still points at the chunk's whole dictionary, which would otherwise be copied back
 * to the main thread with every batch.
 */
function compactDictionaries(b: Batch): Batch {
  let columns: Vector[] | null = null;
  b.columns.forEach((v, c) => {
    if (v.kind !== 'string' || v.dict.length <= v.length) return;
    const remap = new Int32Array(v.dict.length).fill(-1);
    const dict: string[] = [];
    const codes = new Int32Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const code = v.codes[i];
      if (v.nulls !== null && v.nulls[i] === 1) continue;
      if (remap[code] < 0) {
        remap[code] = dict.length;
        dict.push(v.dict[code]);
      }
      codes[i] = remap[code];
    }
    (columns ??= b.columns.slice())[c] = { ...v, codes, dict } as StringVector;
  });
  return columns === null ? b : { ...b, columns };
}

parentPort!.on('message', (task: WorkerTask | ScanTask | JoinBuildTask) => {
  if ('kind' in task && task.kind === 'joinbuild') {
    // Failures are flagged in shared memory (claimPartitions).
    claimPartitions(task.table, task.sync, true, task.slot, () => maybeExitForTest(testExits, 'joinbuild'));
    return;
  }
  if ('kind' in task && task.kind === 'scan') {
    // Answers through shared memory only; a failure leaves its morsels to the main thread.
    try {
      receiveDicts(task);
      runScanTask(task, snapshotOf(task.table), SCAN_MORSEL_ROWS, () => maybeExitForTest(testExits, 'scan'));
    } catch (err) {
      if (isTestCrash(err)) throw err;
      // Nothing else to report: see runScanTask.
    }
    recordWorkerMemory(memory);
    return;
  }
  let reply: WorkerReply;
  try {
    reply = run(task as WorkerTask);
  } catch (err) {
    if (isTestCrash(err)) throw err;
    const e = err instanceof SqlError ? err : null;
    reply = { error: { code: e?.code ?? SqlState.internalError, message: err instanceof Error ? err.message : String(err), detail: e?.detail, hint: e?.hint } };
  }
  recordWorkerMemory(memory);
  parentPort!.postMessage(reply);
});
