// Access-pattern detection for the prefetcher: watches the row groups one scan node reads and
// predicts the next ones. Patterns:
//   sequential forward/backward: the last deltas were all +1 / -1;
//   strided: the last deltas were all the same d (|d| > 1);
//   temporal (repeating): the node already ran once (a rescanned inner side, a correlated subplan)
//     and this run follows the groups of that earlier run, which then predicts what comes next.
// The window (how many groups ahead to read) adapts: it doubles while read-ahead chunks are used
// and halves when they are wasted or the pattern breaks.
// One detector lives per scan plan node and across its runs (loops), so repetition is visible.

export type AccessPatternKind = 'none' | 'sequential' | 'backward' | 'strided' | 'temporal';

/** Deltas that must agree before a delta pattern is trusted. */
const CONFIRM = 2;
/** Groups of the previous run kept for temporal prediction. */
const HISTORY_LIMIT = 4096;

export class AccessPattern {
  window: number;
  private last = -1;
  private delta = 0;
  private sameDeltas = 0;
  /** Groups read in the current run, and those of the run before it. */
  private run: number[] = [];
  private previous: number[] = [];
  /** Where the current run is in `previous` while it follows it; -1 when it does not. */
  private followAt = -1;

  constructor(
    readonly minWindow = 1,
    readonly maxWindow = 8,
  ) {
    this.window = minWindow;
  }

  /** A new run (the scan node is opened again). */
  restart(): void {
    if (this.run.length > 0) this.previous = this.run.length > HISTORY_LIMIT ? this.run.slice(0, HISTORY_LIMIT) : this.run;
    this.run = [];
    this.last = -1;
    this.delta = 0;
    this.sameDeltas = 0;
    this.followAt = -1;
  }

  /** The scan reads `group` now. */
  record(group: number): void {
    if (this.last >= 0) {
      const d = group - this.last;
      if (d === this.delta && d !== 0) this.sameDeltas++;
      else {
        if (this.sameDeltas >= CONFIRM) this.shrink();
        this.delta = d;
        this.sameDeltas = d === 0 ? 0 : 1;
      }
    }
    this.last = group;
    if (this.run.length < HISTORY_LIMIT) this.run.push(group);
    // Temporal: follow the previous run while the groups agree.
    const prev = this.previous;
    if (prev.length > 0) {
      if (this.followAt >= 0 && this.followAt + 1 < prev.length && prev[this.followAt + 1] === group) this.followAt++;
      else if (this.run.length === 1 && prev[0] === group) this.followAt = 0;
      else this.followAt = -1;
    }
  }

  kind(): AccessPatternKind {
    if (this.sameDeltas >= CONFIRM) return this.delta === 1 ? 'sequential' : this.delta === -1 ? 'backward' : 'strided';
    if (this.followAt >= 0 && this.followAt + 1 < this.previous.length) return 'temporal';
    return 'none';
  }

  /** The groups expected next (up to `window` of them), nearest first; [] without a pattern. */
  predict(): number[] {
    const out: number[] = [];
    if (this.sameDeltas >= CONFIRM) {
      for (let i = 1; i <= this.window; i++) {
        const g = this.last + i * this.delta;
        if (g < 0) break;
        out.push(g);
      }
      return out;
    }
    if (this.followAt >= 0) for (let i = this.followAt + 1; i < this.previous.length && out.length < this.window; i++) out.push(this.previous[i]);
    return out;
  }

  /** Read-ahead chunks were used: look further ahead. */
  grow(): void {
    this.window = Math.min(this.maxWindow, this.window * 2);
  }
  /** Read-ahead chunks were wasted (or the pattern broke): look less far. */
  shrink(): void {
    this.window = Math.max(this.minWindow, this.window >> 1);
  }
}
