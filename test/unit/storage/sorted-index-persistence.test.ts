// Sorted index entries are stored in LMDB: a reopened store loads them instead of scanning the table,
// ignores them once the table generation changed (TRUNCATE), and DROP INDEX removes them.
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { openStorage, Storage, TableDef } from '../../../src/storage';
import { TableStore } from '../../../src/storage/table-store';
import { BufferPool, makePolicy } from '../../../src/buffer/buffer-pool';
import { Types } from '../../../src/types/data-type';
import { Vector } from '../../../src/types/vector';
import { vectorFromScalars } from '../../../src/types/vector-ops';

function open(dir: string): Promise<Storage> {
  return openStorage({ dir, synchronousCommit: true, cache: new BufferPool<Vector>(makePolicy('lirs', 1 << 24)) });
}
const stats = (s: Storage) => ({ ...(s as TableStore).sortedIndexStats });
const lookup = (s: Storage, def: TableDef, low: number, high: number) =>
  Array.from(s.snapshot(def.id).indexLookup!(def.indexes![0].id, { low, lowInclusive: true, high, highInclusive: true }) ?? []);

describe('sorted index persistence', function () {
  this.timeout(20000);
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-ixs-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('builds entries at CREATE INDEX, loads them after reopening, rebuilds after TRUNCATE', async () => {
    let s = await open(dir);
    let t = s.begin();
    const created = t.createTable({ schema: 'public', name: 'v', columns: [{ name: 'x', type: Types.int4, notNull: false, defaultSql: null }], primaryKey: null, primaryKeyName: null });
    t.append(created.id, [vectorFromScalars(Types.int4, [5, 3, 9, 3, null, 7])]);
    await t.commit();
    t = s.begin();
    const def: TableDef = { ...created, indexes: [{ id: t.allocateOid(), name: 'v_x', columns: [0], unique: false }] };
    t.alterTable(created.id, def, null);
    await t.commit();
    expect(stats(s)).to.deep.equal({ built: 1, loaded: 0 });
    expect(lookup(s, def, 3, 5)).to.deep.equal([0, 1, 3]);
    await s.close();

    s = await open(dir);
    expect(lookup(s, def, 3, 5)).to.deep.equal([0, 1, 3]);
    expect(lookup(s, def, 9, 9)).to.deep.equal([2]);
    expect(stats(s)).to.deep.equal({ built: 0, loaded: 1 });
    t = s.begin();
    t.truncate(def.id);
    t.append(def.id, [vectorFromScalars(Types.int4, [4, 4])]);
    await t.commit();
    await s.close();

    s = await open(dir);
    // The stored entries were dropped with the old rows; the new ones are built over the new rows.
    expect(lookup(s, def, 4, 4)).to.deep.equal([0, 1]);
    expect(lookup(s, def, 3, 3)).to.deep.equal([]);
    expect(stats(s)).to.deep.equal({ built: 1, loaded: 0 });
    t = s.begin();
    t.alterTable(def.id, { ...def, indexes: [] }, null);
    await t.commit();
    await s.close();

    s = await open(dir);
    t = s.begin();
    t.alterTable(def.id, def, null);
    await t.commit();
    expect(stats(s)).to.deep.equal({ built: 1, loaded: 0 });
    await s.close();
  });
});
