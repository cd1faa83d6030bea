// tessera_parallel_workers(): each parallel worker thread reports the memory it holds outside the
// buffer pool (its V8 heap and array buffers) after every task, and the largest seen; reset = true
// starts the maxima again. A grouping by 400000 distinct strings grows the workers' heaps by tens
// of MB (their partial hash aggregates), which the maxima must show.
import { expect } from 'chai';
import { open } from '../../src/index';
import { parallelStats } from '../../src/exec/parallel/run-parallel';

type Db = Awaited<ReturnType<typeof open>>;

interface WorkerRow {
  worker: number;
  tasks: string;
  heap_used_bytes: string;
  peak_heap_used_bytes: string;
  peak_heap_total_bytes: string;
  peak_array_buffer_bytes: string;
}

async function workers(db: Db, reset = false): Promise<WorkerRow[]> {
  return (await db.query(`select * from tessera_parallel_workers(${reset})`)).rows as WorkerRow[];
}

describe('parallel workers: memory outside the buffer pool', function () {
  this.timeout(120000);
  let db: Db;
  before(async () => {
    db = await open(':memory:', { parallel_min_rows: '32768' });
    await db.exec('create table big (k int, s text)');
    await db.exec("insert into big select g, 'distinct string number ' || g from generate_series(1, 400000) g");
    await db.exec('set max_parallel_workers = 2');
  });
  after(async () => db?.close());

  it('reports each worker after its tasks, and the maxima follow a large partial aggregate', async () => {
    await db.query('select count(*) from big where k % 3 = 0');
    const first = await workers(db, true);
    expect(first.length).to.be.at.least(2);
    for (const w of first) {
      expect(Number(w.tasks)).to.be.greaterThan(0);
      expect(Number(w.heap_used_bytes)).to.be.greaterThan(1e6);
      expect(Number(w.peak_heap_used_bytes)).to.be.at.least(Number(w.heap_used_bytes));
    }
    // Right after a reset the maxima are the current values.
    const reset = await workers(db);
    for (const w of reset) expect(w.peak_heap_used_bytes).to.equal(w.heap_used_bytes);
    const ran = parallelStats.statements;
    const groups = await db.query('select s, count(*) from big group by s');
    expect(groups.rows.length).to.equal(400000);
    expect(parallelStats.statements).to.equal(ran + 1);
    const after = await workers(db);
    const grew = after.map((w, i) => Number(w.peak_heap_used_bytes) - Number(reset[i]?.heap_used_bytes ?? 0));
    // Each worker aggregated about half the 400000 strings into its own hash table.
    expect(Math.max(...grew)).to.be.greaterThan(10e6);
  });

  it('takes no argument or one boolean constant', async () => {
    let code: string | undefined;
    try {
      await db.query('select * from tessera_parallel_workers(1)');
    } catch (err) {
      code = (err as { code?: string }).code;
    }
    expect(code).to.equal('42883');
  });
});
