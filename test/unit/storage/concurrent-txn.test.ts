// Optimistic transactions in storage: concurrent transactions from one base are rebased at commit
// (inserts of both kept, deletions of the same row refused with 40001, one key taken by two refused
// with 23505, also inside one group commit), savepoint images restore exactly, compaction moves the
// rows a concurrent transaction deleted.
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { openStorage, Storage, TableDef } from '../../../src/storage';
import { BufferPool, makePolicy } from '../../../src/buffer/buffer-pool';
import { Types } from '../../../src/types/data-type';
import { Vector } from '../../../src/types/vector';
import { getScalar, vectorFromScalars } from '../../../src/types/vector-ops';

function open(dir: string | null): Promise<Storage> {
  return openStorage({ dir, synchronousCommit: true, cache: new BufferPool<Vector>(makePolicy('lirs', 1 << 24)) });
}

function ids(storage: Storage, def: TableDef): number[] {
  const snap = storage.snapshot(def.id);
  const out: number[] = [];
  for (let g = 0; g < snap.rowGroupCount; g++) {
    const col = snap.readColumn(g, 0);
    const del = snap.deleted(g);
    for (let i = 0; i < snap.rowCount(g); i++) if (del === null || del[i] === 0) out.push(getScalar(col, i) as number);
  }
  return out.sort((a, b) => a - b);
}

const row = (...keys: number[]): Vector[] => [vectorFromScalars(Types.int4, keys), vectorFromScalars(Types.text, keys.map((k) => `v${k}`))];

async function setup(s: Storage): Promise<TableDef> {
  const t = s.begin();
  const def = t.createTable({ schema: 'public', name: 't', columns: [{ name: 'id', type: Types.int4, notNull: true, defaultSql: null }, { name: 'v', type: Types.text, notNull: false, defaultSql: null }], primaryKey: [0], primaryKeyName: 't_pkey' });
  t.append(def.id, row(1, 2, 3));
  await t.commit();
  return def;
}

const codeOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code?: string }) => e.code ?? String(e));

describe('concurrent storage transactions', function () {
  this.timeout(20000);
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-occ-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps the inserts and deletions of both transactions on different rows', async () => {
    const s = await open(dir);
    const def = await setup(s);
    const a = s.begin();
    const b = s.begin();
    a.append(def.id, row(10));
    a.delete(def.id, [0]);
    b.append(def.id, row(20));
    b.delete(def.id, [1]);
    await Promise.all([a.commit(), b.commit()]);
    expect(ids(s, def)).to.deep.equal([3, 10, 20]);
    await s.close();
    const again = await open(dir);
    expect(ids(again, def)).to.deep.equal([3, 10, 20]);
    await again.close();
  });

  it('refuses the second deletion of one row (40001) and the second insert of one key (23505), also within one group commit', async () => {
    const s = await open(null);
    const def = await setup(s);
    const a = s.begin();
    const b = s.begin();
    a.delete(def.id, [2]);
    b.delete(def.id, [2]);
    const c = s.begin();
    const d = s.begin();
    c.append(def.id, row(7));
    d.append(def.id, row(7));
    const outcomes = await Promise.all([a, b, c, d].map((t) => codeOf(t.commit())));
    expect(outcomes).to.deep.equal(['ok', '40001', 'ok', '23505']);
    expect(ids(s, def)).to.deep.equal([1, 2, 7]);
  });

  it('restores a savepoint image exactly, as often as asked', async () => {
    const s = await open(null);
    const def = await setup(s);
    const t = s.begin();
    t.append(def.id, row(4));
    const sp = t.savepoint();
    t.delete(def.id, [0, 1]);
    t.append(def.id, row(5));
    t.rollbackTo(sp);
    t.append(def.id, row(6));
    t.rollbackTo(sp);
    expect(t.findKey(def.id, 't_pkey', row(6), 0)).to.equal(-1);
    expect(t.findKey(def.id, 't_pkey', row(1), 0)).to.equal(0);
    await t.commit();
    expect(ids(s, def)).to.deep.equal([1, 2, 3, 4]);
  });

  it('moves a concurrent deletion onto the compacted table', async () => {
    const s = await open(null);
    const def = await setup(s);
    for (let i = 0; i < 3; i++) {
      const u = s.begin();
      const snap = u.table(def.id);
      const live: number[] = [];
      for (let g = 0; g < snap.rowGroupCount; g++) for (let r = 0; r < snap.rowCount(g); r++) if (snap.deleted(g)?.[r] !== 1) live.push(g * 65536 + r);
      u.delete(def.id, live.slice(0, 2));
      u.append(def.id, row(100 + 2 * i, 101 + 2 * i));
      await u.commit();
    }
    const before = s.snapshot(def.id);
    const t = s.begin();
    // The last live row (its RowId changes in the compaction below).
    const view = t.table(def.id);
    let victim = -1;
    let victimId = -1;
    for (let r = 0; r < view.rowCount(0); r++)
      if (view.deleted(0)?.[r] !== 1) {
        victim = r;
        victimId = getScalar(view.readColumn(0, 0), r) as number;
      }
    expect(victim).to.be.greaterThan(before.liveRowCount - 1);
    t.delete(def.id, [victim]);
    const moved = await s.compact(def.id, 1, { ready: () => true, moved: () => undefined });
    expect(moved).to.not.equal(null);
    expect(s.snapshot(def.id).liveRowCount).to.equal(before.liveRowCount);
    await t.commit();
    expect(ids(s, def)).to.not.include(victimId);
    expect(ids(s, def)).to.have.length(before.liveRowCount - 1);
  });
});
