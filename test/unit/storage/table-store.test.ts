// Write transactions: invisible until commit, gone on abort, durable across reopen; primary keys.
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { openStore, liveRows, idNameColumns } from '../../helpers/storage-rows';
import { Types } from '../../../src/types/data-type';
import { vectorFromScalars } from '../../../src/types/vector-ops';

const open = openStore;
const rows = liveRows;
const columns = idNameColumns;

describe('table storage', function () {
  this.timeout(20000);
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-store-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('shows a transaction its own rows, others only after commit', async () => {
    const s = await open(null);
    const t1 = s.begin();
    const def = t1.createTable({ schema: 'public', name: 't', columns, primaryKey: [0], primaryKeyName: 't_pkey' });
    await t1.commit();
    const txn = s.begin();
    txn.append(def.id, [vectorFromScalars(Types.int4, [1, 2]), vectorFromScalars(Types.text, ['a', null])]);
    expect(txn.table(def.id).liveRowCount).to.equal(2);
    const before = s.snapshot(def.id);
    expect(before.liveRowCount).to.equal(0);
    await txn.commit();
    expect(before.liveRowCount).to.equal(0);
    expect(rows(s, def)).to.deep.equal([
      [1, 'a'],
      [2, null],
    ]);
    await s.close();
  });

  it('leaves nothing behind after abort', async () => {
    const s = await open(null);
    const t1 = s.begin();
    const def = t1.createTable({ schema: 'public', name: 't', columns, primaryKey: null, primaryKeyName: null });
    await t1.commit();
    const txn = s.begin();
    txn.append(def.id, [vectorFromScalars(Types.int4, [1]), vectorFromScalars(Types.text, ['a'])]);
    txn.abort();
    expect(rows(s, def)).to.deep.equal([]);
    await s.close();
  });

  it('persists rows, deletions and the catalog across close and reopen', async () => {
    let s = await open(dir);
    const t = s.begin();
    const def = t.createTable({ schema: 'public', name: 'kept', columns, primaryKey: [0], primaryKeyName: 'kept_pkey' });
    const ids = Array.from({ length: 70000 }, (_, i) => i);
    t.append(def.id, [vectorFromScalars(Types.int4, ids), vectorFromScalars(Types.text, ids.map((i) => `n${i % 7}`))]);
    await t.commit();
    const d = s.begin();
    d.delete(def.id, [0, 65536]);
    await d.commit();
    await s.close();
    s = await open(dir);
    const reopened = s.catalog().findTable('public', 'kept')!;
    expect(reopened.columns.map((c) => c.name)).to.deep.equal(['id', 'name']);
    const snap = s.snapshot(reopened.id);
    expect(snap.rowGroupCount).to.equal(2);
    expect(snap.liveRowCount).to.equal(69998);
    await s.close();
  });

  it('rejects duplicate primary keys within a batch and against committed rows, allows reuse after delete', async () => {
    const s = await open(null);
    const t = s.begin();
    const def = t.createTable({ schema: 'public', name: 'pk', columns, primaryKey: [0], primaryKeyName: 'pk_pkey' });
    t.append(def.id, [vectorFromScalars(Types.int4, [1, 2]), vectorFromScalars(Types.text, ['a', 'b'])]);
    await t.commit();
    const t2 = s.begin();
    expect(() => t2.append(def.id, [vectorFromScalars(Types.int4, [3, 3]), vectorFromScalars(Types.text, ['c', 'd'])])).to.throw(/duplicate key value violates unique constraint "pk_pkey"/);
    expect(() => t2.append(def.id, [vectorFromScalars(Types.int4, [2]), vectorFromScalars(Types.text, ['x'])])).to.throw(/Key|duplicate/);
    t2.delete(def.id, [1]);
    t2.append(def.id, [vectorFromScalars(Types.int4, [2]), vectorFromScalars(Types.text, ['again'])]);
    await t2.commit();
    expect(rows(s, def)).to.deep.equal([
      [1, 'a'],
      [2, 'again'],
    ]);
    await s.close();
  });

  it('creates no files for an in-memory database', async () => {
    const s = await open(null);
    const t = s.begin();
    t.createTable({ schema: 'public', name: 'm', columns, primaryKey: null, primaryKeyName: null });
    await t.commit();
    await s.close();
    expect(fs.readdirSync(dir)).to.deep.equal([]);
  });
});
