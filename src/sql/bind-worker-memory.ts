// tessera_parallel_workers([reset boolean]): one row per parallel query worker thread (worker 1, 2,
// …) with the memory it holds outside the buffer pool (its V8 heap, external memory and array
// buffers, now and the largest seen after any task; see exec/parallel/worker-memory.ts), and
// worker 0 for the main thread (its figures now; its array buffers include the buffer pool's
// decoded chunks and the shared copies handed to the workers). With reset = true the
// maxima start again from the current values after this read, so a client can measure statement
// by statement. Read when the statement is bound, like tessera_buffer_stats().
import { workerMemory } from '../exec/parallel/pool';
import { WorkerMemory } from '../exec/parallel/worker-memory';
import { PlanNode } from '../plan/plan';
import { DataType, Types } from '../types/data-type';
import { SqlError, SqlState } from '../types/sql-error';
import { Scalar } from '../types/vector';

export const WORKER_MEMORY_FUNCTION = 'tessera_parallel_workers';

const COLUMNS: { name: string; type: DataType }[] = [
  { name: 'worker', type: Types.int4 },
  { name: 'tasks', type: Types.int8 },
  { name: 'heap_total_bytes', type: Types.int8 },
  { name: 'heap_used_bytes', type: Types.int8 },
  { name: 'external_bytes', type: Types.int8 },
  { name: 'array_buffer_bytes', type: Types.int8 },
  { name: 'peak_heap_total_bytes', type: Types.int8 },
  { name: 'peak_heap_used_bytes', type: Types.int8 },
  { name: 'peak_external_bytes', type: Types.int8 },
  { name: 'peak_array_buffer_bytes', type: Types.int8 },
];

/** The optional argument: a boolean constant (libpg-query writes false as an empty boolval). */
function resetArgument(args: any[] | undefined): boolean {
  if (args === undefined || args.length === 0) return false;
  const boolval = args[0]?.A_Const?.boolval;
  if (args.length > 1 || boolval === undefined)
    throw new SqlError(SqlState.undefinedFunction, `function ${WORKER_MEMORY_FUNCTION} with these arguments does not exist`, { hint: 'It takes no argument or one boolean constant (reset).' });
  return boolval.boolval === true;
}

/** The main thread's figures now (worker 0): no maxima are kept for it. */
function mainThread(): WorkerMemory {
  const m = process.memoryUsage();
  return { tasks: 0, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, peakHeapTotal: m.heapTotal, peakHeapUsed: m.heapUsed, peakExternal: m.external, peakArrayBuffers: m.arrayBuffers };
}

export function bindWorkerMemory(args: any[] | undefined): PlanNode {
  const reset = resetArgument(args);
  const rows = [mainThread(), ...workerMemory(reset)].map((m, i) =>
    [i, m.tasks, m.heapTotal, m.heapUsed, m.external, m.arrayBuffers, m.peakHeapTotal, m.peakHeapUsed, m.peakExternal, m.peakArrayBuffers].map((value: Scalar, c) => ({ kind: 'const' as const, value, type: COLUMNS[c].type })),
  );
  return { kind: 'values', rows, output: COLUMNS.map((c) => ({ name: c.name, type: c.type })), estimatedRows: rows.length };
}
