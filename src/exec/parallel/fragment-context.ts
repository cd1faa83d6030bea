// The execution context a fragment's partial plan runs in, away from the statement's session: on a
// parallel worker (worker.ts) or on another cluster node (remote-exec.ts). Tables are the ones sent
// (or read through the sent metadata); the driving scan takes its rows from `source`.
import { ExecContext, MorselSource } from '../context';
import { ParallelFragment } from './fragment';
import { FragmentBase, drivingNode } from './messages';
import { TableSnapshot } from '../../storage/api';
import { Vector } from '../../types/vector';
import { PlanNode } from '../../plan/plan';

/** The fields of a fragment's task that come from the fragment and the statement's context. */
export function fragmentBase(fragment: Pick<ParallelFragment, 'partial' | 'path'>, ctx: ExecContext): FragmentBase {
  return {
    plan: fragment.partial,
    path: fragment.path,
    params: ctx.params,
    format: ctx.format,
    statementStartMicros: ctx.statementStartMicros,
    transactionStartMicros: ctx.transactionStartMicros,
  };
}

/**
 * The context `task`'s plan runs in: tables from `tables`, the scan `driving` (by default the one at
 * the task's path; null: none) taking its rows from `source`. morselsFor is always set, so the
 * plan's scans and join builds never start parallel workers of their own.
 */
export function fragmentContext(
  task: FragmentBase,
  tables: Map<number, TableSnapshot>,
  source: MorselSource,
  checkCancel: () => void,
  who: string,
  driving: PlanNode | null = drivingNode(task.plan, task.path),
): ExecContext {
  return {
    params: task.params,
    snapshot: (id) => {
      const s = tables.get(id);
      if (s === undefined) throw new Error(`${who}: table ${id} was not sent`);
      return s;
    },
    format: task.format,
    statementStartMicros: task.statementStartMicros,
    transactionStartMicros: task.transactionStartMicros,
    checkCancel,
    morselsFor: (node) => (node === driving ? source : undefined),
  };
}

/** The morsels of `m`, (group, start, end) triples, claimed in order; `claimed`: how many were. */
export class MorselList implements MorselSource {
  claimed = 0;

  constructor(private readonly m: Int32Array) {}

  claim(): { group: number; start: number; end: number } | null {
    const i = this.claimed;
    if (i * 3 >= this.m.length) return null;
    this.claimed++;
    return { group: this.m[i * 3], start: this.m[i * 3 + 1], end: this.m[i * 3 + 2] };
  }
}

/** The snapshot's row count and deletion bitmap of each row group, as a fragment's runner receives them (sentSnapshot). */
export function snapshotGroups(snap: TableSnapshot): { rowCounts: number[]; deleted: (Uint8Array | null)[] } {
  const rowCounts: number[] = [];
  const deleted: (Uint8Array | null)[] = [];
  for (let g = 0; g < snap.rowGroupCount; g++) {
    rowCounts.push(snap.rowCount(g));
    deleted.push(snap.deleted(g));
  }
  return { rowCounts, deleted };
}

/** A table as a fragment's runner sees it: the snapshot's row counts and deletions as sent, chunks from `readColumn`. */
export function sentSnapshot(t: { def: TableSnapshot['def']; rowCounts: number[]; deleted: (Uint8Array | null)[]; liveRowCount: number }, readColumn: (group: number, column: number) => Vector): TableSnapshot {
  return {
    def: t.def,
    rowGroupCount: t.rowCounts.length,
    rowCount: (g) => t.rowCounts[g],
    deleted: (g) => t.deleted[g],
    readColumn,
    liveRowCount: t.liveRowCount,
    statistics: () => null,
  };
}
