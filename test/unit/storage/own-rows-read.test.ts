// TableSnapshot.readRows: a transaction's point reads of a group it appended to (an UPDATE's new
// row version, then a SELECT of it) gather only the rows asked for, and give exactly what
// gathering from the whole column (readColumn) gives, whichever rows are asked.
import { expect } from 'chai';
import { ROW_GROUP_ROWS, Storage, TableDef, TableSnapshot } from '../../../src/storage';
import { openStore, idNameColumns, idRows } from '../../helpers/storage-rows';
import { Types } from '../../../src/types/data-type';
import { getScalar, gatherVector, vectorFromScalars } from '../../../src/types/vector-ops';

const pk = -1; // scannableIndexesOf numbers the primary key's index -1

function cells(snap: TableSnapshot, g: number, column: number, offsets: number[]): unknown[] {
  const v = snap.readRows!(g, column, Uint32Array.from(offsets));
  return offsets.map((_, i) => getScalar(v, i));
}

function expected(snap: TableSnapshot, g: number, column: number, offsets: number[]): unknown[] {
  const v = gatherVector(snap.readColumn(g, column), offsets);
  return offsets.map((_, i) => getScalar(v, i));
}

async function tableOf(s: Storage, n: number): Promise<TableDef> {
  const t = s.begin();
  const def = t.createTable({ schema: 'public', name: 'acc', columns: idNameColumns, primaryKey: [0], primaryKeyName: 'acc_pkey' });
  t.append(def.id, idRows(...Array.from({ length: n }, (_, i) => i + 1)));
  await t.commit();
  return def;
}

describe('reading a transaction’s own rows without assembling the group', () => {
  it('gives what readColumn gives: committed rows, own rows of one batch, both, and several batches', async () => {
    const s = await openStore(null);
    const def = await tableOf(s, 1000);
    const w = s.begin();
    // An UPDATE of key 7: its old version deleted, the new one appended after the committed rows.
    w.delete(def.id, [6]);
    w.append(def.id, [vectorFromScalars(Types.int4, [7]), vectorFromScalars(Types.text, ['new7'])]);
    const mine = w.table(def.id);
    expect(mine.ownRowsFrom!(0)).to.equal(1000);
    expect(cells(mine, 0, 1, [1000])).to.deep.equal(['new7']);
    expect(cells(mine, 0, 0, [3, 500, 999])).to.deep.equal([4, 501, 1000]);
    for (const offsets of [[1000], [0, 6, 999], [5, 1000], [0, 999, 1000]]) for (const c of [0, 1]) expect(cells(mine, 0, c, offsets)).to.deep.equal(expected(mine, 0, c, offsets));
    // The index finds the new version (and not the deleted old one).
    expect(Array.from(mine.indexLookup!(pk, { low: 7, lowInclusive: true, high: 7, highInclusive: true })!)).to.deep.equal([1000]);
    // A second batch in the same group: own rows of several batches read back as well.
    w.append(def.id, [vectorFromScalars(Types.int4, [2001, 2002]), vectorFromScalars(Types.text, [null, 'b'])]);
    const again = w.table(def.id);
    expect(cells(again, 0, 1, [1000, 1001, 1002])).to.deep.equal(['new7', null, 'b']);
    for (const offsets of [[1001], [1000, 1002], [10, 1001]]) for (const c of [0, 1]) expect(cells(again, 0, c, offsets)).to.deep.equal(expected(again, 0, c, offsets));
    expect(Array.from(again.indexLookup!(pk, { low: 2002, lowInclusive: true, high: 2002, highInclusive: true })!)).to.deep.equal([1002]);
    w.abort();
    // Committed snapshots read through the same method.
    const committed = s.snapshot(def.id);
    expect(cells(committed, 0, 1, [6])).to.deep.equal(['v7']);
    await s.close();
  });

  it('own rows in a group of their own and in a group past a full one', async () => {
    const s = await openStore(null);
    const def = await tableOf(s, ROW_GROUP_ROWS);
    const w = s.begin();
    w.append(def.id, idRows(ROW_GROUP_ROWS + 1, ROW_GROUP_ROWS + 2));
    const mine = w.table(def.id);
    expect(mine.rowGroupCount).to.equal(2);
    expect(cells(mine, 1, 0, [0, 1])).to.deep.equal([ROW_GROUP_ROWS + 1, ROW_GROUP_ROWS + 2]);
    expect(cells(mine, 0, 1, [ROW_GROUP_ROWS - 1])).to.deep.equal([`v${ROW_GROUP_ROWS}`]);
    expect(Array.from(mine.indexLookup!(pk, { low: ROW_GROUP_ROWS + 2, lowInclusive: true, high: ROW_GROUP_ROWS + 2, highInclusive: true })!)).to.deep.equal([ROW_GROUP_ROWS + 1]);
    w.abort();
    await s.close();
  });
});
