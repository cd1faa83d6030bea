// Statement router edge cases from a review: settings changed around a savepoint end the same on
// both sessions, and COPY data a client sends in the same packet as its COPY query reaches the
// leader instead of waiting behind it.
import { expect } from 'chai';
import { failure } from '../../helpers/pg-client';
import { RawClient, serialize } from '../../helpers/raw-client';
import { LEADER_ID, RoutedFollower, STANDBY_ID, startRoutedFollower } from '../../helpers/routed-follower';

describe('cluster statement router (review cases)', function () {
  this.timeout(60000);
  let f: RoutedFollower;

  before(async () => {
    f = await startRoutedFollower({ trust: true });
  });
  after(async () => {
    await f?.stop();
  });

  it('after a transaction with SET, SAVEPOINT and ROLLBACK TO, the standby shows the settings the leader has', async () => {
    const c = await f.client();
    try {
      const routed = async () => (await c.query("SELECT current_setting('cluster_node_id') AS node, current_setting('TimeZone') AS tz")).rows[0];
      expect((await routed()).node).to.equal(STANDBY_ID);
      await c.query('BEGIN');
      await c.query("SET TimeZone = 'Asia/Tokyo'");
      await c.query('SAVEPOINT s');
      await c.query("SET TimeZone = 'America/Lima'");
      await c.query('ROLLBACK TO SAVEPOINT s');
      await c.query('COMMIT');
      // Inside a transaction the leader's session answers.
      const results = (await c.query("BEGIN; SELECT current_setting('cluster_node_id') AS node, current_setting('TimeZone') AS tz; COMMIT")) as unknown as { rows: unknown[] }[];
      const leader = results[1].rows[0] as { node: string; tz: string };
      expect(leader.node).to.equal(LEADER_ID);
      // PostgreSQL undoes the SET made after the savepoint (Asia/Tokyo); this engine keeps America/Lima
      // (an engine difference, outside the router). Whatever the leader's session holds, the standby's must hold too.
      expect(await routed()).to.deep.equal({ node: STANDBY_ID, tz: leader.tz });
    } finally {
      await c.end();
    }
  });

  it('settings only the standby\'s session has another value of (read-only mode, hot standby) are read from the leader\'s, as SHOW is', async () => {
    const c = await f.client();
    try {
      expect((await c.query('SHOW cluster_node_id')).rows).to.deep.equal([{ cluster_node_id: STANDBY_ID }]);
      // Drivers tell a primary from a standby by these (libpq's target_session_attrs asks in_hot_standby).
      expect((await c.query('SHOW in_hot_standby')).rows).to.deep.equal([{ in_hot_standby: 'off' }]);
      expect((await c.query("SELECT current_setting('in_hot_standby') AS hs, current_setting('default_transaction_read_only'::text) AS d")).rows).to.deep.equal([{ hs: 'off', d: 'off' }]);
      expect((await c.query("SELECT setting FROM pg_settings WHERE name = 'default_transaction_read_only'")).rows).to.deep.equal([{ setting: 'off' }]);
      // A parameter's value is not known when the statement is parsed: the leader answers.
      expect((await c.query('SELECT current_setting($1) AS v', ['default_transaction_read_only'])).rows).to.deep.equal([{ v: 'off' }]);
      // Other settings are the same on both sessions and read locally.
      expect((await c.query("SELECT current_setting('cluster_node_id') AS n, current_setting('TimeZone') IS NOT NULL AS tz")).rows).to.deep.equal([{ n: STANDBY_ID, tz: true }]);
    } finally {
      await c.end();
    }
  });

  it('a Query right after extended messages with no Sync runs where they ran (the leader), in their transaction', async () => {
    const c = await RawClient.connect(f.port);
    try {
      c.send(
        serialize.parse({ text: "INSERT INTO who VALUES ('unsynced', 9)" }),
        serialize.bind({}),
        serialize.execute({}),
        serialize.query("SELECT count(*)::int AS n, current_setting('cluster_node_id') AS node FROM who WHERE n = 9"),
      );
      const got = await c.until('readyForQuery', 5000);
      // As PostgreSQL: the INSERT and the query share the implicit transaction; the query sees its row.
      expect(got.filter((m) => m.name === 'dataRow').map((m) => m.fields)).to.deep.equal([['1', LEADER_ID]]);
      c.send(serialize.query("DELETE FROM who WHERE n = 9"));
      await c.until('readyForQuery', 5000);
    } finally {
      c.socket.destroy();
    }
  });

  it('a BEGIN sent with the startup packet (before authentication ended) keeps later reads on the leader, in its transaction', async () => {
    const c = await RawClient.connect(f.port, false);
    try {
      c.send(serialize.startup({ user: 'postgres', database: 'postgres' }), serialize.query('BEGIN'));
      await c.until('readyForQuery', 5000);
      await c.until('readyForQuery', 5000);
      c.send(serialize.query("SELECT current_setting('cluster_node_id') AS node"));
      const got = await c.until('readyForQuery', 5000);
      expect(got.filter((m) => m.name === 'dataRow').map((m) => m.fields)).to.deep.equal([[LEADER_ID]]);
      expect(got[got.length - 1].status).to.equal('T');
    } finally {
      c.socket.destroy();
    }
    // Everything in one packet: the read after BEGIN is sent before the router has seen any answer.
    const d = await RawClient.connect(f.port, false);
    try {
      d.send(serialize.startup({ user: 'postgres', database: 'postgres' }), serialize.query('BEGIN'), serialize.query("SELECT current_setting('cluster_node_id') AS node"));
      for (let i = 0; i < 2; i++) await d.until('readyForQuery', 5000);
      const got = await d.until('readyForQuery', 5000);
      expect(got.filter((m) => m.name === 'dataRow').map((m) => m.fields)).to.deep.equal([[LEADER_ID]]);
      expect(got[got.length - 1].status).to.equal('T');
    } finally {
      d.socket.destroy();
    }
  });

  it('a CREATE TEMP TABLE that failed (this engine has no temporary tables) does not keep the session on the leader', async () => {
    const c = await f.client();
    try {
      expect((await c.query('SHOW cluster_node_id')).rows).to.deep.equal([{ cluster_node_id: STANDBY_ID }]);
      expect((await failure(c.query('CREATE TEMP TABLE mine (n int)'))).code).to.equal('0A000');
      expect((await c.query('SHOW cluster_node_id')).rows).to.deep.equal([{ cluster_node_id: STANDBY_ID }]);
    } finally {
      await c.end();
    }
  });

  it('COPY data sent in the same packet as its COPY query goes to the leader', async () => {
    const c = await RawClient.connect(f.port);
    try {
      c.send(serialize.query('CREATE TABLE piped (n int)'));
      await c.until('readyForQuery');
      c.send(Buffer.concat([serialize.query('COPY piped FROM STDIN'), serialize.copyData(Buffer.from('1\n2\n3\n')), serialize.copyDone()]));
      const got = await c.until('readyForQuery', 5000);
      expect(got.filter((m) => m.name === 'commandComplete').map((m) => m.text)).to.deep.equal(['COPY 3']);
    } finally {
      c.socket.destroy();
    }
  });
});
