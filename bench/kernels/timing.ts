// Timing for the kernel benchmarks: warm-up runs (JIT, caches), then timed repetitions; medians are
// reported since the machine is shared and single runs are noisy. Besides wall time, the process's
// CPU time (user + system, all threads: GC helpers included) is measured per repetition: on a
// machine shared with other work it is far steadier than wall time, so comparisons use it.
export interface Timing {
  medianMs: number;
  minMs: number;
  cpuMedianMs: number;
  /** Least CPU time of a repetition: interference from other work only adds time, so on a busy machine the minimum is the steadiest figure. */
  cpuMinMs: number;
  reps: number;
  /** What the last run returned (a row count, a table size, a hash): a check that the work was done right. */
  result: number;
}

/** Warm-up runs, then timed ones until `reps` are done (fewer when one run exceeds `slowMs`: at least 3). */
export function time(run: () => number, warmup: number, reps: number, slowMs = Infinity): Timing {
  let result = 0;
  for (let i = 0; i < warmup; i++) result = run();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < reps; i++) {
    const c0 = process.cpuUsage();
    const start = process.hrtime.bigint();
    result = run();
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    const c = process.cpuUsage(c0);
    wall.push(ms);
    cpu.push((c.user + c.system) / 1000);
    if (ms > slowMs && i >= 2) break;
  }
  return { medianMs: median(wall), minMs: Math.min(...wall), cpuMedianMs: median(cpu), cpuMinMs: Math.min(...cpu), reps: wall.length, result };
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
