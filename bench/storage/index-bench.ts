// npm run build && node --expose-gc dist/bench/storage/index-bench.js --sf 1 [--label after] [--dir DIR]
// Measures the unique-key index: loads TPC-H lineitem in-process (embedded database on a temp data
// directory), then times `ALTER TABLE lineitem ADD PRIMARY KEY (l_orderkey, l_linenumber)` and the
// first INSERT after it (which builds the committed key index), sampling process RSS and heapUsed
// every 20 ms. Appends one result line per run to bench/results/index-bench-sf<N>.{json,md}.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EmbeddedDatabase } from '../../src/embedded/embedded-database';
import { ensureData, tableFile, tableStream } from '../tpch/data-source';

interface Memory {
  rssMB: number;
  heapMB: number;
}
interface Result {
  label: string;
  sf: string;
  date: string;
  rows: number;
  loadSeconds: number;
  before: Memory;
  addPrimaryKeyMs: number;
  peakDuringAddPk: Memory;
  after: Memory;
  firstInsertMs: number;
  peakDuringInsert: Memory;
  duplicateInsertMs: number;
  afterInsert: Memory;
}

const MB = 1024 * 1024;

function memory(): Memory {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) gc();
  const m = process.memoryUsage();
  return { rssMB: Math.round(m.rss / MB), heapMB: Math.round(m.heapUsed / MB) };
}

/** Runs `fn` while sampling memory; returns its wall time and the peak seen. */
async function timed(fn: () => Promise<unknown>): Promise<{ ms: number; peak: Memory }> {
  const peak: Memory = { rssMB: 0, heapMB: 0 };
  const sample = () => {
    const m = process.memoryUsage();
    peak.rssMB = Math.max(peak.rssMB, Math.round(m.rss / MB));
    peak.heapMB = Math.max(peak.heapMB, Math.round(m.heapUsed / MB));
  };
  const timer = setInterval(sample, 20);
  const t0 = performance.now();
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  sample();
  return { ms: performance.now() - t0, peak };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let sf = '1';
  let label = 'run';
  let dir = '';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--sf') sf = String(Number(argv[++i]));
    else if (argv[i] === '--label') label = argv[++i];
    else if (argv[i] === '--dir') dir = path.resolve(argv[++i]);
    else throw new Error(`unknown option ${argv[i]} (use --sf N --label TEXT --dir DIR)`);
  }
  const keep = dir !== '';
  if (!keep) dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-index-bench-'));
  await ensureData(sf, (line) => console.log(line));
  const file = tableFile(sf, 'lineitem');
  if (file === null) throw new Error(`no lineitem file for SF ${sf}`);
  const schema = fs.readFileSync(path.resolve(__dirname, '../../../bench/tpch/schema.sql'), 'utf8');
  const create = schema.split(';').find((s) => /create table lineitem/i.test(s))!;
  const db = await EmbeddedDatabase.open(dir, { buffer_pool_size: '1GB' });
  try {
    await db.query('DROP TABLE IF EXISTS lineitem');
    await db.query(create);
    const t0 = performance.now();
    const rows = await db.copyFrom('lineitem', tableStream(file), { delimiter: '|' });
    const loadSeconds = (performance.now() - t0) / 1000;
    console.log(`loaded ${rows} lineitem rows in ${loadSeconds.toFixed(1)} s`);
    const before = memory();
    const addPk = await timed(() => db.query('ALTER TABLE lineitem ADD PRIMARY KEY (l_orderkey, l_linenumber)'));
    const after = memory();
    console.log(`ADD PRIMARY KEY: ${addPk.ms.toFixed(0)} ms, peak rss ${addPk.peak.rssMB} MB heap ${addPk.peak.heapMB} MB`);
    // The first write after the key was added builds the committed index over every row.
    const insert = await timed(() => db.query("INSERT INTO lineitem VALUES (-1, 1, 1, 1, 1, 1, 0, 0, 'N', 'O', '1998-01-01', '1998-01-01', '1998-01-01', 'NONE', 'MAIL', 'x')"));
    const dupStart = performance.now();
    let duplicate = '';
    try {
      await db.query("INSERT INTO lineitem VALUES (1, 1, 1, 1, 1, 1, 0, 0, 'N', 'O', '1998-01-01', '1998-01-01', '1998-01-01', 'NONE', 'MAIL', 'x')");
    } catch (err) {
      duplicate = (err as Error).message;
    }
    const duplicateInsertMs = performance.now() - dupStart;
    if (!duplicate.includes('duplicate key')) throw new Error(`expected a duplicate key error, got: ${duplicate || 'none'}`);
    const afterInsert = memory();
    console.log(`first INSERT: ${insert.ms.toFixed(0)} ms, peak rss ${insert.peak.rssMB} MB heap ${insert.peak.heapMB} MB; duplicate INSERT ${duplicateInsertMs.toFixed(1)} ms`);
    const result: Result = {
      label,
      sf,
      date: new Date().toISOString(),
      rows,
      loadSeconds: Number(loadSeconds.toFixed(1)),
      before,
      addPrimaryKeyMs: Math.round(addPk.ms),
      peakDuringAddPk: addPk.peak,
      after,
      firstInsertMs: Math.round(insert.ms),
      peakDuringInsert: insert.peak,
      duplicateInsertMs: Number(duplicateInsertMs.toFixed(1)),
      afterInsert,
    };
    writeResult(sf, result);
  } finally {
    await db.close();
    if (!keep) fs.rmSync(dir, { recursive: true, force: true });
  }
}

function writeResult(sf: string, result: Result): void {
  const out = path.resolve(__dirname, '../../../bench/results');
  const jsonFile = path.join(out, `index-bench-sf${sf}.json`);
  const all: Result[] = fs.existsSync(jsonFile) ? JSON.parse(fs.readFileSync(jsonFile, 'utf8')) : [];
  all.push(result);
  fs.writeFileSync(jsonFile, JSON.stringify(all, null, 2) + '\n');
  const lines = [
    `# Unique-key index at SF ${sf}: ALTER TABLE lineitem ADD PRIMARY KEY (l_orderkey, l_linenumber)`,
    '',
    '`node --expose-gc dist/bench/storage/index-bench.js --sf ' + sf + ' --label LABEL` (in-process, buffer_pool_size 1GB; memory after a forced GC, peaks sampled every 20 ms; machine shared with other jobs).',
    '',
    '| label | date | rows | RSS before (MB) | ADD PK (ms) | peak RSS / heap during (MB) | RSS / heap after (MB) | first INSERT (ms) | peak RSS / heap during (MB) | duplicate INSERT (ms) | RSS / heap after INSERT (MB) |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...all.map(
      (r) =>
        `| ${r.label} | ${r.date.slice(0, 16)} | ${r.rows} | ${r.before.rssMB} | ${r.addPrimaryKeyMs} | ${r.peakDuringAddPk.rssMB} / ${r.peakDuringAddPk.heapMB} | ${r.after.rssMB} / ${r.after.heapMB} | ${r.firstInsertMs} | ${r.peakDuringInsert.rssMB} / ${r.peakDuringInsert.heapMB} | ${r.duplicateInsertMs} | ${r.afterInsert.rssMB} / ${r.afterInsert.heapMB} |`,
    ),
    '',
  ];
  fs.writeFileSync(path.join(out, `index-bench-sf${sf}.md`), lines.join('\n'));
}

main().catch((err) => {
  console.error(`index-bench: ${(err as Error).stack}`);
  process.exit(1);
});
