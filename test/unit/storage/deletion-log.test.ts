// A transaction rebasing onto group commits (and solo commits) that deleted rows of a group it
// deleted rows of too: the rows it sees, its deleted count and what it commits are those of the
// committed state with its own deletions added (see own-deletions.ts; this once tested the deletion
// log, which updated a private copy of the bitmap in place).
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Storage, TableDef } from '../../../src/storage';
import { openStore, idNameColumns, idRows, liveIds, rowIdOf } from '../../helpers/storage-rows';

const rows = idRows;

/**
 * A table of rows 0..n-1, then a group commit deleting row 0 (so the group has a committed bitmap
 * the log has seen).
 */
async function setup(s: Storage, n: number): Promise<TableDef> {
  const t0 = s.begin();
  const def = t0.createTable({ schema: 'public', name: 't', columns: idNameColumns, primaryKey: [0], primaryKeyName: 't_pkey' });
  t0.append(def.id, rows(...Array.from({ length: n }, (_, i) => i)));
  await t0.commit();
  const w = s.begin();
  w.delete(def.id, [rowIdOf(w, def, 0)]);
  await w.commit();
  return def;
}

describe('deletions across rebases onto group and solo commits', function () {
  this.timeout(30000);
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-dellog-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a rebase onto group commits that deleted rows of the same group keeps the transaction\'s deletions and adds theirs', async () => {
    const s = await openStore(dir);
    const def = await setup(s, 200);

    const a = s.begin();
    a.delete(def.id, [rowIdOf(a, def, 10)]);
    a.append(def.id, rows(1000));
    // Two others update rows of the same group and commit (group commits: the log records them).
    const b = s.begin();
    b.delete(def.id, [rowIdOf(b, def, 20)]);
    b.append(def.id, rows(2000));
    const c = s.begin();
    c.delete(def.id, [rowIdOf(c, def, 30), rowIdOf(c, def, 31)]);
    await Promise.all([b.commit(), c.commit()]);
    a.refresh();
    const snap = a.table(def.id);
    const expected = [...Array.from({ length: 200 }, (_, i) => i).filter((k) => ![0, 10, 20, 30, 31].includes(k)), 1000, 2000];
    expect(liveIds(snap)).to.deep.equal(expected);
    expect(snap.liveRowCount).to.equal(expected.length);
    await a.commit();
    expect(liveIds(s.snapshot(def.id))).to.deep.equal(expected);
    expect(s.snapshot(def.id).liveRowCount).to.equal(expected.length);
    await s.close();
    const again = await openStore(dir);
    expect(liveIds(again.snapshot(def.id))).to.deep.equal(expected);
    expect(again.snapshot(def.id).liveRowCount).to.equal(expected.length);
    await again.close();
  });

  it('the same across a solo commit (which the log does not see), leaving a bitmap a reader was given alone', async () => {
    const s = await openStore(dir);
    const def = await setup(s, 100);

    const a = s.begin();
    a.delete(def.id, [rowIdOf(a, def, 10)]);
    const mine = a.table(def.id).deleted(0);
    // ANALYZE makes a commit go alone (commitNow), which the log does not see.
    const b = s.begin();
    b.delete(def.id, [rowIdOf(b, def, 20)]);
    b.analyze(def.id);
    await b.commit();
    const c = s.begin();
    c.delete(def.id, [rowIdOf(c, def, 30)]);
    await c.commit();
    a.refresh();
    const snap = a.table(def.id);
    expect(mine![20]).to.equal(0); // the bitmap given before was left alone
    const expected = Array.from({ length: 100 }, (_, i) => i).filter((k) => ![0, 10, 20, 30].includes(k));
    expect(liveIds(snap)).to.deep.equal(expected);
    expect(snap.liveRowCount).to.equal(expected.length);
    await a.commit();
    expect(liveIds(s.snapshot(def.id))).to.deep.equal(expected);
    await s.close();
  });
});
