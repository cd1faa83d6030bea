// Storage side of the DDL objects: sequence state (shared, logged ahead, exact after a clean close,
// past every handed-out value after losing the in-memory state), unique keys beyond the primary
// key, table rewrites, and index lookups serving older and newer snapshots.
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { openStorage, SequenceDef, Storage, TableDef } from '../../../src/storage';
import { BufferPool, makePolicy } from '../../../src/buffer/buffer-pool';
import { Types } from '../../../src/types/data-type';
import { Vector } from '../../../src/types/vector';
import { getScalar, vectorFromScalars } from '../../../src/types/vector-ops';

function open(dir: string | null): Promise<Storage> {
  return openStorage({ dir, synchronousCommit: true, cache: new BufferPool<Vector>(makePolicy('lirs', 1 << 24)) });
}

const seqOptions = { type: Types.int8, start: '1', increment: '1', min: '1', max: '9223372036854775807', cache: 1, cycle: false, ownedBy: null };

function ints(values: number[]): Vector {
  return vectorFromScalars(Types.int4, values);
}

describe('storage: sequences, unique keys, rewrites and index lookups', function () {
  this.timeout(20000);
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-ddlobj-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('continues a sequence exactly after a clean close', async () => {
    let s = await open(dir);
    const t = s.begin();
    const seq = t.createSequence({ schema: 'public', name: 's', ...seqOptions });
    await t.commit();
    const got = [s.sequences.next(seq), s.sequences.next(seq), s.sequences.next(seq)];
    expect(got).to.deep.equal([1n, 2n, 3n]);
    expect(s.sequences.state(seq)).to.deep.equal({ lastValue: 3n, logCount: 30, isCalled: true });
    await s.close();
    s = await open(dir);
    const again = s.catalog().findSequence('public', 's') as SequenceDef;
    expect(s.sequences.next(again)).to.equal(4n);
    await s.close();
  });

  it('resumes past every handed-out value when the exact state is lost (crash)', async () => {
    const s = await open(dir);
    const t = s.begin();
    const seq = t.createSequence({ schema: 'public', name: 's', ...seqOptions });
    await t.commit();
    for (let i = 0; i < 40; i++) s.sequences.next(seq);
    // What is on disk (all a restart after kill -9 would see) already covers every value handed out.
    await new Promise((r) => setTimeout(r, 50));
    const raw = JSON.parse((s as any).kv.get('s/' + seq.id).toString());
    expect(Number(raw.last)).to.be.within(40, 40 + 32);
    expect(raw.isCalled).to.equal(true);
    await s.close();
  });

  it('checks every unique key and validates a new one over existing rows', async () => {
    const s = await open(null);
    const t = s.begin();
    const def = t.createTable({
      schema: 'public',
      name: 'u',
      columns: [
        { name: 'a', type: Types.int4, notNull: false, defaultSql: null },
        { name: 'b', type: Types.int4, notNull: false, defaultSql: null },
      ],
      primaryKey: null,
      primaryKeyName: null,
      uniques: [{ name: 'u_a_key', columns: [0] }],
    });
    t.append(def.id, [ints([1, 2]), ints([5, 5])]);
    expect(() => t.append(def.id, [ints([1]), ints([6])])).to.throw(/duplicate key value violates unique constraint "u_a_key"/);
    expect(() => t.alterTable(def.id, { ...def, uniques: [...def.uniques!, { name: 'u_b_key', columns: [1] }] }, null)).to.throw(/could not create unique index "u_b_key"/);
    await t.commit();
    await s.close();
  });

  it('rewrites a table (ADD COLUMN) keeping live rows and keys', async () => {
    const s = await open(dir);
    const t = s.begin();
    const cols = [{ name: 'a', type: Types.int4, notNull: true, defaultSql: null }];
    const def = t.createTable({ schema: 'public', name: 'r', columns: cols, primaryKey: [0], primaryKeyName: 'r_pkey' });
    t.append(def.id, [ints([1, 2, 3])]);
    await t.commit();
    const t2 = s.begin();
    t2.delete(def.id, [1]);
    const wider: TableDef = { ...def, columns: [...cols, { name: 'b', type: Types.int4, notNull: false, defaultSql: null }] };
    t2.alterTable(def.id, wider, (columns, n) => [...columns, ints(new Array(n).fill(7))]);
    expect(() => t2.append(def.id, [ints([3]), ints([0])])).to.throw(/r_pkey/);
    await t2.commit();
    const snap = s.snapshot(def.id);
    const rows: unknown[][] = [];
    for (let g = 0; g < snap.rowGroupCount; g++) for (let i = 0; i < snap.rowCount(g); i++) rows.push([getScalar(snap.readColumn(g, 0), i), getScalar(snap.readColumn(g, 1), i)]);
    expect(rows).to.deep.equal([
      [1, 7],
      [3, 7],
    ]);
    await s.close();
  });

  it('serves index lookups to snapshots older and newer than the index', async () => {
    const s = await open(null);
    const t = s.begin();
    const def0 = t.createTable({ schema: 'public', name: 'x', columns: [{ name: 'k', type: Types.int4, notNull: false, defaultSql: null }], primaryKey: null, primaryKeyName: null });
    const def = { ...def0, indexes: [{ id: t.allocateOid(), name: 'x_k', columns: [0], unique: false }] };
    t.alterTable(def.id, def, null);
    t.append(def.id, [ints([5, 1, 5, 3])]);
    await t.commit();
    const old = s.snapshot(def.id);
    const t2 = s.begin();
    t2.delete(def.id, [0]);
    t2.append(def.id, [ints([5, 9])]);
    await t2.commit();
    const now = s.snapshot(def.id);
    const id = def.indexes[0].id;
    const eq5 = { low: 5, lowInclusive: true, high: 5, highInclusive: true };
    expect([...now.indexLookup!(id, eq5)!]).to.deep.equal([2, 4]);
    expect([...old.indexLookup!(id, eq5)!]).to.deep.equal([0, 2]);
    expect([...now.indexLookup!(id, { low: 3, lowInclusive: false, high: null, highInclusive: false })!]).to.deep.equal([2, 4, 5]);
    // A newer commit after the index was built: its rows are found too.
    const t3 = s.begin();
    t3.append(def.id, [ints([5])]);
    expect([...t3.table(def.id).indexLookup!(id, eq5)!]).to.deep.equal([2, 4, 6]);
    await t3.commit();
    // TRUNCATE starts a new generation: an old snapshot can no longer be served by the index.
    const t4 = s.begin();
    t4.truncate(def.id);
    await t4.commit();
    expect(now.indexLookup!(id, eq5)).to.equal(null);
    expect([...s.snapshot(def.id).indexLookup!(id, eq5)!]).to.deep.equal([]);
    await s.close();
  });
});
