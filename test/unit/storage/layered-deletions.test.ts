// A group's committed deletions are published in layers (src/storage/layered-deletions.ts): the
// bitmap plus a short sorted list of offsets deleted since, folded into a new bitmap only now and
// then, so a commit that deletes one row of a full group does not copy 64 KiB. Every reader of
// committed deletions must see the layer: scans (deleted(g)), point checks (rowDeleted), key
// checks (findKey), index lookups, rebases, compaction, and a reopen from disk.
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Storage, TableDef, WriteTxn, ROW_GROUP_ROWS } from '../../../src/storage';
import { DeletedSince, FOLD_AFTER, deletedAt, denseDeleted, newlyDeletedIn, withDeleted } from '../../../src/storage/layered-deletions';
import { openStore, idNameColumns, idRows, liveIds, rowIdOf, range } from '../../helpers/storage-rows';

const rows = idRows;
const N = ROW_GROUP_ROWS + 300; // one full group and part of a second

async function setup(s: Storage): Promise<TableDef> {
  const t = s.begin();
  const def = t.createTable({ schema: 'public', name: 't', columns: idNameColumns, primaryKey: [0], primaryKeyName: 't_pkey' });
  t.append(def.id, rows(...range(0, N)));
  await t.commit();
  return def;
}

type Group = { deleted: Uint8Array | null; since?: DeletedSince; rowCount: number };
/** Group `g` of the table in the store's committed state. */
function committedGroup(s: Storage, def: TableDef, g: number): Group {
  return (s as unknown as { current: { tables: Map<number, { groups: Group[] }> } }).current.tables.get(def.id)!.groups[g];
}

/** Every way a reader of a new transaction can ask whether `key` is there (its RowId in group 0 is the key: rows were loaded in order). */
function seen(s: Storage, def: TableDef, key: number): { scan: boolean; point: boolean; findKey: boolean; index: boolean; snapshotPoint: boolean } {
  const t: WriteTxn = s.begin();
  const snap = t.table(def.id);
  const ids = snap.indexLookup!(-1, { low: key, lowInclusive: true, high: key, highInclusive: true });
  const out = {
    scan: liveIds(snap).includes(key),
    point: !snap.rowDeleted!(key),
    findKey: t.findKey(def.id, 't_pkey', rows(key), 0) === key,
    index: ids !== null && [...ids].includes(key),
    snapshotPoint: !s.snapshot(def.id).rowDeleted!(key),
  };
  t.abort();
  return out;
}
const present = { scan: true, point: true, findKey: true, index: true, snapshotPoint: true };
const absent = { scan: false, point: false, findKey: false, index: false, snapshotPoint: false };

async function deleteKeys(s: Storage, def: TableDef, keys: number[]): Promise<void> {
  const t = s.begin();
  t.delete(def.id, keys.map((k) => rowIdOf(t, def, k)));
  await t.commit();
}

describe('layered committed deletions', function () {
  this.timeout(60000);
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-layered-del-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('withDeleted merges offsets into a sorted list over the bitmap, skips ones deleted, and folds past its limit', () => {
    const base = new Uint8Array(100);
    base[5] = 1;
    const g0 = { rowCount: 100, deleted: base };
    const a = withDeleted(g0, [40, 5, 7, 40]);
    expect(a.deleted).to.equal(base); // not copied
    expect([...a.since!.offsets]).to.deep.equal([7, 40]);
    const g1 = { rowCount: 100, ...a };
    const b = withDeleted(g1, [3, 50, 7]);
    expect([...b.since!.offsets]).to.deep.equal([3, 7, 40, 50]);
    expect([...a.since!.offsets]).to.deep.equal([7, 40]); // the older version unchanged
    const g2 = { rowCount: 100, ...b };
    for (const off of [3, 5, 7, 40, 50]) expect(deletedAt(g2, off), `${off}`).to.equal(true);
    for (const off of [0, 4, 6, 41, 99, 200]) expect(deletedAt(g2, off), `${off}`).to.equal(false);
    const dense = denseDeleted(g2)!;
    expect(denseDeleted(g2)).to.equal(dense); // made once
    expect([...dense.keys()].filter((i) => dense[i] === 1)).to.deep.equal([3, 5, 7, 40, 50]);
    expect(base[3]).to.equal(0);
    expect(withDeleted(g2, [5, 7]).since).to.equal(g2.since); // nothing new: the same layer
    // Found among candidates: only what `now` deleted beyond `before`.
    expect(newlyDeletedIn(g1, g2, [[50, 7, 5], [3, 3, 9]])).to.deep.equal([3, 50]);
    expect(newlyDeletedIn(undefined, g2, [[50, 1]])).to.deep.equal([50]);
    // Past FOLD_AFTER offsets (in a full group) the list becomes a new bitmap; in a small group past fewer.
    expect(withDeleted({ rowCount: 1000, deleted: null }, range(0, 8)).since!.size).to.equal(8);
    expect(withDeleted({ rowCount: 1000, deleted: null }, range(0, 9)).since).to.equal(undefined);
    const big = { rowCount: ROW_GROUP_ROWS, deleted: null };
    const c = withDeleted(big, range(0, FOLD_AFTER));
    expect(c.deleted).to.equal(null);
    expect(c.since!.size).to.equal(FOLD_AFTER);
    const d = withDeleted({ rowCount: ROW_GROUP_ROWS, ...c }, [60000]);
    expect(d.since).to.equal(undefined);
    expect(d.deleted![60000]).to.equal(1);
    expect(d.deleted!.slice(0, FOLD_AFTER + 1).reduce((x, y) => x + y, 0)).to.equal(FOLD_AFTER);
  });

  it('single-row commits in a full group share one bitmap under a layer; every reader sees each deletion; old snapshots keep theirs; a reopen reads them all', async () => {
    let s = await openStore(dir);
    const def = await setup(s);
    await deleteKeys(s, def, [1]);
    const base = committedGroup(s, def, 0).deleted;
    const before = s.snapshot(def.id);
    const deleted = [1];
    // 20 commits, some in one group commit together: the bitmap is not copied, the layer grows.
    for (let i = 0; i < 20; i += 4) {
      const keys = [100 + i, 200 + i, 300 + i, 400 + i];
      await Promise.all(keys.map((k) => deleteKeys(s, def, [k])));
      deleted.push(...keys);
      const g = committedGroup(s, def, 0);
      expect(g.deleted).to.equal(base);
      expect(g.since).to.not.equal(undefined);
    }
    for (const k of deleted) expect(seen(s, def, k), `${k}`).to.deep.equal(absent);
    for (const k of [0, 2, 101, 420, ROW_GROUP_ROWS - 1]) expect(seen(s, def, k), `${k}`).to.deep.equal(present);
    expect(liveIds(before)).to.include(100);
    expect(before.rowDeleted!(100)).to.equal(false);
    expect(s.snapshot(def.id).liveRowCount).to.equal(N - deleted.length);
    // A transaction that began before them rebases onto them: it sees them, and one it deleted too is a conflict.
    const late = s.begin();
    const mine = rowIdOf(late, def, 5000);
    const clash = s.begin();
    clash.delete(def.id, [rowIdOf(clash, def, 6000)]);
    await deleteKeys(s, def, [6000, 7000]);
    deleted.push(6000, 7000);
    late.delete(def.id, [mine]);
    late.refresh();
    expect(liveIds(late.table(def.id))).to.not.include(7000);
    await late.commit();
    deleted.push(5000);
    clash.refresh();
    expect(() => clash.table(def.id)).to.throw(/could not serialize/);
    clash.abort();
    const expected = range(0, N).filter((k) => !deleted.includes(k));
    expect(liveIds(s.snapshot(def.id))).to.deep.equal(expected);
    await s.close();
    s = await openStore(dir);
    expect(liveIds(s.snapshot(def.id))).to.deep.equal(expected);
    expect(s.snapshot(def.id).liveRowCount).to.equal(expected.length);
    for (const k of [1, 116, 5000, 7000]) expect(seen(s, def, k), `${k}`).to.deep.equal(absent);
    await s.close();
  });

  it('hundreds of single-row commits fold the layer (when the bitmap is written whole) and stay right, also after a reopen', async () => {
    let s = await openStore(dir);
    const def = await setup(s);
    const deleted: number[] = [];
    const bases = new Set<Uint8Array | null>();
    for (let i = 0; i < 300; i++) {
      const k = 3 * i + 11;
      await deleteKeys(s, def, [k]);
      deleted.push(k);
      bases.add(committedGroup(s, def, 0).deleted);
    }
    // Whole bitmaps only every few hundred commits (each a fold), not one per commit.
    expect(bases.size).to.be.within(2, 4);
    for (const k of [11, 14, 3 * 150 + 11, 3 * 299 + 11]) expect(seen(s, def, k), `${k}`).to.deep.equal(absent);
    for (const k of [12, 13, 3 * 299 + 12]) expect(seen(s, def, k), `${k}`).to.deep.equal(present);
    const expected = range(0, N).filter((k) => !deleted.includes(k));
    expect(liveIds(s.snapshot(def.id))).to.deep.equal(expected);
    await s.close();
    s = await openStore(dir);
    expect(liveIds(s.snapshot(def.id))).to.deep.equal(expected);
    await s.close();
  });

  it('one commit deleting more than FOLD_AFTER rows of a group folds at once; later layers over it read right', async () => {
    const s = await openStore(null);
    const def = await setup(s);
    const many = range(1000, FOLD_AFTER + 100);
    await deleteKeys(s, def, many);
    expect(committedGroup(s, def, 0).since).to.equal(undefined);
    await deleteKeys(s, def, [5]);
    expect(committedGroup(s, def, 0).since!.size).to.equal(1);
    expect(seen(s, def, 5)).to.deep.equal(absent);
    expect(seen(s, def, 1000 + FOLD_AFTER)).to.deep.equal(absent);
    expect(seen(s, def, 999)).to.deep.equal(present);
    expect(liveIds(s.snapshot(def.id))).to.deep.equal(range(0, N).filter((k) => k !== 5 && !(k >= 1000 && k < 1000 + FOLD_AFTER + 100)));
    await s.close();
  });

  it('rows appended to a group with a layer (the layer kept) read right in the transaction and after commit', async () => {
    const s = await openStore(dir);
    const def = await setup(s);
    const tail = ROW_GROUP_ROWS + 7; // group 1 has 300 rows
    await deleteKeys(s, def, [tail, 5]);
    await deleteKeys(s, def, [tail + 1]);
    expect(committedGroup(s, def, 1).since).to.not.equal(undefined);
    const t = s.begin();
    t.append(def.id, rows(-1, -2));
    const own = liveIds(t.table(def.id));
    expect(own).to.include.members([-1, -2]);
    expect(own).to.not.include.members([tail, tail + 1, 5]);
    t.delete(def.id, [rowIdOf(t, def, -1)]);
    await t.commit();
    const expected = [-2, ...range(0, N).filter((k) => ![5, tail, tail + 1].includes(k))];
    expect(liveIds(s.snapshot(def.id))).to.deep.equal(expected);
    expect(seen(s, def, tail)).to.deep.equal(absent);
    await s.close();
    const again = await openStore(dir);
    expect(liveIds(again.snapshot(def.id))).to.deep.equal(expected);
    await again.close();
  });

  it('compaction copies only the rows live under the layer', async () => {
    const s = await openStore(dir);
    const def = await setup(s);
    // Half the rows go (compaction's threshold) in one bulk commit (RowIds are the keys here), then a few in layers.
    const bulk = s.begin();
    bulk.delete(def.id, range(30000, N - 30000));
    await bulk.commit();
    const gone = [...range(30000, N - 30000), 3, 70, 900, 20000];
    for (const k of [3, 70, 900, 20000]) await deleteKeys(s, def, [k]);
    expect(committedGroup(s, def, 0).since).to.not.equal(undefined);
    const done = await s.compact(def.id, 1, { ready: () => true, moved: () => undefined });
    expect(done).to.not.equal(null);
    const expected = range(0, N).filter((k) => !gone.includes(k));
    expect(liveIds(s.snapshot(def.id))).to.deep.equal(expected);
    expect(s.snapshot(def.id).liveRowCount).to.equal(expected.length);
    const t = s.begin();
    expect(t.findKey(def.id, 't_pkey', rows(70), 0)).to.equal(-1);
    expect(t.findKey(def.id, 't_pkey', rows(71), 0)).to.be.at.least(0);
    t.abort();
    await s.close();
  });
});
