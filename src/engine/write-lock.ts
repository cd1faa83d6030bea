// One writer at a time: a session holds the database's write lock from its first write until its
// transaction commits or aborts. Readers never take it (they read committed snapshots).
// The transactions issue replaces this with optimistic concurrency control.
export class WriteLock {
  private tail: Promise<void> = Promise.resolve();
  private holder: object | null = null;

  get heldBy(): object | null {
    return this.holder;
  }

  /** Resolves when `owner` holds the lock; returns the release function. */
  async acquire(owner: object, checkCancel: () => void): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((resolve) => (release = resolve));
    const previous = this.tail;
    this.tail = previous.then(() => next);
    // Waiting can be cancelled; poll so a CancelRequest or statement_timeout can end the wait.
    const ready = previous.then(() => true);
    for (;;) {
      const tick = new Promise<boolean>((r) => setTimeout(() => r(false), 20).unref());
      if (await Promise.race([ready, tick])) break;
      try {
        checkCancel();
      } catch (err) {
        // Hand our turn on as soon as it comes, so the queue keeps moving.
        previous.then(() => release());
        throw err;
      }
    }
    this.holder = owner;
    return () => {
      if (this.holder === owner) this.holder = null;
      release();
    };
  }
}
