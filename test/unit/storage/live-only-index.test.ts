// Sorted index entries of a table that is mostly dead row versions (a small table updated over and
// over) are built over its live rows only, and serve only snapshots that see the deletions they
// left out: an older snapshot gets null (its caller scans) instead of missing a row it still sees.
import { expect } from 'chai';
import { Storage, TableDef, ROW_GROUP_ROWS } from '../../../src/storage';
import { TableStore } from '../../../src/storage/table-store';
import { openStore, idNameColumns, rowIdOf } from '../../helpers/storage-rows';
import { Types } from '../../../src/types/data-type';
import { Vector } from '../../../src/types/vector';
import { getScalar, vectorFromScalars } from '../../../src/types/vector-ops';

const rows = (keys: number[], names: string[]): Vector[] => [vectorFromScalars(Types.int4, keys), vectorFromScalars(Types.text, names)];
const pk = -1; // scannableIndexesOf numbers the primary key's index -1

/** The names of the rows a lookup of `key` returns (the candidates' names, as the caller would read them). */
function namesAt(snap: ReturnType<Storage['snapshot']>, ids: Float64Array): string[] {
  return Array.from(ids, (id) => getScalar(snap.readColumn(Math.floor(id / ROW_GROUP_ROWS), 1), id % ROW_GROUP_ROWS) as string);
}

async function update(s: Storage, def: TableDef, key: number, name: string): Promise<void> {
  const u = s.begin();
  u.delete(def.id, [rowIdOf(u, def, key)]);
  u.append(def.id, rows([key], [name]));
  await u.commit();
}

describe('live-only sorted index entries', () => {
  it('serve snapshots as recent as their build, and give older snapshots null instead of missing rows', async () => {
    const s = await openStore(null);
    const t = s.begin();
    const def = t.createTable({ schema: 'public', name: 'hot', columns: idNameColumns, primaryKey: [0], primaryKeyName: 'hot_pkey' });
    t.append(def.id, rows([1, 2, 3], ['a0', 'b0', 'c0']));
    await t.commit();
    for (let i = 1; i <= 20; i++) await update(s, def, 1, `a${i}`);
    const old = s.snapshot(def.id); // sees a20
    await update(s, def, 1, 'a21');
    await update(s, def, 2, 'b1');
    // The first lookup builds the entries (mostly dead versions: live rows only).
    const now = s.snapshot(def.id);
    const ids = now.indexLookup!(pk, { low: 1, lowInclusive: true, high: 1, highInclusive: true })!;
    expect(namesAt(now, ids)).to.deep.equal(['a21']);
    expect(namesAt(now, now.indexLookup!(pk, { low: 1, lowInclusive: true, high: 3, highInclusive: true })!)).to.deep.equal(['c0', 'a21', 'b1']);
    expect((s as TableStore).sortedIndexStats.built).to.equal(1);
    // The older snapshot still sees a20 and b0, which the entries left out: it must scan.
    expect(old.indexLookup!(pk, { low: 1, lowInclusive: true, high: 1, highInclusive: true })).to.equal(null);
    // A transaction's own view of the latest commit uses them, own new rows included.
    const w = s.begin();
    w.delete(def.id, [rowIdOf(w, def, 3)]);
    w.append(def.id, rows([3], ['c1']));
    const mine = w.table(def.id);
    expect(namesAt(mine, mine.indexLookup!(pk, { low: 3, lowInclusive: true, high: 3, highInclusive: true })!)).to.deep.equal(['c1']);
    w.abort();
    // Later commits are found through the rows appended since the build.
    await update(s, def, 1, 'a22');
    const later = s.snapshot(def.id);
    expect(namesAt(later, later.indexLookup!(pk, { low: 1, lowInclusive: true, high: 1, highInclusive: true })!)).to.deep.equal(['a22']);
    await s.close();
  });

  it('a table with few dead rows gets entries of every row, serving old snapshots too', async () => {
    const s = await openStore(null);
    const t = s.begin();
    const def = t.createTable({ schema: 'public', name: 'cold', columns: idNameColumns, primaryKey: [0], primaryKeyName: 'cold_pkey' });
    t.append(def.id, rows([1, 2, 3, 4, 5, 6], ['a0', 'b0', 'c0', 'd0', 'e0', 'f0']));
    await t.commit();
    const old = s.snapshot(def.id);
    await update(s, def, 1, 'a1');
    const now = s.snapshot(def.id);
    expect(namesAt(now, now.indexLookup!(pk, { low: 1, lowInclusive: true, high: 1, highInclusive: true })!)).to.deep.equal(['a1']);
    expect(namesAt(old, old.indexLookup!(pk, { low: 1, lowInclusive: true, high: 1, highInclusive: true })!)).to.deep.equal(['a0']);
    await s.close();
  });
});
