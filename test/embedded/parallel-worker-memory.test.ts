// tessera_parallel_workers(): each parallel worker thread reports the memory it holds outside the
// buffer pool (its V8 heap and array buffers) after every task, and the largest seen; reset = true
// starts the maxima again. A grouping by 400000 distinct strings grows the workers' heaps by tens
// of MB (their partial hash aggregates), which the maxima must show.
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { open } from '../../src/index';
import { parallelScanStats } from '../../src/exec/parallel/parallel-scan';
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
  return (await db.query(`select * from tessera_parallel_workers(${reset}) where worker > 0`)).rows as WorkerRow[];
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
    // The statement was one task per worker, recorded when it ended. Each worker still holds the
    // s column's dictionaries it was sent (400000 strings of about 30 characters, kept across
    // tasks), whatever its garbage collector did meanwhile (other tests may have left garbage in
    // these workers, so growth against the reset values is not asserted).
    const workedOn = after.filter((w) => Number(w.tasks) === Number(reset.find((r) => r.worker === w.worker)?.tasks ?? 0) + 1);
    expect(workedOn.length).to.equal(2);
    for (const w of workedOn) {
      expect(Number(w.heap_used_bytes)).to.be.greaterThan(15e6);
      expect(Number(w.peak_heap_used_bytes)).to.be.at.least(Number(w.heap_used_bytes));
    }
  });

  it("reports the main thread as worker 0 (its heap and array buffers now)", async () => {
    const main = (await db.query('select * from tessera_parallel_workers() where worker = 0')).rows as WorkerRow[];
    expect(main.length).to.equal(1);
    // The 400000-row table lives in the main thread's memory.
    expect(Number(main[0].heap_used_bytes) + Number(main[0].peak_array_buffer_bytes)).to.be.greaterThan(5e6);
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

describe('parallel workers: string dictionaries count against the round budget', function () {
  this.timeout(120000);
  let db: Db;
  let dir: string;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-worker-dicts-'));
    // 64 MB pool: 32 MB per round. notes.s: 200000 distinct 96-character strings, about 42 MB of
    // dictionaries by the pool's estimate (16 + 2 bytes a character), which every worker would copy.
    db = await open(dir, { buffer_pool_size: '64MB', parallel_min_rows: '32768' });
    await db.exec('create table notes (k int, s text)');
    await db.exec('insert into notes select g, md5(g::text) || md5((g + 1)::text) || md5((g + 2)::text) from generate_series(1, 200000) g');
    await db.exec('create table tags (k int, s text)');
    await db.exec("insert into tags select g, 'tag ' || (g % 50) from generate_series(1, 200000) g");
  });
  after(async () => {
    await db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function scan(sql: string): Promise<{ rows: unknown[][]; parallel: boolean }> {
    await db.exec('set max_parallel_workers = 0');
    const serial = (await db.query(sql, [], { rowMode: 'array' })).rows;
    await db.exec('set max_parallel_workers = 2');
    const before = parallelScanStats.scans;
    const rows = (await db.query(sql, [], { rowMode: 'array' })).rows;
    expect(rows).to.deep.equal(serial);
    return { rows, parallel: parallelScanStats.scans > before };
  }

  it('a filtered scan whose dictionaries exceed the budget runs serially; one with small dictionaries on the workers', async () => {
    // The rough size (rows x 8 bytes a column: 1.6 MB) alone would have sent notes.s to both workers.
    const long = await scan("select k from notes where s like '%abc%'");
    expect(long.rows.length).to.be.above(1000);
    expect(long.parallel, 'notes.s scanned serially').to.equal(false);
    const short = await scan("select k from tags where s like '%7'");
    expect(short.rows.length).to.equal(20000);
    expect(short.parallel, 'tags.s scanned by the workers').to.equal(true);
  });
});
