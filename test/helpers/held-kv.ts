// A key-value store for tests of the commit path: writes go to memory, but can be held back (they
// wait until released, as an fsync would take long) or made to fail (as a full or broken disk would).
import { KvStore, MemoryKv } from '../../src/storage/kv-store';

export class HeldKv implements KvStore {
  private readonly inner = new MemoryKv();
  private gate: Promise<void> | null = null;
  private open: (() => void) | null = null;
  private failing: Error | null = null;
  /** Keys of each write, in the order the writes reached the store. */
  readonly writes: string[][] = [];
  /** Writes started (waiting at the gate or done). */
  started = 0;

  /** From now on, writes wait until release(). */
  hold(): void {
    if (this.gate === null) this.gate = new Promise<void>((resolve) => (this.open = resolve));
  }

  release(): void {
    const open = this.open;
    this.gate = null;
    this.open = null;
    open?.();
  }

  /** The next write (once past the gate) fails with this error, writing nothing. */
  failNext(err: Error): void {
    this.failing = err;
  }

  get(key: string): Buffer | undefined {
    return this.inner.get(key);
  }

  keysWithPrefix(prefix: string): string[] {
    return this.inner.keysWithPrefix(prefix);
  }

  entries(): Iterable<[string, Buffer]> {
    return this.inner.entries();
  }

  async write(entries: [string, Buffer | null][]): Promise<void> {
    this.started++;
    while (this.gate !== null) await this.gate;
    if (this.failing !== null) {
      const err = this.failing;
      this.failing = null;
      throw err;
    }
    this.writes.push(entries.map(([k]) => k));
    await this.inner.write(entries);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
