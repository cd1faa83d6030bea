// `npm run bench`: micro-benchmarks of the executor's kernels (hashing, hash join build/probe, hash
// aggregation, filter, sort) on fixed, seeded synthetic data, run through the engine's real
// functions and operators. Prints kernel, variant, rows, median ms and million rows per second,
// and writes bench/results/kernels.{md,json}.
//
//   node dist/bench/kernels/run.js [--quick] [--only TEXT] [--compare FILE.json] [--out DIR | --no-write] [--reps N] [--quiet]
//
// --quick: 10k rows, one repetition, nothing written (the smoke test); --only: cases whose
// "kernel variant" contains TEXT; --compare: ratio to a previous JSON, kernels more than 10% slower
// flagged by their least CPU time per repetition (exit code stays 0: the machine is noisy, a human judges).
import { execSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import xxhash from 'xxhash-wasm';
import { machineDescription } from '../tpch/report';
import { BenchCase, Scale } from './case';
import { hashCases } from './hash';
import { joinCases } from './join';
import { aggregateCases } from './aggregate';
import { filterCases } from './filter';
import { sortCases } from './sort';
import { time } from './timing';
import { KernelReport, ResultRow, compare, markdown, tableLines } from './report';

interface Options {
  quick: boolean;
  only: string | null;
  compare: string | null;
  out: string | null;
  reps: number;
  quiet: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { quick: false, only: null, compare: null, out: path.resolve(__dirname, '../../../bench/results'), reps: 5, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--only') o.only = value();
    else if (a === '--compare') o.compare = value();
    else if (a === '--out') o.out = value();
    else if (a === '--no-write') o.out = null;
    else if (a === '--quiet') o.quiet = true;
    else if (a === '--reps') o.reps = Math.max(1, Number(value()));
    else throw new Error(`unknown option ${a}`);
  }
  if (o.quick) o.out = argv.includes('--out') ? o.out : null;
  return o;
}

export async function main(argv: string[]): Promise<KernelReport> {
  const o = parseArgs(argv);
  const scale: Scale = o.quick ? { small: 10_000, large: 20_000, quick: true } : { small: 1_000_000, large: 10_000_000, quick: false };
  const xx = await xxhash();
  let cases: BenchCase[] = [...hashCases(scale, xx), ...joinCases(scale), ...aggregateCases(scale), ...filterCases(scale), ...sortCases(scale)];
  if (o.only !== null) cases = cases.filter((c) => `${c.kernel} ${c.variant}`.toLowerCase().includes(o.only!.toLowerCase()));
  const before: KernelReport | null = o.compare === null ? null : JSON.parse(fs.readFileSync(o.compare, 'utf8'));

  const log = o.quiet ? () => undefined : (line: string) => console.log(line);
  const rows: ResultRow[] = [];
  log(tableLines([])[0]);
  for (const c of cases) {
    const run = c.prepare();
    // Slow cases stop after 3 timed runs: the suite must stay within ~2 minutes of CPU on 2 cores.
    const t = o.quick ? time(run, 0, 1) : time(run, 1, o.reps, 1000);
    const row: ResultRow = {
      kernel: c.kernel,
      variant: c.variant,
      rows: c.rows,
      medianMs: t.medianMs,
      minMs: t.minMs,
      cpuMs: t.cpuMedianMs,
      cpuMinMs: t.cpuMinMs,
      reps: t.reps,
      result: t.result,
      mrowsPerSec: c.rows / t.medianMs / 1000,
      mrowsPerCpuSec: c.rows / t.cpuMedianMs / 1000,
    };
    rows.push(row);
    log(before === null ? tableLines([row])[2] : tableLines([row], compare([row], before))[2]);
  }

  const load = os.loadavg()[0].toFixed(1);
  const report: KernelReport = {
    machine: machineDescription(),
    commit: gitCommit(),
    date: new Date().toISOString(),
    note: o.quick
      ? 'Quick smoke run (10k rows, one repetition): not a measurement.'
      : `Median of ${o.reps} timed repetitions after one warm-up (3 when a run takes over 1 s), one Node process; rate = input rows / median time. CPU ms is the process's user + system time (GC threads included): on a shared machine it is steadier than wall time, and --compare uses the least CPU time of the repetitions (interference only adds time). Load average when the run ended: ${load} on ${os.cpus().length} cores (other work shares the machine when it exceeds ~1).`,
    rows,
  };
  if (before !== null) {
    const cmp = compare(rows, before);
    log(`\nCompared with ${o.compare} (commit ${before.commit}, ${before.date}):\n`);
    log(tableLines(rows, cmp).join('\n'));
    const slower = cmp.filter((c) => c.slower);
    log(slower.length === 0 ? '\nNo kernel more than 10% slower.' : `\n${slower.length} kernel(s) more than 10% slower: ${slower.map((c) => `${c.row.kernel} / ${c.row.variant} (x${c.ratio!.toFixed(2)})`).join('; ')}`);
  }
  if (o.out !== null) {
    fs.mkdirSync(o.out, { recursive: true });
    fs.writeFileSync(path.join(o.out, 'kernels.md'), markdown(report));
    fs.writeFileSync(path.join(o.out, 'kernels.json'), JSON.stringify(report, null, 2) + '\n');
    log(`\nWrote ${path.join(o.out, 'kernels.md')} and kernels.json`);
  }
  return report;
}

function gitCommit(): string {
  try {
    return execSync('git rev-parse --short HEAD', { cwd: __dirname, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return 'unknown';
  }
}

if (require.main === module)
  main(process.argv.slice(2)).catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
