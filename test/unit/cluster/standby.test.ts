// Followers' standby engines (src/cluster/standby.ts): read-only engines over the followers' copies of
// the leader's store, refreshed by each applied batch before it is acknowledged. Every answer is
// compared with the leader's at the same moment.
import { expect } from 'chai';
import { Placement } from '../../../src/cluster/placement';
import { Replica } from '../../../src/cluster/replica';
import { Standby } from '../../../src/cluster/standby';
import { StandbyKv } from '../../../src/cluster/standby-kv';
import { MemoryKv } from '../../../src/storage/kv-store';
import { TableStore } from '../../../src/storage/table-store';
import { StandbyCluster, rows, standbyCluster } from '../../helpers/standby-cluster';
import { HeldKv } from '../../helpers/held-kv';
import { until } from '../../helpers/cluster-fakes';

async function failure(p: Promise<unknown>): Promise<{ code?: string; message: string; detail?: string; hint?: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code?: string; message: string; detail?: string; hint?: string };
  }
  throw new Error('expected the statement to fail');
}

describe('cluster standby engines', function () {
  this.timeout(60000);
  let c: StandbyCluster;

  beforeEach(async () => {
    c = await standbyCluster();
  });
  afterEach(async () => {
    await c?.close();
  });

  /** The table's live rows in the committed state of the leader and of both standbys, read synchronously. */
  function liveRows(table: string): number[] {
    return [c.leader.database, c.standbys.get(2)!.database, c.standbys.get(3)!.database].map((db) => {
      const id = db.storage.catalog().findTable('public', table)!.id;
      return db.storage.snapshot(id).liveRowCount;
    });
  }

  it('sees every write the leader acknowledged at once: CREATE, INSERT, UPDATE, DELETE, COPY over several row groups, a compaction', async () => {
    await c.leader.query('CREATE TABLE t (id int PRIMARY KEY, v text, n numeric(10,2))');
    expect(await c.same("SELECT count(*)::int AS n FROM t")).to.deep.equal([{ n: 0 }]);
    await c.leader.query("INSERT INTO t SELECT i, 'v' || i, i / 4.0 FROM generate_series(1, 1000) i");
    // Published before the follower acknowledged the batch: already there in the turn the leader's commit returns in.
    expect(liveRows('t')).to.deep.equal([1000, 1000, 1000]);
    expect(await c.same('SELECT count(*)::int AS n, sum(n)::text AS s FROM t')).to.deep.equal([{ n: 1000, s: '125125.00' }]);
    await c.leader.query("UPDATE t SET v = 'changed' WHERE id % 10 = 0");
    expect(await c.same("SELECT count(*)::int AS n FROM t WHERE v = 'changed'")).to.deep.equal([{ n: 100 }]);
    await c.leader.query('DELETE FROM t WHERE id > 900');
    expect(liveRows('t')).to.deep.equal([900, 900, 900]);
    expect(await c.same('SELECT count(*)::int AS n, max(id) AS m FROM t')).to.deep.equal([{ n: 900, m: 900 }]);
    // A point lookup through the primary key on the standby, after the rows changed.
    expect(await c.same('SELECT v FROM t WHERE id = 500')).to.deep.equal([{ v: 'changed' }]);

    // 150,000 rows: three row groups of 65,536.
    await c.leader.query('CREATE TABLE big (k int, s text)');
    const lines: string[] = [];
    for (let i = 0; i < 150000; i++) lines.push(`${i}\ts${i % 97}`);
    await c.leader.copyFrom('big', lines.join('\n') + '\n');
    expect(await c.same("SELECT count(*)::int AS n, sum(k)::text AS s, count(DISTINCT s)::int AS d FROM big")).to.deep.equal([{ n: 150000, s: '11249925000', d: 97 }]);

    // A compaction: most row versions of t dead (GC_MIN_DEAD 1024, half the rows).
    const store = c.leader.database.storage as TableStore;
    const id = c.leader.database.storage.catalog().findTable('public', 't')!.id;
    const generation = () => store.current.tables.get(id)!.generation ?? 0;
    const before = generation();
    for (let round = 0; round < 3; round++) await c.leader.query('UPDATE t SET n = n + 1');
    await until(() => generation() > before, 10000);
    // The switch is a replicated write like any other: the standbys have it once it is acknowledged.
    await c.leader.query('INSERT INTO t VALUES (5000, \'after\', 1)');
    expect(await c.same('SELECT count(*)::int AS n, sum(n)::text AS s, min(v) AS v FROM t')).to.deep.equal([{ n: 901, s: '104063.50', v: 'after' }]);
    for (const sid of [2, 3]) {
      const standbyStore = c.standbys.get(sid)!.database.storage as TableStore;
      expect(standbyStore.current.tables.get(id)!.generation, `node ${sid}`).to.equal(generation());
    }
  });

  it('a REPEATABLE READ transaction on the standby keeps its snapshot while batches arrive', async () => {
    await c.leader.query('CREATE TABLE r (x int)');
    await c.leader.query('INSERT INTO r SELECT generate_series(1, 100)');
    const seen = await c.on(2).transaction(async (tx) => {
      await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      const first = (await tx.query('SELECT count(*)::int AS n FROM r')).rows[0];
      await c.leader.query('INSERT INTO r SELECT generate_series(101, 150)');
      await c.leader.query('DELETE FROM r WHERE x <= 10');
      const inside = (await tx.query('SELECT count(*)::int AS n, min(x) AS m FROM r')).rows[0];
      return { first, inside };
    });
    expect(seen).to.deep.equal({ first: { n: 100 }, inside: { n: 100, m: 1 } });
    // A statement after the transaction sees both writes.
    expect(await rows(c.on(2), 'SELECT count(*)::int AS n, min(x) AS m FROM r')).to.deep.equal([{ n: 140, m: 11 }]);
  });

  // Messages and SQLSTATEs as a PostgreSQL 15 hot standby answers them (checked against one streaming
  // from a primary). One deliberate difference: PostgreSQL lets SET default_transaction_read_only = off
  // through (its transactions stay read-only); here it is refused like BEGIN READ WRITE.
  it('refuses writes as a PostgreSQL hot standby does (25006), and says which node it is', async () => {
    await c.leader.exec('CREATE TABLE w (x int); CREATE SEQUENCE q');
    const s = c.on(2);
    const insert = await failure(s.query('INSERT INTO w VALUES (1)'));
    expect([insert.code, insert.message]).to.deep.equal(['25006', 'cannot execute INSERT in a read-only transaction']);
    const create = await failure(s.query('CREATE TABLE w2 (x int)'));
    expect([create.code, create.message]).to.deep.equal(['25006', 'cannot execute CREATE TABLE in a read-only transaction']);
    const next = await failure(s.query("SELECT nextval('q')"));
    expect([next.code, next.message]).to.deep.equal(['25006', 'cannot execute nextval() in a read-only transaction']);
    const analyze = await failure(s.query('ANALYZE w'));
    expect([analyze.code, analyze.message]).to.deep.equal(['25006', 'cannot execute ANALYZE during recovery']);
    const vacuum = await failure(s.query('VACUUM'));
    expect([vacuum.code, vacuum.message]).to.deep.equal(['25006', 'cannot execute VACUUM during recovery']);
    const lock = await failure(s.query('SELECT * FROM w FOR UPDATE'));
    expect([lock.code, lock.message]).to.deep.equal(['25006', 'cannot execute SELECT FOR UPDATE in a read-only transaction']);
    const rw = await failure(s.query('BEGIN READ WRITE'));
    expect([rw.code, rw.message]).to.deep.equal(['0A000', 'cannot set transaction read-write mode during recovery']);
    const serializable = await failure(s.query('BEGIN ISOLATION LEVEL SERIALIZABLE'));
    expect([serializable.code, serializable.message, serializable.hint]).to.deep.equal(['0A000', 'cannot use serializable mode in a hot standby', 'You can use REPEATABLE READ instead.']);
    const byDefault = await failure(
      s.transaction(async (tx) => {
        await tx.query('SET default_transaction_isolation = serializable');
        await tx.query('COMMIT');
        await tx.query('BEGIN');
        await tx.query('SELECT 1');
      }),
    );
    expect([byDefault.code, byDefault.message, byDefault.detail]).to.deep.equal(['0A000', 'cannot use serializable mode in a hot standby', '"default_transaction_isolation" is set to "serializable".']);
    const set = await failure(s.query('SET default_transaction_read_only = off'));
    expect([set.code, set.message]).to.deep.equal(['0A000', 'cannot set transaction read-write mode during recovery']);
    expect(await rows(s, 'SHOW transaction_read_only')).to.deep.equal([{ transaction_read_only: 'on' }]);
    expect(await rows(s, 'SHOW in_hot_standby')).to.deep.equal([{ in_hot_standby: 'on' }]);
    expect(await rows(s, 'SHOW cluster_node_id')).to.deep.equal([{ cluster_node_id: '2' }]);
    expect(await rows(c.on(3), 'SHOW cluster_node_id')).to.deep.equal([{ cluster_node_id: '3' }]);
    expect(await rows(c.leader, 'SHOW cluster_node_id')).to.deep.equal([{ cluster_node_id: '1' }]);
    // The leader's sequence and table were not touched.
    expect(await rows(c.leader, "SELECT nextval('q')::int AS v")).to.deep.equal([{ v: 1 }]);
    expect(await rows(s, 'SELECT count(*)::int AS n FROM w')).to.deep.equal([{ n: 0 }]);
  });

  it('reads chunks it keeps only as markers from the leader: the same answers after a trim', async () => {
    await c.leader.query('CREATE TABLE m (g int, k int, s text)');
    await c.leader.query("INSERT INTO m SELECT i % 50, i, 'x' || (i % 7) FROM generate_series(1, 200000) i");
    await c.trim();
    // Every chunk key a node does not hold by placement is a marker there now (four groups, three columns).
    const chunkKeys = [...c.stores.get(2)!.entries()].map(([k]) => k).filter((k) => k.startsWith('c/'));
    expect(chunkKeys).to.have.length(12);
    const elsewhere = (id: number) => chunkKeys.filter((k) => !c.placement.holds(id, k)).length;
    for (const id of [2, 3]) expect(c.standbys.get(id)!.kv.markerCount(), `node ${id} markers`).to.equal(elsewhere(id));
    expect(elsewhere(2) + elsewhere(3)).to.be.greaterThan(0);
    // A standby opened later (a whole copy received, a restart) learns the markers from its replica,
    // which keeps them as trims and batches land, and a replica made anew finds the same ones in the store.
    for (const id of [2, 3]) {
      const again = new Replica(c.stores.get(id)!, { self: id, placement: c.placement });
      expect(again.markerKeys().sort(), `node ${id} replica`).to.deep.equal(c.replicas.get(id)!.markerKeys().sort());
      const reopened = await Standby.open({ replica: again, fetch: async () => ({ entries: [], seq: 0 }), leaderCountsInSync: () => true, dataDirectory: null, settings: new Map() });
      expect(reopened.kv.markerCount(), `node ${id} reopened`).to.equal(elsewhere(id));
      await reopened.close();
    }
    const want = await c.same('SELECT g, count(*)::int AS n, sum(k)::text AS s, min(s) AS m FROM m GROUP BY g ORDER BY g');
    expect(want).to.have.length(50);
    // The markers' bytes came from the leader.
    for (const id of [2, 3]) expect(c.standbys.get(id)!.kv.stats.fetched, `node ${id} fetched`).to.equal(elsewhere(id));
    // The storage statistics read stored chunks too: a chunk held elsewhere counts as not stored here.
    for (const id of [2, 3]) expect(await rows(c.on(id), 'SELECT * FROM tessera_storage_stats()'), `node ${id}`).to.have.length(3);
    // The leader unreachable: a statement that needs chunks held elsewhere fails, retryable, with the reason.
    await c.leader.query('CREATE TABLE m2 (g int, k int, s text)');
    await c.leader.query('INSERT INTO m2 SELECT * FROM m');
    await c.trim();
    const m2 = c.leader.database.storage.catalog().findTable('public', 'm2')!.id;
    const cold = [2, 3].find((id) => [0, 1, 2, 3].some((g) => !c.placement.holds(id, `c/${m2}/0/${g}`)))!;
    c.net.cut.add(1);
    // It reads column g (count(*) alone reads no chunk: it would need nothing from the leader).
    const unreachable = await failure(c.on(cold).query('SELECT count(g) FROM m2'));
    c.net.cut.delete(1);
    expect(unreachable.code).to.equal('40001');
    expect(unreachable.message).to.match(/on this standby: fetching it from the leader failed \(node 1 unreachable\)/);
    expect(await rows(c.on(cold), 'SELECT count(g)::int AS n FROM m2')).to.deep.equal([{ n: 200000 }]);
    // A write after the trim: the rewritten chunks arrive whole, the rest are still read through the cache.
    await c.leader.query('INSERT INTO m VALUES (7, -1, \'new\')');
    await c.same('SELECT count(*)::int AS n, sum(k)::text AS s, max(s) AS m FROM m');
  });

  it('fetches the markers of the columns a statement reads only, subqueries in expressions included', async () => {
    await c.leader.query('CREATE TABLE w (a int, b int, s text, t text)');
    await c.leader.query("INSERT INTO w SELECT i, i % 10, 'x' || i, 'y' || i FROM generate_series(1, 200000) i");
    await c.trim();
    const id = c.leader.database.storage.catalog().findTable('public', 'w')!.id;
    // Four row groups; per node, the groups whose chunks are placed elsewhere.
    const away = (node: number) => [0, 1, 2, 3].filter((g) => !c.placement.holds(node, `c/${id}/0/${g}`)).length;
    const node = [2, 3].find((n) => away(n) > 0)!;
    const kv = c.standbys.get(node)!.kv;
    let before = kv.stats.fetched;
    expect(await rows(c.on(node), 'SELECT sum(a)::text AS s FROM w')).to.deep.equal([{ s: '20000100000' }]);
    expect(kv.stats.fetched - before, 'column a only').to.equal(away(node));
    before = kv.stats.fetched;
    // b in the outer query, t in a scalar subquery: a is fetched already.
    const got = await rows(c.on(node), "SELECT count(*)::int AS n FROM w WHERE b = 3 AND a > (SELECT count(*) FROM w x WHERE x.t = 'y5')");
    expect(got).to.deep.equal([{ n: 20000 }]);
    expect(kv.stats.fetched - before, 'columns b and t').to.equal(2 * away(node));
  });

  it('never reads a marker as data: a read that was not prepared fails (40001)', () => {
    const base = new MemoryKv();
    void base.write([['c/1/0/0', Buffer.alloc(0)]]);
    const kv = new StandbyKv(base, ['c/1/0/0'], 0, async () => ({ entries: [], seq: 0 }));
    const err = (() => {
      try {
        kv.get('c/1/0/0');
      } catch (e) {
        return e as { code: string; message: string };
      }
      return null;
    })();
    expect(err?.code).to.equal('40001');
    expect(err?.message).to.match(/chunk c\/1\/0\/0 .* bytes are on other nodes/);
  });

  it('a statement needing rows a replicated compaction removed fails with a conflict with recovery (40001)', async () => {
    await c.leader.query('CREATE TABLE k (id int, v int)');
    await c.leader.query('INSERT INTO k SELECT i, i FROM generate_series(1, 4000) i');
    const store = c.leader.database.storage as TableStore;
    const id = c.leader.database.storage.catalog().findTable('public', 'k')!.id;
    const generation = () => store.current.tables.get(id)!.generation ?? 0;
    const err = await c.on(2)
      .transaction(async (tx) => {
        await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
        expect((await tx.query('SELECT sum(v)::int AS s FROM k')).rows).to.deep.equal([{ s: 8002000 }]);
        // Most rows dead: the leader compacts the table and, having no reader of the old generation
        // itself, drops it at once; the standby applies both.
        await c.leader.query('UPDATE k SET v = v + 1');
        await c.leader.query('UPDATE k SET v = v + 1');
        await until(() => generation() > 0 && store.compactions.retired.size === 0, 10000);
        await c.leader.query('INSERT INTO k VALUES (0, 0)');
        return failure(tx.query('SELECT sum(v)::int AS s FROM k'));
      })
      .catch((e: unknown) => e as { code?: string; message: string; detail?: string });
    expect([err.code, err.message, err.detail]).to.deep.equal(['40001', 'canceling statement due to conflict with recovery', 'User query might have needed to see row versions that must be removed.']);
    // A new statement reads the compacted table.
    expect(await rows(c.on(2), 'SELECT sum(v)::int AS s, count(*)::int AS n FROM k')).to.deep.equal([{ s: 8010000, n: 4001 }]);
  });

  it('follows DDL and index changes: ALTER TABLE, CREATE INDEX, TRUNCATE, DROP; a snapshot older than a TRUNCATE fails with 40001', async () => {
    await c.leader.query('CREATE TABLE d (id int, v int)');
    await c.leader.query('INSERT INTO d SELECT i, i * 2 FROM generate_series(1, 20000) i');
    await c.leader.query('CREATE INDEX d_v ON d (v)');
    await c.leader.query('DELETE FROM d WHERE id % 3 = 0');
    await c.leader.query('INSERT INTO d SELECT i, i * 2 FROM generate_series(20001, 20100) i');
    expect(await c.same('SELECT count(*)::int AS n, sum(id)::int AS s FROM d WHERE v BETWEEN 100 AND 40150')).to.deep.equal([{ n: 13376, s: 134848700 }]);
    await c.leader.query("ALTER TABLE d ADD COLUMN w text DEFAULT 'w'");
    expect(await c.same('SELECT w, count(*)::int AS n FROM d GROUP BY w')).to.deep.equal([{ w: 'w', n: 13434 }]);
    const err = await c.on(3)
      .transaction(async (tx) => {
        await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
        expect((await tx.query('SELECT count(*)::int AS n FROM d')).rows).to.deep.equal([{ n: 13434 }]);
        await c.leader.query('TRUNCATE d');
        await c.leader.query('INSERT INTO d VALUES (1, 1, \'x\')');
        return failure(tx.query('SELECT count(*)::int AS n FROM d'));
      })
      .catch((e: unknown) => e as { code?: string; message: string });
    expect([err.code, err.message]).to.deep.equal(['40001', 'canceling statement due to conflict with recovery']);
    expect(await c.same('SELECT id, v, w FROM d')).to.deep.equal([{ id: 1, v: 1, w: 'x' }]);
    await c.leader.query('DROP TABLE d');
    const gone = await failure(c.on(2).query('SELECT 1 FROM d'));
    expect([gone.code, gone.message]).to.deep.equal(['42P01', 'relation "d" does not exist']);
  });

  it('is in sync only once the leader said so and every batch received is applied', async () => {
    await c.close();
    const held = new HeldKv();
    c = await standbyCluster({ store: (id) => (id === 3 ? held : new MemoryKv()) });
    const s3 = c.standbys.get(3)!;
    expect(s3.inSync()).to.equal(true);
    await c.leader.query('CREATE TABLE h (x int)');
    // Node 3's store holds its writes (a slow disk): the batch is received, not applied yet.
    held.hold();
    const insert = c.leader.query('INSERT INTO h VALUES (1)');
    await until(() => held.started > 0 && !c.replicas.get(3)!.caughtUp());
    expect(s3.inSync()).to.equal(false);
    held.release();
    await insert;
    expect(s3.inSync()).to.equal(true);
    expect(await rows(c.on(3), 'SELECT count(*)::int AS n FROM h')).to.deep.equal([{ n: 1 }]);
    // Not told by the leader (a follower catching up, or whose leader is gone): never in sync.
    c.told.delete(3);
    expect(s3.inSync()).to.equal(false);
  });

  it('is told again that it is in sync after its link failed (a restarted follower had not heard it)', async () => {
    await c.leader.query('CREATE TABLE rt (x int)');
    // Node 3's process restarted: the new one has not been told; the leader's next append to it fails.
    c.told.delete(3);
    c.net.cut.add(3);
    const insert = c.leader.query('INSERT INTO rt VALUES (1)');
    await until(() => c.leaderKv.followerStates().find((f) => f.id === 3)!.recovering);
    expect(c.standbys.get(3)!.inSync()).to.equal(false);
    c.net.cut.delete(3);
    await insert;
    await until(() => c.told.has(3));
    expect(c.standbys.get(3)!.inSync()).to.equal(true);
    expect(await rows(c.on(3), 'SELECT count(*)::int AS n FROM rt')).to.deep.equal([{ n: 1 }]);
  });

  it('a follower that joins behind is not in sync until the leader counts it so', async () => {
    // The placement is only what the standby asks for markers; a fresh copy has none.
    const placement = new Placement([1, 2, 3], 2);
    expect(placement.holders('c/1/0/0')).to.have.length(2);
    await c.leader.query('CREATE TABLE j (x int)');
    c.net.cut.add(3);
    c.leaderKv.setFollowers([2]);
    c.told.delete(3);
    await c.leader.query('INSERT INTO j VALUES (1)');
    expect(c.standbys.get(3)!.inSync()).to.equal(false);
    // Back: the leader resends what it lacks, then says it is in sync.
    c.net.cut.delete(3);
    c.leaderKv.setFollowers([2, 3]);
    await until(() => c.told.has(3));
    expect(c.leaderKv.followerStates().find((f) => f.id === 3)!.inSync).to.equal(true);
    expect(c.standbys.get(3)!.inSync()).to.equal(true);
    expect(await rows(c.on(3), 'SELECT count(*)::int AS n FROM j')).to.deep.equal([{ n: 1 }]);
  });
});
