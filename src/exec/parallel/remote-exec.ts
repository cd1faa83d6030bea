// The remote side of a cluster fragment (remote-types.ts): runs the partial aggregate over the
// requested morsels, reading every chunk through `readColumn` (the cluster layer's fragment service
// reads them from the node's own copy of the store), with the row counts and deletions of the
// coordinator's snapshot. The same plan a local worker runs (worker.ts), on this node's main thread.
import { PlanNode } from '../../plan/plan';
import { TableSnapshot } from '../../storage/api';
import { Batch, Vector } from '../../types/vector';
import { executePlanWithStats } from '../execute';
import { MorselList, fragmentContext, sentSnapshot } from './fragment-context';
import { RemoteFragmentRequest, RemoteTable } from './remote-types';

/** A chunk the copy lacks: the coordinator must run the request itself (reply 'behind'). */
export class MissingChunkError extends Error {}

/** `read(table, k, group)`: the chunk of column table.columns[k], or null when the copy lacks it. */
export type RemoteChunkReader = (table: RemoteTable, k: number, group: number) => Vector | null;

function remoteSnapshot(t: RemoteTable, read: RemoteChunkReader): TableSnapshot {
  const slot = new Map<number, number>(t.columns.map((c, k) => [c, k]));
  const cache = new Map<number, Vector>();
  return sentSnapshot(t, (g, c) => {
    const k = slot.get(c);
    if (k === undefined) throw new Error(`remote fragment: column ${c} of ${t.def.name} was not requested`);
    const at = k * t.rowCounts.length + g;
    let v = cache.get(at);
    if (v === undefined) {
      const chunk = read(t, k, g);
      if (chunk === null) throw new MissingChunkError(`chunk of column ${c}, group ${g} of ${t.def.name} is not in this node's copy yet`);
      cache.set(at, (v = chunk));
    }
    return v;
  });
}

/** The tables of a request as snapshots over `read` (chunks decoded once per snapshot). */
export function remoteSnapshots(tables: readonly RemoteTable[], read: RemoteChunkReader): Map<number, TableSnapshot> {
  return new Map(tables.map((t) => [t.tableId, remoteSnapshot(t, read)]));
}

/** Runs the request's morsels in order; throws MissingChunkError when the copy lacks a chunk. */
export function runRemoteFragment(req: RemoteFragmentRequest, read: RemoteChunkReader): { batches: Batch[]; morsels: number; elapsedMs: number } {
  const started = performance.now();
  const tables = remoteSnapshots(req.tables, read);
  const source = new MorselList(req.morsels);
  const ctx = fragmentContext(req, tables, source, () => undefined, 'remote fragment');
  const { batches } = executePlanWithStats(req.plan as PlanNode, ctx);
  return { batches, morsels: source.claimed, elapsedMs: performance.now() - started };
}
