// The statement router with the extended protocol: parameterized and named prepared statements on
// the standby, then inside a transaction (the standby's Parse replayed to the leader), pipelined units
// answered in order from both sides, errors, and cancelling a long local statement.
import { expect } from 'chai';
import { Client } from 'pg';
import { connect } from 'net';
import { cancelRequest } from '../../../src/cluster/startup-packet';
import { failure } from '../../helpers/pg-client';
import { RawClient, serialize } from '../../helpers/raw-client';
import { LEADER_ID, RoutedFollower, STANDBY_ID, startRoutedFollower } from '../../helpers/routed-follower';

describe('cluster statement router (extended protocol)', function () {
  this.timeout(60000);
  let f: RoutedFollower;

  before(async () => {
    f = await startRoutedFollower({ trust: true });
  });
  after(async () => {
    await f?.stop();
  });

  it('runs parameterized and named prepared statements locally, and replays a local Parse to the leader inside a transaction', async () => {
    const c = await f.client();
    try {
      const byN = { name: 'by_n', text: 'SELECT side, n FROM who WHERE n >= $1', values: [0] };
      const local0 = f.counters.localUnits;
      expect((await c.query('SELECT side FROM who WHERE n = $1', [2])).rows).to.deep.equal([{ side: 'standby' }]);
      expect((await c.query(byN)).rows).to.deep.equal([{ side: 'standby', n: 2 }]);
      // The second run sends only Bind/Describe/Execute/Sync for the name the standby holds.
      expect((await c.query(byN)).rows).to.deep.equal([{ side: 'standby', n: 2 }]);
      expect(f.counters.localUnits - local0).to.equal(3);
      await c.query('BEGIN');
      // Inside the transaction the leader runs it: the router parses it there first, unseen by pg.
      expect((await c.query(byN)).rows).to.deep.equal([{ side: 'leader', n: 1 }]);
      expect((await c.query({ ...byN, values: [5] })).rows).to.deep.equal([]);
      expect((await c.query({ name: 'where', text: 'SELECT current_setting($1) AS v', values: ['cluster_node_id'] })).rows).to.deep.equal([{ v: LEADER_ID }]);
      await c.query('COMMIT');
      // Back at idle: the standby again (it still holds the statement).
      expect((await c.query(byN)).rows).to.deep.equal([{ side: 'standby', n: 2 }]);
      // Parsed on the leader (in the transaction): stays there.
      expect((await c.query({ name: 'where', text: 'SELECT current_setting($1) AS v', values: ['cluster_node_id'] })).rows).to.deep.equal([{ v: LEADER_ID }]);
    } finally {
      await c.end();
    }
  });

  it('closes a statement on both sessions once it was replayed, so the name can be parsed again on either', async () => {
    const c = await RawClient.connect(f.port);
    const run = async (...msgs: Buffer[]) => {
      c.send(...msgs, serialize.sync());
      return (await c.until('readyForQuery')).filter((m) => m.name === 'dataRow' || m.name === 'error').map((m) => (m.name === 'error' ? `error ${m.code}` : m.fields[0]));
    };
    const exec = (stmt: string) => [serialize.bind({ statement: stmt }), serialize.execute({})];
    try {
      const node = "SELECT current_setting('cluster_node_id')";
      expect(await run(serialize.parse({ name: 's1', text: node }), ...exec('s1'))).to.deep.equal([STANDBY_ID]);
      c.send(serialize.query('BEGIN'));
      await c.until('readyForQuery');
      expect(await run(...exec('s1'))).to.deep.equal([LEADER_ID]); // replayed on the leader
      c.send(serialize.query('COMMIT'));
      await c.until('readyForQuery');
      expect(await run(serialize.close({ type: 'S', name: 's1' }))).to.deep.equal([]);
      // Gone on both: parsed again, in a transaction (the leader) and then at idle (the standby).
      c.send(serialize.query('BEGIN'));
      await c.until('readyForQuery');
      expect(await run(serialize.parse({ name: 's1', text: 'SELECT 1' }), ...exec('s1'))).to.deep.equal(['1']);
      c.send(serialize.query('COMMIT'));
      await c.until('readyForQuery');
      expect(await run(serialize.parse({ name: 's2', text: node }), ...exec('s2'))).to.deep.equal([STANDBY_ID]);
      // A name the leader holds cannot be parsed again: the leader says so (42P05).
      expect(await run(serialize.parse({ name: 's1', text: 'SELECT 2' }))).to.deep.equal(['error 42P05']);
    } finally {
      c.close();
    }
  });

  it('hides the ParseComplete of a Parse it replays on the leader: the client sees the replies of what it sent', async () => {
    const c = await RawClient.connect(f.port);
    const names = async (...msgs: Buffer[]) => {
      c.send(...msgs);
      return (await c.until('readyForQuery')).map((m) => m.name);
    };
    try {
      const node = "SELECT current_setting('cluster_node_id')";
      const exec = [serialize.bind({ statement: 'hidden' }), serialize.execute({}), serialize.sync()];
      expect(await names(serialize.parse({ name: 'hidden', text: node }), ...exec)).to.deep.equal(['parseComplete', 'bindComplete', 'dataRow', 'commandComplete', 'readyForQuery']);
      await names(serialize.query('BEGIN'));
      // Parsed on the standby only: the router sends the Parse to the leader first, unseen.
      expect(await names(...exec)).to.deep.equal(['bindComplete', 'dataRow', 'commandComplete', 'readyForQuery']);
      await names(serialize.query('COMMIT'));
    } finally {
      c.close();
    }
  });

  it('answers pipelined units in order, from whichever side ran each', async () => {
    const c = await RawClient.connect(f.port);
    try {
      const ext = (sql: string, values: string[]) => [serialize.parse({ text: sql }), serialize.bind({ values }), serialize.describe({ type: 'P' }), serialize.execute({}), serialize.sync()];
      c.send(
        serialize.query('SELECT side FROM who'),
        serialize.query("INSERT INTO who VALUES ('leader', 3) RETURNING side"),
        ...ext('SELECT current_setting($1) AS v', ['cluster_node_id']),
        serialize.query('SELECT 1/0'),
        ...ext('SELECT side FROM who WHERE n = $1::int', ['3']),
        serialize.query('SHOW cluster_node_id'),
        serialize.query('DELETE FROM who WHERE n = 3'),
      );
      const rows: string[] = [];
      for (let i = 0; i < 7; i++) {
        const msgs = await c.until('readyForQuery');
        const got = msgs.filter((m) => m.name === 'dataRow' || m.name === 'error' || m.name === 'commandComplete').map((m) => (m.name === 'dataRow' ? m.fields[0] : m.name === 'error' ? `error ${m.code}` : m.text));
        rows.push(got.join(' | '));
      }
      // current_setting($1): the name is known only at run time, so the leader's session answers it.
      expect(rows).to.deep.equal(['standby | SELECT 1', 'leader | INSERT 0 1', `${LEADER_ID} | SELECT 1`, 'error 22012', 'SELECT 0', `${STANDBY_ID} | SHOW`, 'DELETE 1']);
    } finally {
      c.close();
    }
  });

  it('relays a unit whose client waits for answers before its Sync (Flush, as cursors fetch) to the leader as it comes', async () => {
    const c = await RawClient.connect(f.port);
    try {
      const sql = "SELECT g, current_setting('cluster_node_id') AS node FROM generate_series(1, 3) g";
      c.send(serialize.parse({ text: sql }), serialize.bind({ portal: 'cur' }), serialize.describe({ type: 'P', name: 'cur' }), serialize.execute({ portal: 'cur', rows: 2 }), serialize.flush());
      const first = await c.until('portalSuspended');
      expect(first.filter((m) => m.name === 'dataRow').map((m) => m.fields)).to.deep.equal([
        ['1', LEADER_ID],
        ['2', LEADER_ID],
      ]);
      c.send(serialize.execute({ portal: 'cur', rows: 0 }), serialize.sync());
      const rest = await c.until('readyForQuery');
      expect(rest.filter((m) => m.name === 'dataRow').map((m) => m.fields)).to.deep.equal([['3', LEADER_ID]]);
      c.send(serialize.query('SHOW cluster_node_id'));
      expect((await c.until('readyForQuery')).filter((m) => m.name === 'dataRow').map((m) => m.fields)).to.deep.equal([[STANDBY_ID]]);
    } finally {
      c.close();
    }
  });

  it('keeps the session usable after an error on the standby, and passes a leader error on too', async () => {
    const c = await f.client();
    try {
      const local = await failure(c.query('SELECT no_such_column FROM who'));
      expect(local.code).to.equal('42703');
      expect((await c.query('SELECT side FROM who')).rows).to.deep.equal([{ side: 'standby' }]);
      const leader = await failure(c.query('INSERT INTO no_such_table VALUES (1)'));
      expect(leader.code).to.equal('42P01');
      expect((await c.query('SELECT side FROM who WHERE n = $1', [2])).rows).to.deep.equal([{ side: 'standby' }]);
      // An unparsable statement is the leader's to refuse.
      const bad = await failure(c.query('SELEC 1'));
      expect(bad.code).to.equal('42601');
      expect((await c.query('SHOW cluster_node_id')).rows).to.deep.equal([{ cluster_node_id: STANDBY_ID }]);
    } finally {
      await c.end();
    }
  });

  it('cancels a long statement running on the standby with the leader key the client holds', async () => {
    const c: Client = await f.client();
    try {
      const local0 = f.counters.localUnits;
      const slow = failure(c.query('SELECT sum(g) FROM generate_series(1, 2000000000) AS s(g)'));
      await new Promise((r) => setTimeout(r, 300));
      const { processID, secretKey } = c as unknown as { processID: number; secretKey: number };
      await new Promise<void>((resolve, reject) => {
        const s = connect(f.port, '127.0.0.1', () => s.end(cancelRequest(processID, secretKey)));
        s.on('close', () => resolve());
        s.on('error', reject);
      });
      const err = await slow;
      expect(f.counters.localUnits - local0).to.equal(1);
      expect(err.code).to.equal('57014');
      expect(err.ms).to.be.lessThan(10000);
      expect((await c.query('SHOW cluster_node_id')).rows).to.deep.equal([{ cluster_node_id: STANDBY_ID }]);
    } finally {
      await c.end();
    }
  });
});
