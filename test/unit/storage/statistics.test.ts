// Table statistics: collected on commit (merged across appends and row groups), rebuilt by ANALYZE
// without deleted rows, dropped by TRUNCATE, and persisted with the table across reopen.
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { openStorage, Storage } from '../../../src/storage';
import { BufferPool, makePolicy } from '../../../src/buffer/buffer-pool';
import { collectGroupStats, mergeGroupStats, tableStatistics } from '../../../src/storage/column-stats';
import { Types } from '../../../src/types/data-type';
import { Vector } from '../../../src/types/vector';
import { vectorFromScalars } from '../../../src/types/vector-ops';

function open(dir: string | null): Promise<Storage> {
  return openStorage({ dir, synchronousCommit: true, cache: new BufferPool<Vector>(makePolicy('lirs', 1 << 24)) });
}

const columns = [
  { name: 'id', type: Types.int4, notNull: true, defaultSql: null },
  { name: 'name', type: Types.text, notNull: false, defaultSql: null },
  { name: 'price', type: Types.float8, notNull: false, defaultSql: null },
];

function rows(from: number, n: number, distinctNames: number): Vector[] {
  const ids: number[] = [];
  const names: (string | null)[] = [];
  const prices: (number | null)[] = [];
  for (let i = from; i < from + n; i++) {
    ids.push(i);
    names.push(i % 10 === 0 ? null : `name${i % distinctNames}`);
    prices.push(i % 2 === 0 ? i / 2 : null);
  }
  return [vectorFromScalars(Types.int4, ids), vectorFromScalars(Types.text, names), vectorFromScalars(Types.float8, prices)];
}

describe('table statistics', function () {
  this.timeout(30000);
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-stats-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('estimates distinct counts within a few percent and keeps exact min, max and NULL fraction', () => {
    const s = tableStatistics([collectGroupStats(rows(0, 50000, 37))], 3)!;
    expect(s.rowCount).to.equal(50000);
    expect(s.columns[0].distinct).to.be.within(50000 * 0.9, 50000);
    expect(s.columns[0].min).to.equal(0);
    expect(s.columns[0].max).to.equal(49999);
    expect(s.columns[1].distinct).to.equal(37);
    expect(s.columns[1].nullFraction).to.equal(0.1);
    expect(s.columns[1].min).to.equal('name0');
    expect(s.columns[1].max).to.equal('name9');
    expect(s.columns[2].nullFraction).to.equal(0.5);
    expect(s.columns[2].max).to.equal(24999);
  });

  it('merges sketches: the same values twice count once', () => {
    const a = collectGroupStats(rows(0, 1000, 5));
    const merged = tableStatistics([mergeGroupStats(a, collectGroupStats(rows(0, 1000, 5)))], 3)!;
    expect(merged.rowCount).to.equal(2000);
    expect(merged.columns[0].distinct).to.be.within(960, 1040);
    expect(merged.columns[1].distinct).to.equal(5);
  });

  it('collects on commit across appends and row groups, persists them, rebuilds on ANALYZE, clears on TRUNCATE', async () => {
    let s = await open(dir);
    const t1 = s.begin();
    const def = t1.createTable({ schema: 'public', name: 't', columns, primaryKey: null, primaryKeyName: null });
    await t1.commit();
    expect(s.snapshot(def.id).statistics()).to.equal(null);
    // 100000 rows span two row groups; the second transaction appends to the partly filled group.
    const t2 = s.begin();
    t2.append(def.id, rows(0, 60000, 1000));
    await t2.commit();
    const t3 = s.begin();
    t3.append(def.id, rows(60000, 40000, 1000));
    await t3.commit();
    let st = s.snapshot(def.id).statistics()!;
    expect(st.rowCount).to.equal(100000);
    expect(st.columns[0].distinct).to.be.within(90000, 100000);
    expect(st.columns[0].max).to.equal(99999);
    // name<i % 1000> with every tenth row NULL: 900 distinct names.
    expect(st.columns[1].distinct).to.be.within(855, 945);
    await s.close();

    s = await open(dir);
    st = s.snapshot(def.id).statistics()!;
    expect(st.rowCount).to.equal(100000);
    expect(st.columns[0].max).to.equal(99999);
    expect(st.columns[1].min).to.equal('name1');

    // Delete the upper half: statistics keep it until ANALYZE.
    const t4 = s.begin();
    const ids = Array.from({ length: 50000 }, (_, i) => 50000 + i);
    t4.delete(def.id, ids);
    await t4.commit();
    expect(s.snapshot(def.id).statistics()!.columns[0].max).to.equal(99999);
    const t5 = s.begin();
    t5.analyze(def.id);
    await t5.commit();
    st = s.snapshot(def.id).statistics()!;
    expect(st.rowCount).to.equal(50000);
    expect(st.columns[0].max).to.equal(49999);
    expect(st.columns[0].distinct).to.be.within(45000, 50000);
    await s.close();

    s = await open(dir);
    expect(s.snapshot(def.id).statistics()!.columns[0].max).to.equal(49999);
    const t6 = s.begin();
    t6.truncate(def.id);
    await t6.commit();
    expect(s.snapshot(def.id).statistics()).to.equal(null);
    await s.close();
    s = await open(dir);
    expect(s.snapshot(def.id).statistics()).to.equal(null);
    await s.close();
  });
});
