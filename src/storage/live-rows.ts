// A table snapshot's live rows, row group by row group, every column read (deleted rows dropped):
// for whole-table rewrites (ALTER TABLE, compaction) that need full rows, not a scan.
import { Vector } from '../types/vector';
import { gatherVector } from '../types/vector-ops';
import { TableSnapshot } from './api';

export function* liveRowGroups(snap: TableSnapshot, columnCount: number): Generator<{ columns: Vector[]; length: number }> {
  for (let g = 0; g < snap.rowGroupCount; g++) {
    const n = snap.rowCount(g);
    const deleted = snap.deleted(g);
    let columns: Vector[] = [];
    for (let c = 0; c < columnCount; c++) columns.push(snap.readColumn(g, c));
    let live = n;
    if (deleted !== null) {
      const idx: number[] = [];
      for (let i = 0; i < n; i++) if (deleted[i] === 0) idx.push(i);
      columns = columns.map((v) => gatherVector(v, idx));
      live = idx.length;
    }
    if (live > 0) yield { columns, length: live };
  }
}
