// Timing for the kernel benchmarks: warm-up runs (JIT, caches), then timed repetitions; the median
// is reported since the machine is shared and single runs are noisy.
export interface Timing {
  medianMs: number;
  minMs: number;
  reps: number;
}

export function time(run: () => unknown, warmup: number, reps: number): Timing {
  for (let i = 0; i < warmup; i++) sink(run());
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const start = process.hrtime.bigint();
    sink(run());
    ms.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  ms.sort((a, b) => a - b);
  const mid = ms.length >> 1;
  const medianMs = ms.length % 2 === 1 ? ms[mid] : (ms[mid - 1] + ms[mid]) / 2;
  return { medianMs, minMs: ms[0], reps };
}

/** Keeps results observable so the JIT cannot drop the work. */
let sinkValue = 0;
function sink(v: unknown): void {
  if (typeof v === 'number') sinkValue ^= v | 0;
  else if (v !== null && typeof v === 'object') sinkValue ^= 1;
}
export function sinkResult(): number {
  return sinkValue;
}
