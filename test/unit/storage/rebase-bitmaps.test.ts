// Deletion bitmaps across rebases and group commits: a transaction that rebases (a READ COMMITTED
// statement, or its commit) onto other commits keeps its deletions (see own-deletions.ts) and sees
// theirs; one that deleted its own appended rows must not mark those offsets after the rebase,
// because then they hold other transactions' rows. The deletion entries
// a group commit writes (from the offsets its transactions deleted) give the same rows after reopen.
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Storage, TableDef, WriteTxn, ROW_GROUP_ROWS } from '../../../src/storage';
import { openStore, idNameColumns, idRows, rowIdOf } from '../../helpers/storage-rows';
import { getScalar } from '../../../src/types/vector-ops';
import { deletionEntry } from '../../../src/storage/delta-rows';

const rows = idRows;

/** Live ids as a snapshot shows them (sorted), and the deleted count the snapshot's groups claim. */
function live(snap: ReturnType<Storage['snapshot']>): { ids: number[]; liveCount: number } {
  const ids: number[] = [];
  for (let g = 0; g < snap.rowGroupCount; g++) {
    const col = snap.readColumn(g, 0);
    const del = snap.deleted(g);
    for (let i = 0; i < snap.rowCount(g); i++) if (del === null || del[i] === 0) ids.push(getScalar(col, i) as number);
  }
  return { ids: ids.sort((a, b) => a - b), liveCount: snap.liveRowCount };
}

async function setup(s: Storage, n: number): Promise<TableDef> {
  const t = s.begin();
  const def = t.createTable({ schema: 'public', name: 't', columns: idNameColumns, primaryKey: [0], primaryKeyName: 't_pkey' });
  t.append(def.id, rows(...Array.from({ length: n }, (_, i) => i)));
  await t.commit();
  return def;
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const without = (all: number[], gone: Set<number>) => all.filter((k) => !gone.has(k));

describe('deletion bitmaps across rebases', function () {
  this.timeout(30000);
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-rebase-bm-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a transaction that deleted its own new row rebases onto others appending to the group without deleting their rows', async () => {
    const s = await openStore(dir);
    const def = await setup(s, 100);
    const a = s.begin();
    a.delete(def.id, [rowIdOf(a, def, 5)]);
    a.append(def.id, rows(1000, 1001));
    a.delete(def.id, [rowIdOf(a, def, 1000)]); // an own row, at offset 100 of group 0
    const b = s.begin();
    b.append(def.id, rows(2000, 2001, 2002)); // takes offsets 100.. once committed
    await b.commit();
    a.refresh();
    const seen = live(a.table(def.id));
    expect(seen.ids).to.deep.equal([...without(range(0, 100), new Set([5])), 1001, 2000, 2001, 2002]);
    expect(seen.liveCount).to.equal(seen.ids.length);
    await a.commit();
    const expected = [...without(range(0, 100), new Set([5])), 1001, 2000, 2001, 2002];
    expect(live(s.snapshot(def.id)).ids).to.deep.equal(expected);
    await s.close();
    const again = await openStore(dir);
    expect(live(again.snapshot(def.id))).to.deep.equal({ ids: expected, liveCount: expected.length });
    await again.close();
  });

  it('keeps its deletions in a group others did not touch and in one they deleted from, and counts deleted rows right', async () => {
    const s = await openStore(dir);
    const def = await setup(s, ROW_GROUP_ROWS + 500); // two groups
    const a = s.begin();
    a.delete(def.id, [rowIdOf(a, def, 10), rowIdOf(a, def, ROW_GROUP_ROWS + 10)]);
    // Another commit deletes in group 1 only and appends to it.
    const b = s.begin();
    b.delete(def.id, [rowIdOf(b, def, ROW_GROUP_ROWS + 20)]);
    b.append(def.id, rows(-1, -2));
    await b.commit();
    a.refresh();
    const snap = a.table(def.id);
    expect(snap.deleted(0)![10]).to.equal(1);
    expect(snap.deleted(1)![10]).to.equal(1);
    expect(snap.deleted(1)![20]).to.equal(1);
    const expected = [-2, -1, ...without(range(0, ROW_GROUP_ROWS + 500), new Set([10, ROW_GROUP_ROWS + 10, ROW_GROUP_ROWS + 20]))];
    expect(live(snap)).to.deep.equal({ ids: expected, liveCount: expected.length });
    // The committed state did not see a's deletions.
    expect(live(s.snapshot(def.id)).ids).to.include(10);
    await a.commit();
    expect(live(s.snapshot(def.id))).to.deep.equal({ ids: expected, liveCount: expected.length });
    await s.close();
    const again = await openStore(dir);
    expect(live(again.snapshot(def.id))).to.deep.equal({ ids: expected, liveCount: expected.length });
    await again.close();
  });

  it('random concurrent updates with statement rebases and group commits equal a model, also after reopen', async () => {
    const s = await openStore(dir);
    const n = 3000;
    const def = await setup(s, n);
    const model = new Set(range(0, n));
    let seed = 7;
    const rand = (k: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % k;
    };
    let nextKey = 100000;
    for (let round = 0; round < 30; round++) {
      // Each transaction of the round "updates" rows of its own residue class (no two touch one row).
      const txns: { txn: WriteTxn; deleted: number[]; added: number[] }[] = [];
      const clients = 4;
      for (let c = 0; c < clients; c++) txns.push({ txn: s.begin(), deleted: [], added: [] });
      for (let step = 0; step < 4; step++) {
        for (let c = step > 1 ? 1 : 0; c < clients; c++) {
          const t = txns[c];
          t.txn.refresh();
          const candidates = [...model].filter((k) => k % clients === c && !t.deleted.includes(k));
          const key = candidates[rand(candidates.length)];
          t.txn.delete(def.id, [rowIdOf(t.txn, def, key)]);
          t.deleted.push(key);
          const fresh = nextKey++;
          t.txn.append(def.id, rows(fresh));
          t.added.push(fresh);
          if (rand(3) === 0) {
            // Update its own new row again (an own-row deletion).
            t.txn.delete(def.id, [rowIdOf(t.txn, def, fresh)]);
            t.added.pop();
            const again = nextKey++;
            t.txn.append(def.id, rows(again));
            t.added.push(again);
          }
        }
        // One transaction commits between the others' statements; the rest commit together.
        if (step === 1) await txns[0].txn.commit();
      }
      await Promise.all(txns.slice(1).map((t) => t.txn.commit()));
      for (const t of txns) {
        for (const k of t.deleted) model.delete(k);
        for (const k of t.added) model.add(k);
      }
      const now = live(s.snapshot(def.id));
      expect(now.ids).to.deep.equal([...model].sort((a, b) => a - b));
      expect(now.liveCount).to.equal(model.size);
    }
    await s.close();
    const again = await openStore(dir);
    expect(live(again.snapshot(def.id)).ids).to.deep.equal([...model].sort((a, b) => a - b));
    await again.close();
  });

  it('deletionEntry: the offsets newly set, ascending and once, from candidates that repeat and include old ones', () => {
    const before = new Uint8Array(10);
    before[2] = 1;
    const now = new Uint8Array(16);
    now[2] = 1;
    now[7] = 1;
    now[12] = 1;
    const entry = deletionEntry(before, now, [[12, 2], [7, 12]]);
    expect([...new Uint16Array(new Uint8Array(entry!).buffer)]).to.deep.equal([7, 12]);
    expect(deletionEntry(before, now, [[2]])).to.equal(null);
    expect([...new Uint16Array(new Uint8Array(deletionEntry(null, now, [[2]])!).buffer)]).to.deep.equal([2]);
  });
});
