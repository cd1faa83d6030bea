// Statements that read while yielding to the event loop (executePlanAsync): a commit that removes or
// rewrites stored chunks (TRUNCATE, DROP, ALTER TABLE rewrites) waits until none of them is running,
// since their snapshots may still read those chunks — the same wait PostgreSQL's TRUNCATE has for
// its ACCESS EXCLUSIVE lock. Readers never wait for anything.
export class ActiveReaders {
  private running = 0;
  private waiters: (() => void)[] = [];

  /** Registers a running reader; call the returned function when it ends (once). */
  enter(): () => void {
    this.running++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.running--;
      if (this.running === 0) {
        const w = this.waiters;
        this.waiters = [];
        for (const wake of w) wake();
      }
    };
  }

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
