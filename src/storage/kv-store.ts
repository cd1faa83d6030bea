// The key-value layer under storage: LMDB on disk, or a Map for ':memory:' databases.
// Writes go in batches that are atomic and, on LMDB with sync on, durable when the promise resolves.
import { open, RootDatabase } from 'lmdb';

export interface KvStore {
  /** Writes go to a disk: a transaction's full row groups may be moved there before it commits (table-store.ts spills). */
  readonly onDisk?: boolean;
  get(key: string): Buffer | undefined;
  /** The length of the value under `key` (undefined: none), without copying its bytes as get() may. */
  valueLength?(key: string): number | undefined;
  /** Atomically applies puts (Buffer) and deletes (null). */
  write(entries: [string, Buffer | null][]): Promise<void>;
  /** Keys with a prefix (for dropping a table). */
  keysWithPrefix(prefix: string): string[];
  /**
   * Brings the values into memory in the background (LMDB reads them in its own thread). A store that
   * brings them from another node (a cluster standby's, standby-kv.ts) refuses, fetching nothing, when
   * that would be more than `limitBytes`; others ignore it.
   */
  prefetch?(keys: string[], limitBytes?: number): Promise<void>;
  /**
   * Every entry in key order, as of one consistent moment (a cluster node sends this to a node that
   * must start over from a copy). Values may be views the caller must copy before the next write.
   */
  entries(): Iterable<[string, Buffer]>;
  close(): Promise<void>;
  /**
   * A view of the store as of now that later writes do not change until its renew(): on LMDB a write
   * is visible to every reader once it commits, before its promise resolves, so a reader whose other
   * state follows resolved writes only (a cluster follower's standby engine) must read through one.
   */
  pin?(): PinnedKv;
}

/** What reading a store takes (a store, or a pinned view of one). */
export type KvReader = Pick<KvStore, 'get' | 'valueLength' | 'keysWithPrefix' | 'entries'>;

/** A store's content as of one moment (KvStore.pin). */
export interface PinnedKv extends KvReader {
  /** Moves the view to the store's content now. */
  renew(): void;
  /** Releases it (an LMDB read transaction holds pages back from reuse until then). */
  done(): void;
}

export class MemoryKv implements KvStore {
  private readonly map = new Map<string, Buffer>();
  /** Pinned views' copies of the values writes replaced since each view's renew (undefined: the key was absent). */
  private readonly views = new Set<Map<string, Buffer | undefined>>();
  /**
   * Keys by their directory (the key up to its last '/'): commits ask for a group's delta and
   * deletion entries by prefix, and filtering every key of the database for each (thousands of
   * one-row delta entries under pgbench) cost more than the commit itself.
   */
  private readonly dirs = new Map<string, Set<string>>();
  get(key: string): Buffer | undefined {
    return this.map.get(key);
  }
  async write(entries: [string, Buffer | null][]): Promise<void> {
    for (const view of this.views) for (const [k] of entries) if (!view.has(k)) view.set(k, this.map.get(k));
    for (const [k, v] of entries) {
      const dir = k.slice(0, k.lastIndexOf('/') + 1);
      if (v === null) {
        if (this.map.delete(k)) {
          const keys = this.dirs.get(dir)!;
          keys.delete(k);
          if (keys.size === 0) this.dirs.delete(dir);
        }
      } else {
        this.map.set(k, v);
        let keys = this.dirs.get(dir);
        if (keys === undefined) this.dirs.set(dir, (keys = new Set()));
        keys.add(k);
      }
    }
  }
  keysWithPrefix(prefix: string): string[] {
    const out: string[] = [];
    for (const [dir, keys] of this.dirs) {
      if (dir.startsWith(prefix)) for (const k of keys) out.push(k);
      else if (prefix.startsWith(dir)) for (const k of keys) if (k.startsWith(prefix)) out.push(k);
    }
    return out;
  }
  entries(): Iterable<[string, Buffer]> {
    return [...this.map].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }
  async close(): Promise<void> {
    this.map.clear();
    this.dirs.clear();
    this.views.clear();
  }
  pin(): PinnedKv {
    // The store now, plus the values later writes replaced (copy on write): a view costs nothing until written under.
    const replaced = new Map<string, Buffer | undefined>();
    this.views.add(replaced);
    const get = (k: string): Buffer | undefined => {
      if (!this.views.has(replaced)) throw new Error('read through a released view of the store');
      return replaced.has(k) ? replaced.get(k) : this.map.get(k);
    };
    return {
      get,
      valueLength: (k) => get(k)?.length,
      keysWithPrefix: (prefix) => {
        const out = this.keysWithPrefix(prefix).filter((k) => !replaced.has(k) || replaced.get(k) !== undefined);
        for (const [k, v] of replaced) if (v !== undefined && k.startsWith(prefix) && !this.map.has(k)) out.push(k);
        return out;
      },
      entries: () => {
        const out: [string, Buffer][] = [];
        for (const [k, v] of this.map) if (!replaced.has(k)) out.push([k, v]);
        for (const [k, v] of replaced) if (v !== undefined) out.push([k, v]);
        return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      },
      renew: () => replaced.clear(),
      done: () => {
        replaced.clear();
        this.views.delete(replaced);
      },
    };
  }
}

function ignore(): void {}

/** Few entries and bytes: written through lmdb-js's batch (see LmdbKv.write). */
function isSmall(entries: [string, Buffer | null][]): boolean {
  if (entries.length > 256) return false;
  let bytes = 0;
  for (const [, v] of entries) if (v !== null) bytes += v.length;
  return bytes <= 256 * 1024;
}

export class LmdbKv implements KvStore {
  readonly onDisk = true;
  private readonly db: RootDatabase<Buffer, string>;

  constructor(dir: string, private readonly synchronousCommit: boolean) {
    this.db = open<Buffer, string>({
      path: dir,
      encoding: 'binary',
      compression: false,
      // noSync=false: LMDB fsyncs each commit, so a resolved write survives kill -9 and power loss.
      noSync: !synchronousCommit,
      mapSize: 64 * 1024 * 1024 * 1024,
    });
  }

  get(key: string): Buffer | undefined {
    return this.db.getBinary(key) ?? undefined;
  }

  valueLength(key: string): number | undefined {
    // getBinaryFast reads into a buffer lmdb-js reuses: only its length is kept.
    return this.db.getBinaryFast(key)?.length;
  }

  write(entries: [string, Buffer | null][]): Promise<void> {
    const apply = (): void => {
      for (const [k, v] of entries) {
        if (v === null) this.db.remove(k);
        else this.db.put(k, v);
      }
    };
    // A transaction callback runs on this thread once LMDB's write thread has opened the transaction:
    // a round trip through a busy event loop while the write lock is held, which every commit of a
    // small OLTP batch would wait for. A batch queues its writes now, as one atomic block of one LMDB
    // transaction. Large writes (bulk loads) keep the callback, which writes inside the open
    // transaction instead of buffering every value in lmdb-js's instruction queue first.
    const committed = (isSmall(entries) ? this.db.batch(apply) : this.db.transaction(apply)) as Promise<unknown>;
    if (!this.synchronousCommit) return committed.then(ignore);
    // lmdb-js on Linux commits with overlappingSync: the transaction's promise resolves once the commit
    // is visible, and the fdatasync follows in the background (overlapping the next commit). A commit
    // is acknowledged only once durable, so the write also waits for `flushed`, read right after the
    // transaction was queued: then it is the flush of the batch this transaction joined.
    const flushed = new Promise<void>((resolve, reject) => {
      this.db.flushed.then(() => resolve(), reject);
    });
    // If the commit fails, its error is what the caller gets; a failed flush must not also surface
    // as an unhandled rejection (which ends the process).
    flushed.catch(ignore);
    return committed.then(() => flushed);
  }

  prefetch(keys: string[]): Promise<void> {
    return this.db.prefetch(keys) as Promise<void>;
  }

  keysWithPrefix(prefix: string): string[] {
    const out: string[] = [];
    for (const key of this.db.getKeys({ start: prefix })) {
      if (typeof key !== 'string' || !key.startsWith(prefix)) break;
      out.push(key);
    }
    return out;
  }

  *entries(): Iterable<[string, Buffer]> {
    // One getRange runs in one read transaction: an LMDB snapshot, unaffected by writes meanwhile.
    for (const { key, value } of this.db.getRange({})) if (typeof key === 'string') yield [key, value];
  }

  pin(): PinnedKv {
    const db = this.db;
    // lmdb-js reads in a given transaction (its README: useReadTransaction); its typings omit the option.
    const reads = db as unknown as { getBinary(k: string, o: object): Buffer | undefined; getBinaryFast(k: string, o: object): Buffer | undefined };
    const begin = (): ReturnType<RootDatabase['useReadTransaction']> => {
      // lmdb-js hands out its shared read transaction, which it moves on lazily after a write: made
      // current here, so the view starts at the last commit.
      db.resetReadTxn();
      return db.useReadTransaction();
    };
    let transaction: ReturnType<RootDatabase['useReadTransaction']> | null = begin();
    const at = () => {
      if (transaction === null) throw new Error('read through a released view of the store');
      return { transaction };
    };
    return {
      get: (k) => reads.getBinary(k, at()) ?? undefined,
      valueLength: (k) => reads.getBinaryFast(k, at())?.length,
      keysWithPrefix: (prefix) => {
        const out: string[] = [];
        for (const key of db.getKeys({ start: prefix, ...at() })) {
          if (typeof key !== 'string' || !key.startsWith(prefix)) break;
          out.push(key);
        }
        return out;
      },
      entries: function* () {
        for (const { key, value } of db.getRange({ ...at() })) if (typeof key === 'string') yield [key, value] as [string, Buffer];
      },
      renew: () => {
        transaction?.done();
        transaction = begin();
      },
      done: () => {
        transaction?.done();
        transaction = null;
      },
    };
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
