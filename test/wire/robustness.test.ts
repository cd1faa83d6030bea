// Bad input and shutdown against the in-process server: broken framing closes only the offending
// connection (FATAL 08P01), bad content inside a well-framed message is an ordinary error, and
// RunningServer.close() cancels running statements, says 57P01 and closes every session.
import { expect } from 'chai';
import { Client } from 'pg';
import { RawClient, serialize } from '../helpers/raw-client';
import { InProcessServer, eventually, startInProcess } from './in-process';

function header(type: string, length: number): Buffer {
  const b = Buffer.alloc(5);
  b[0] = type.charCodeAt(0);
  b.writeInt32BE(length, 1);
  return b;
}

describe('wire: malformed input (in-process)', function () {
  this.timeout(20000);
  let s: InProcessServer;
  let bystander: Client;
  before(async () => {
    s = await startInProcess();
    bystander = new Client({ host: '127.0.0.1', port: s.port, user: 'postgres' });
    await bystander.connect();
  });
  after(async () => {
    await bystander?.end();
    await s?.stop();
  });
  afterEach(async () => {
    // Whatever happened to the other connection, this one is fine.
    expect((await bystander.query('select 1')).rows).to.deep.equal([{ '?column?': 1 }]);
  });

  const cases: [string, Buffer, RegExp][] = [
    ['a negative length', header('Q', -7), /invalid message length/],
    ['a length shorter than the length word', header('Q', 2), /invalid message length/],
    ['a Query over 1 GB', header('Q', 0x7fffffff), /invalid message length/],
    ['a Sync over the 10000-byte control-message limit', header('S', 20000), /invalid message length/],
    ['an unknown message type', Buffer.from('z'), /invalid frontend message type 122/],
    ['a password message after startup', Buffer.concat([header('p', 8), Buffer.from('pw!\0')]), /invalid frontend message type 112/],
  ];
  for (const [what, bytes, message] of cases) {
    it(`closes the connection that sends ${what}, with FATAL 08P01`, async () => {
      const c = await RawClient.connect(s.port);
      const session = s.db.last;
      c.send(bytes);
      const msgs = await c.untilClosed();
      expect(msgs.map((m) => m.name)).to.deep.equal(['error']);
      expect(msgs[0]).to.include({ severity: 'FATAL', code: '08P01' });
      expect(msgs[0].message).to.match(message);
      await eventually(() => session.closed);
    });
  }

  it('closes a connection whose startup packet is oversized', async () => {
    const c = await RawClient.connect(s.port, false);
    const b = Buffer.alloc(8);
    b.writeInt32BE(10001, 0);
    b.writeInt32BE(196608, 4);
    c.send(b);
    const msgs = await c.untilClosed();
    expect(msgs[0]).to.include({ severity: 'FATAL', code: '08P01', message: 'invalid length of startup packet' });
  });

  it('answers a well-framed message with bad content with ERROR 08P01 and keeps the connection', async () => {
    const c = await RawClient.connect(s.port);
    // A Bind whose body stops in the middle of its fields, and a Describe of an unknown kind.
    const body = Buffer.from('\0\0\0');
    c.send(Buffer.concat([header('B', body.length + 4), body]));
    c.send(Buffer.concat([header('D', 4 + 2), Buffer.from('X\0')]), serialize.sync());
    const msgs = await c.until('readyForQuery');
    expect(msgs.map((m) => m.name)).to.deep.equal(['error', 'readyForQuery']);
    expect(msgs[0]).to.include({ severity: 'ERROR', code: '08P01', message: 'insufficient data left in message' });
    // A Query string without its terminating NUL.
    c.send(Buffer.concat([header('Q', 4 + 8), Buffer.from('select 1')]));
    const q = await c.until('readyForQuery');
    expect(q[0]).to.include({ severity: 'ERROR', code: '08P01', message: 'invalid string in message' });
    c.send(serialize.parse({ text: 'select 1' }), Buffer.concat([header('D', 4 + 2), Buffer.from('X\0')]), serialize.sync());
    const d = await c.until('readyForQuery');
    expect(d[1]).to.include({ code: '08P01', message: 'invalid DESCRIBE message subtype 88' });
    c.close();
  });

  it('survives a client that vanishes in the middle of a message', async () => {
    const c = await RawClient.connect(s.port);
    const session = s.db.last;
    const full = serialize.query('select 1');
    c.socket.end(full.subarray(0, 7));
    await eventually(() => session.closed);
    expect(session.executed).to.deep.equal([]);
  });
});

describe('wire: shutdown (in-process)', function () {
  this.timeout(20000);

  it('close() stops listening, cancels running statements, sends 57P01 and closes every session', async () => {
    const s = await startInProcess();
    const idle = await RawClient.connect(s.port);
    const busy = await RawClient.connect(s.port);
    const busySession = s.db.last;
    busy.send(serialize.query('sleep'));
    await eventually(() => busySession.executed.includes('sleep'));
    const started = Date.now();
    await s.stop();
    expect(Date.now() - started).to.be.below(5000);
    const busyMsgs = await busy.untilClosed();
    // The running statement was cancelled and answered before the connection ended.
    expect(busyMsgs.map((m) => m.name)).to.deep.equal(['error', 'readyForQuery', 'error']);
    expect(busyMsgs[0].code).to.equal('57014');
    expect(busyMsgs[2]).to.include({ severity: 'FATAL', code: '57P01', message: 'terminating connection due to administrator command' });
    const idleMsgs = await idle.untilClosed();
    expect(idleMsgs[0]).to.include({ severity: 'FATAL', code: '57P01' });
    expect(s.db.created.every((x) => x.closed)).to.equal(true);
    const late = new Client({ host: '127.0.0.1', port: s.port, user: 'postgres' });
    late.on('error', () => undefined);
    let refused = false;
    await late.connect().catch(() => (refused = true));
    expect(refused).to.equal(true);
  });

  it('close() gives up on a statement that ignores cancellation after the grace period', async () => {
    const s = await startInProcess({ shutdownGraceMs: 300 });
    const c = await RawClient.connect(s.port);
    const session = s.db.last;
    // Make the session deaf to cancel(): the statement sleeps its full 10 s.
    session.cancel = () => undefined;
    c.send(serialize.query('sleep'));
    await eventually(() => session.executed.includes('sleep'));
    const started = Date.now();
    await s.stop();
    expect(Date.now() - started).to.be.below(3000);
    await c.untilClosed();
  });
});
