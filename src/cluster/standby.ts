// A follower's standby engine: the node a client is connected to coordinates its reads, so each
// follower runs a read-only engine (a Database, as PostgreSQL's hot standby runs queries during
// recovery) over its own copy of the leader's store, kept current with it:
//
// - every session is read-only (DatabaseOptions.hotStandby: writes 25006, read-write mode refused);
// - the Replica calls `applied` synchronously after each replicated write and before acknowledging
//   it to the leader, and the engine's committed state is refreshed there (TableStore
//   .refreshCommitted, which reads again only what the batch changed): a commit the leader has
//   acknowledged to any client is visible to every statement that starts here afterwards, while
//   this node is in sync;
// - chunks this node keeps only as markers are fetched from the leader (standby-kv.ts);
// - statements that need rows a replicated write removed fail with 40001, "canceling statement due
//   to conflict with recovery" (table-store.ts readConflict / recoveryConflict).
import { Database } from '../engine/database';
import { KvEntries } from './kv-batch';
import { Replica, ReplicaListener } from './replica';
import { ChunkFetcher, StandbyKv, StandbyKvOptions } from './standby-kv';

export interface StandbyHandle {
  /** The engine over this follower's replicated copy; every session on it is read-only. */
  readonly database: Database;
  /** True while this copy holds every commit the leader has acknowledged to any client (the leader counts
   *  this node in sync and everything received is applied): local reads then see every acknowledged commit. */
  inSync(): boolean;
  /**
   * inSync(), after asking the leader for a read lease first when only the lease is missing (it ran
   * out while this node's event loop was held, by a long statement say); waits at most `maxMs`.
   */
  inSyncSoon(maxMs: number): Promise<boolean>;
}

export interface StandbyOptions {
  replica: Replica;
  /** Fetches chunk bytes from the leader (chunk-transfer.ts fetchChunksAt). */
  fetch: ChunkFetcher;
  /** Whether the leader counts this node in sync now (and this node still follows it). */
  leaderCountsInSync: () => boolean;
  /** leaderCountsInSync, after renewing a read lease that alone ran out (waiting at most `maxMs`); default: leaderCountsInSync. */
  leaderCountsInSyncSoon?: (maxMs: number) => Promise<boolean>;
  dataDirectory: string | null;
  settings: Map<string, string>;
  kvOptions?: StandbyKvOptions;
  log?: (line: string) => void;
}

export class Standby implements StandbyHandle, ReplicaListener {
  /** A refresh failed: this engine's state is no longer the copy's (the owner replaces it). */
  private failure: Error | null = null;
  private closed = false;

  private constructor(
    readonly database: Database,
    readonly kv: StandbyKv,
    private readonly options: StandbyOptions,
  ) {}

  /** Opens the engine over the replica's copy (call when the copy is consistent: not while a whole copy is being received). */
  static async open(options: StandbyOptions): Promise<Standby> {
    // The replica knows its markers (it read the copy once when it was made): no scan of the store here.
    const { replica } = options;
    const kv = new StandbyKv(replica.reads, replica.markerKeys(), replica.position().seq, options.fetch, options.kvOptions);
    const database = await Database.open({ dir: options.dataDirectory, settings: options.settings, kv, hotStandby: true });
    return new Standby(database, kv, options);
  }

  inSync(): boolean {
    return this.copyUsable() && this.options.leaderCountsInSync();
  }

  async inSyncSoon(maxMs: number): Promise<boolean> {
    const soon = this.options.leaderCountsInSyncSoon;
    if (!this.copyUsable() || soon === undefined) return this.inSync();
    return (await soon(maxMs)) && this.inSync();
  }

  /** Open, not failed, and every batch received applied. */
  private copyUsable(): boolean {
    return !this.closed && this.failure === null && this.options.replica.caughtUp();
  }

  /**
   * The generation of a table's chunk keys in the copy as of the replica's position, as this engine
   * knows it (fragment-service.ts checks a coordinating follower's snapshot against it); undefined
   * when this engine is not exactly at that position (failed, closed, or not yet told of a batch),
   * or the table does not exist.
   */
  generationOf(tableId: number): number | undefined {
    if (this.closed || this.failure !== null || this.kv.seq !== this.options.replica.position().seq) return undefined;
    return this.database.storage.tableGeneration?.(tableId);
  }

  /** Set when a refresh failed (the owner closes this standby and opens another). */
  onFailure: ((err: Error) => void) | null = null;

  /** Refreshes after applied batches: how many, and their time (bench/cluster/standby-refresh.ts). */
  readonly refreshStats = { batches: 0, totalMs: 0, maxMs: 0 };

  applied(seq: number, entries: KvEntries): void {
    if (this.closed || this.failure !== null) return;
    try {
      const t0 = performance.now();
      this.kv.applied(seq, entries);
      this.database.storage.refreshCommitted!(entries.map(([k]) => k));
      const ms = performance.now() - t0;
      const st = this.refreshStats;
      st.batches++;
      st.totalMs += ms;
      if (ms > st.maxMs) st.maxMs = ms;
    } catch (err) {
      this.failure = err instanceof Error ? err : new Error(String(err));
      this.options.log?.(`standby: could not read batch ${seq} of the copy: ${this.failure.message}`);
      this.onFailure?.(this.failure);
    }
  }

  trimmed(keys: string[]): void {
    this.kv.trimmed(keys, this.database.readers.statementsRunning > 0);
  }

  /** Handled by the owner (ClusterNode closes the standby first, through `replacing`). */
  async replacing(): Promise<void> {}
  replaced(): void {}

  /** Ends its sessions and closes the engine (the copy stays open: it is the replica's). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.database.close();
  }
}
