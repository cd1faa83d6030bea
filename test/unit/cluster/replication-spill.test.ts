// A cluster leader's engine runs over a ReplicatedKv (over LMDB): a transaction that fills row groups
// must move them to the store before it commits, as a single node does (table-store.ts spills), or a
// COPY of a large table is held in memory whole until its commit (TPC-H SF 10 lineitem ran a leader
// out of heap: bench/results/tpch-sf10-cluster.md).
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ReplicatedKv } from '../../../src/cluster/replication';
import { Database } from '../../../src/engine/database';
import { ROW_GROUP_ROWS } from '../../../src/storage/api';
import { LmdbKv } from '../../../src/storage/kv-store';
import { SPILL_PREFIX } from '../../../src/storage/spilled-groups';
import { FakeNet } from '../../helpers/cluster-fakes';
import { embedded } from '../../helpers/standby-cluster';

describe('cluster leader store: spills', function () {
  this.timeout(60000);
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-replication-spill-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a transaction filling row groups writes them out before its commit, through replication', async () => {
    const local = new LmdbKv(dir, false);
    const replicated = new ReplicatedKv(local, new FakeNet().node(1), { term: 1 });
    replicated.setFollowers([]);
    expect(replicated.onDisk).to.equal(true);
    // Every replicated batch, and whether it wrote spilled chunks before the commit that names them.
    const batches: { spill: boolean; catalog: boolean }[] = [];
    const write = replicated.write.bind(replicated);
    replicated.write = (entries) => {
      batches.push({ spill: entries.some(([k, v]) => k.startsWith(SPILL_PREFIX) && v !== null), catalog: entries.some(([k]) => k.startsWith('catalog/r/')) });
      return write(entries);
    };
    const database = await Database.open({ dir, kv: replicated });
    try {
      const db = embedded(database);
      await db.query('CREATE TABLE big (id int, v int)');
      const rows = 4 * ROW_GROUP_ROWS;
      batches.length = 0;
      await db.query(`INSERT INTO big SELECT g, g % 7 FROM generate_series(1, ${rows}) g`);
      expect((await db.query('SELECT count(*)::int AS n, sum(v)::int AS s FROM big')).rows).to.deep.equal([{ n: rows, s: ((rows / 7) | 0) * 21 + [0, 1, 3, 6, 10, 15, 21][rows % 7] }]);
      // The INSERT's own batches: its spills, then its commit (the one naming the table's row groups).
      const commit = batches.findIndex((b) => b.catalog);
      expect(commit, 'the commit').to.be.greaterThan(-1);
      const spilledBefore = batches.slice(0, commit).filter((b) => b.spill).length;
      expect(spilledBefore, 'batches of spilled groups replicated before the commit').to.be.at.least(2);
    } finally {
      await database.close();
    }
  });
});
