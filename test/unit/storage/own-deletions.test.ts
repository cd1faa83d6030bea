// A write transaction's deletions are kept apart from the row groups' committed bitmaps (see
// src/storage/own-deletions.ts): the committed bitmap is not copied when the transaction deletes a
// row, and a whole-group bitmap is made only for a reader that asks for one and at commit. Every
// reader must still see the transaction's deletions: scans (deleted(g)), point checks
// (rowDeleted), key lookups (findKey), index lookups (indexLookup), a rebase onto other commits,
// savepoint rollbacks, the commit and what a reopen reads back from disk.
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Storage, TableDef, TableSnapshot, WriteTxn, ROW_GROUP_ROWS } from '../../../src/storage';
import { OwnDeletions } from '../../../src/storage/own-deletions';
import { openStore, idNameColumns, idRows, liveIds, rowIdOf, range } from '../../helpers/storage-rows';

const rows = idRows;
const N = ROW_GROUP_ROWS + 300; // one full group and part of a second

async function setup(s: Storage, n = N): Promise<TableDef> {
  const t = s.begin();
  const def = t.createTable({ schema: 'public', name: 't', columns: idNameColumns, primaryKey: [0], primaryKeyName: 't_pkey' });
  t.append(def.id, rows(...range(0, n)));
  await t.commit();
  return def;
}

/** Ids an index lookup of [lo, hi] on the primary key's column finds in the snapshot. */
function indexed(snap: TableSnapshot, lo: number, hi: number): number[] {
  const ids = snap.indexLookup!(-1, { low: lo, lowInclusive: true, high: hi, highInclusive: true });
  expect(ids).to.not.equal(null);
  return [...ids!];
}

/** Every way a reader can ask whether `key` (at RowId `id`) is there, as the transaction sees it. */
function seen(t: WriteTxn, def: TableDef, key: number, id: number): { scan: boolean; point: boolean; findKey: boolean; index: boolean } {
  const snap = t.table(def.id);
  return {
    scan: liveIds(snap).includes(key),
    point: !snap.rowDeleted!(id),
    findKey: t.findKey(def.id, 't_pkey', rows(key), 0) === id,
    index: indexed(snap, key, key).includes(id),
  };
}
const present = { scan: true, point: true, findKey: true, index: true };
const absent = { scan: false, point: false, findKey: false, index: false };

type Groups = { tables: Map<number, { groups: { deleted: Uint8Array | null; since?: unknown }[] }> };
/** The deletions of group `g` in the transaction's own table state (what a commit publishes): bitmap and layer (see layered-deletions.ts). */
function stateBitmap(t: WriteTxn, def: TableDef, g: number): [Uint8Array | null, unknown] {
  const group = (t as unknown as { catalog: Groups }).catalog.tables.get(def.id)!.groups[g];
  return [group.deleted, group.since];
}
/** The same of the store's committed state. */
function committedBitmap(s: Storage, def: TableDef, g: number): [Uint8Array | null, unknown] {
  const group = (s as unknown as { current: Groups }).current.tables.get(def.id)!.groups[g];
  return [group.deleted, group.since];
}

describe('a transaction\'s own deletions beside the committed bitmaps', function () {
  this.timeout(60000);
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-own-del-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('does not copy the committed bitmap to delete a row, and every reader of the transaction sees the deletion', async () => {
    const s = await openStore(dir);
    const def = await setup(s);
    await (async () => {
      const w = s.begin(); // a committed deletion in group 0, so it has a bitmap
      w.delete(def.id, [rowIdOf(w, def, 1)]);
      await w.commit();
    })();
    const committed = s.snapshot(def.id).deleted(0);
    const committedState = committedBitmap(s, def, 0);
    const t = s.begin();
    const id = rowIdOf(t, def, 500);
    expect(seen(t, def, 500, id)).to.deep.equal(present);
    t.delete(def.id, [id]);
    // Not copied: the same bitmap and layer.
    expect(stateBitmap(t, def, 0)[0]).to.equal(committedState[0]);
    expect(stateBitmap(t, def, 0)[1]).to.equal(committedState[1]);
    expect(seen(t, def, 500, id)).to.deep.equal(absent);
    expect(t.table(def.id).liveRowCount).to.equal(N - 2);
    // Still not copied by the point readers; a scan's bitmap is made for it, the committed one untouched.
    expect(stateBitmap(t, def, 0)[0]).to.equal(committedState[0]);
    expect(stateBitmap(t, def, 0)[1]).to.equal(committedState[1]);
    expect(committed![id]).to.equal(0);
    expect(liveIds(s.snapshot(def.id))).to.include(500);
    await t.commit();
    const after = s.snapshot(def.id);
    expect(after.deleted(0)).to.not.equal(committed);
    expect(liveIds(after)).to.not.include(500);
    expect(liveIds(after)).to.have.length(N - 2);
    expect(after.liveRowCount).to.equal(N - 2);
    await s.close();
    const again = await openStore(dir);
    expect(liveIds(again.snapshot(def.id))).to.deep.equal(range(0, N).filter((k) => k !== 1 && k !== 500));
    expect(again.snapshot(def.id).liveRowCount).to.equal(N - 2);
    await again.close();
  });

  it('a bitmap a scan was given does not change when the transaction deletes more', async () => {
    const s = await openStore(null);
    const def = await setup(s);
    const t = s.begin();
    t.delete(def.id, [rowIdOf(t, def, 10)]);
    const first = t.table(def.id).deleted(0)!;
    expect(first[10]).to.equal(1);
    t.delete(def.id, [rowIdOf(t, def, 20)]);
    expect(first[20]).to.equal(0);
    const second = t.table(def.id).deleted(0)!;
    expect([second[10], second[20]]).to.deep.equal([1, 1]);
    expect(t.table(def.id).deleted(0)).to.equal(second); // made once per change
    await t.commit();
    expect(liveIds(s.snapshot(def.id))).to.deep.equal(range(0, N).filter((k) => k !== 10 && k !== 20));
    await s.close();
  });

  it('a rebase onto another commit keeps the transaction\'s deletions and adds the other\'s; a row both deleted is a conflict', async () => {
    const s = await openStore(dir);
    const def = await setup(s);
    const a = s.begin();
    const x = rowIdOf(a, def, 100);
    a.delete(def.id, [x, rowIdOf(a, def, ROW_GROUP_ROWS + 5)]);
    a.append(def.id, rows(-1));
    const b = s.begin();
    const y = rowIdOf(b, def, 200);
    b.delete(def.id, [y]);
    b.append(def.id, rows(-2));
    await b.commit();
    a.refresh();
    expect(seen(a, def, 100, x)).to.deep.equal(absent);
    expect(seen(a, def, 200, y)).to.deep.equal(absent);
    const expected = [-2, -1, ...range(0, N).filter((k) => ![100, 200, ROW_GROUP_ROWS + 5].includes(k))];
    expect(liveIds(a.table(def.id))).to.deep.equal(expected);
    expect(a.table(def.id).liveRowCount).to.equal(expected.length);
    await a.commit();
    expect(liveIds(s.snapshot(def.id))).to.deep.equal(expected);
    expect(s.snapshot(def.id).liveRowCount).to.equal(expected.length);
    // A third deletes a row a fourth deleted and committed first: its rebase fails.
    const c = s.begin();
    const d = s.begin();
    c.delete(def.id, [rowIdOf(c, def, 300)]);
    d.delete(def.id, [rowIdOf(d, def, 300)]);
    await d.commit();
    c.refresh(); // lazy: the replay comes with the table's next use
    expect(() => c.table(def.id)).to.throw(/could not serialize/);
    c.abort();
    await s.close();
    const again = await openStore(dir);
    expect(liveIds(again.snapshot(def.id))).to.deep.equal(expected.filter((k) => k !== 300));
    await again.close();
  });

  it('a savepoint rollback brings a deleted row back for every reader, and a commit after it deletes only what stayed deleted', async () => {
    const s = await openStore(dir);
    const def = await setup(s);
    const t = s.begin();
    const x = rowIdOf(t, def, 7);
    const y = rowIdOf(t, def, 8);
    t.delete(def.id, [x]);
    const sp = t.savepoint();
    t.delete(def.id, [y]);
    expect(seen(t, def, 8, y)).to.deep.equal(absent);
    t.rollbackTo(sp);
    expect(seen(t, def, 8, y)).to.deep.equal(present);
    expect(seen(t, def, 7, x)).to.deep.equal(absent);
    expect(t.table(def.id).liveRowCount).to.equal(N - 1);
    t.delete(def.id, [y]);
    t.rollbackTo(sp); // a second time
    expect(seen(t, def, 8, y)).to.deep.equal(present);
    await t.commit();
    expect(liveIds(s.snapshot(def.id))).to.deep.equal(range(0, N).filter((k) => k !== 7));
    await s.close();
    const again = await openStore(dir);
    expect(liveIds(again.snapshot(def.id))).to.deep.equal(range(0, N).filter((k) => k !== 7));
    await again.close();
  });

  it('many deletions in one group (a bitmap of its own) and a few in another commit and reopen right, across a rebase and a savepoint', async () => {
    const s = await openStore(dir);
    const def = await setup(s);
    const t = s.begin();
    const many = range(0, 3000).map((k) => k * 3); // past the sparse limit, all in group 0
    t.delete(def.id, many);
    const sp = t.savepoint();
    t.delete(def.id, [1, 4]);
    t.rollbackTo(sp);
    t.delete(def.id, [ROW_GROUP_ROWS + 1]);
    const other = s.begin();
    other.delete(def.id, [2]);
    await other.commit();
    t.refresh();
    const gone = new Set([...many, 2, ROW_GROUP_ROWS + 1]);
    const expected = range(0, N).filter((k) => !gone.has(k));
    expect(liveIds(t.table(def.id))).to.deep.equal(expected);
    expect(t.table(def.id).liveRowCount).to.equal(expected.length);
    expect(t.findKey(def.id, 't_pkey', rows(9), 0)).to.equal(-1);
    expect(t.findKey(def.id, 't_pkey', rows(4), 0)).to.equal(4);
    await t.commit();
    expect(liveIds(s.snapshot(def.id))).to.deep.equal(expected);
    await s.close();
    const again = await openStore(dir);
    expect(liveIds(again.snapshot(def.id))).to.deep.equal(expected);
    expect(again.snapshot(def.id).liveRowCount).to.equal(expected.length);
    await again.close();
  });

  it('an own row deleted, then the transaction rebased onto appends to the same group, leaves the others\' rows live', async () => {
    const s = await openStore(null);
    const def = await setup(s, 50);
    const a = s.begin();
    a.append(def.id, rows(1000, 1001));
    a.delete(def.id, [rowIdOf(a, def, 1000)]);
    const b = s.begin();
    b.append(def.id, rows(2000, 2001));
    await b.commit();
    a.refresh();
    expect(liveIds(a.table(def.id))).to.deep.equal([...range(0, 50), 1001, 2000, 2001]);
    expect(a.findKey(def.id, 't_pkey', rows(2000), 0)).to.be.at.least(0);
    expect(a.findKey(def.id, 't_pkey', rows(1000), 0)).to.equal(-1);
    await a.commit();
    expect(liveIds(s.snapshot(def.id))).to.deep.equal([...range(0, 50), 1001, 2000, 2001]);
    await s.close();
  });

  it('OwnDeletions: sets per group, a dense bitmap over the committed one, detached at commit', () => {
    const own = new OwnDeletions(ROW_GROUP_ROWS);
    const base = new Uint8Array(16);
    base[3] = 1;
    expect(own.empty).to.equal(true);
    expect(own.dense(0, base, 10)).to.equal(undefined);
    expect(own.add(0, 5)).to.equal(1);
    expect(own.add(0, 9)).to.equal(2);
    expect([own.has(0, 5), own.has(0, 3), own.has(1, 5)]).to.deep.equal([true, false, false]);
    const d = own.dense(0, base, 10)!;
    expect(d.length).to.be.at.least(10);
    expect([...d.subarray(0, 10)]).to.deep.equal([0, 0, 0, 1, 0, 1, 0, 0, 0, 1]);
    expect(base[5]).to.equal(0);
    expect(own.dense(0, base, 10)).to.equal(d);
    expect(own.dense(0, base, d.length + 1)).to.not.equal(d); // more rows than it holds: made again
    const copy = own.clone();
    own.add(0, 7);
    expect(copy.has(0, 7)).to.equal(false);
    const kept = own.detach(0, base, 10, true)!;
    expect([kept[3], kept[5], kept[7], kept[9]]).to.deep.equal([1, 1, 1, 1]);
    expect(own.empty).to.equal(true);
  });
});
