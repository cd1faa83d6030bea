// A group's deletion bitmap is written when rows of the group are deleted, not when rows are appended
// to it later: read back at the next open, the bitmap is shorter than the group, and the rows past
// its end must read as live (they were read as deleted: a committed row vanished on restart).
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EmbeddedDatabase } from '../../../src/embedded/embedded-database';
import { TableStore } from '../../../src/storage/table-store';
import { until } from '../../helpers/cluster-fakes';

describe('deletion bitmaps shorter than their group, read at open', () => {
  const dir = path.join(os.tmpdir(), `tessera-short-bitmap-${process.pid}`);
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps rows appended after the last deletion in a group after a restart', async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    let db = await EmbeddedDatabase.open(dir);
    await db.query('CREATE TABLE k (id int, v int)');
    await db.query('INSERT INTO k SELECT i, i FROM generate_series(1, 4000) i');
    // Half the versions dead: a compaction writes the new region's bitmaps, then one row is appended.
    const store = db.database.storage as TableStore;
    const id = store.catalog().findTable('public', 'k')!.id;
    await db.query('UPDATE k SET v = v + 1');
    await db.query('UPDATE k SET v = v + 1');
    await until(() => (store.current.tables.get(id)!.generation ?? 0) > 0, 10000);
    await db.query('INSERT INTO k VALUES (0, 0)');
    const q = 'SELECT count(*)::int AS n, min(id) AS m, sum(v)::int AS s FROM k';
    expect((await db.query(q)).rows).to.deep.equal([{ n: 4001, m: 0, s: 8010000 }]);
    await db.close();
    db = await EmbeddedDatabase.open(dir);
    try {
      expect((await db.query(q)).rows).to.deep.equal([{ n: 4001, m: 0, s: 8010000 }]);
    } finally {
      await db.close();
    }
  });
});
