// The follower's statement router (src/cluster/statement-router.ts) through the real pg driver: reads
// answered by the standby engine, everything else by the leader, one session as the client sees it.
import { expect } from 'chai';
import { Client } from 'pg';
import { failure } from '../../helpers/pg-client';
import { LEADER_ID, RoutedFollower, STANDBY_ID, startRoutedFollower } from '../../helpers/routed-follower';

describe('cluster statement router (pg)', function () {
  this.timeout(60000);
  let f: RoutedFollower;
  let c: Client;

  before(async () => {
    f = await startRoutedFollower();
  });
  after(async () => {
    await f?.stop();
  });
  beforeEach(async () => {
    c = await f.client();
  });
  afterEach(async () => {
    await c?.end().catch(() => undefined);
  });

  const side = async (sql: string, params?: unknown[]) => (await c.query(sql, params)).rows;

  it('answers read-only statements on the standby and counts them', async () => {
    const before = { ...f.counters };
    expect(await side('SELECT side, n FROM who')).to.deep.equal([{ side: 'standby', n: 2 }]);
    expect(await side('SHOW cluster_node_id')).to.deep.equal([{ cluster_node_id: STANDBY_ID }]);
    expect(await side('VALUES (1)')).to.deep.equal([{ column1: 1 }]);
    const explain = await side('EXPLAIN ANALYZE SELECT * FROM who');
    expect(explain.length).to.be.greaterThan(0);
    expect(f.counters.localUnits - before.localUnits).to.equal(4);
    expect(f.counters.leaderUnits - before.leaderUnits).to.equal(0);
    const stats = await side('SELECT node_id, local_units FROM tessera_route_stats()');
    // The statement reading the counters is itself a local unit.
    expect(stats).to.deep.equal([{ node_id: Number(STANDBY_ID), local_units: String(before.localUnits + 5) }]);
  });

  it('streams a large result from the standby whole', async () => {
    const before = f.counters.localUnits;
    const r = await c.query("SELECT g, repeat('x', g % 200) AS s, current_setting('cluster_node_id') AS node FROM generate_series(1, 200000) g");
    expect(f.counters.localUnits - before).to.equal(1);
    expect(r.rows.length).to.equal(200000);
    expect(r.rows[199999]).to.deep.equal({ g: 200000, s: 'x'.repeat(200000 % 200), node: STANDBY_ID });
    expect(r.rows.reduce((n: number, row: { s: string }) => n + row.s.length, 0)).to.equal(19900000);
  });

  it('sends writes, DDL, locking reads and session-bound functions to the leader', async () => {
    expect((await c.query("INSERT INTO who VALUES ('leader', 10)")).rowCount).to.equal(1);
    expect(await side('SELECT side, n FROM who FOR UPDATE')).to.deep.equal([
      { side: 'leader', n: 1 },
      { side: 'leader', n: 10 },
    ]);
    expect(await side("SELECT nextval('seq')::int AS v")).to.deep.equal([{ v: 1 }]);
    expect(await side('SELECT currval(\'seq\')::int AS v')).to.deep.equal([{ v: 1 }]);
    await c.query('CREATE TABLE made_here (a int)');
    expect(await side('SELECT count(*)::int AS n FROM who')).to.deep.equal([{ n: 1 }]); // standby, unchanged
    expect((await c.query('DELETE FROM who WHERE n = 10')).rowCount).to.equal(1);
    // The leader's session: the key the client holds is the leader's.
    const pid = (c as unknown as { processID: number }).processID;
    expect(await side('SELECT pg_backend_pid() AS pid')).to.deep.equal([{ pid }]);
  });

  it('pins a transaction to the leader, reads inside it too', async () => {
    await c.query('BEGIN');
    expect(await side('SELECT side FROM who')).to.deep.equal([{ side: 'leader' }]);
    expect(await side('SHOW cluster_node_id')).to.deep.equal([{ cluster_node_id: LEADER_ID }]);
    await c.query('COMMIT');
    expect(await side('SHOW cluster_node_id')).to.deep.equal([{ cluster_node_id: STANDBY_ID }]);
  });

  it('mirrors SET onto the standby session, at COMMIT when set inside a transaction', async () => {
    const t = "SELECT '2024-03-05 00:00:00+00'::timestamptz::text AS t, (0.1::float8 + 0.2::float8)::text AS f, cluster_node_id FROM (SELECT current_setting('cluster_node_id') AS cluster_node_id) s";
    expect(await side(t)).to.deep.equal([{ t: '2024-03-05 00:00:00+00', f: '0.30000000000000004', cluster_node_id: STANDBY_ID }]);
    await c.query("SET TimeZone = 'Asia/Tokyo'");
    expect(await side(t)).to.deep.equal([{ t: '2024-03-05 09:00:00+09', f: '0.30000000000000004', cluster_node_id: STANDBY_ID }]);
    // Changed and rolled back: the standby keeps the value from before.
    await c.query('BEGIN');
    await c.query('SET extra_float_digits = 0');
    await c.query('ROLLBACK');
    expect(await side(t)).to.deep.equal([{ t: '2024-03-05 09:00:00+09', f: '0.30000000000000004', cluster_node_id: STANDBY_ID }]);
    await c.query('BEGIN');
    await c.query('SET extra_float_digits = 0');
    await c.query('COMMIT');
    expect(await side(t)).to.deep.equal([{ t: '2024-03-05 09:00:00+09', f: '0.3', cluster_node_id: STANDBY_ID }]);
    // A SET that fails on the leader is not replayed.
    expect((await failure(c.query("SET TimeZone = 'Nowhere/Atlantis'"))).code).to.equal('22023');
    await c.query("SELECT set_config('TimeZone', 'America/New_York', false)");
    expect(await side(t)).to.deep.equal([{ t: '2024-03-04 19:00:00-05', f: '0.3', cluster_node_id: STANDBY_ID }]);
    await c.query('RESET TimeZone; RESET extra_float_digits');
    expect(await side(t)).to.deep.equal([{ t: '2024-03-05 00:00:00+00', f: '0.30000000000000004', cluster_node_id: STANDBY_ID }]);
  });
});
