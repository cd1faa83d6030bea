// The statement router's sessions as a whole: authentication stays the leader's, psql works through
// it (COPY included), and it falls back to the leader — for the whole session when the standby is
// missing or behind at connect, unit by unit when it falls behind or goes away later — and reports a
// lost leader as the plain relay does (57P01).
import { expect } from 'chai';
import { connect } from 'net';
import { serialize } from 'pg-protocol';
import { failure } from '../../helpers/pg-client';
import { psqlAvailable, runPsql } from '../../helpers/test-server';
import { LEADER_ID, PASSWORD, RoutedFollower, STANDBY_ID, startRoutedFollower } from '../../helpers/routed-follower';

describe('cluster statement router (sessions)', function () {
  this.timeout(60000);
  let f: RoutedFollower;

  before(async () => {
    f = await startRoutedFollower();
  });
  after(async () => {
    await f?.stop();
  });
  afterEach(() => {
    f.inSync = true;
    f.hasStandby = true;
    f.leaseLapsed = false;
  });

  const nodeOf = async (c: { query(sql: string): Promise<{ rows: { cluster_node_id: string }[] }> }) => (await c.query('SHOW cluster_node_id')).rows[0].cluster_node_id;

  it('leaves authentication to the leader: a wrong password is refused', async () => {
    const err = await failure(f.client({ password: 'wrong' }));
    expect(err.code).to.equal('28P01');
    // Byte level: the leader's FATAL is the last thing the client hears (no 57P01 of the router's after it).
    const raw = await rawFailedLogin(f.port);
    expect(raw.match(/S(FATAL|ERROR)\0/g)).to.deep.equal(['SFATAL\0']);
    expect(raw).to.contain('C28P01\0');
    const c = await f.client();
    expect(await nodeOf(c)).to.equal(STANDBY_ID);
    await c.end();
  });

  it('relays the whole session to the leader when the standby is behind or missing at connect', async () => {
    const relayed0 = f.counters.relayedSessions;
    f.inSync = false;
    const behind = await f.client();
    f.inSync = true;
    // Relayed untouched: even once the standby is in sync again, the session is the leader's.
    expect(await nodeOf(behind)).to.equal(LEADER_ID);
    expect((await behind.query('SELECT side FROM who WHERE n = $1', [1])).rows).to.deep.equal([{ side: 'leader' }]);
    await behind.end();
    f.hasStandby = false;
    const none = await f.client();
    expect(await nodeOf(none)).to.equal(LEADER_ID);
    await none.end();
    expect(f.counters.relayedSessions - relayed0).to.equal(2);
  });

  it('sends later units to the leader while the standby is behind, and back when it caught up', async () => {
    const c = await f.client();
    try {
      expect(await nodeOf(c)).to.equal(STANDBY_ID);
      f.inSync = false;
      expect(await nodeOf(c)).to.equal(LEADER_ID);
      f.inSync = true;
      expect(await nodeOf(c)).to.equal(STANDBY_ID);
    } finally {
      await c.end();
    }
  });

  it('asks for a read lease that ran out before it sends a session or a unit to the leader', async () => {
    const relayed0 = f.counters.relayedSessions;
    const renewals0 = f.leaseRenewals;
    // At connect: the session is routed (not relayed whole) once the lease is renewed.
    f.leaseLapsed = true;
    const c = await f.client();
    try {
      expect(await nodeOf(c)).to.equal(STANDBY_ID);
      expect(f.counters.relayedSessions).to.equal(relayed0);
      // Later (the lease ran out during a long statement): the next unit runs here too, simple and extended.
      f.leaseLapsed = true;
      expect(await nodeOf(c)).to.equal(STANDBY_ID);
      f.leaseLapsed = true;
      expect((await c.query('SELECT side FROM who WHERE n > $1', [0])).rows).to.deep.equal([{ side: 'standby' }]);
      expect(f.leaseRenewals - renewals0).to.equal(3);
      // Asked, and still behind (the leader no longer counts it): the unit goes to the leader.
      f.inSync = false;
      expect(await nodeOf(c)).to.equal(LEADER_ID);
      f.inSync = true;
      expect(await nodeOf(c)).to.equal(STANDBY_ID);
    } finally {
      await c.end();
    }
  });

  it('goes on with the leader when the standby session ends, and a new session uses the standby again', async () => {
    const c = await f.client();
    try {
      expect(await nodeOf(c)).to.equal(STANDBY_ID);
      await f.restartStandby();
      expect(await nodeOf(c)).to.equal(LEADER_ID);
      expect((await c.query('SELECT side FROM who WHERE n = $1', [1])).rows).to.deep.equal([{ side: 'leader' }]);
      const fresh = await f.client();
      expect(await nodeOf(fresh)).to.equal(STANDBY_ID);
      await fresh.end();
    } finally {
      await c.end();
    }
  });

  it('sends later units to the leader once the standby engine was closed under the session', async () => {
    const g = await startRoutedFollower();
    try {
      const c = await g.client();
      expect(await nodeOf(c)).to.equal(STANDBY_ID);
      await g.standbyDb.close();
      const err = await failure(c.query('SHOW cluster_node_id'));
      expect(err.code).to.equal('57P01');
      expect(await nodeOf(c)).to.equal(LEADER_ID);
      expect((await c.query('SELECT side FROM who')).rows).to.deep.equal([{ side: 'leader' }]);
      await c.end();
    } finally {
      await g.stop().catch(() => undefined);
    }
  });

  it('reports a lost leader as FATAL 57P01, also to a session whose last unit ran on the standby', async () => {
    const c = await f.client();
    expect(await nodeOf(c)).to.equal(STANDBY_ID);
    const lost = new Promise<{ code?: string; message: string }>((resolve) => c.on('error', (e) => resolve(e as { code?: string; message: string })));
    f.abandonAll();
    const err = await lost;
    expect(err.code).to.equal('57P01');
    expect(err.message).to.match(/lost its leader node/);
  });

  it('serves psql: reads from the standby, COPY and writes through the leader', async function () {
    if (!psqlAvailable()) this.skip();
    const env = { PGPASSWORD: PASSWORD };
    const lines = Array.from({ length: 2000 }, (_, i) => `${i}\tcopied-${i}`);
    const script = [
      'SHOW cluster_node_id;',
      'CREATE TABLE copied (n int, s text);',
      'COPY copied FROM STDIN;',
      ...lines,
      '\\.',
      'BEGIN;',
      'SELECT count(*) FROM copied;',
      'COMMIT;',
      'SELECT side FROM who;',
      'SELECT * FROM copied;',
      '',
    ].join('\n');
    const r = await runPsql(f.port, script, ['-t'], env);
    // The table exists on the leader only: inside the transaction it is read there; at idle the
    // standby (whose copy this fake never receives) does not know it.
    expect(r.stdout.split('\n').filter((l) => l !== '')).to.deep.equal([STANDBY_ID, 'CREATE TABLE', 'COPY 2000', 'BEGIN', '2000', 'COMMIT', 'standby']);
    expect(r.stderr).to.match(/relation "copied" does not exist/);
    const out = await runPsql(f.port, 'COPY (SELECT n, s FROM copied ORDER BY n) TO STDOUT;', [], env);
    expect(out.stdout).to.equal(lines.join('\n') + '\n');
  });
});

/** Everything the router sends a client that answers the leader's SCRAM challenge with a wrong proof, until the connection ends. */
function rawFailedLogin(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(serialize.startup({ user: 'postgres', database: 'postgres' })));
    let got = Buffer.alloc(0);
    let step = 0;
    s.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (step === 0 && got.includes('SCRAM-SHA-256')) {
        step = 1;
        s.write(serialize.sendSASLInitialResponseMessage('SCRAM-SHA-256', 'n,,n=*,r=abcdefghijklmnopqrstuvwx'));
      } else if (step === 1 && got.includes('r=abcdefghijklmnopqrstuvwx', got.indexOf('SCRAM-SHA-256') + 14)) {
        step = 2;
        const first = got.toString('latin1');
        const nonce = /r=([^,]+),/.exec(first)![1];
        s.write(serialize.sendSCRAMClientFinalMessage(`c=biws,r=${nonce},p=${Buffer.alloc(32).toString('base64')}`));
      }
    });
    s.on('error', reject);
    s.on('close', () => resolve(got.toString('latin1')));
  });
}
