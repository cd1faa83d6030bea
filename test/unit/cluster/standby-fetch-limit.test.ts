// standby_fetch_limit: a follower's statement whose marker chunks weigh more than the limit runs on
// the leader, invisibly to the client (cluster/routed-session.ts re-sends the unit; the standby's
// prefetch fetched nothing for it), through the simple and the extended protocol; one within the
// limit runs on the follower. The sizes come from the markers (storage/chunk-marker.ts).
import { expect } from 'chai';
import { Client } from 'pg';
import { markerChunkLength } from '../../../src/storage/chunk-marker';
import { RawClient, serialize } from '../../helpers/raw-client';
import { RoutedStandby, routedStandby } from '../../helpers/routed-standby';
import { StandbyCluster, rows, standbyCluster } from '../../helpers/standby-cluster';

describe('cluster standby: statements over standby_fetch_limit run on the leader', function () {
  this.timeout(60000);
  let c: StandbyCluster;
  let r: RoutedStandby;
  /** The follower routing the client: it keeps some chunks of column k only as markers. */
  let node: number;
  /** The byte length of those chunks (what a statement reading k fetches), as the markers name it. */
  let kBytes: number;
  let client: Client;

  before(async () => {
    c = await standbyCluster();
    await c.leader.query('CREATE TABLE m (g int, k int, s text)');
    await c.leader.query("INSERT INTO m SELECT i % 50, i, 'x' || (i % 7) FROM generate_series(1, 200000) i");
    await c.trim();
    const id = c.leader.database.storage.catalog().findTable('public', 'm')!.id;
    const markedBytes = (n: number, column: number) => {
      let sum = 0;
      for (let g = 0; g < 4; g++) {
        const v = c.stores.get(n)!.get(`c/${id}/${column}/${g}`)!;
        if (!c.placement.holds(n, `c/${id}/${column}/${g}`)) sum += markerChunkLength(v)!;
      }
      return sum;
    };
    node = [2, 3].find((n) => markedBytes(n, 1) > 0)!;
    kBytes = markedBytes(node, 1);
    // A marker names the length of the bytes it replaced.
    const leaderBytes = [0, 1, 2, 3].filter((g) => !c.placement.holds(node, `c/${id}/1/${g}`)).reduce((n, g) => n + c.leaderKv.get(`c/${id}/1/${g}`)!.length, 0);
    expect(kBytes).to.equal(leaderBytes);
    r = await routedStandby(c.leader.database, c.standbys.get(node)!, node);
  });
  after(async () => {
    await r?.stop();
    await c?.close();
  });
  beforeEach(async () => {
    client = new Client({ host: '127.0.0.1', port: r.port, user: 'postgres' });
    client.on('error', () => undefined);
    await client.connect();
  });
  afterEach(async () => {
    await client?.end().catch(() => undefined);
  });

  const kv = () => c.standbys.get(node)!.kv;
  const sumK = "SELECT sum(k)::text AS s, current_setting('cluster_node_id') AS node FROM m";
  const want = (side: number) => [{ s: '20000100000', node: String(side) }];

  it('runs a statement whose chunks weigh more than the limit on the leader, through the simple protocol', async () => {
    await client.query(`SET standby_fetch_limit = '${kBytes - 1}B'`);
    const before = { ...r.counters };
    const fetched = kv().stats.fetchedBytes;
    expect((await client.query(sumK)).rows).to.deep.equal(want(1));
    expect(r.counters.fetchLimitUnits - before.fetchLimitUnits).to.equal(1);
    expect(r.counters.leaderUnits - before.leaderUnits).to.equal(1);
    expect(r.counters.localUnits - before.localUnits).to.equal(0);
    expect(kv().stats.fetchedBytes - fetched, 'fetched for it').to.equal(0);
    // The session goes on: a statement reading no marker chunk stays on the follower.
    expect((await client.query("SELECT count(*)::int AS n, current_setting('cluster_node_id') AS node FROM m")).rows).to.deep.equal([{ n: 200000, node: String(node) }]);
    // The counter is in tessera_route_stats().
    const stats = (await client.query('SELECT fetch_limit_units::int AS f FROM tessera_route_stats()')).rows;
    expect(stats).to.deep.equal([{ f: r.counters.fetchLimitUnits }]);
    // At the limit exactly: the follower fetches and answers.
    await client.query(`SET standby_fetch_limit = '${kBytes}B'`);
    expect((await client.query(sumK)).rows).to.deep.equal(want(node));
    expect(kv().stats.fetchedBytes - fetched, 'fetched at the limit').to.equal(kBytes);
    expect(r.counters.fetchLimitUnits - before.fetchLimitUnits).to.equal(1);
  });

  it('does the same through the extended protocol, unnamed and named statements, and the client sees one answer', async () => {
    await client.query('SET standby_fetch_limit = 0');
    const before = { ...r.counters };
    const fetched = kv().stats.fetchedBytes;
    const count0 = kv().stats.refused;
    // Chunks fetched by the previous test are in the cache: column g has not been fetched yet.
    const sumG = "SELECT sum(g)::int AS s, current_setting('cluster_node_id') AS node FROM m WHERE k > $1";
    expect((await client.query(sumG, [0])).rows).to.deep.equal([{ s: 4900000, node: '1' }]);
    const named = { name: 'by_g', text: sumG, values: [100000] };
    expect((await client.query(named)).rows).to.deep.equal([{ s: 2450000, node: '1' }]);
    // The second time only Bind/Execute: the statement lives on both sides now.
    expect((await client.query(named)).rows).to.deep.equal([{ s: 2450000, node: '1' }]);
    expect(r.counters.fetchLimitUnits - before.fetchLimitUnits).to.equal(3);
    expect(kv().stats.refused - count0).to.equal(3);
    expect(kv().stats.fetchedBytes - fetched).to.equal(0);
    // -1: no limit; the named statement now runs on the follower.
    await client.query('SET standby_fetch_limit = -1');
    expect((await client.query(named)).rows).to.deep.equal([{ s: 2450000, node: String(node) }]);
    expect(kv().stats.fetchedBytes - fetched).to.be.greaterThan(0);
    expect(r.counters.fetchLimitUnits - before.fetchLimitUnits).to.equal(3);
  });

  it('leaves no trace of the attempt: the replies are exactly the leader\'s, ParseComplete and RowDescription once', async () => {
    const raw = await RawClient.connect(r.port);
    const names = async (...msgs: Buffer[]) => {
      raw.send(...msgs);
      return (await raw.until('readyForQuery')).map((m) => (m.name === 'dataRow' ? `row ${m.fields.join(',')}` : m.name));
    };
    try {
      await names(serialize.query('SET standby_fetch_limit = 0'));
      const before = r.counters.fetchLimitUnits;
      // Column s is not fetched yet by any test.
      const text = "SELECT max(s) AS s, current_setting('cluster_node_id') AS node FROM m";
      expect(await names(serialize.query(text))).to.deep.equal(['rowDescription', 'row x6,1', 'commandComplete', 'readyForQuery']);
      const ext = [serialize.parse({ name: 'mx', text }), serialize.describe({ type: 'S', name: 'mx' }), serialize.bind({ statement: 'mx' }), serialize.describe({ type: 'P' }), serialize.execute({}), serialize.sync()];
      expect(await names(...ext)).to.deep.equal(['parseComplete', 'parameterDescription', 'rowDescription', 'bindComplete', 'rowDescription', 'row x6,1', 'commandComplete', 'readyForQuery']);
      expect(r.counters.fetchLimitUnits - before).to.equal(2);
      // Pipelined behind a unit the standby refused, a unit it runs: answered in order.
      raw.send(serialize.query(text), serialize.query("SELECT current_setting('cluster_node_id') AS node"));
      const both = [...(await raw.until('readyForQuery')), ...(await raw.until('readyForQuery'))].map((m) => (m.name === 'dataRow' ? `row ${m.fields.join(',')}` : m.name));
      expect(both).to.deep.equal(['rowDescription', 'row x6,1', 'commandComplete', 'readyForQuery', 'rowDescription', `row ${node}`, 'commandComplete', 'readyForQuery']);
      expect(r.counters.fetchLimitUnits - before).to.equal(3);
      // A second statement in the unit follows rows already sent: it runs where the first did, fetching.
      const fetched = kv().stats.fetchedBytes;
      expect(await names(serialize.query(`SELECT 1 AS one; ${text}`))).to.deep.equal(['rowDescription', 'row 1', 'commandComplete', 'rowDescription', `row x6,${node}`, 'commandComplete', 'readyForQuery']);
      expect(kv().stats.fetchedBytes - fetched).to.be.greaterThan(0);
      expect(r.counters.fetchLimitUnits - before).to.equal(3);
      // The session is sound: an error on the standby is the standby's, a later read still runs there.
      expect(await names(serialize.query('SELECT 1/0'))).to.deep.equal(['error', 'readyForQuery']);
      expect(await names(serialize.query("SELECT current_setting('cluster_node_id')"))).to.deep.equal(['rowDescription', `row ${node}`, 'commandComplete', 'readyForQuery']);
    } finally {
      raw.close();
    }
  });

  it('refuses a SET of a value that is not a size', async () => {
    const err = await client.query("SET standby_fetch_limit = 'lots'").then(() => null, (e: { code: string }) => e);
    expect(err?.code).to.equal('22023');
    expect(await rows(c.leader, 'SHOW standby_fetch_limit')).to.deep.equal([{ standby_fetch_limit: '512MB' }]);
  });
});
