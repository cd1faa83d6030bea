// Garbage collection of dead row versions by compaction, while the table keeps being written.
//
// A compaction copies the live rows of a table as committed at one moment (T0) into new row groups
// placed apart from every group the table has rows in (a new "region" of group numbers, so new
// chunk, delta, deletion and statistics keys never collide with the old ones), off the commit path and without
// stopping anyone. Then, in one short exclusive turn of the commit queue, it moves onto the table
// as committed now (Tn): rows deleted since T0 are deleted in the copy, rows appended since T0 are
// appended to it, and the new table state (the next generation, the groups below the new region
// left as empty placeholders) is written with the catalog in one LMDB write.
//
// After the switch:
// - open transactions that wrote the table move their writes onto the new RowIds at their next
//   rebase (through `remaps`: old RowId → new RowId, -1 for rows that were already dead), and row
//   locks follow their rows (the caller's `moved`);
// - statements still running and REPEATABLE READ / SERIALIZABLE snapshots taken before the switch
//   keep reading the previous generation's groups (`retired`), whose chunk and delta keys stay
//   until the caller drops them once no such reader remains (dropRetired). A table has at most
//   one retired generation: the next compaction waits for it to be dropped.
// - the buffer pool's entries of the old groups stay valid (their group numbers are not reused).
//
// The new region starts after the table's last group, or at group 0 when the previous compaction
// left enough empty groups there (compactionStart): the rows alternate between two regions. Appends
// to the compacted table that reach the retired generation's groups before it was dropped take them
// over: its readers then fail with 40001 (revokeReachedRetired in table-store.ts). The empty groups
// below a region cost a placeholder each and no storage.
import { KvStore } from './kv-store';

/** A row group's committed state (mirrors table-store.ts's GroupState: only what compaction reads). */
export interface RetiredGroup {
  rowCount: number;
  chunkRows?: number;
  spill?: string;
}

/** The generation a compaction replaced, still readable by snapshots taken before it. */
export interface RetiredGeneration {
  generation: number;
  groups: RetiredGroup[];
  /** The commit version that published the compaction. */
  version: number;
  /** Its first group with rows: the compacted table's appends must not reach it (see revokeReachedRetired in table-store.ts). */
  firstGroup: number;
}

/** Groups of free room left between the table's last group and a compaction's new region. */
export const COMPACTION_SLACK_GROUPS = 2;

export class CompactionRecords {
  /** Per table: where the RowIds of generation `from` went (for transactions that wrote it before). */
  readonly remaps = new Map<number, { from: number; ids: Float64Array }>();
  readonly retired = new Map<number, RetiredGeneration>();

  remapFrom(tableId: number, generation: number): Float64Array | null {
    const r = this.remaps.get(tableId);
    return r !== undefined && r.from === generation ? r.ids : null;
  }

  /** Whether a snapshot of `generation` may still read the table whose current generation is `current`. */
  readable(tableId: number, generation: number, current: number): boolean {
    const r = this.retired.get(tableId);
    return r !== undefined && r.generation === generation && current === generation + 1;
  }

  /** Whether `generation` was compacted away and its groups are no longer kept (its readers fail with 40001). */
  gone(tableId: number, generation: number, current: number): boolean {
    return current === generation + 1 && this.remaps.get(tableId)?.from === generation && this.retired.get(tableId)?.generation !== generation;
  }

  /**
   * The stored state of group `group` for a read: the current group, or — when the current
   * generation has no rows there — the retired generation's group (the two never both have rows).
   */
  groupFor<G extends RetiredGroup>(tableId: number, group: number, current: G | undefined): G | RetiredGroup | undefined {
    if (current !== undefined && current.rowCount > 0) return current;
    if (this.retired.size === 0) return current;
    return this.retired.get(tableId)?.groups[group] ?? current;
  }

  forget(tableId: number): void {
    this.remaps.delete(tableId);
    this.retired.delete(tableId);
  }
}

/** The first group that has rows (the groups' count when none has). */
export function firstRowGroup(groups: readonly { rowCount: number }[]): number {
  for (let g = 0; g < groups.length; g++) if (groups[g].rowCount > 0) return g;
  return groups.length;
}

/**
 * Where a compaction's new region starts: at group 0 when the `needed` groups (one more for rows
 * appended meanwhile) and the free slack fit below the table's first group with rows (the empty
 * groups a previous compaction left), else after its last group and the slack (room for the groups
 * appends add meanwhile) — and high enough that the next compaction fits below it. So a table's
 * rows alternate between two regions and its group numbers stay bounded.
 */
export function compactionStart(groups: readonly { rowCount: number }[], needed: number): number {
  const room = needed + 1 + COMPACTION_SLACK_GROUPS;
  return room <= firstRowGroup(groups) ? 0 : Math.max(groups.length + COMPACTION_SLACK_GROUPS, room);
}

/** Parses the group number out of a per-group key ('<kind>/<table>/…'); `at`: its position among the '/' parts. */
function groupOf(key: string, at: number): number {
  return Number(key.split('/')[at]);
}

/**
 * Keys of groups that have no rows: left by a compaction interrupted before its switch, or by the
 * drop of a retired generation that a crash cut short. Deleted when the store opens.
 */
export function leftoverGroupKeys(kv: KvStore, tables: { id: number; rowCounts: number[] }[]): [string, null][] {
  const out: [string, null][] = [];
  for (const { id, rowCounts } of tables) {
    const empty = (g: number) => !(g < rowCounts.length && rowCounts[g] > 0);
    for (const k of kv.keysWithPrefix(`c/${id}/`)) if (empty(groupOf(k, 3))) out.push([k, null]);
    for (const kind of ['a', 'st', 'd', 'dd']) for (const k of kv.keysWithPrefix(`${kind}/${id}/`)) if (empty(groupOf(k, 2))) out.push([k, null]);
  }
  return out;
}

/** Keys a retired generation still had for its readers: its chunks (own or spilled) and delta entries. */
export function retiredKeys(kv: KvStore, tableId: number, columns: number, retired: RetiredGeneration, spillPrefix: (ref: string) => string): [string, null][] {
  const out: [string, null][] = [];
  retired.groups.forEach((g, gi) => {
    if (g.rowCount === 0) return;
    if (g.spill !== undefined) for (const k of kv.keysWithPrefix(spillPrefix(g.spill))) out.push([k, null]);
    for (let c = 0; c < columns; c++) out.push([`c/${tableId}/${c}/${gi}`, null]);
    for (const k of kv.keysWithPrefix(`a/${tableId}/${gi}/`)) out.push([k, null]);
  });
  return out;
}
