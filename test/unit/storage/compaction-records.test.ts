// A writer with an own-row view across a compaction reads and commits the right rows; the remap a
// compaction keeps for writers of the replaced generation (8 bytes per RowId) goes with the table.
import { expect } from 'chai';
import { Storage, TableDef } from '../../../src/storage';
import { deleteWhere, idValueColumns, idValueRows, openStore, range } from '../../helpers/storage-rows';
import { getScalar } from '../../../src/types/vector-ops';

const hooks = { ready: () => true, moved: () => undefined };

function live(snap: ReturnType<Storage['snapshot']>): [number, number][] {
  const out: [number, number][] = [];
  for (let g = 0; g < snap.rowGroupCount; g++) {
    const id = snap.readColumn(g, 0);
    const v = snap.readColumn(g, 1);
    const del = snap.deleted(g);
    for (let i = 0; i < snap.rowCount(g); i++) if (del === null || del[i] === 0) out.push([getScalar(id, i) as number, getScalar(v, i) as number]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

describe('compaction records and own rows across a switch', () => {
  let s: Storage;
  let def: TableDef;
  beforeEach(async () => {
    s = await openStore(null);
    const t = s.begin();
    def = t.createTable({ schema: 'public', name: 't', columns: idValueColumns, primaryKey: null, primaryKeyName: null } as unknown as Omit<TableDef, 'id'>);
    t.append(def.id, idValueRows(range(0, 1000), (i) => i * 10));
    await t.commit();
  });
  afterEach(() => s.close());

  it('a writer whose own-row view was leased before a compaction reads right after it', async () => {
    await deleteWhere(s, def, (id) => id < 600);
    const w = s.begin();
    w.append(def.id, idValueRows([5000], () => 1));
    expect(live(w.table(def.id)).length).to.equal(401);
    const done = await s.compact(def.id, 1, hooks);
    expect(done).to.not.equal(null);
    const other = s.begin();
    other.append(def.id, idValueRows([6000], () => 2));
    await other.commit();
    const seen = live(w.table(def.id));
    expect(seen).to.deep.equal([...range(600, 400).map((i) => [i, i * 10]), [5000, 1]]);
    await w.commit();
    expect(live(s.snapshot(def.id))).to.deep.equal([...range(600, 400).map((i) => [i, i * 10]), [5000, 1], [6000, 2]]);
  });

  it('forgets the remap of a compacted table once it is dropped', async () => {
    await deleteWhere(s, def, (id) => id < 600);
    const done = await s.compact(def.id, 1, hooks);
    await s.dropRetired(def.id, done!.version);
    const d = s.begin();
    d.dropTable(def.id);
    await d.commit();
    const records = (s as unknown as { compactions: { remaps: Map<number, unknown>; retired: Map<number, unknown> } }).compactions;
    expect(records.remaps.has(def.id)).to.equal(false);
  });
});
