// How long ALTER TABLE … ADD PRIMARY KEY and ANALYZE block the event loop after a bulk load of
// TPC-H lineitem (what bench/tpch/keys.sql runs after the COPYs), and ANALYZE again once rows of
// every row group were deleted (every group's statistics must be collected again). The database is embedded (open(dir)
// on a fresh directory), so the ticker below runs on the server's own event loop: a gap between its
// ticks is time no other session (nor a cluster's lease renewal) could run.
//
//   node dist/bench/tpch/dbgen/cli.js --sf 1 --out /tmp/sf1     (or an existing data directory)
//   node dist/bench/storage/analyze-stall.js --data /tmp/sf1 [--dir /tmp/analyze-stall-db]
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { open } from '../../src/index';
import { tableStream } from '../tpch/data-source';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

/** Longest gap between ticks of a 1 ms interval, and how many ticks ran, while `fn` runs. */
async function stalls(fn: () => Promise<unknown>): Promise<{ ms: number; maxGapMs: number; ticks: number }> {
  let last = performance.now();
  let maxGap = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
    ticks++;
  }, 1);
  const start = performance.now();
  last = start;
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  const end = performance.now();
  // The stretch from the last tick to the statement's end counts too.
  maxGap = Math.max(maxGap, end - last);
  return { ms: end - start, maxGapMs: maxGap, ticks };
}

async function main(): Promise<void> {
  const data = arg('data', '/tmp/h-stall-sf1');
  const dir = arg('dir', fs.mkdtempSync(path.join(os.tmpdir(), 'analyze-stall-')));
  const schema = fs.readFileSync(path.join(__dirname, '../../../bench/tpch/schema.sql'), 'utf8');
  const create = schema.split(';').find((s) => /CREATE TABLE lineitem/i.test(s))!;
  fs.rmSync(dir, { recursive: true, force: true });
  const db = await open(dir);
  try {
    await db.exec(create);
    const load = performance.now();
    const rows = await db.copyFrom('lineitem', tableStream(path.join(data, 'lineitem.tbl')), { delimiter: '|' });
    console.log(`COPY lineitem: ${rows} rows in ${((performance.now() - load) / 1000).toFixed(1)} s`);
    const groups = Math.ceil(rows / 65536);
    for (const [label, sql] of [
      ['ADD PRIMARY KEY', 'ALTER TABLE lineitem ADD PRIMARY KEY (l_orderkey, l_linenumber)'],
      ['ANALYZE', 'ANALYZE'],
      // Rows deleted from every group: ANALYZE must read them all again.
      ['DELETE l_linenumber = 7', 'DELETE FROM lineitem WHERE l_linenumber = 7'],
      ['ANALYZE after the DELETE', 'ANALYZE'],
    ]) {
      const r = await stalls(() => db.exec(sql));
      console.log(`${label} (${groups} row groups): ${r.ms.toFixed(0)} ms, longest event-loop stall ${r.maxGapMs.toFixed(0)} ms, ${r.ticks} ticks`);
    }
  } finally {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
