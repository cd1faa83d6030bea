// The parallel query worker threads of this process, started on first use and kept (unref'd, so
// they never keep the process alive). A statement leases idle workers; when another statement
// holds them all, it runs serially rather than waiting.
import { Worker } from 'node:worker_threads';
import * as path from 'node:path';
import { SqlError, SqlState } from '../../types/sql-error';
import { JoinBuildTask, ScanTask, WorkerReply, WorkerTask } from './messages';
import { WORKER_MEMORY_SLOTS, WorkerMemory, readWorkerMemory, resetWorkerMemoryPeaks } from './worker-memory';
import { LIVENESS_SLOTS, workerStopped } from './worker-liveness';
import { TestExits, testExitsFromEnv } from './test-exits';

/**
 * Estimated bytes of dictionaries a worker keeps across tasks when the caller names no budget
 * (callers pass their share of the parallel round budget, half the buffer pool). It was a count of
 * 8 million strings: at TPC-H SF 10 that let each worker hold about 1.3 GB of o_comment strings
 * (tessera_parallel_workers() measured 2.7 GB of worker heaps after Q13), outside the buffer pool.
 */
const DEFAULT_KEPT_DICT_BYTES = 256 * 2 ** 20;

const dictByteMemo = new WeakMap<string[], number>();

/**
 * A dictionary's estimated size in a worker's heap (each worker gets its own copy): the same
 * per-string estimate as the buffer pool's vectorBytes (header + UTF-16 worst case).
 */
export function dictBytes(dict: string[]): number {
  let bytes = dictByteMemo.get(dict);
  if (bytes === undefined) {
    bytes = 0;
    for (let i = 0; i < dict.length; i++) bytes += 16 + dict[i].length * 2;
    dictByteMemo.set(dict, bytes);
  }
  return bytes;
}

const dictIds = new WeakMap<string[], number>();
let nextDictId = 1;

/** A stable id for a dictionary array (chunks cached in the buffer pool keep theirs across statements). */
export function dictId(dict: string[]): number {
  let id = dictIds.get(dict);
  if (id === undefined) dictIds.set(dict, (id = nextDictId++));
  return id;
}

export class WorkerHandle {
  /** Dictionaries this worker holds, by id. */
  readonly sentDicts = new Set<number>();
  /** Estimated bytes of the dictionaries in sentDicts (dictBytes). */
  sentBytes = 0;
  busy = false;
  /** Why the worker is gone (null while it runs): its 'error', its exit code, or what a synchronous wait noticed. */
  lost: string | null = null;
  private pending: { resolve: (r: WorkerReply) => void; reject: (e: Error) => void } | null = null;

  constructor(
    private readonly worker: Worker,
    /** The worker's memory figures, written by the worker (worker-memory.ts). */
    readonly memory: Float64Array,
    /** Started / exited flags shared with the worker (worker-liveness.ts). */
    private readonly liveness: Int32Array,
    private readonly onExit: () => void,
  ) {
    worker.on('message', (reply: WorkerReply) => {
      const p = this.pending;
      this.pending = null;
      p?.resolve(reply);
    });
    const fail = (reason: string): void => {
      this.markLost(reason);
      const p = this.pending;
      this.pending = null;
      p?.reject(lostWorkerError(this.lost!));
    };
    // 'error' (an uncaught exception, the heap limit) comes before 'exit' and says more.
    worker.on('error', (err) => fail(`A parallel worker thread failed: ${err.message}.`));
    worker.on('exit', (code) => fail(`A parallel worker thread exited with code ${code}.`));
    // After the listeners: adding a 'message' listener refs the worker's port again.
    worker.unref();
  }

  /** Runs one task; the caller has marked the handle busy. */
  run(task: WorkerTask): Promise<WorkerReply> {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage(task);
    });
  }

  /** Posts a task that answers through shared memory only (no reply message: see parallel-scan.ts, parallel-join-build.ts). */
  post(task: ScanTask | JoinBuildTask): void {
    this.worker.postMessage(task);
  }

  /** Called before sending `bytes` more of dictionaries: true when the worker should drop the ones it kept. */
  shouldClear(bytes: number, keepBytes = DEFAULT_KEPT_DICT_BYTES): boolean {
    if (this.sentBytes + bytes <= keepBytes) return false;
    this.sentDicts.clear();
    this.sentBytes = 0;
    return true;
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }

  /**
   * Whether the worker is gone, asked synchronously (by waits that keep the event loop from
   * delivering its 'exit'). A worker found gone leaves the pool at once, so the next lease starts
   * a new one in its place.
   */
  isLost(): boolean {
    if (this.lost === null && workerStopped(this.worker, this.liveness)) this.markLost('A parallel worker thread stopped while it ran a task.');
    return this.lost !== null;
  }

  private markLost(reason: string): void {
    // The first reason stays ('error' says more than the exit code after it).
    this.lost ??= reason;
    this.sentDicts.clear();
    this.sentBytes = 0;
    this.onExit();
  }
}

/**
 * PostgreSQL's error when a parallel worker disappears under its leader (parallel.c):
 * "lost connection to parallel worker", SQLSTATE 55000. The detail says what became of the thread.
 */
export function lostWorkerError(reason: string): SqlError {
  return new SqlError(SqlState.objectNotInPrerequisiteState, 'lost connection to parallel worker', { detail: reason });
}

/** Throws lostWorkerError when one of `ws` is gone (called by synchronous waits once per slice). */
export function checkWorkersAlive(ws: readonly WorkerHandle[]): void {
  for (const w of ws) if (w.isLost()) throw lostWorkerError(w.lost!);
}

const workers: WorkerHandle[] = [];
const testExits: TestExits | null = testExitsFromEnv();

function startWorker(): WorkerHandle {
  const memory = new Float64Array(new SharedArrayBuffer(WORKER_MEMORY_SLOTS * 8));
  const liveness = new Int32Array(new SharedArrayBuffer(LIVENESS_SLOTS * 4));
  const workerData = { memory: memory.buffer, liveness: liveness.buffer, testExits };
  // Only when tests arm the heap-limit exit: a small heap, so that the worker reaches it quickly.
  const resourceLimits = testExits?.modes.includes('oom') ? { maxOldGenerationSizeMb: 192 } : undefined;
  const w: WorkerHandle = new WorkerHandle(new Worker(path.join(__dirname, 'worker.js'), { workerData, resourceLimits }), memory, liveness, () => {
    const i = workers.indexOf(w);
    if (i >= 0) workers.splice(i, 1);
  });
  workers.push(w);
  return w;
}

/** Up to `n` idle workers, marked busy (starting new ones as needed); give them back with release(). */
export function leaseWorkers(n: number): WorkerHandle[] {
  const out: WorkerHandle[] = [];
  for (const w of [...workers]) {
    if (out.length >= n) break;
    // A worker that died between statements is replaced now rather than failing the next one.
    if (!w.busy && !w.isLost()) out.push(w);
  }
  // Start new workers only while no statement holds any (the pool grows to max_parallel_workers
  // of one statement, not to the sum over concurrent ones).
  if (out.length === workers.length) while (out.length < n) out.push(startWorker());
  for (const w of out) w.busy = true;
  return out;
}

export function releaseWorkers(ws: readonly WorkerHandle[]): void {
  for (const w of ws) w.busy = false;
}

/** Each running worker's memory (tessera_parallel_workers()); reset: forget the maxima afterwards. */
export function workerMemory(reset = false): WorkerMemory[] {
  return workers.map((w) => {
    const m = readWorkerMemory(w.memory);
    if (reset) resetWorkerMemoryPeaks(w.memory);
    return m;
  });
}
