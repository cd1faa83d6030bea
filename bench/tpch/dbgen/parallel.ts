// Parallel generation (what dbgen's -C/-S children do, in threads): each table family is cut into row
// ranges, worker threads generate ranges as they free up, and the main thread writes each table's
// ranges in order with large writes. Out-of-order results wait in memory; ranges are small enough
// (about 20 MB of output) that little waits.
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { FAMILIES, FAMILY_TABLES, Family, familyRows } from './families';
import { scaleFor } from './scale';
import { textPool } from './text';
import type { Task, TaskResult } from './worker';

/** Rows per range, per family: about 20 MB of output each. */
const RANGE_ROWS: Record<Family, number> = { nation: 25, region: 5, supplier: 50000, customer: 100000, part: 50000, orders: 32768 };

export interface TableSink {
  /** Called with each table's bytes in file order; may return a promise to slow generation down. */
  write(table: string, chunk: Buffer): void | Promise<void>;
  /** Called after each range with the table's rows written so far. */
  rows?(table: string, rows: number): void;
  /** Called when a table is complete. */
  end(table: string, rows: number): void | Promise<void>;
}

export interface ParallelOptions {
  sf: number;
  workers?: number;
  families?: readonly Family[];
  /** Keep dbgen's '|' at the end of each row (true, the default, for .tbl files; false for COPY). */
  trailingBar?: boolean;
}

export async function generateParallel(options: ParallelOptions, sink: TableSink): Promise<void> {
  const scale = scaleFor(options.sf);
  const pool = textPool();
  const families = options.families ?? FAMILIES;
  const tasks: Task[] = [];
  // Biggest families first so both workers stay busy until the end.
  const order = [...families].sort((a, b) => FAMILIES.indexOf(b) - FAMILIES.indexOf(a));
  const lastTask = new Map<Family, number>();
  for (const family of order) {
    const rows = familyRows(family, scale);
    for (let first = 1; first <= rows; first += RANGE_ROWS[family]) {
      tasks.push({ id: tasks.length, family, first, count: Math.min(RANGE_ROWS[family], rows - first + 1) });
    }
    lastTask.set(family, tasks.length - 1);
  }
  const workerCount = Math.max(1, Math.min(options.workers ?? os.cpus().length, tasks.length));
  const done = new Map<number, TaskResult>();
  const rows = new Map<string, number>();
  let nextToWrite = 0;
  let nextToStart = 0;
  let writing: Promise<void> = Promise.resolve();

  // Writes finished ranges in task order (which is file order within each family).
  async function drain(): Promise<void> {
    while (done.has(nextToWrite)) {
      const result = done.get(nextToWrite)!;
      done.delete(nextToWrite);
      const task = tasks[nextToWrite];
      const tables = FAMILY_TABLES[task.family];
      for (let t = 0; t < tables.length; t++) {
        for (const chunk of result.chunks[t]) await sink.write(tables[t], Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        rows.set(tables[t], (rows.get(tables[t]) ?? 0) + result.rows[t]);
        sink.rows?.(tables[t], rows.get(tables[t])!);
      }
      if (lastTask.get(task.family) === nextToWrite) for (const t of tables) await sink.end(t, rows.get(t) ?? 0);
      nextToWrite++;
    }
  }

  const workerFile = path.join(__dirname, 'worker.js');
  const workers: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const idle: Worker[] = [];
      let failed = false;
      const fail = (err: Error) => {
        failed = true;
        reject(err);
      };
      // Keeps at most a few finished ranges waiting, so memory stays bounded when the sink is slow.
      const dispatch = () => {
        while (!failed && idle.length > 0 && nextToStart < tasks.length && nextToStart - nextToWrite < workerCount * 3) {
          idle.pop()!.postMessage(tasks[nextToStart++]);
        }
      };
      for (let i = 0; i < workerCount; i++) {
        const worker = new Worker(workerFile, { workerData: { sf: options.sf, pool: pool.buffer, trailingBar: options.trailingBar ?? true } });
        workers.push(worker);
        idle.push(worker);
        worker.on('error', fail);
        worker.on('message', (result: TaskResult) => {
          done.set(result.id, result);
          idle.push(worker);
          dispatch();
          writing = writing
            .then(drain)
            .then(() => {
              dispatch();
              if (nextToWrite === tasks.length) resolve();
            })
            .catch((err) => fail(err as Error));
        });
      }
      if (tasks.length === 0) resolve();
      dispatch();
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
