// Statements that read while yielding to the event loop (executePlanAsync): a commit that removes or
// rewrites stored chunks (TRUNCATE, DROP, ALTER TABLE rewrites) waits until none of them is running,
// since their snapshots may still read those chunks — the same wait PostgreSQL's TRUNCATE has for
// its ACCESS EXCLUSIVE lock. Readers never wait for anything, except that a statement does not start
// while such a rewrite is being written (the gate).

/** `fn`, run the first time the returned function is called only. */
function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}

export class ActiveReaders {
  private running = 0;
  private waiters: (() => void)[] = [];

  /** Registers a running reader; call the returned function when it ends (once). */
  enter(): () => void {
    this.running++;
    return once(() => {
      this.running--;
      if (this.running === 0) {
        const w = this.waiters;
        this.waiters = [];
        for (const wake of w) wake();
      }
    });
  }

  /** Statements running now (any kind), and the gate a garbage collection's rewrite closes to new ones. */
  private statements = 0;
  private gate: Promise<void> | null = null;
  private openGate: (() => void) | null = null;

  /** enterStatement without waiting: null while the gate is closed (then await enterStatement). */
  enterStatementNow(): (() => void) | null {
    if (this.gate !== null) return null;
    return this.started();
  }

  /** Statements running per epoch (the epoch moves on at each statementsEnded call). */
  private epoch = 0;
  private readonly perEpoch = new Map<number, number>();
  private epochWaiters: { epoch: number; wake: () => void }[] = [];

  private started(): () => void {
    this.statements++;
    const e = this.epoch;
    this.perEpoch.set(e, (this.perEpoch.get(e) ?? 0) + 1);
    return once(() => {
      this.statements--;
      const left = this.perEpoch.get(e)! - 1;
      if (left > 0) this.perEpoch.set(e, left);
      else {
        this.perEpoch.delete(e);
        this.wakeEpochWaiters();
      }
    });
  }

  private oldestEpoch(): number {
    let oldest = Infinity;
    for (const e of this.perEpoch.keys()) oldest = Math.min(oldest, e);
    return oldest;
  }

  private wakeEpochWaiters(): void {
    // Nearly always nobody waits (a statement's end, every statement): no scan, no arrays then.
    if (this.epochWaiters.length === 0) return;
    const oldest = this.oldestEpoch();
    const ready = this.epochWaiters.filter((w) => w.epoch < oldest);
    if (ready.length === 0) return;
    this.epochWaiters = this.epochWaiters.filter((w) => w.epoch >= oldest);
    for (const w of ready) w.wake();
  }

  /** Resolves once every statement running now has ended (those that start later are not waited for). */
  statementsEnded(): Promise<void> {
    const e = this.epoch++;
    if (this.oldestEpoch() > e) return Promise.resolve();
    return new Promise((wake) => this.epochWaiters.push({ epoch: e, wake }));
  }

  /** A statement starts (after any rewrite being written); call the returned function when it ends. */
  async enterStatement(): Promise<() => void> {
    while (this.gate !== null) await this.gate;
    return this.started();
  }

  get statementsRunning(): number {
    return this.statements;
  }

  /** Holds new statements back until the returned function is called (a rewrite of chunks is being written). */
  closeGate(): () => void {
    this.closers++;
    if (this.gate === null) this.gate = new Promise<void>((resolve) => (this.openGate = resolve));
    return once(() => {
      if (--this.closers > 0) return;
      const open = this.openGate;
      this.gate = null;
      this.openGate = null;
      open?.();
    });
  }
  private closers = 0;

  /** Whether a reader is running now. */
  get busy(): boolean {
    return this.running > 0;
  }

  /** Resolves once no reader is running (at once when none is). */
  idle(): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
