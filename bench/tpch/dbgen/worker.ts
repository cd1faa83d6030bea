// Worker thread: generates the row ranges the main thread hands it and posts back the bytes, with
// their buffers transferred rather than copied. The text pool arrives once, shared.
import { parentPort, workerData } from 'worker_threads';
import { Family, FAMILY_TABLES, generateRange } from './families';
import { scaleFor } from './scale';
import { TEXT_POOL_SIZE } from './text';
import { RowWriter } from './writer';

export interface Task {
  id: number;
  family: Family;
  first: number;
  count: number;
}

export interface TaskResult {
  id: number;
  /** Per table of the family, the chunks in order. */
  chunks: Buffer[][];
  rows: number[];
}

const { sf, pool, trailingBar } = workerData as { sf: number; pool: SharedArrayBuffer; trailingBar: boolean };
const scale = scaleFor(sf);
const text = new Uint8Array(pool, 0, TEXT_POOL_SIZE);

parentPort!.on('message', (task: Task) => {
  const chunks: Buffer[][] = FAMILY_TABLES[task.family].map(() => []);
  const writers = chunks.map((list) => new RowWriter((chunk) => list.push(chunk), 1 << 21, trailingBar));
  generateRange(task.family, scale, text, task.first, task.count, writers);
  writers.forEach((w) => w.flush());
  const result: TaskResult = { id: task.id, chunks, rows: writers.map((w) => w.rows) };
  parentPort!.postMessage(result, chunks.flat().map((c) => c.buffer as ArrayBuffer));
});
