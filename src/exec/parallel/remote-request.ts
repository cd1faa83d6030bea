// The coordinator's half of a remote fragment round: whether other nodes can take part, and the
// request for a range of morsels (remote-types.ts). Only the table metadata of the statement's
// snapshot travels — row counts, deletion bitmaps, the store key of each chunk; the remote node
// reads the chunks from its own copy of the store.
import { TableSnapshot } from '../../storage/api';
import { ExecContext } from '../context';
import { ParallelFragment } from './fragment';
import { fragmentBase, snapshotGroups } from './fragment-context';
import { SentTable } from './messages';
import { RemoteFragmentProvider, RemoteFragmentRequest, RemoteParticipant, RemoteTable } from './remote-types';

export interface RemotePlan {
  provider: RemoteFragmentProvider;
  participants: RemoteParticipant[];
  tables: RemoteTable[];
  request(morsels: Int32Array): RemoteFragmentRequest;
  /** After the remote ranges are in: 40001 if a table was rewritten meanwhile, as a local read would raise. */
  recheck(): void;
}

/**
 * The remote side of a round over `tables` (the round's SentTables), or null when there is none:
 * no provider or participant, or some chunk is not in the store (the transaction's own rows).
 */
export function remotePlanOf(fragment: ParallelFragment, ctx: ExecContext, tables: SentTable[]): RemotePlan | null {
  const provider = ctx.remoteFragments;
  if (provider === undefined) return null;
  const participants = provider.participants();
  if (participants.length === 0) return null;
  const remoteTables: RemoteTable[] = [];
  for (const t of tables) {
    const r = remoteTableOf(ctx.snapshot(t.tableId), t.tableId, t.columns.map(([c]) => c), t);
    if (r === null) return null;
    remoteTables.push(r);
  }
  // Taken after the statement's snapshot: a copy at this position holds every chunk the snapshot's stored groups name.
  const position = provider.position();
  const drivingId = fragment.driving.tableId;
  const base = fragmentBase(fragment, ctx);
  return {
    provider,
    participants,
    tables: remoteTables,
    request: (morsels) => ({
      ...base,
      tables: remoteTables.map((t) => (t.tableId === drivingId ? { ...t, deleted: deletedOf(t, morsels) } : t)),
      morsels,
      position,
      checkGenerations: provider.checkGenerations,
    }),
    recheck: () => recheckTables(remoteTables, ctx),
  };
}

/**
 * After remote nodes read `tables` for the statement: 40001 if one was rewritten meanwhile (its
 * snapshot no longer readable), as a local read would raise — asking one stored chunk key does it.
 */
export function recheckTables(tables: readonly RemoteTable[], ctx: ExecContext): void {
  for (const t of tables) {
    const g = t.rowCounts.findIndex((n) => n > 0);
    if (g >= 0 && t.columns.length > 0) ctx.snapshot(t.tableId).storedChunkKey?.(g, t.columns[0]);
  }
}

/**
 * A table as a remote node reads it: the snapshot's row counts and deletions (`sent`: as already
 * taken from it) and the store key of each chunk of `columns`; null when some chunk is not in the
 * store (the transaction's own rows).
 */
export function remoteTableOf(
  snap: TableSnapshot,
  tableId: number,
  columns: number[],
  sent: Pick<RemoteTable, 'rowCounts' | 'deleted'> = snapshotGroups(snap),
): RemoteTable | null {
  if (snap.storedChunkKey === undefined) return null;
  const keys: string[][] = [];
  for (const c of columns) {
    const perGroup: string[] = [];
    for (let g = 0; g < sent.rowCounts.length; g++) {
      const key = sent.rowCounts[g] === 0 ? '' : snap.storedChunkKey(g, c);
      if (key === null) return null;
      perGroup.push(key);
    }
    keys.push(perGroup);
  }
  return { tableId, def: snap.def, generation: snap.generation ?? 0, rowCounts: sent.rowCounts, deleted: sent.deleted, liveRowCount: snap.liveRowCount, columns, keys };
}

/** The driving table's deletion bitmaps of the groups the morsels read only (64 KiB each). */
function deletedOf(t: RemoteTable, morsels: Int32Array): (Uint8Array | null)[] {
  const out: (Uint8Array | null)[] = new Array(t.deleted.length).fill(null);
  for (let i = 0; i < morsels.length; i += 3) out[morsels[i]] = t.deleted[morsels[i]];
  return out;
}
