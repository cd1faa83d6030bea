// The deletion log (deletion-log.ts): a transaction rebasing onto group commits that deleted rows
// of a group it holds a private bitmap of sets those rows in its bitmap in place (no copy); when
// the log cannot tell (a solo commit in between, an unknown bitmap) it copies as before. Either
// way the rows it sees, its deleted count and what it commits are those of a fresh copy.
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DeletionLog } from '../../../src/storage/deletion-log';
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

describe('deletion log', function () {
  this.timeout(30000);
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-dellog-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('chains the changes of a group from one bitmap to a later one, and answers null across a change it did not see', () => {
    const log = new DeletionLog();
    const b0 = new Uint8Array(8);
    const b1 = new Uint8Array(8);
    const b2 = new Uint8Array(16);
    const b3 = new Uint8Array(16);
    const b4 = new Uint8Array(16);
    log.record(1, 0, b0, b1, [3]);
    log.record(1, 0, b1, b2, []); // grown, nothing deleted
    log.record(1, 0, b2, b3, [9, 12]);
    log.record(1, 1, b0, b4, [5]); // another group: its own chain
    expect(log.since(1, 0, b0, b3)).to.deep.equal([[9, 12], [], [3]]);
    expect(log.since(1, 0, b1, b3)).to.deep.equal([[9, 12], []]);
    expect(log.since(1, 0, b3, b3)).to.deep.equal([]);
    expect(log.since(1, 1, b0, b4)).to.deep.equal([[5]]);
    expect(log.since(1, 0, b0, b4)).to.equal(null); // b4 is not a bitmap of group 0
    // A change not recorded (b3 → b4 by a solo commit), then a recorded one: the chain is broken.
    const b5 = new Uint8Array(16);
    log.record(1, 0, b4, b5, [1]);
    expect(log.since(1, 0, b0, b5)).to.equal(null);
    expect(log.since(1, 0, b4, b5)).to.deep.equal([[1]]);
    log.forget(1);
    expect(log.since(1, 0, b4, b5)).to.equal(null);
  });

  it('a rebase onto group commits that deleted rows of the same group updates the private bitmap in place', async () => {
    const s = await openStore(dir);
    const def = await setup(s, 200);

    const a = s.begin();
    a.delete(def.id, [rowIdOf(a, def, 10)]);
    a.append(def.id, rows(1000));
    const mine = a.table(def.id).deleted(0);
    // Two others update rows of the same group and commit (group commits: the log records them).
    const b = s.begin();
    b.delete(def.id, [rowIdOf(b, def, 20)]);
    b.append(def.id, rows(2000));
    const c = s.begin();
    c.delete(def.id, [rowIdOf(c, def, 30), rowIdOf(c, def, 31)]);
    await Promise.all([b.commit(), c.commit()]);
    a.refresh();
    const snap = a.table(def.id);
    expect(snap.deleted(0)).to.equal(mine); // the same bitmap, brought up to date
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

  it('copies the bitmap when a solo commit changed the group in between', async () => {
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
    expect(snap.deleted(0)).to.not.equal(mine);
    expect(mine![20]).to.equal(0); // the old bitmap was left alone
    const expected = Array.from({ length: 100 }, (_, i) => i).filter((k) => ![0, 10, 20, 30].includes(k));
    expect(liveIds(snap)).to.deep.equal(expected);
    expect(snap.liveRowCount).to.equal(expected.length);
    await a.commit();
    expect(liveIds(s.snapshot(def.id))).to.deep.equal(expected);
    await s.close();
  });
});
