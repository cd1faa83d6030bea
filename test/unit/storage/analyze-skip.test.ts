// ANALYZE keeps the statistics of groups they already describe exactly (no row deleted, none added
// since they were collected) instead of reading and decoding every chunk again: these must equal what
// a full recollection over the group's rows gives, for every way a group gets its statistics (COPY's
// spilled groups, COPY's last group, INSERT … SELECT, a few rows added as a delta, after a reopen).
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { open } from '../../../src/index';
import { EmbeddedDatabase } from '../../../src/embedded/embedded-database';
import { GroupStats, collectGroupStats } from '../../../src/storage/column-stats';
import { ROW_GROUP_ROWS, TableSnapshot } from '../../../src/storage/api';

/** Rows [from, from + n) as COPY text: int, a few names (NULLs), nearly unique text, numeric, date, float (NULLs). */
function copyText(from: number, n: number): string {
  const lines: string[] = [];
  for (let i = from; i < from + n; i++) {
    const day = new Date(Date.UTC(1992, 0, 1) + (i % 2500) * 86400000).toISOString().slice(0, 10);
    const name = i % 7 === 0 ? '\\N' : `name${i % 41}`;
    const price = i % 5 === 0 ? '\\N' : String((i % 1000) / 8 - 3);
    lines.push(`${i}\t${name}\tcomment ${(i * 7919) % 1000003} ${i % 13}\t${(i % 100000) / 100}\t${day}\t${price}`);
  }
  return lines.join('\n') + '\n';
}

function snapshotOf(db: EmbeddedDatabase, table: string): TableSnapshot {
  const storage = db.database.storage;
  const def = storage.catalog().findTable('public', table)!;
  return storage.snapshot(def.id);
}

/** The statistics each group holds (the store's own objects). */
function groupStats(snap: TableSnapshot): (GroupStats | null)[] {
  const groups = (snap as unknown as { groups: { stats: GroupStats | null }[] }).groups;
  return groups.map((g) => g.stats);
}

/** What ANALYZE collects over each group's rows when it reads them all (a zero bitmap: nothing reused). */
function recollected(snap: TableSnapshot): GroupStats[] {
  const out: GroupStats[] = [];
  for (let g = 0; g < snap.rowGroupCount; g++) {
    const cols = snap.def.columns.map((_, c) => snap.readColumn(g, c));
    out.push(collectGroupStats(cols, snap.deleted(g) ?? new Uint8Array(snap.rowCount(g))));
  }
  return out;
}

describe('ANALYZE keeps exact group statistics', function () {
  this.timeout(60000);
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-analyze-skip-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('equals a full recollection for spilled, copied, inserted, delta and deleted-from groups, before and after a reopen', async () => {
    let db = await open(dir);
    await db.exec('create table t (id int, name text, note text, amount numeric(15,2), day date, price float8)');
    // Three full groups COPY spills before its commit, and a fourth it commits with the rest.
    await db.copyFrom('t', copyText(0, 3 * ROW_GROUP_ROWS + 20000));
    // INSERT … SELECT fills the fourth group and starts a fifth (with NULL notes); a few rows more are a delta.
    await db.exec(`insert into t select g, 'ins' || (g % 3), null, g % 77, date '2000-01-01' + (g % 30), g * 0.5 from generate_series(1, ${ROW_GROUP_ROWS}) g`);
    await db.exec(`insert into t values (-1, 'zz', 'last', 1.5, date '1990-01-01', -7), (-2, null, null, null, null, null)`);
    // A second table whose only change after its load is deleted rows: recollected.
    await db.exec('create table u (id int, name text)');
    await db.copyFrom('u', Array.from({ length: 70000 }, (_, i) => `${i}\tn${i % 9}`).join('\n') + '\n');
    await db.exec('delete from u where id % 3 = 0');

    let snap = snapshotOf(db, 't');
    expect(snap.rowGroupCount).to.equal(5);
    const before = groupStats(snap);
    // The delta group's statistics do not describe its last two rows: that group is recollected.
    expect(before.map((s, g) => s !== null && s.rows === snap.rowCount(g))).to.deep.equal([true, true, true, true, false]);
    const expected = recollected(snap);
    const expectedU = recollected(snapshotOf(db, 'u'));

    await db.exec('analyze');
    snap = snapshotOf(db, 't');
    const after = groupStats(snap);
    for (let g = 0; g < 5; g++) expect(after[g], `group ${g}`).to.deep.equal(expected[g]);
    // Kept, not recollected: the same objects.
    for (let g = 0; g < 4; g++) expect(after[g], `group ${g}`).to.equal(before[g]);
    expect(after[4]).to.not.equal(before[4]);
    const afterU = groupStats(snapshotOf(db, 'u'));
    expect(afterU).to.deep.equal(expectedU);
    expect(afterU[0]!.rows).to.equal(65536 - Math.ceil(65536 / 3));
    await db.close();

    // Statistics read back from the store after a reopen: ANALYZE keeps them too, and they still equal a recollection.
    db = await open(dir);
    snap = snapshotOf(db, 't');
    const reread = recollected(snap);
    await db.exec('analyze t');
    snap = snapshotOf(db, 't');
    const again = groupStats(snap);
    for (let g = 0; g < 5; g++) expect(again[g], `group ${g}`).to.deep.equal(reread[g]);
    for (let g = 0; g < 5; g++) expect(again[g], `group ${g}`).to.deep.equal(expected[g]);
    await db.close();
  });
});
