// The compact unique-key index: typed-array hash slots, candidates checked on the real values.
import { expect } from 'chai';
import { openStorage, ROW_GROUP_ROWS, Storage, TableDef } from '../../../src/storage';
import { BufferPool, makePolicy } from '../../../src/buffer/buffer-pool';
import { KeyHashIndex } from '../../../src/storage/primary-key-index';
import { cellsEqual, hashKeyRow, hashKeys } from '../../../src/storage/key-hash';
import { SqlError } from '../../../src/types/sql-error';
import { Types, dataType } from '../../../src/types/data-type';
import { Vector } from '../../../src/types/vector';
import { getScalar, vectorFromScalars } from '../../../src/types/vector-ops';
import { decimal } from '../../../src/types/numeric';

function open(): Promise<Storage> {
  return openStorage({ dir: null, synchronousCommit: true, cache: new BufferPool<Vector>(makePolicy('lirs', 1 << 24)) });
}

function errorOf(fn: () => void): SqlError {
  try {
    fn();
  } catch (err) {
    return err as SqlError;
  }
  throw new Error('expected an error');
}

describe('unique-key hash index', () => {
  it('folds a large index into a small one with every entry findable, sized once for both', () => {
    const added = new KeyHashIndex(50000);
    const keys = Array.from({ length: 50000 }, (_, i) => i + 1);
    const { hashes } = hashKeys([vectorFromScalars(Types.int4, keys)], [0], keys.length);
    for (let i = 0; i < keys.length; i++) added.add(hashes[i], i);
    const committed = new KeyHashIndex();
    committed.add(12345, 99999);
    committed.addAll(added);
    expect(committed.size).to.equal(50001);
    // Grown once to the final size: at most half the slots used, as add() keeps it.
    expect(committed.bytes()).to.equal(new KeyHashIndex(50001).bytes());
    for (let i = 0; i < keys.length; i += 997) {
      const rows: number[] = [];
      for (let s = committed.probe(hashes[i], -1); s !== -1; s = committed.probe(hashes[i], s)) rows.push(committed.rowAt(s));
      expect(rows).to.include(i);
    }
  });

  it('keeps every entry of equal hashes and finds each by probing', () => {
    const idx = new KeyHashIndex();
    for (let i = 0; i < 1000; i++) idx.add(i % 3 === 0 ? 42 : i * 7919, i);
    const found: number[] = [];
    for (let s = idx.probe(42, -1); s !== -1; s = idx.probe(42, s)) found.push(idx.rowAt(s));
    expect(found.sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 334 }, (_, k) => k * 3));
    expect(idx.size).to.equal(1000);
  });

  it('withoutDead copies the entries of live rows only, equal hashes included', () => {
    const idx = new KeyHashIndex();
    for (let i = 0; i < 300; i++) idx.add(i % 2 === 0 ? 42 : i * 7919, i);
    const clean = idx.withoutDead((rowId) => rowId % 3 === 0);
    const found: number[] = [];
    for (let s = clean.probe(42, -1); s !== -1; s = clean.probe(42, s)) found.push(clean.rowAt(s));
    expect(found.sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 150 }, (_, k) => k * 2).filter((r) => r % 3 !== 0));
    expect(clean.size).to.equal(200);
    expect(clean.dead).to.equal(0);
    expect(clean.probe(7919, -1)).to.not.equal(-1); // row 1
    expect(clean.probe(3 * 7919, -1)).to.equal(-1); // row 3 was dead
    expect(idx.size).to.equal(300); // the original is left as it was
  });

  it('a row updated many times keeps its key enforced while the index sheds its dead versions', async () => {
    const s = await open();
    const t = s.begin();
    const def: TableDef = t.createTable({
      schema: 'public',
      name: 'hot',
      columns: [
        { name: 'id', type: Types.int4, notNull: true, defaultSql: null },
        { name: 'n', type: Types.int4, notNull: true, defaultSql: null },
      ],
      primaryKey: [0],
      primaryKeyName: 'hot_pkey',
    });
    const row = (id: number, n: number) => [vectorFromScalars(Types.int4, [id]), vectorFromScalars(Types.int4, [n])];
    t.append(def.id, [vectorFromScalars(Types.int4, [1, 2]), vectorFromScalars(Types.int4, [0, 0])]);
    await t.commit();
    const store = s as unknown as { pkIndex(id: number, key: { name: string; columns: number[] }): KeyHashIndex };
    const sizes: number[] = [];
    for (let i = 1; i <= 300; i++) {
      // An UPDATE of row 1: delete its live version, append the new one (two at once: a group commit).
      const u = s.begin();
      u.delete(def.id, [u.findKey(def.id, 'hot_pkey', row(1, 0), 0)]);
      u.append(def.id, row(1, i));
      await u.commit();
      sizes.push(store.pkIndex(def.id, { name: 'hot_pkey', columns: [0] }).size);
    }
    // Cleaned every few dozen updates: never the 302 entries of every version.
    expect(Math.max(...sizes)).to.be.lessThan(100);
    const v = s.begin();
    expect(errorOf(() => v.append(def.id, row(1, -1))).code).to.equal('23505');
    expect(errorOf(() => v.append(def.id, row(2, -1))).code).to.equal('23505');
    v.append(def.id, row(3, -1));
    const live = v.findKey(def.id, 'hot_pkey', row(1, 0), 0);
    const snap = v.table(def.id);
    const g = Math.floor(live / 65536);
    expect(getScalar(snap.readColumn(g, 1), live - g * 65536)).to.equal(300);
    v.abort();
  });

  it('hashes equal values alike across vectors: numeric scales, -0, composite keys', () => {
    const a = vectorFromScalars(dataType('numeric', -1), [decimal(10n, 1), decimal(5n, 0)]);
    const b = vectorFromScalars(dataType('numeric', -1), [decimal(100n, 2), decimal(50000n, 4)]);
    expect(hashKeyRow([a], [0], 0)).to.equal(hashKeyRow([b], [0], 0));
    expect(cellsEqual(a, 0, b, 0)).to.equal(true);
    expect(cellsEqual(a, 1, b, 1)).to.equal(true);
    expect(cellsEqual(a, 0, b, 1)).to.equal(false);
    const x = vectorFromScalars(Types.float8, [0, 1.5]);
    const y = vectorFromScalars(Types.float8, [-0, 1.5]);
    expect(hashKeyRow([x], [0], 0)).to.equal(hashKeyRow([y], [0], 0));
    const cols = [vectorFromScalars(Types.int4, [1, 2, 1]), vectorFromScalars(Types.text, ['a', 'a', null])];
    const bulk = hashKeys(cols, [0, 1], 3);
    expect(bulk.hashes[0]).to.equal(hashKeyRow(cols, [0, 1], 0));
    expect(bulk.hashes[1]).to.equal(hashKeyRow(cols, [0, 1], 1));
    expect(bulk.hashes[0]).to.not.equal(bulk.hashes[1]);
    expect(bulk.nulls![2]).to.equal(1);
    expect(hashKeyRow(cols, [0, 1], 2)).to.equal(-1);
  });

  it('enforces composite text/date/bigint keys across commits, deletes and statements with PostgreSQL details', async () => {
    const s = await open();
    const t = s.begin();
    const def: TableDef = t.createTable({
      schema: 'public',
      name: 'k',
      columns: [
        { name: 'a', type: Types.int8, notNull: true, defaultSql: null },
        { name: 'b', type: Types.text, notNull: true, defaultSql: null },
        { name: 'd', type: Types.date, notNull: true, defaultSql: null },
      ],
      primaryKey: [0, 1, 2],
      primaryKeyName: 'k_pkey',
    });
    const batch = (a: number[], b: string[], d: number[]) => [vectorFromScalars(Types.int8, a), vectorFromScalars(Types.text, b), vectorFromScalars(Types.date, d)];
    t.append(def.id, batch([1, 1, 2], ['x', 'y', 'x'], [0, 0, 0]));
    await t.commit();
    const t2 = s.begin();
    const dup = errorOf(() => t2.append(def.id, batch([3, 1], ['z', 'y'], [5, 0])));
    expect(dup.code).to.equal('23505');
    expect(dup.message).to.equal('duplicate key value violates unique constraint "k_pkey"');
    expect(dup.detail).to.equal('Key (a, b, d)=(1, y, 1970-01-01) already exists.');
    // Nothing of the failed batch was added: 3/z is still free.
    t2.append(def.id, batch([3], ['z'], [5]));
    expect(t2.findKey(def.id, 'k_pkey', batch([3], ['z'], [5]), 0)).to.be.greaterThan(-1);
    expect(t2.findKey(def.id, 'k_pkey', batch([3], ['z'], [6]), 0)).to.equal(-1);
    // A deleted committed row frees its key.
    const row = t2.findKey(def.id, 'k_pkey', batch([1], ['y'], [0]), 0);
    t2.delete(def.id, [row]);
    t2.append(def.id, batch([1], ['y'], [0]));
    await t2.commit();
    const t3 = s.begin();
    expect(errorOf(() => t3.append(def.id, batch([1], ['y'], [0]))).detail).to.equal('Key (a, b, d)=(1, y, 1970-01-01) already exists.');
    expect(errorOf(() => t3.append(def.id, batch([7, 7], ['q', 'q'], [1, 1]))).detail).to.equal('Key (a, b, d)=(7, q, 1970-01-02) already exists.');
    t3.abort();
  });
  it('a table created, re-keyed, truncated or compacted in a commit keeps the index its checks built, and it enforces keys', async () => {
    const s = await open();
    const store = s as unknown as { pkIndex(id: number, key: { name: string; columns: number[] }): KeyHashIndex };
    const keyOf = (name: string) => ({ name, columns: [0] });
    const ints = (xs: number[]) => vectorFromScalars(Types.int4, xs);
    const t = s.begin();
    const col = (name: string) => ({ name, type: Types.int4, notNull: true, defaultSql: null });
    const def: TableDef = t.createTable({ schema: 'public', name: 'c', columns: [col('id'), col('n')], primaryKey: [0], primaryKeyName: 'c_pkey' });
    t.append(def.id, [ints([1, 2, 3]), ints([0, 0, 0])]);
    t.delete(def.id, [t.findKey(def.id, 'c_pkey', [ints([2])], 0)]);
    t.append(def.id, [ints([2]), ints([5])]);
    await t.commit();
    // Kept, not rebuilt: a rebuild from the rows would hold the 3 live entries, the kept one the dead one too.
    expect(store.pkIndex(def.id, keyOf('c_pkey')).size).to.equal(4);
    const t2 = s.begin();
    expect(errorOf(() => t2.append(def.id, [ints([2]), ints([9])])).code).to.equal('23505');
    expect(errorOf(() => t2.append(def.id, [ints([3]), ints([9])])).code).to.equal('23505');
    const live = t2.findKey(def.id, 'c_pkey', [ints([2])], 0);
    expect(getScalar(t2.table(def.id).readColumn(0, 1), live)).to.equal(5);
    t2.append(def.id, [ints([4]), ints([0])]);
    await t2.commit();

    // A primary key added to a table's existing rows (ALTER TABLE ... ADD PRIMARY KEY).
    const u = s.begin();
    const other: TableDef = u.createTable({ schema: 'public', name: 'p', columns: [col('id'), col('n')], primaryKey: null, primaryKeyName: null });
    u.append(other.id, [ints([7, 8, 9]), ints([0, 0, 0])]);
    await u.commit();
    const a = s.begin();
    await a.setPrimaryKey(other.id, [0], 'p_pkey');
    a.append(other.id, [ints([10]), ints([0])]);
    await a.commit();
    expect(store.pkIndex(other.id, keyOf('p_pkey')).size).to.equal(4);
    const a2 = s.begin();
    expect(errorOf(() => a2.append(other.id, [ints([8]), ints([1])])).code).to.equal('23505');
    expect(errorOf(() => a2.append(other.id, [ints([10]), ints([1])])).code).to.equal('23505');
    a2.abort();

    // TRUNCATE: the old keys are free, the new ones taken.
    const tr = s.begin();
    tr.truncate(def.id);
    tr.append(def.id, [ints([1, 20]), ints([0, 0])]);
    await tr.commit();
    expect(store.pkIndex(def.id, keyOf('c_pkey')).size).to.equal(2);
    const tr2 = s.begin();
    expect(errorOf(() => tr2.append(def.id, [ints([20]), ints([1])])).code).to.equal('23505');
    tr2.append(def.id, [ints([2, 3]), ints([1, 1])]);
    await tr2.commit();

    // Rolled back to a savepoint: the kept index has the rows the commit made, not the undone ones.
    const sp = s.begin();
    const sd = sp.createTable({ schema: 'public', name: 's', columns: [col('id'), col('n')], primaryKey: [0], primaryKeyName: 's_pkey' });
    sp.append(sd.id, [ints([1]), ints([0])]);
    const image = sp.savepoint();
    sp.append(sd.id, [ints([2]), ints([0])]);
    sp.rollbackTo(image);
    sp.append(sd.id, [ints([3]), ints([0])]);
    await sp.commit();
    const sp2 = s.begin();
    expect(errorOf(() => sp2.append(sd.id, [ints([1]), ints([1])])).code).to.equal('23505');
    expect(errorOf(() => sp2.append(sd.id, [ints([3]), ints([1])])).code).to.equal('23505');
    sp2.append(sd.id, [ints([2]), ints([1])]);
    await sp2.commit();

    // Compaction moves rows to new RowIds: the kept index names the new ones.
    const d = s.begin();
    d.delete(def.id, [d.findKey(def.id, 'c_pkey', [ints([1])], 0), d.findKey(def.id, 'c_pkey', [ints([2])], 0), d.findKey(def.id, 'c_pkey', [ints([20])], 0)]);
    await d.commit();
    expect(await s.compact(def.id, 1, { ready: () => true, moved: () => {} })).to.not.equal(null);
    expect(store.pkIndex(def.id, keyOf('c_pkey')).size).to.equal(1);
    const c = s.begin();
    expect(errorOf(() => c.append(def.id, [ints([3]), ints([2])])).code).to.equal('23505');
    // Compaction may put the rows in another row group than 0 (its regions alternate).
    const moved = c.findKey(def.id, 'c_pkey', [ints([3])], 0);
    expect(getScalar(c.table(def.id).readColumn(Math.floor(moved / ROW_GROUP_ROWS), 0), moved % ROW_GROUP_ROWS)).to.equal(3);
    c.append(def.id, [ints([1, 2, 20]), ints([2, 2, 2])]);
    c.abort();
    await s.close();
  });
});
