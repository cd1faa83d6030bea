// Table samples for the learned optimizer: a few thousand rows of each table, drawn once from
// evenly spaced row groups and kept until the table's row count changes. A relation's pushed-down
// predicates are evaluated on its table's sample; the fraction kept is a selectivity that sees
// what the statistics cannot (LIKE patterns, correlated and contradictory predicates on one
// table), for tables and predicates the model never saw in training.
import { Expr } from '../plan/expr';
import { TableSnapshot } from '../storage/api';
import { Batch, Vector } from '../types/vector';
import { concatVectors, gatherVector } from '../types/vector-ops';
import { ExecContext } from '../exec/context';
import { countSelected } from '../exec/execute';
import { Rng } from './rng';

export const SAMPLE_ROWS = 4096;
/** Row groups a sample is drawn from (decoding every group of a large table would cost a scan). */
const SAMPLE_GROUPS = 16;

interface CachedSample {
  liveRows: number;
  groups: number;
  /** Every column of the table, for the sampled rows. */
  columns: Vector[];
  length: number;
}

export class TableSamples {
  private readonly cache = new Map<number, CachedSample>();

  /** The sample of the snapshot's table (drawn now when the cached one is stale). */
  sample(snap: TableSnapshot): CachedSample {
    const id = snap.def.id;
    const cached = this.cache.get(id);
    if (cached !== undefined && cached.liveRows === snap.liveRowCount && cached.groups === snap.rowGroupCount) return cached;
    let drawn: CachedSample;
    try {
      drawn = draw(snap);
    } catch {
      drawn = { liveRows: snap.liveRowCount, groups: snap.rowGroupCount, columns: [], length: 0 };
    }
    this.cache.set(id, drawn);
    return drawn;
  }

  /**
   * How many sample rows pass the conjunction of `predicates` over a scan's output columns (table
   * attribute numbers `columns`), the sample size, and the hits expected if the predicates were
   * independent; null when they cannot be evaluated here.
   */
  selectivity(snap: TableSnapshot, columns: readonly number[], predicates: readonly Expr[], ctx: ExecContext): { hits: number; n: number; expected: number } | null {
    const s = this.sample(snap);
    if (s.length === 0 || predicates.length === 0) return null;
    const batch: Batch = { length: s.length, columns: columns.map((c) => s.columns[c]) };
    try {
      const whole = predicates.length === 1 ? predicates[0] : ({ kind: 'and', args: [...predicates], type: predicates[0].type } as Expr);
      const hits = countSelected(whole, batch, ctx);
      // The hits if the predicates were independent: a correlation (or contradiction) hint.
      let expected = s.length;
      for (const p of predicates) expected *= predicates.length === 1 ? hits / s.length : countSelected(p, batch, ctx) / s.length;
      return { hits, n: s.length, expected };
    } catch {
      return null;
    }
  }
}

function draw(snap: TableSnapshot): CachedSample {
  const groups = snap.rowGroupCount;
  const width = snap.def.columns.length;
  const parts: Vector[][] = [];
  let length = 0;
  const rng = new Rng(snap.def.id + 1);
  const used = Math.min(groups, SAMPLE_GROUPS);
  const chosen = Array.from({ length: used }, (_, k) => Math.floor(((k + 0.5) * groups) / used));
  // Rows from each group in proportion to its size (a table's last group is often partial).
  const total = chosen.reduce((t, g) => t + snap.rowCount(g), 0);
  for (const g of chosen) {
    const rows = snap.rowCount(g);
    const deleted = snap.deleted(g);
    const want = Math.ceil((SAMPLE_ROWS * rows) / Math.max(1, total));
    const idx: number[] = [];
    if (rows <= want) {
      for (let r = 0; r < rows; r++) if (deleted === null || deleted[r] === 0) idx.push(r);
    } else {
      const seen = new Set<number>();
      for (let tries = 0; idx.length < want && tries < want * 4; tries++) {
        const r = Math.floor(rng.next() * rows);
        if (seen.has(r) || (deleted !== null && deleted[r] === 1)) continue;
        seen.add(r);
        idx.push(r);
      }
      idx.sort((a, b) => a - b);
    }
    if (idx.length === 0) continue;
    const cols: Vector[] = [];
    for (let c = 0; c < width; c++) cols.push(gatherVector(snap.readColumn(g, c), idx));
    parts.push(cols);
    length += idx.length;
  }
  const columns: Vector[] = [];
  if (parts.length === 0) return { liveRows: snap.liveRowCount, groups, columns, length: 0 };
  for (let c = 0; c < width; c++) columns.push(parts.length === 1 ? parts[0][c] : concatVectors(snap.def.columns[c].type, parts.map((p) => p[c])));
  return { liveRows: snap.liveRowCount, groups, columns, length };
}
