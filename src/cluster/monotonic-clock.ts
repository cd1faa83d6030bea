// Milliseconds of the process's monotonic clock, the same in every thread. performance.now() counts
// from each thread's own start, so a time written by a worker could not be compared with the main
// thread's; process.hrtime reads one clock for the whole process.
export function monotonicMs(): number {
  const [s, ns] = process.hrtime();
  return s * 1e3 + ns / 1e6;
}
