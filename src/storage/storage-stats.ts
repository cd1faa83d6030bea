// Bytes on disk per table column, from the stored chunks' headers: which encodings the chunks use,
// their plain (uncompressed) size and their stored size. Chunks are not decoded.
import { ColumnStorageStats, TableDef } from './api';
import { chunkInfo } from './chunk-codec';

/** `deltaRows`: rows stored in delta entries rather than chunks (see delta-rows.ts), counted as stored rows. */
export function columnStorageStats(tables: { def: TableDef; groups: number; deltaRows?: number }[], chunk: (tableId: number, column: number, group: number) => Buffer | undefined): ColumnStorageStats[] {
  const out: ColumnStorageStats[] = [];
  for (const { def, groups, deltaRows } of tables) {
    def.columns.forEach((col, c) => {
      const encodings = new Map<string, number>();
      let rows = deltaRows ?? 0;
      let raw = 0;
      let stored = 0;
      let chunks = 0;
      for (let g = 0; g < groups; g++) {
        const buf = chunk(def.id, c, g);
        if (buf === undefined) continue;
        const info = chunkInfo(buf);
        chunks++;
        rows += info.rows;
        raw += info.uncompressedBytes;
        stored += buf.length;
        encodings.set(info.encoding, (encodings.get(info.encoding) ?? 0) + 1);
      }
      const used = [...encodings].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
      out.push({
        schema: def.schema,
        table: def.name,
        column: col.name,
        encodings: used.length === 1 ? used[0][0] : used.map(([e, k]) => `${e} (${k})`).join(', '),
        chunks,
        rows,
        uncompressedBytes: raw,
        storedBytes: stored,
      });
    });
  }
  return out;
}
