// The commit queue's write pipeline (early lock release). A group commit is *decided* in memory —
// rebased, validated, given its version, published to new snapshots, its row locks released — before
// its KV entries are durable; the entries are queued here. One LMDB write runs at a time, and each
// takes every write queued while the previous one ran (in queue order, one atomic LMDB transaction,
// one fsync), so a batch never reaches the disk before an earlier one: a commit that read or
// overwrote another's decided data is durable only if that one is. A commit is acknowledged when the
// write holding it is durable ("acknowledged = durable" holds as before).
//
// Until its write is done, a queued entry stays in an overlay that every read of the store goes
// through (a chunk the buffer pool evicted is read back from the overlay, not from an LMDB that lacks
// it yet; a key listing sees the delta and deletion entries of decided commits).
//
// Every write of the store goes through here, not only commits' (spilled chunks, sequences, index
// entries): one ordered stream, as LMDB's writes are one at a time anyway.
//
// A failed write of a decided commit cannot be undone in memory: later commits were decided on top
// of it, and readers may have seen it. As PostgreSQL PANICs when an fsync fails, the store fails:
// that write's commits and every later write and commit reject with 58030 (io_error), and the server
// must be restarted (it recovers the last durable state from LMDB).
//
// Why one write at a time, each started only once the previous one is durable (checked against
// lmdb-js 3.5.6 in node_modules/lmdb; "mdb.c" is its patched LMDB, dependencies/lmdb/libraries/liblmdb):
// - Durability is ordered in LMDB itself: if write N+1 survives a crash, so does N. LMDB copies on
//   write, so every meta page names a complete tree of every transaction up to its own. With
//   lmdb-js's overlappingSync a commit writes its pages and a meta marked unsynced without syncing
//   (mdb.c:5070-5089), releases the write lock (mdb.c:5119-5131, which lets the next transaction
//   start), then takes the sync mutex, copies the newest meta (transaction T >= N), fdatasyncs the
//   data file (mdb.c:5157) and only then writes T's "flushed" meta through the O_DSYNC descriptor
//   (mdb_env_write_meta, the half-page slot, mdb.c:5458-5466; me_synced_txn_id = T, mdb.c:5164).
//   N's pages were written before N+1 could begin (the write lock orders them), so the flushed meta
//   of N+1 is written after a sync that covered N. After an OS crash (another boot id) LMDB opens on
//   a meta not marked unsynced (mdb_pick_meta, mdb.c:5182-5193; mdb_env_pick_meta, mdb.c:5525-5535),
//   and pages the last synced tree uses are not reused before the next sync (mdb_find_oldest,
//   mdb.c:2627). After a process crash (SIGKILL) the page cache keeps every write and LMDB opens on
//   the newest meta. Either way what survives is a prefix of the writes.
// - But lmdb-js gives no earlier signal than durability: the sync runs inside mdb_txn_commit on the
//   write thread (mdb.c:5119-5175), and TXN_COMMITTED is set only after it returns (writer.cpp:506,
//   527); write.js resolves a transaction's promise only on that flag (resolveWrites, write.js:538-557;
//   the "visible" callback, writer.cpp:444-445 -> write.js:500, would find nothing to resolve, and
//   wrapping env.startWriting showed it never arrives: only the final status 0 does), and `flushed`
//   in that same callback (write.js:503-506). Measured: a batch's promise and `flushed` settle
//   within 0.02 ms of each other. So the next write cannot be issued "once the previous one
//   is committed but not yet flushed" and still know the previous commit succeeded: issuing it
//   earlier (lmdb-js would then overlap its transaction with the previous sync) means writing N+1
//   before knowing whether N was written at all, and after a failed N, N+1 would reach the disk
//   without it. See bench/results/commit-overlap.md.
// - A failed sync (fdatasync) is reported after the transaction became visible (mdb.c:5158-5160 ->
//   writer.cpp:520-523: the promise rejects). Linux reports a writeback error once; a later fdatasync
//   can succeed although N's pages never reached the disk, so a later write's synced meta would name
//   a tree with lost pages. Hence a failed write of commits stops every later write and
//   acknowledgement (58030 below), as PostgreSQL PANICs when an fsync fails (data_sync_retry = off)
//   rather than retrying it and trusting the next one.
import { SqlError, SqlState } from '../types/sql-error';
import { CommitQueueStats } from './api';
import { KvStore } from './kv-store';

type Entries = [string, Buffer | null][];

interface QueuedWrite {
  entries: Entries;
  /** The commit version this write makes durable, or 0 (writes that are no commit: spills, sequences, index entries). */
  version: number;
  /** Entries a later queued write's replace (the catalog): only the last queued one's are made, when the write starts. */
  latest: (() => Entries) | null;
  resolve(): void;
  reject(err: unknown): void;
}

export function emptyCommitQueueStats(): CommitQueueStats {
  return { batches: 0, commits: 0, soloCommits: 0, writes: 0, writtenBatches: 0, writeMs: 0, maxWriteMs: 0, acknowledged: 0, waitMs: 0, decideMs: 0, readWaits: 0, readWaitMs: 0 };
}

export class WritePipeline implements KvStore {
  /** Entries queued or being written, by key (the latest queued value; null = deleted). */
  private readonly overlay = new Map<string, Buffer | null>();
  private queued: QueuedWrite[] = [];
  private writing = false;
  /** The highest commit version known durable. */
  private durableVersion = 0;
  private failure: SqlError | null = null;
  private readonly durableWaits: { version: number; resolve(): void; reject(err: unknown): void }[] = [];
  private idleWaits: (() => void)[] = [];

  constructor(
    readonly kv: KvStore,
    readonly stats: CommitQueueStats = emptyCommitQueueStats(),
  ) {}

  get(key: string): Buffer | undefined {
    if (this.overlay.size > 0 && this.overlay.has(key)) return this.overlay.get(key) ?? undefined;
    return this.kv.get(key);
  }

  keysWithPrefix(prefix: string): string[] {
    const stored = this.kv.keysWithPrefix(prefix);
    if (this.overlay.size === 0) return stored;
    let keys: Set<string> | null = null;
    for (const [k, v] of this.overlay) {
      if (!k.startsWith(prefix)) continue;
      keys ??= new Set(stored);
      if (v === null) keys.delete(k);
      else keys.add(k);
    }
    // In LMDB's order (its string keys sort by their bytes, as ASCII strings sort here).
    return keys === null ? stored : [...keys].sort();
  }

  prefetch(keys: string[]): Promise<void> {
    return this.kv.prefetch?.(keys) ?? Promise.resolve();
  }

  /** The stored entries only: queued writes are not in them. */
  entries(): Iterable<[string, Buffer]> {
    return this.kv.entries();
  }

  /** A write that is no commit (spilled chunks, sequence records, index entries): in order with the commits'. */
  write(entries: Entries): Promise<void> {
    return this.enqueue(entries, 0, null);
  }

  /**
   * Queues a decided batch's entries; resolves once they are durable (or, with `version` 0, once
   * written). `latest`: entries only the last queued write's of which are made (the catalog).
   */
  enqueue(entries: Entries, version: number, latest: (() => Entries) | null): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise<void>((resolve, reject) => {
      for (const [k, v] of entries) this.overlay.set(k, v);
      this.queued.push({ entries, version, latest, resolve, reject });
      if (!this.writing) void this.pump();
    });
  }

  /** The store failed (a commit's write failed after it was decided), else null. */
  get failed(): SqlError | null {
    return this.failure;
  }

  /** A write is in flight or queued (the commit queue decides sooner when not: see TableStore.commit). */
  get busy(): boolean {
    return this.writing || this.queued.length > 0;
  }

  /** The highest commit version known durable. */
  get durable(): number {
    return this.durableVersion;
  }

  /** A commit written outside the pipeline while it was idle (a solo commit, a compaction's switch) is durable. */
  markDurable(version: number): void {
    if (version > this.durableVersion) this.durableVersion = version;
  }

  /** Null when commit `version` is durable; else a promise that settles when it is (rejecting if the store failed). */
  durableAt(version: number): Promise<void> | null {
    if (version <= this.durableVersion) return null;
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise<void>((resolve, reject) => this.durableWaits.push({ version, resolve, reject }));
  }

  /** Resolves when nothing is queued or being written (solo commits and compaction switches wait for it). */
  idle(): Promise<void> {
    if (!this.writing && this.queued.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.idleWaits.push(resolve));
  }

  private async pump(): Promise<void> {
    this.writing = true;
    try {
      while (this.queued.length > 0) {
        const taken = this.queued;
        this.queued = [];
        if (this.failure !== null) {
          for (const w of taken) w.reject(this.failure);
          continue;
        }
        let entries: Entries = [];
        let version = 0;
        let batches = 0;
        let latest: (() => Entries) | null = null;
        for (const w of taken) {
          entries = entries.length === 0 ? w.entries : entries.concat(w.entries);
          if (w.version > version) version = w.version;
          if (w.version > 0) batches++;
          if (w.latest !== null) latest = w.latest;
        }
        const t0 = performance.now();
        try {
          if (latest !== null) entries = entries.concat(latest());
          await this.kv.write(entries);
        } catch (err) {
          this.failed_(taken, err, batches > 0);
          continue;
        }
        const ms = performance.now() - t0;
        this.stats.writes++;
        this.stats.writtenBatches += batches;
        this.stats.writeMs += ms;
        if (ms > this.stats.maxWriteMs) this.stats.maxWriteMs = ms;
        this.forget(taken);
        if (version > this.durableVersion) this.durableVersion = version;
        for (const w of taken) w.resolve();
        this.wakeDurable();
      }
    } finally {
      this.writing = false;
      const waits = this.idleWaits;
      this.idleWaits = [];
      for (const wake of waits) wake();
    }
  }

  /** Written (or failed): the overlay stops answering for the entries no later queued write set again. */
  private forget(taken: QueuedWrite[]): void {
    for (const w of taken) for (const [k, v] of w.entries) if (this.overlay.get(k) === v) this.overlay.delete(k);
  }

  private failed_(taken: QueuedWrite[], err: unknown, heldCommits: boolean): void {
    if (!heldCommits) {
      // Only writes that are no commit (a spill, an index entry): they fail, the store goes on.
      this.forget(taken);
      for (const w of taken) w.reject(err);
      return;
    }
    // See the file comment: the decided state in memory is not on disk, and cannot be taken back.
    const cause = err instanceof Error ? err.message : String(err);
    // A cluster leader's replicated store stops with a retryable 57P01 when the node loses its
    // leadership: clients must see that code (reconnect and retry), not an I/O error.
    const e = err as { code?: unknown; retryable?: unknown };
    this.failure =
      e.retryable === true && e.code === SqlState.adminShutdown
        ? new SqlError(SqlState.adminShutdown, cause)
        : new SqlError(SqlState.ioError, `could not write committed data to disk: ${cause}`, {
            detail: 'Commits were made visible before this write failed; the database refuses further commits until it is restarted.',
          });
    for (const w of taken) w.reject(this.failure);
    for (const w of this.queued) w.reject(this.failure);
    this.queued = [];
    for (const w of this.durableWaits.splice(0)) w.reject(this.failure);
  }

  private wakeDurable(): void {
    if (this.durableWaits.length === 0) return;
    const still: typeof this.durableWaits = [];
    for (const w of this.durableWaits) {
      if (w.version <= this.durableVersion) w.resolve();
      else still.push(w);
    }
    this.durableWaits.length = 0;
    this.durableWaits.push(...still);
  }

  async close(): Promise<void> {
    await this.idle();
    await this.kv.close();
  }
}
