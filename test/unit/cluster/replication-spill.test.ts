// A cluster leader's engine runs over a ReplicatedKv (over LMDB): a transaction that fills row groups
// must move them to the store before it commits, as a single node does (table-store.ts spills), or a
// COPY of a large table is held in memory whole until its commit (TPC-H SF 10 lineitem ran a leader
// out of heap: bench/results/tpch-sf10-cluster.md).
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { NotLeaderError, ReplicatedKv } from '../../../src/cluster/replication';
import { Database } from '../../../src/engine/database';
import { ROW_GROUP_ROWS } from '../../../src/storage/api';
import { LmdbKv } from '../../../src/storage/kv-store';
import { SqlError } from '../../../src/types/sql-error';
import { SPILL_PREFIX } from '../../../src/storage/spilled-groups';
import { FakeNet } from '../../helpers/cluster-fakes';
import { embedded } from '../../helpers/standby-cluster';

describe('cluster leader store: spills and lost leadership', function () {
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

  it('a leader that lost its leadership fails DDL and bulk writes with the retryable 57P01, not an internal error', async () => {
    const replicated = new ReplicatedKv(new LmdbKv(dir, false), new FakeNet().node(1), { term: 1 });
    replicated.setFollowers([]);
    const database = await Database.open({ dir, kv: replicated });
    try {
      const db = embedded(database);
      await db.query('CREATE TABLE t (id int)');
      await db.query('INSERT INTO t VALUES (1)');
      // The leadership is lost while each statement's writes are in flight (ANALYZE's commit is
      // written directly, not by the group-commit pipeline), and before the next ones.
      const statements = ['ANALYZE t', 'CREATE TABLE u (id int)', `INSERT INTO t SELECT g FROM generate_series(1, ${2 * ROW_GROUP_ROWS}) g`, 'ANALYZE t'];
      const write = replicated.write.bind(replicated);
      let writes = 0;
      replicated.write = (entries) => {
        const w = write(entries);
        if (++writes === 1) replicated.stop(new NotLeaderError('this node is no longer the leader (lease lost); reconnect and retry'));
        return w;
      };
      for (const sql of statements) {
        const err = await db.query(sql).then(() => null, (e: { code?: string; message?: string }) => e);
        expect(err, sql).to.not.equal(null);
        // A SqlError: the wire protocol sends any other error as XX000, an internal error.
        expect(err, `${sql}: ${err!.message}`).to.be.instanceOf(SqlError);
        expect(err!.code, `${sql}: ${err!.message}`).to.equal('57P01');
        expect(err!.message).to.match(/no longer the leader|reconnect and retry/);
      }
      expect(writes, 'the first statement wrote').to.be.at.least(1);
    } finally {
      await database.close().catch(() => undefined);
    }
  });
});
