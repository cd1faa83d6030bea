// node dist/bench/tpch/inproc.js --data DIR [--sf 0.1] [--tbl DIR] [--queries 5,21] [--runs 5]
// Times TPC-H queries in-process (embedded API) on a data directory that is loaded once and reused:
// an empty DIR is filled from the scale factor's .tbl files (or --tbl DIR) with primary keys and
// ANALYZE, later runs open it as is. Prints best and median per query and checks the answer when a
// reference exists; also the least process CPU time per query (less disturbed by other processes
// on a shared machine than wall time, though GC threads count too). Meant for profiling (`node --cpu-prof dist/bench/tpch/inproc.js …`) and quick
// before/after comparisons without a server or a reload.
import * as fs from 'fs';
import * as path from 'path';
import { open } from '../../src/index';
import { compareAnswer } from './compare-answers';
import { TABLES, sharedDir, tableFile, tableStream } from './data-source';
import { queryNames, querySql } from './run-queries';

interface Options {
  data: string;
  sf: string;
  tbl: string | null;
  queries: string[];
  runs: number;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { data: '', sf: '0.1', tbl: null, queries: queryNames(), runs: 5 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--data') o.data = path.resolve(argv[++i]);
    else if (a === '--sf') o.sf = String(Number(argv[++i]));
    else if (a === '--tbl') o.tbl = path.resolve(argv[++i]);
    else if (a === '--queries') o.queries = argv[++i].split(',').map((q) => `q${q.replace(/^q/, '').padStart(2, '0')}`);
    else if (a === '--runs') o.runs = Number(argv[++i]);
    else throw new Error(`unknown option ${a} (use --data DIR --sf N --tbl DIR --queries 5,21 --runs N)`);
  }
  if (o.data === '') throw new Error('--data DIR is required');
  return o;
}

function reference(sf: string, q: string): string | null {
  const candidates = [path.join(sharedDir(), 'answers', `sf${sf}`, `${q}.out`), path.resolve(__dirname, '../../../bench/tpch/answers', `sf${sf}`, `${q}.out`)];
  const f = candidates.find((c) => fs.existsSync(c));
  return f === undefined ? null : fs.readFileSync(f, 'utf8');
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const fresh = !fs.existsSync(o.data) || fs.readdirSync(o.data).length === 0;
  fs.mkdirSync(o.data, { recursive: true });
  const db = await open(o.data, { buffer_pool_size: '2GB' });
  try {
    if (fresh) {
      await db.exec(fs.readFileSync(path.resolve(__dirname, '../../../bench/tpch/schema.sql'), 'utf8'));
      for (const t of TABLES) {
        const file = o.tbl !== null ? path.join(o.tbl, `${t}.tbl`) : tableFile(o.sf, t);
        if (file === null || !fs.existsSync(file)) throw new Error(`no data for ${t}`);
        const start = performance.now();
        await db.copyFrom(t, tableStream(file), { delimiter: '|' });
        console.log(`loaded ${t} in ${((performance.now() - start) / 1000).toFixed(2)} s`);
      }
      await db.exec(fs.readFileSync(path.resolve(__dirname, '../../../bench/tpch/keys.sql'), 'utf8'));
    }
    let best = 0;
    let bestCpu = 0;
    for (const q of o.queries) {
      const sql = querySql(q);
      const times: number[] = [];
      const cpus: number[] = [];
      let text = '';
      for (let r = 0; r <= o.runs; r++) {
        const start = performance.now();
        const cpu0 = process.cpuUsage();
        const results = await db.exec(sql, { rowMode: 'array', types: 'text' });
        const ms = performance.now() - start;
        const cpu = process.cpuUsage(cpu0);
        if (r > 0 || o.runs === 0) {
          times.push(ms);
          cpus.push((cpu.user + cpu.system) / 1000);
        }
        const res = results.find((x) => x.fields.length > 0) ?? results[0];
        text = [res.fields.map((f) => f.name).join('|'), ...(res.rows as unknown[][]).map((row) => row.map((v) => (v === null ? '' : String(v))).join('|'))].join('\n') + '\n';
      }
      times.sort((a, b) => a - b);
      cpus.sort((a, b) => a - b);
      const ref = reference(o.sf, q);
      const problem = ref === null ? 'no reference' : compareAnswer(q, ref, text);
      best += times[0];
      bestCpu += cpus[0];
      const median = times[Math.floor(times.length / 2)];
      console.log(`${q} best ${times[0].toFixed(1).padStart(8)} ms  median ${median.toFixed(1).padStart(8)} ms  least CPU ${cpus[0].toFixed(1).padStart(8)} ms  ${problem === null ? 'valid' : problem.split('\n')[0]}`);
    }
    console.log(`sum of best ${best.toFixed(1)} ms, of least CPU ${bestCpu.toFixed(1)} ms; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  } finally {
    await db.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
