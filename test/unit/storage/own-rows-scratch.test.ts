// A transaction's view of a group it appended to is built in a scratch the store lends until the
// transaction ends: concurrent transactions each see the committed rows of their base then their
// own rows, a scratch reused after a commit brings in only the rows committed since, and rows a
// transaction appends from its own view (INSERT … SELECT) stay right after other transactions
// reuse the scratch.
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Storage, TableDef, WriteTxn, ROW_GROUP_ROWS } from '../../../src/storage';
import { idValueColumns, idValueRows, openStore, range } from '../../helpers/storage-rows';
import { getScalar } from '../../../src/types/vector-ops';
import { Vector } from '../../../src/types/vector';


/** (id, v) of every row of group 0 as the transaction (or the committed state) sees it, deleted ones left out. */
function seen(snap: ReturnType<Storage['snapshot']>): [number, number][] {
  const id = snap.readColumn(0, 0);
  const v = snap.readColumn(0, 1);
  const del = snap.deleted(0);
  const out: [number, number][] = [];
  for (let i = 0; i < snap.rowCount(0); i++) if (del === null || del[i] === 0) out.push([getScalar(id, i) as number, getScalar(v, i) as number]);
  return out;
}

describe('own rows scratch', () => {
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

  it('gives concurrent transactions their own rows after their base, reuses scratches after commits, and keeps appended copies intact', async () => {
    const committed = range(0, 1000).map((i) => [i, i * 10] as [number, number]);
    const open: { t: WriteTxn; own: [number, number][]; base: [number, number][] }[] = [];
    let next = 5000;
    for (let round = 0; round < 30; round++) {
      // A few transactions append and read their view while others are open.
      const t = s.begin();
      const ids = range(next, 1 + (round % 3));
      next += 10;
      t.append(def.id, idValueRows(ids, (i) => -i));
      const own = ids.map((i) => [i, -i] as [number, number]);
      expect(seen(t.table(def.id))).to.deep.equal([...committed, ...own]);
      open.push({ t, own, base: committed.slice() });
      if (round % 4 === 3) {
        // INSERT … SELECT of its own rows: the appended vectors are views of the transaction's own view.
        const view = t.table(def.id);
        const n = view.rowCount(0);
        const idCol = view.readColumn(0, 0) as Extract<Vector, { kind: 'int32' }>;
        const vCol = view.readColumn(0, 1) as Extract<Vector, { kind: 'int64' | 'float64' | 'timestamp' }>;
        const tail: Vector[] = [
          { ...idCol, length: own.length, values: idCol.values.subarray(n - own.length, n) },
          { ...vCol, length: own.length, values: vCol.values.subarray(n - own.length, n) },
        ];
        t.append(def.id, tail);
        open[open.length - 1].own.push(...own);
      }
      if (round % 2 === 1) {
        const done = open.shift()!;
        // Still its own view, though others appended to their scratches meanwhile.
        expect(seen(done.t.table(def.id))).to.deep.equal([...done.base, ...done.own]);
        await done.t.commit();
        committed.push(...done.own);
        expect(seen(s.snapshot(def.id))).to.deep.equal(committed);
      }
      if (round % 5 === 4) {
        const gone = open.shift()!;
        gone.t.abort();
      }
    }
    for (const o of open) {
      o.t.refresh();
      expect(seen(o.t.table(def.id))).to.deep.equal([...committed, ...o.own]);
      await o.t.commit();
      committed.push(...o.own);
    }
    expect(seen(s.snapshot(def.id))).to.deep.equal(committed);
    expect(s.snapshot(def.id).rowCount(0)).to.be.below(ROW_GROUP_ROWS);
  });

  it('commits rows appended from its own view right when another transaction reuses the scratch before the commit is written', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-scratch-'));
    const d = await openStore(dir);
    try {
      const setup = d.begin();
      const t = setup.createTable({ schema: 'public', name: 't', columns: idValueColumns, primaryKey: null, primaryKeyName: null } as unknown as Omit<TableDef, 'id'>);
      setup.append(t.id, idValueRows(range(0, 100), (i) => i));
      await setup.commit();
      const x = d.begin();
      x.append(t.id, idValueRows([500], () => 500));
      const a = d.begin();
      a.append(t.id, idValueRows([600], () => 600));
      const view = a.table(t.id);
      const idCol = view.readColumn(0, 0) as Extract<Vector, { kind: 'int32' }>;
      const vCol = view.readColumn(0, 1) as Extract<Vector, { kind: 'int64' | 'float64' | 'timestamp' }>;
      // INSERT INTO t SELECT id + 0, v FROM t WHERE id = 600: the row's vectors are views of a's own view.
      a.append(t.id, [
        { ...idCol, length: 1, values: idCol.values.subarray(100, 101) },
        { ...vCol, length: 1, values: vCol.values.subarray(100, 101) },
      ]);
      const px = x.commit(); // written first (fsync): a's commit waits behind it in the queue
      let pa!: Promise<void>;
      await new Promise<void>((decided) => (pa = a.commit({ decided })));
      // Meanwhile another transaction reads its own view (the scratch a gave back). x and a are
      // decided (visible, their write not yet durable: see write-pipeline.ts), so b's view has
      // their rows before its own.
      const b = d.begin();
      b.append(t.id, idValueRows([700, 701], () => 700));
      expect(seen(b.table(t.id)).slice(100)).to.deep.equal([[500, 500], [600, 600], [600, 600], [700, 700], [701, 700]]);
      await Promise.all([px, pa]);
      b.abort();
      const ids = seen(d.snapshot(t.id)).slice(100);
      expect(ids).to.deep.equal([[500, 500], [600, 600], [600, 600]]);
    } finally {
      await d.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
