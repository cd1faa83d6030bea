// The row delta store: small commits to a big row group write delta entries, not the group's
// chunks; reads (also after reopen, through a cold buffer pool) see every row; a big append merges.
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { open as openLmdb } from 'lmdb';
import { Storage, TableDef } from '../../../src/storage';
import { openStore, liveRows, idNameColumns } from '../../helpers/storage-rows';
import { Types } from '../../../src/types/data-type';
import { getScalar, vectorFromScalars } from '../../../src/types/vector-ops';
import { encodeChunkRaw } from '../../../src/storage/chunk-codec';
import { DELETE_ENTRIES_MAX, DELTA_MAX_ROWS, deltaColumn, encodeDelta } from '../../../src/storage/delta-rows';
import { Scalar } from '../../../src/types/vector';

const open = openStore;
const rows = (storage: Storage, def: TableDef) => liveRows(storage, def).sort((a, b) => (a[0] as number) - (b[0] as number));

/** Delta entry keys and the row count of column 0's stored chunk of group 0, read from LMDB itself. */
async function stored(dir: string, tableId: number): Promise<{ deltas: number; deletions: number; chunkRows: number }> {
  const db = openLmdb<Buffer, string>({ path: dir, encoding: 'binary' });
  const count = (prefix: string) => {
    let n = 0;
    for (const k of db.getKeys({ start: prefix })) {
      if (typeof k !== 'string' || !k.startsWith(prefix)) break;
      n++;
    }
    return n;
  };
  const chunk = db.getBinary(`c/${tableId}/0/0`)!;
  const out = { deltas: count(`a/${tableId}/`), deletions: count(`dd/${tableId}/`), chunkRows: chunk.readUInt32LE(2) };
  await db.close();
  return out;
}

const columns = idNameColumns;

describe('row delta store', function () {
  this.timeout(60000);
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-delta-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes small commits as delta entries, reads them after reopen, merges a big append', async () => {
    let s = await open(dir);
    const t0 = s.begin();
    const def = t0.createTable({ schema: 'public', name: 't', columns, primaryKey: [0], primaryKeyName: 't_pkey' });
    await t0.commit();
    const t1 = s.begin();
    const ids = Array.from({ length: 1000 }, (_, i) => i);
    t1.append(def.id, [vectorFromScalars(Types.int4, ids), vectorFromScalars(Types.text, ids.map((i) => `r${i}`))]);
    await t1.commit();
    const expected = new Map(ids.map((i) => [i, `r${i}`]));
    const old = s.snapshot(def.id);
    // 40 updates: the old version deleted, the new one appended (as UPDATE does), one commit each.
    for (let k = 0; k < 40; k++) {
      const id = (k * 37) % 1000;
      const txn = s.begin();
      const at = rows(s, def).findIndex((r) => r[0] === id);
      expect(at).to.be.greaterThan(-1);
      const snap = s.snapshot(def.id);
      let rowId = -1;
      const col = snap.readColumn(0, 0);
      const del = snap.deleted(0);
      for (let i = 0; i < snap.rowCount(0); i++) if (getScalar(col, i) === id && (del === null || del[i] !== 1)) rowId = i;
      txn.delete(def.id, [rowId]);
      txn.append(def.id, [vectorFromScalars(Types.int4, [id]), vectorFromScalars(Types.text, [`u${k}`])]);
      await txn.commit();
      expected.set(id, `u${k}`);
    }
    const want = [...expected].sort((a, b) => a[0] - b[0]).map(([i, v]) => [i, v]);
    expect(rows(s, def)).to.deep.equal(want);
    // The snapshot taken before the updates still reads its 1000 rows.
    expect(old.rowCount(0)).to.equal(1000);
    expect(getScalar(old.readColumn(0, 1), 999)).to.equal('r999');
    await s.close();

    // Only delta entries were written for the updates: the stored chunk still has its 1000 rows.
    const before = await stored(dir, def.id);
    expect(before).to.deep.equal({ chunkRows: 1000, deltas: 40, deletions: 40 });

    // A cold buffer pool after reopen: chunk + delta entries give every row.
    s = await open(dir);
    expect(rows(s, def)).to.deep.equal(want);

    // More rows than a group may keep as deltas: the commit writes the chunks whole, deltas go.
    const t2 = s.begin();
    const more = Array.from({ length: DELTA_MAX_ROWS + 1 }, (_, i) => 1000 + i);
    t2.append(def.id, [vectorFromScalars(Types.int4, more), vectorFromScalars(Types.text, more.map((i) => `m${i}`))]);
    await t2.commit();
    await s.close();
    const after = await stored(dir, def.id);
    expect(after).to.deep.equal({ deltas: 0, deletions: 40, chunkRows: 1040 + DELTA_MAX_ROWS + 1 });
    s = await open(dir);
    const all = rows(s, def);
    expect(all.length).to.equal(1000 + DELTA_MAX_ROWS + 1);
    expect(all.slice(0, 1000)).to.deep.equal(want);
    // The deletion that would pass the entries a group may keep writes the bitmap whole and drops them.
    const deletes = DELETE_ENTRIES_MAX - 40 + 1;
    for (let k = 0; k < deletes; k++) {
      const txn = s.begin();
      txn.delete(def.id, [1040 + k]);
      await txn.commit();
    }
    await s.close();
    expect((await stored(dir, def.id)).deletions).to.equal(0);
    s = await open(dir);
    expect(rows(s, def).length).to.equal(1000 + DELTA_MAX_ROWS + 1 - deletes);
    expect(all[all.length - 1]).to.deep.equal([1000 + DELTA_MAX_ROWS, `m${1000 + DELTA_MAX_ROWS}`]);
    await s.close();
  });

  it('encodes delta entries of one row, a few rows (raw streams) and many rows; every column reads back, nulls included', () => {
    const types = [Types.bool, Types.int2, Types.int4, Types.int8, Types.float8, Types.text, Types.bpchar, Types.timestamp, Types.date];
    const value = (t: number, i: number): Scalar => {
      if (i % 7 === 3) return null;
      switch (t) {
        case 0:
          return i % 2 === 0;
        case 5:
        case 6:
          return `v${i % 5}`;
        case 4:
          return i / 4 - 3;
        default:
          return i * 1000 - 7;
      }
    };
    for (const n of [1, 5, 64, 65, 300]) {
      const cols = types.map((type, t) => vectorFromScalars(type, Array.from({ length: n }, (_, i) => value(t, i))));
      const bytes = encodeDelta(cols);
      if (n <= 64) {
        // Written in one buffer: the same bytes as each column's raw chunk after its length.
        const parts = cols.map((c) => encodeChunkRaw(c));
        const expected = Buffer.concat([Buffer.from(Uint32Array.of(cols.length).buffer), ...parts.flatMap((p) => [Buffer.from(Uint32Array.of(p.length).buffer), p])]);
        expect(bytes.equals(expected), `${n} rows`).to.equal(true);
      }
      types.forEach((type, t) => {
        const back = deltaColumn(bytes, t, type);
        expect(back.length).to.equal(n);
        for (let i = 0; i < n; i++) expect(getScalar(back, i), `${n} rows, column ${t}, row ${i}`).to.deep.equal(getScalar(cols[t], i));
      });
    }
  });
});
