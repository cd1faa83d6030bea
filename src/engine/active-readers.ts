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
    this.statements++;
    return once(() => this.statements--);
  }

  /** A statement starts (after any rewrite being written); call the returned function when it ends. */
  async enterStatement(): Promise<() => void> {
    while (this.gate !== null) await this.gate;
    this.statements++;
    return once(() => this.statements--);
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
