// Memory a parallel worker thread holds outside the buffer pool: its own V8 heap (dictionaries it
// keeps, hash tables and aggregates of the plan fragments it runs) and the array buffers it
// allocated. Each worker writes its figures into a small SharedArrayBuffer after every task (the
// current values and the largest seen), so the main thread reads them without a message round trip
// (tessera_parallel_workers()). Taken at task end: a task's hash tables are then unreferenced but
// not yet collected, so heap_used there approximates the task's peak.

/** Slots of the shared Float64Array: current values, then their maxima, then the task count. */
const HEAP_TOTAL = 0;
const HEAP_USED = 1;
const EXTERNAL = 2;
const ARRAY_BUFFERS = 3;
const PEAK = 4;
const TASKS = 8;
export const WORKER_MEMORY_SLOTS = 9;

export interface WorkerMemory {
  tasks: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  peakHeapTotal: number;
  peakHeapUsed: number;
  peakExternal: number;
  peakArrayBuffers: number;
}

/** Called by the worker after each task: process.memoryUsage() in a worker reports its own isolate. */
export function recordWorkerMemory(slots: Float64Array): void {
  const m = process.memoryUsage();
  const now = [m.heapTotal, m.heapUsed, m.external, m.arrayBuffers];
  for (let i = 0; i < 4; i++) {
    slots[i] = now[i];
    if (now[i] > slots[PEAK + i]) slots[PEAK + i] = now[i];
  }
  slots[TASKS]++;
}

export function readWorkerMemory(slots: Float64Array): WorkerMemory {
  return {
    tasks: slots[TASKS],
    heapTotal: slots[HEAP_TOTAL],
    heapUsed: slots[HEAP_USED],
    external: slots[EXTERNAL],
    arrayBuffers: slots[ARRAY_BUFFERS],
    peakHeapTotal: slots[PEAK + HEAP_TOTAL],
    peakHeapUsed: slots[PEAK + HEAP_USED],
    peakExternal: slots[PEAK + EXTERNAL],
    peakArrayBuffers: slots[PEAK + ARRAY_BUFFERS],
  };
}

/** Forgets the maxima (a measurement of the next statements alone). */
export function resetWorkerMemoryPeaks(slots: Float64Array): void {
  for (let i = 0; i < 4; i++) slots[PEAK + i] = slots[i];
}
