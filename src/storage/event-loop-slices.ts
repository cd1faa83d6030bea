// Long storage work (a key index built over a big table, ANALYZE's recollection) done in slices:
// the server is one event loop, and one synchronous stretch of seconds stops every other session
// and, in a cluster, the leader's lease renewal (TTL 5 s). The work is written once, as a generator
// that yields between its slices (a row group, a million index entries); a synchronous caller runs
// it straight through, an asynchronous one lets the event loop turn between slices.

/** Work that yields (undefined) between slices and returns T. */
export type Steps<T> = Generator<void, T, void>;

/** Runs the steps straight through. */
export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done === true) return r.value;
  }
}

/**
 * Work of more than this between two turns of the event loop yields: short enough that timers and
 * other sessions' statements wait no longer, long enough that the turns cost nothing measurable.
 */
export const SLICE_MS = 20;

/** Turns of the event loop the work of this process gave so far (tests count them). */
export const sliceStats = { turns: 0 };

/** Lets the event loop turn once SLICE_MS of work went by since the last turn. */
export class EventLoopSlices {
  private at = performance.now();

  /** Resolves at once (no turn) while the slice lasts, else after the event loop turned. */
  async pause(): Promise<void> {
    if (performance.now() - this.at < SLICE_MS) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    sliceStats.turns++;
    this.at = performance.now();
  }
}

/** Runs the steps, letting the event loop turn between slices once SLICE_MS of work went by. */
export async function runStepsYielding<T>(steps: Steps<T>): Promise<T> {
  const slices = new EventLoopSlices();
  for (;;) {
    const r = steps.next();
    if (r.done === true) return r.value;
    await slices.pause();
  }
}
