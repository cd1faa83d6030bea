// A READ COMMITTED statement's refresh moves the tables a transaction wrote onto the latest commit
// only when a statement first uses them (or at commit): the rows it then sees, the conflicts it
// then detects and what it commits are those of an eager move at the refresh.
import { expect } from 'chai';
import { Storage, TableDef, WriteTxn } from '../../../src/storage';
import { openStore, idNameColumns, idRows, liveIds, rowIdOf } from '../../helpers/storage-rows';
import { SqlError } from '../../../src/types/sql-error';

const rows = idRows;

const stale = (t: WriteTxn): Set<number> => (t as unknown as { stale: Set<number> }).stale;

async function twoTables(s: Storage): Promise<[TableDef, TableDef]> {
  const t = s.begin();
  const a = t.createTable({ schema: 'public', name: 'a', columns: idNameColumns, primaryKey: [0], primaryKeyName: 'a_pkey' });
  const b = t.createTable({ schema: 'public', name: 'b', columns: idNameColumns, primaryKey: [0], primaryKeyName: 'b_pkey' });
  t.append(a.id, rows(1, 2, 3, 4));
  t.append(b.id, rows(1, 2, 3, 4));
  await t.commit();
  return [a, b];
}

describe('lazy rebase of a transaction’s written tables', () => {
  it('replays a written table at its first use after a refresh, not at the refresh; commits the same rows', async () => {
    const s = await openStore(null);
    const [a, b] = await twoTables(s);
    const t = s.begin();
    t.delete(a.id, [rowIdOf(t, a, 2)]);
    t.append(a.id, rows(20));
    // Another transaction updates a and b and commits.
    const o = s.begin();
    o.delete(a.id, [rowIdOf(o, a, 3)]);
    o.append(a.id, rows(30));
    o.append(b.id, rows(40));
    await o.commit();
    t.refresh();
    expect([...stale(t)]).to.deep.equal([a.id]);
    // A statement on b alone: b was never written by t, a stays behind.
    t.append(b.id, rows(50));
    expect(liveIds(t.table(b.id))).to.deep.equal([1, 2, 3, 4, 40, 50]);
    expect([...stale(t)]).to.deep.equal([a.id]);
    // The first use of a brings it up to date: o's update and t's own.
    expect(liveIds(t.table(a.id))).to.deep.equal([1, 4, 20, 30]);
    expect(stale(t).size).to.equal(0);
    await t.commit();
    expect(liveIds(s.snapshot(a.id))).to.deep.equal([1, 4, 20, 30]);
    expect(liveIds(s.snapshot(b.id))).to.deep.equal([1, 2, 3, 4, 40, 50]);
    await s.close();
  });

  it('a commit replays the tables still behind, with their key checks', async () => {
    const s = await openStore(null);
    const [a, b] = await twoTables(s);
    const t = s.begin();
    t.append(a.id, rows(7));
    const o = s.begin();
    o.append(a.id, rows(7)); // the same key, committed first
    await o.commit();
    t.refresh();
    expect(stale(t).has(a.id)).to.equal(true);
    t.append(b.id, rows(8)); // b only: no error yet
    let err: unknown = null;
    try {
      await t.commit();
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(SqlError);
    expect((err as SqlError).code).to.equal('23505');
    expect(liveIds(s.snapshot(b.id))).to.deep.equal([1, 2, 3, 4]);
    await s.close();
  });

  it('a row this transaction deleted and another commit deleted too: 40001 at the first use of the table', async () => {
    const s = await openStore(null);
    const [a, b] = await twoTables(s);
    const t = s.begin();
    t.delete(a.id, [rowIdOf(t, a, 1)]);
    const o = s.begin();
    o.delete(a.id, [rowIdOf(o, a, 1)]);
    await o.commit();
    t.refresh(); // lazy: no error here
    t.append(b.id, rows(9));
    let err: unknown = null;
    try {
      t.table(a.id);
    } catch (e) {
      err = e;
    }
    expect((err as SqlError).code).to.equal('40001');
    t.abort();
    await s.close();
  });

  it('a savepoint taken while a table is behind rolls back to the same rows', async () => {
    const s = await openStore(null);
    const [a, b] = await twoTables(s);
    const t = s.begin();
    t.delete(a.id, [rowIdOf(t, a, 4)]);
    const o = s.begin();
    o.append(a.id, rows(60));
    await o.commit();
    t.refresh();
    const image = t.savepoint();
    t.append(b.id, rows(70));
    t.append(a.id, rows(80));
    t.rollbackTo(image);
    expect(liveIds(t.table(a.id))).to.deep.equal([1, 2, 3, 60]);
    expect(liveIds(t.table(b.id))).to.deep.equal([1, 2, 3, 4]);
    await t.commit();
    expect(liveIds(s.snapshot(a.id))).to.deep.equal([1, 2, 3, 60]);
    await s.close();
  });
});
