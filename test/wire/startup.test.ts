// Startup phase against the in-process server and the fake engine: SSL/GSS refusal, startup
// parameters, protocol versions, trust and SCRAM-SHA-256 authentication with the real pg driver,
// connection limits, the startup timeout, and CancelRequest routing.
import { expect } from 'chai';
import * as net from 'net';
import { Client } from 'pg';
import { RawClient, serialize } from '../helpers/raw-client';
import { formatVerifier, makeVerifier } from '../../src/wire/scram';
import { InProcessServer, eventually, startInProcess } from './in-process';

async function rawSocket(port: number): Promise<net.Socket> {
  const s = net.connect(port, '127.0.0.1');
  await new Promise((r) => s.once('connect', r));
  return s;
}

function nextData(s: net.Socket): Promise<Buffer> {
  return new Promise((resolve) => s.once('data', resolve));
}

function startupPacket(version: number, params: Record<string, string>): Buffer {
  const body = Buffer.concat([...Object.entries(params).map(([k, v]) => Buffer.from(`${k}\0${v}\0`)), Buffer.from([0])]);
  const head = Buffer.alloc(8);
  head.writeInt32BE(body.length + 8, 0);
  head.writeInt32BE(version, 4);
  return Buffer.concat([head, body]);
}

async function connectError(config: ConstructorParameters<typeof Client>[0]): Promise<any> {
  const c = new Client(config);
  c.on('error', () => undefined);
  try {
    await c.connect();
  } catch (err) {
    return err;
  }
  await c.end();
  return null;
}

describe('wire: startup (in-process, fake engine)', function () {
  this.timeout(20000);
  let s: InProcessServer;
  before(async () => {
    s = await startInProcess();
  });
  after(async () => s?.stop());

  it("answers SSLRequest and GSSENCRequest with 'N', then serves a normal startup on the same socket", async () => {
    for (const request of [80877103, 80877104]) {
      const sock = await rawSocket(s.port);
      const b = Buffer.alloc(8);
      b.writeInt32BE(8, 0);
      b.writeInt32BE(request, 4);
      const reply = nextData(sock);
      sock.write(b);
      expect((await reply).toString()).to.equal('N');
      const more = nextData(sock);
      sock.write(serialize.startup({ user: 'postgres' }));
      expect((await more)[0]).to.equal(0x52); // 'R' AuthenticationOk follows
      sock.destroy();
    }
    const c = new Client({ host: '127.0.0.1', port: s.port, user: 'postgres', ssl: false });
    await c.connect();
    expect((await c.query('select 1')).rows).to.deep.equal([{ '?column?': 1 }]);
    await c.end();
  });

  it('passes user, database, application_name, options and other parameters to createSession', async () => {
    const c = await RawClient.connect(s.port, false);
    c.send(serialize.startup({ user: 'alice', application_name: 'wire-test', options: '-c TimeZone=Europe/Paris --extra-float-digits=3 -c x=a\\ b', DateStyle: 'ISO, DMY' }));
    const msgs = await c.until('readyForQuery');
    const o = s.db.last.options;
    expect(o.user).to.equal('alice');
    expect(o.database).to.equal('alice'); // defaults to the user name, as in PostgreSQL
    expect(o.applicationName).to.equal('wire-test');
    expect(o.parameters).to.include({ TimeZone: 'Europe/Paris', extra_float_digits: '3', x: 'a b', DateStyle: 'ISO, DMY', application_name: 'wire-test' });
    expect(msgs.map((m) => m.name)).to.deep.equal([
      'authenticationOk',
      ...s.db.last.reportedParameters().map(() => 'parameterStatus'),
      'backendKeyData',
      'readyForQuery',
    ]);
    const params = Object.fromEntries(msgs.filter((m) => m.name === 'parameterStatus').map((m) => [m.parameterName, m.parameterValue]));
    expect(params.TimeZone).to.equal('Europe/Paris');
    expect(params.application_name).to.equal('wire-test');
    const key = msgs.find((m) => m.name === 'backendKeyData')!;
    expect([key.processID, key.secretKey]).to.deep.equal([s.db.last.processId, s.db.last.secretKey]);
    expect(msgs[msgs.length - 1].status).to.equal('I');
    c.close();
    await eventually(() => s.db.created.every((x) => x.closed));
  });

  it('answers protocol 3.1 and _pq_ options with NegotiateProtocolVersion, and refuses 2.0', async () => {
    const c = await RawClient.connect(s.port, false);
    c.send(startupPacket((3 << 16) | 1, { user: 'postgres', '_pq_.x': 'on' }));
    await c.until('readyForQuery');
    const v = c.raw.find((m) => m.type === 'v')!;
    expect(v.body.readInt32BE(0)).to.equal(0); // newest minor version we speak: 3.0
    expect(v.body.readInt32BE(4)).to.equal(1);
    expect(v.body.subarray(8).toString()).to.equal('_pq_.x\0');
    c.close();

    const old = await RawClient.connect(s.port, false);
    old.send(startupPacket(2 << 16, { user: 'postgres' }));
    const msgs = await old.untilClosed();
    expect(msgs[0]).to.include({ name: 'error', severity: 'FATAL', code: '0A000', message: 'unsupported frontend protocol 2.0: server supports 3.0 to 3.0' });
  });

  it('refuses a startup packet without a user (28000) and a session the engine refuses (its code, FATAL)', async () => {
    const c = await RawClient.connect(s.port, false);
    c.send(startupPacket(3 << 16, { database: 'x' }));
    expect((await c.untilClosed())[0]).to.include({ severity: 'FATAL', code: '28000', message: 'no PostgreSQL user name specified in startup packet' });
    const err = await connectError({ host: '127.0.0.1', port: s.port, user: 'postgres', database: 'nosuchdb' });
    expect(err).to.include({ code: '3D000', severity: 'FATAL', message: 'database "nosuchdb" does not exist' });
  });

  it('closes a connection that does not finish startup in time', async () => {
    const quick = await startInProcess({ startupTimeoutMs: 200 });
    try {
      const c = await RawClient.connect(quick.port, false);
      const msgs = await c.untilClosed(3000);
      expect(msgs[0]).to.include({ severity: 'FATAL', message: 'canceling authentication due to timeout' });
    } finally {
      await quick.stop();
    }
  });

  it('routes CancelRequest by process id and secret key; a wrong key does nothing', async () => {
    const c = await RawClient.connect(s.port);
    const session = s.db.last;
    c.send(serialize.query('sleep'));
    await eventually(() => session.executed.includes('sleep'));
    const cancel = async (pid: number, key: number) => {
      const sock = await rawSocket(s.port);
      sock.end(serialize.cancel(pid, key));
      await new Promise((r) => sock.once('close', r));
    };
    await cancel(session.processId, session.secretKey ^ 1);
    await cancel(session.processId + 1000, session.secretKey);
    await new Promise((r) => setTimeout(r, 100));
    expect(session.cancelled).to.equal(0);
    await cancel(session.processId, session.secretKey);
    const msgs = await c.until('readyForQuery');
    expect(msgs[0]).to.include({ name: 'error', code: '57014' });
    expect(session.cancelled).to.equal(1);
    c.close();
  });
});

describe('wire: connection limit (in-process)', function () {
  this.timeout(20000);

  it('refuses the connection over max_connections with 53300 but still takes CancelRequests', async () => {
    const s = await startInProcess({ maxConnections: 2 });
    try {
      const a = await RawClient.connect(s.port);
      const b = await RawClient.connect(s.port);
      const err = await connectError({ host: '127.0.0.1', port: s.port, user: 'postgres' });
      expect(err).to.include({ code: '53300', message: 'sorry, too many clients already' });
      const busy = s.db.created[0];
      a.send(serialize.query('sleep'));
      await eventually(() => busy.executed.includes('sleep'));
      const sock = await rawSocket(s.port);
      sock.end(serialize.cancel(busy.processId, busy.secretKey));
      expect((await a.until('readyForQuery'))[0].code).to.equal('57014');
      // A slot frees up when a client leaves.
      b.close();
      await eventually(() => s.db.sessions.size === 1);
      const c = new Client({ host: '127.0.0.1', port: s.port, user: 'postgres' });
      await c.connect();
      await c.end();
      a.close();
    } finally {
      await s.stop();
    }
  });
});

describe('wire: SCRAM-SHA-256 authentication (in-process, real pg driver)', function () {
  this.timeout(20000);
  let s: InProcessServer;
  before(async () => {
    const stored = formatVerifier(makeVerifier('from-verifier'));
    s = await startInProcess({ authMethod: 'scram-sha-256', users: new Map([['alice', 's3cret'], ['bob', stored]]) });
  });
  after(async () => s?.stop());

  it('accepts the right password (plain or stored as a verifier)', async () => {
    for (const [user, password] of [
      ['alice', 's3cret'],
      ['bob', 'from-verifier'],
    ]) {
      const c = new Client({ host: '127.0.0.1', port: s.port, user, password, database: 'postgres' });
      await c.connect();
      expect((await c.query('select 1')).rows).to.deep.equal([{ '?column?': 1 }]);
      await c.end();
    }
  });

  it('refuses a wrong password and an unknown user alike with FATAL 28P01', async () => {
    const before = s.db.created.length;
    for (const [user, password] of [
      ['alice', 'wrong'],
      ['mallory', 's3cret'],
    ]) {
      const err = await connectError({ host: '127.0.0.1', port: s.port, user, password });
      expect(err, user).to.include({ code: '28P01', severity: 'FATAL', message: `password authentication failed for user "${user}"` });
    }
    // No session was created for a client that failed authentication.
    expect(s.db.created.length).to.equal(before);
  });

  it('refuses a client that answers the SASL request with something else', async () => {
    const c = await RawClient.connect(s.port, false);
    c.send(serialize.startup({ user: 'alice' }));
    await c.until('authenticationSASL');
    c.send(serialize.query('select 1'));
    const msgs = await c.untilClosed();
    expect(msgs[0]).to.include({ severity: 'FATAL', code: '08P01' });
  });
});
