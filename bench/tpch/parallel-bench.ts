// Serial vs parallel execution of the 22 TPC-H queries, in process (embedded API) on a data
// directory loaded before (e.g. by `node dist/bench/tpch/run.js --sf 1 --data DIR`):
//   node dist/bench/tpch/parallel-bench.js --data DIR [--sf 1] [--runs 3] [--workers 2] [--out bench/results]
// Each query runs once per setting to warm up, then `runs` rounds alternating max_parallel_workers
// = 0 and = workers, so slow drifts of a shared machine hit both alike. Reports the best and the
// median wall time of each, process CPU time (all threads: the workers' extra work shows there),
// whether the query had a parallel fragment, and the load average (other processes' contention).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { open } from '../../src/index';
import { parallelStats } from '../../src/exec/parallel/run-parallel';

interface Row {
  query: string;
  parallel: boolean;
  serialBestMs: number;
  serialMedianMs: number;
  parallelBestMs: number;
  parallelMedianMs: number;
  serialCpuMs: number;
  parallelCpuMs: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (name: string, def: string): string => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : def;
  };
  const data = arg('--data', '');
  if (data === '') throw new Error('--data DIR (a data directory holding the TPC-H tables) is required');
  const sf = arg('--sf', '1');
  const runs = Number(arg('--runs', '3'));
  const workers = Number(arg('--workers', '2'));
  const out = path.resolve(arg('--out', path.resolve(__dirname, '../../../bench/results')));
  const only = arg('--only', '');
  const loadBefore = os.loadavg();
  const db = await open(data, { buffer_pool_size: '2GB' });
  const rows: Row[] = [];
  const timed = async (sql: string, w: number): Promise<{ ms: number; cpuMs: number; parallel: boolean }> => {
    await db.exec(`set max_parallel_workers = ${w}`);
    const ran = parallelStats.statements;
    const cpu = process.cpuUsage();
    const start = performance.now();
    await db.exec(sql);
    const ms = performance.now() - start;
    const used = process.cpuUsage(cpu);
    return { ms, cpuMs: (used.user + used.system) / 1000, parallel: parallelStats.statements > ran };
  };
  try {
    for (let q = 1; q <= 22; q++) {
      const query = `q${String(q).padStart(2, '0')}`;
      if (only !== '' && !only.split(',').includes(query)) continue;
      const sql = fs.readFileSync(path.resolve(__dirname, '../../../bench/tpch/queries', `${query}.sql`), 'utf8');
      await timed(sql, 0);
      const warm = await timed(sql, workers);
      const s: { ms: number; cpuMs: number }[] = [];
      const p: { ms: number; cpuMs: number }[] = [];
      for (let r = 0; r < runs; r++) {
        s.push(await timed(sql, 0));
        p.push(await timed(sql, workers));
      }
      const row: Row = {
        query,
        parallel: warm.parallel,
        serialBestMs: Math.min(...s.map((x) => x.ms)),
        serialMedianMs: median(s.map((x) => x.ms)),
        parallelBestMs: Math.min(...p.map((x) => x.ms)),
        parallelMedianMs: median(p.map((x) => x.ms)),
        serialCpuMs: median(s.map((x) => x.cpuMs)),
        parallelCpuMs: median(p.map((x) => x.cpuMs)),
      };
      rows.push(row);
      console.log(`${query} ${row.parallel ? 'parallel' : 'serial  '} serial best ${row.serialBestMs.toFixed(0)} ms, parallel best ${row.parallelBestMs.toFixed(0)} ms (×${(row.parallelBestMs / row.serialBestMs).toFixed(2)})`);
    }
  } finally {
    await db.close();
  }
  const loadAfter = os.loadavg();
  const sum = (f: (r: Row) => number): number => rows.reduce((t, r) => t + f(r), 0);
  const f0 = (x: number): string => x.toFixed(0);
  const lines = [
    `# TPC-H SF ${sf}: serial vs parallel (max_parallel_workers = 0 vs ${workers})`,
    '',
    `Command: \`node dist/bench/tpch/parallel-bench.js --data DIR --sf ${sf} --runs ${runs} --workers ${workers}\` (DIR loaded by \`node dist/bench/tpch/run.js --sf ${sf} --data DIR\`), in process, hot, ${runs} alternating rounds after one warm-up each.`,
    `Machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, Node ${process.version}, ${new Date().toISOString().slice(0, 16)}Z.`,
    `Load average (1/5/15 min) before: ${loadBefore.map((x) => x.toFixed(2)).join(' ')}, after: ${loadAfter.map((x) => x.toFixed(2)).join(' ')} — other processes shared the cores, so times are noisy.`,
    '',
    '| query | parallel fragment | serial best ms | parallel best ms | best ratio | serial median ms | parallel median ms | serial CPU ms | parallel CPU ms |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.query} | ${r.parallel ? 'yes' : 'no'} | ${f0(r.serialBestMs)} | ${f0(r.parallelBestMs)} | ${(r.parallelBestMs / r.serialBestMs).toFixed(2)} | ${f0(r.serialMedianMs)} | ${f0(r.parallelMedianMs)} | ${f0(r.serialCpuMs)} | ${f0(r.parallelCpuMs)} |`),
    `| **total** | | ${f0(sum((r) => r.serialBestMs))} | ${f0(sum((r) => r.parallelBestMs))} | ${(sum((r) => r.parallelBestMs) / sum((r) => r.serialBestMs)).toFixed(2)} | ${f0(sum((r) => r.serialMedianMs))} | ${f0(sum((r) => r.parallelMedianMs))} | ${f0(sum((r) => r.serialCpuMs))} | ${f0(sum((r) => r.parallelCpuMs))} |`,
    '',
  ];
  fs.mkdirSync(out, { recursive: true });
  const base = path.join(out, `tpch-sf${sf}-parallel`);
  fs.writeFileSync(`${base}.md`, lines.join('\n'));
  fs.writeFileSync(`${base}.json`, JSON.stringify({ sf, runs, workers, loadBefore, loadAfter, rows }, null, 2));
  console.log(lines.join('\n'));
}

main().catch((err) => {
  console.error(`parallel-bench: ${(err as Error).message}`);
  process.exit(1);
});
