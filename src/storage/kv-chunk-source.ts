// Reading a table's chunks straight from a key-value store that holds a copy of the leader's (a
// cluster follower's replica, which runs no engine): the chunk under the key the leader's snapshot
// named (TableSnapshot.storedChunkKey), continued by the group's delta entries, cut to the
// snapshot's row count. Rows of a group are only ever appended (an UPDATE appends a new version;
// deletions live in bitmaps the reader gets from the leader's snapshot), so a newer copy's chunk
// begins with the same rows; a copy that lacks some of the snapshot's rows (behind, or a commit
// published before its write was issued) is detected by its length: null, and the caller leaves the
// work to the leader.
import { TableDef } from './api';
import { decodeChunk } from './chunk-codec';
import { isChunkMarker } from './chunk-marker';
import { withDeltas } from './delta-rows';
import { KvReader } from './kv-store';
import { Vector } from '../types/vector';
import { sliceVector, vectorFromScalars } from '../types/vector-ops';

/** Column `column` of `group` (its first `rowCount` rows) from the chunk stored under `key`; null when the store lacks some of them. */
export function readStoredColumn(kv: KvReader, def: TableDef, column: number, group: number, key: string, rowCount: number): Vector | null {
  const type = def.columns[column].type;
  if (rowCount === 0) return vectorFromScalars(type, []);
  const bytes = kv.get(key);
  // A cluster follower's marker for a chunk whose bytes the placement keeps on other nodes.
  if (bytes === undefined || isChunkMarker(bytes)) return null;
  let v = decodeChunk(bytes, type);
  if (v.length < rowCount) v = withDeltas(kv, def.id, group, column, type, v);
  if (v.length < rowCount) return null;
  return v.length === rowCount ? v : sliceVector(v, 0, rowCount);
}
