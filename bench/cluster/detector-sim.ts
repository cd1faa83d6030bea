// Failure-detector simulation (issue 9, "Measured"): 100 ms interconnect heartbeats with realistic
// jitter over simulated hours, fed to the phi-accrual detector, measuring
//  - false suspicions per hour of a live node, at thresholds 5, 8, 10, 12 (and per acceptable pause);
//  - time to suspect a node that dies at a random moment (mean, p50, p99 over many deaths).
//
// Jitter model (all seeded, all configurable):
//  - the sender's timer fires at k * interval plus a uniform scheduling delay in [0, timerJitterMs];
//  - the sender stalls (GC, scheduling) in a Poisson process of `pauseRatePerMin` stalls a minute, each
//    lasting a log-uniform time in [pauseMinMs, pauseMaxMs] (short stalls more common than long);
//    heartbeats due during a stall go out together when it ends, as one (Node runs a late interval once);
//  - network delay is log-normal (median `delayMedianMs`, log-sd `delaySigma`), delivered in order (TCP).
//
// Exactness: phi only grows between heartbeats, so a false suspicion happens in a gap iff phi just
// before the next arrival reaches the threshold; one such gap counts as one false suspicion. Time to
// suspect uses the detector's exact silence-to-threshold (continuous checking); a real node that
// checks phi every P ms adds up to P ms. Deaths are sampled on the same run: after a heartbeat, with
// probability deathSampleProb, "the node dies" at a uniform moment before its next send; the detector
// state at that moment (history of a live, jittery node) gives the suspicion time. This does not
// disturb the live run.
//
//   node dist/bench/cluster/detector-sim.js [--hours 24] [--seed 1] [--pause-rate 1] [--out file.md [--append --title T]]
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PhiAccrualDetector } from '../../src/cluster/phi-accrual';

export interface SimParams {
  hours: number;
  seed: number;
  intervalMs: number;
  timerJitterMs: number;
  delayMedianMs: number;
  delaySigma: number;
  pauseRatePerMin: number;
  pauseMinMs: number;
  pauseMaxMs: number;
  thresholds: number[];
  acceptablePausesMs: number[];
  deathSampleProb: number;
  windowSize: number;
  minStdDevMs: number;
  out: string | undefined;
  /** Append a section to `out` instead of writing the file afresh (to put comparison runs beside the main one). */
  append: boolean;
  title: string;
}

export function parseArgs(argv: string[]): SimParams {
  const p: SimParams = {
    hours: 24,
    seed: 1,
    intervalMs: 100,
    timerJitterMs: 2,
    delayMedianMs: 0.3,
    delaySigma: 0.8,
    pauseRatePerMin: 1,
    pauseMinMs: 50,
    pauseMaxMs: 500,
    thresholds: [5, 8, 10, 12],
    acceptablePausesMs: [0, 200, 500],
    deathSampleProb: 0.02,
    windowSize: 1000,
    minStdDevMs: 10,
    out: undefined,
    append: false,
    title: 'Default model',
  };
  const num = (v: string | undefined, name: string): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n)) throw new Error(`--${name} needs a number`);
    return n;
  };
  const list = (v: string | undefined, name: string): number[] => {
    if (v === undefined) throw new Error(`--${name} needs a comma-separated list`);
    return v.split(',').map((x) => num(x, name));
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    switch (a) {
      case '--hours': p.hours = num(v, 'hours'); i++; break;
      case '--seed': p.seed = num(v, 'seed'); i++; break;
      case '--interval': p.intervalMs = num(v, 'interval'); i++; break;
      case '--timer-jitter': p.timerJitterMs = num(v, 'timer-jitter'); i++; break;
      case '--delay-median': p.delayMedianMs = num(v, 'delay-median'); i++; break;
      case '--delay-sigma': p.delaySigma = num(v, 'delay-sigma'); i++; break;
      case '--pause-rate': p.pauseRatePerMin = num(v, 'pause-rate'); i++; break;
      case '--pause-min': p.pauseMinMs = num(v, 'pause-min'); i++; break;
      case '--pause-max': p.pauseMaxMs = num(v, 'pause-max'); i++; break;
      case '--thresholds': p.thresholds = list(v, 'thresholds'); i++; break;
      case '--acceptable-pauses': p.acceptablePausesMs = list(v, 'acceptable-pauses'); i++; break;
      case '--death-prob': p.deathSampleProb = num(v, 'death-prob'); i++; break;
      case '--window': p.windowSize = num(v, 'window'); i++; break;
      case '--min-sd': p.minStdDevMs = num(v, 'min-sd'); i++; break;
      case '--out': p.out = v; i++; break;
      case '--append': p.append = true; break;
      case '--title': if (v === undefined) throw new Error('--title needs a value'); p.title = v; i++; break;
      default: throw new Error(`unknown argument ${a}`);
    }
  }
  return p;
}

/** mulberry32: small, fast, seeded; plenty for a simulation. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(u: () => number): number {
  const a = 1 - u(); // (0, 1]
  return Math.sqrt(-2 * Math.log(a)) * Math.cos(2 * Math.PI * u());
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export interface ConfigResult {
  acceptablePauseMs: number;
  falseSuspicions: number[]; // per threshold
  fromDeath: Float64Array[]; // per threshold, sorted
  fromLast: Float64Array[];
}

export function simulate(p: SimParams): { results: ConfigResult[]; heartbeats: number; pauses: number; deaths: number; maxGapMs: number } {
  const u = rng(p.seed);
  const endMs = p.hours * 3600_000;
  const detectors = p.acceptablePausesMs.map(
    (ap) => new PhiAccrualDetector({ windowSize: p.windowSize, minStdDevMs: p.minStdDevMs, acceptablePauseMs: ap, firstIntervalMs: p.intervalMs }),
  );
  const nT = p.thresholds.length;
  const falseSusp = detectors.map(() => new Array<number>(nT).fill(0));
  const fromDeath = detectors.map(() => p.thresholds.map(() => [] as number[]));
  const fromLast = detectors.map(() => p.thresholds.map(() => [] as number[]));
  const pauseRatePerMs = p.pauseRatePerMin / 60_000;
  const logPauseMin = Math.log(p.pauseMinMs);
  const logPauseSpan = Math.log(p.pauseMaxMs) - logPauseMin;
  const nextPauseStart = (from: number): number =>
    pauseRatePerMs > 0 ? from - Math.log(1 - u()) / pauseRatePerMs : Infinity;

  let pauseStart = nextPauseStart(0);
  let pauseEnd = -1;
  let pauses = 0;
  let heartbeats = 0;
  let deaths = 0;
  let lastArrival = -Infinity;
  let lastSend = -Infinity;
  let maxGapMs = 0;
  for (let k = 1; ; k++) {
    let send = k * p.intervalMs + u() * p.timerJitterMs;
    if (send > endMs) break;
    while (send >= pauseStart) {
      // a stall begins before this send: the send waits until it ends
      pauseEnd = pauseStart + Math.exp(logPauseMin + u() * logPauseSpan);
      pauses++;
      pauseStart = nextPauseStart(pauseEnd);
      if (send < pauseEnd) send = pauseEnd;
    }
    if (send <= lastSend) continue; // several sends due in one stall go out once
    lastSend = send;
    const delay = p.delayMedianMs * Math.exp(p.delaySigma * gaussian(u));
    const arrival = Math.max(lastArrival, send + delay);
    if (heartbeats > 0) {
      maxGapMs = Math.max(maxGapMs, arrival - lastArrival);
      const justBefore = arrival - 1e-9;
      for (let c = 0; c < detectors.length; c++) {
        const phi = detectors[c].phi(justBefore);
        for (let t = 0; t < nT; t++) if (phi >= p.thresholds[t]) falseSusp[c][t]++;
      }
    }
    for (const d of detectors) d.heartbeat(arrival);
    heartbeats++;
    lastArrival = arrival;
    // Death sample (after a warm-up of one full window): the node dies at a uniform moment before its
    // next timer tick; this heartbeat (already sent) is the last one the detector gets.
    if (heartbeats > p.windowSize && u() < p.deathSampleProb) {
      deaths++;
      const death = send + u() * p.intervalMs;
      for (let c = 0; c < detectors.length; c++) {
        for (let t = 0; t < nT; t++) {
          const suspectAt = arrival + detectors[c].silenceToReach(p.thresholds[t]);
          fromDeath[c][t].push(suspectAt - death);
          fromLast[c][t].push(suspectAt - arrival);
        }
      }
    }
  }
  const sorted = (xs: number[]): Float64Array => Float64Array.from(xs).sort();
  const results = detectors.map((_, c) => ({
    acceptablePauseMs: p.acceptablePausesMs[c],
    falseSuspicions: falseSusp[c],
    fromDeath: fromDeath[c].map(sorted),
    fromLast: fromLast[c].map(sorted),
  }));
  return { results, heartbeats, pauses, deaths, maxGapMs };
}

function mean(xs: Float64Array): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: __dirname, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function main(): void {
  const p = parseArgs(process.argv.slice(2));
  const load = os.loadavg()[0];
  const t0 = process.hrtime.bigint();
  const r = simulate(p);
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const f = (x: number, d = 1): string => x.toFixed(d);
  const header = '| acceptable pause (ms) | threshold | false suspicions / hour | suspect after death: mean / p50 / p99 / max (ms) | after last heartbeat: mean / p99 (ms) |';
  const rows: string[] = [header, '|---:|---:|---:|---|---|'];
  for (const c of r.results) {
    p.thresholds.forEach((th, t) => {
      const d = c.fromDeath[t];
      const l = c.fromLast[t];
      rows.push(
        `| ${c.acceptablePauseMs} | ${th} | ${f(c.falseSuspicions[t] / p.hours, 2)} (${c.falseSuspicions[t]} in ${p.hours} h) | ` +
          `${f(mean(d))} / ${f(percentile(d, 0.5))} / ${f(percentile(d, 0.99))} / ${f(d[d.length - 1])} | ${f(mean(l))} / ${f(percentile(l, 0.99))} |`,
      );
    });
  }
  const table = rows.join('\n');
  const args = process.argv.slice(2).map((a) => (/^[\w.,/=-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`));
  const cmd = `node dist/bench/cluster/detector-sim.js ${args.join(' ')}`.trim();
  const model = [
    `- heartbeat interval ${p.intervalMs} ms; sender timer jitter uniform [0, ${p.timerJitterMs}] ms`,
    `- network delay log-normal, median ${p.delayMedianMs} ms, log-sd ${p.delaySigma} (mean ${f(p.delayMedianMs * Math.exp((p.delaySigma * p.delaySigma) / 2), 2)} ms), in order`,
    `- sender stalls (GC/scheduling): Poisson, ${p.pauseRatePerMin} per minute, duration log-uniform in [${p.pauseMinMs}, ${p.pauseMaxMs}] ms; heartbeats due in a stall sent once at its end`,
    `- detector: window ${p.windowSize}, sd floor max(${p.minStdDevMs} ms, 0.1 x mean), bootstrap first interval ${p.intervalMs} ms; acceptable pauses ${p.acceptablePausesMs.join(', ')} ms`,
    `- seed ${p.seed}; ${p.hours} simulated hours; ${r.heartbeats} heartbeats, ${r.pauses} stalls, longest gap between arrivals ${f(r.maxGapMs)} ms; ${r.deaths} sampled deaths (probability ${p.deathSampleProb} after each heartbeat past the first window)`,
  ].join('\n');
  console.log(model);
  console.log(table);
  console.log(`(${f(wallMs, 0)} ms wall, load ${f(load, 2)})`);
  if (p.out !== undefined) {
    const head = p.append ? [] : ['# Phi-accrual failure detector: simulation', ''];
    const md = [
      ...head,
      `## ${p.title}`,
      '',
      `Command: \`${cmd}\` (after \`npm run build\`)  `,
      `Commit: ${gitCommit()}; machine: ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? '?'}, Node ${process.version}; load average ${f(load, 2)} (the simulation is CPU-only and deterministic for a seed: load changes only its ${f(wallMs / 1000, 1)} s wall time); written ${new Date().toISOString()}.`,
      '',
      '### Jitter model and parameters',
      '',
      model,
      '',
      '### Results',
      '',
      'A false suspicion is a gap between two heartbeats of a live node during which phi reached the threshold. ' +
        '"Suspect after death" is the time from the node\'s death (uniform before its next timer tick) until phi reaches the threshold, ' +
        'with phi checked continuously (a check every P ms adds up to P ms).',
      '',
      table,
      '',
    ].join('\n');
    fs.mkdirSync(path.dirname(p.out), { recursive: true });
    if (p.append) fs.appendFileSync(p.out, '\n' + md);
    else fs.writeFileSync(p.out, md);
    console.log(`wrote ${p.out}`);
  }
}

if (require.main === module) main();
