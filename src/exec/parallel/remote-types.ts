// What a parallel fragment's coordinator exchanges with other nodes of a cluster (remote-round.ts
// on the coordinator, the cluster layer's fragment service on the others). The engine does not
// know the cluster: the cluster layer sets a RemoteFragmentProvider on the database, which hands
// it to every statement's ExecContext; without one (a single node) nothing here is used.
import { TableDef } from '../../storage/api';
import { Batch } from '../../types/vector';
import { FragmentBase } from './messages';
import type { ShuffleRunner } from './shuffle-types';

/** A table the fragment reads, as of the statement's snapshot; the chunks come from the remote node's own copy of the store. */
export interface RemoteTable {
  tableId: number;
  def: TableDef;
  /** The snapshot's generation of the table's chunk keys (TableSnapshot.generation). */
  generation: number;
  rowCounts: number[];
  /** Deleted rows per group at the snapshot (null: none, or a group the request does not read). */
  deleted: (Uint8Array | null)[];
  liveRowCount: number;
  /** The columns some scan reads, and for each the store key of its chunk per group (keys[k][group]). */
  columns: number[];
  keys: string[][];
}

export interface RemoteFragmentRequest extends FragmentBase {
  tables: RemoteTable[];
  /** Morsels of the driving scan to run, as (group, start, end) triples. */
  morsels: Int32Array;
  /** The coordinator's store position (replicated batches written) when the request was made: the copy read must have reached it. */
  position: number;
  /** Set from RemoteFragmentProvider.checkGenerations. */
  checkGenerations?: boolean;
}

export type RemoteFragmentReply =
  | { kind: 'done'; batches: Batch[]; morsels: number; elapsedMs: number }
  /** The remote copy had not reached the position in time, or lacked some rows: the coordinator runs the morsels itself. */
  | { kind: 'behind'; position: number };

/** Another node that can run morsels of a fragment. */
export interface RemoteParticipant {
  readonly node: number;
  /** Rejects when the node fails, its link is lost or it is suspected: its morsels are then run locally. */
  run(request: RemoteFragmentRequest): Promise<RemoteFragmentReply>;
}

/**
 * Set on the database by the cluster layer (Database.remoteFragments). `participants()` names the
 * nodes to use now (none: the statement runs as on a single node); `position()` the store position
 * they must have reached to read the statement's snapshot.
 */
export interface RemoteFragmentProvider {
  participants(): RemoteParticipant[];
  position(): number;
  /**
   * Placement: whether `node` holds the bytes of the chunk stored under `key` (all chunks of a row
   * group share their nodes). Absent: every node holds every chunk. When present, remote-round.ts
   * gives a node only ranges of morsels whose driving chunks it holds (locality); the rest run on
   * the local workers.
   */
  holds?(node: number, key: string): boolean;
  /**
   * The coordinator reads a copy of the store (a cluster follower's standby): unlike the leader, it
   * holds no TRUNCATE, rewrite or drop of a compacted generation back while its statement runs, so
   * a participant reads a table only if the table's generation in its own copy is still the
   * snapshot's (RemoteTable.generation), and otherwise leaves the work to the coordinator.
   */
  checkGenerations?: boolean;
  /**
   * Hash-shuffled joins (shuffle-types.ts): this node's id (partition 0's owner) and the runner
   * that spreads a job over it and participants(). Absent: joins are never shuffled.
   */
  shuffle?: { self: number; run: ShuffleRunner };
}
