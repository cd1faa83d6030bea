// The follower's relay of client connections to the leader (src/cluster/client-proxy.ts), in front of
// a real server process: pg and psql talk through it, cancel works, and a lost leader is reported.
import { expect } from 'chai';
import { Server, Socket, connect, createServer } from 'net';
import { Client } from 'pg';
import { fatalErrorBytes, proxyClient, ProxyTarget, RelayedSession } from '../../../src/cluster/client-proxy';
import { TestServer, psqlAvailable, runPsql, startTestServer } from '../../helpers/test-server';
import { failure } from '../../helpers/pg-client';

describe('cluster client proxy', function () {
  this.timeout(60000);
  let server: TestServer;
  let proxy: Server;
  let proxyPort = 0;
  let target: ProxyTarget | null = null;

  before(async () => {
    server = await startTestServer();
    target = { host: '127.0.0.1', port: server.port };
    proxy = createServer((socket) => proxyClient(socket, () => target));
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    proxyPort = (proxy.address() as { port: number }).port;
  });

  after(async () => {
    proxy?.close();
    await server?.stop();
  });

  const connectProxied = async () => {
    const c = new Client({ host: '127.0.0.1', port: proxyPort, user: 'postgres' });
    c.on('error', () => undefined);
    await c.connect();
    return c;
  };

  it('relays simple and extended queries and their errors', async () => {
    const c = await connectProxied();
    try {
      await c.query('CREATE TABLE proxied (id int PRIMARY KEY, s text)');
      await c.query('INSERT INTO proxied SELECT g, repeat($1, g % 50) FROM generate_series(1, 5000) g', ['ab']);
      const r = await c.query('SELECT count(*)::int AS n, sum(length(s))::int AS len FROM proxied WHERE id > $1', [10]);
      expect(r.rows).to.deep.equal([{ n: 4990, len: 244890 }]);
      const dup = await failure(c.query('INSERT INTO proxied VALUES (1, null)'));
      expect(dup.code).to.equal('23505');
      expect((await c.query('SELECT 1 AS one')).rows).to.deep.equal([{ one: 1 }]);
    } finally {
      await c.end();
    }
  });

  it('answers psql\'s encryption request itself and relays the rest', async function () {
    if (!psqlAvailable()) this.skip();
    const r = await runPsql(proxyPort, 'SELECT count(*) FROM proxied;', ['-tA']);
    expect(r.stdout.trim()).to.equal('5000');
  });

  it('relays a cancel request to the server that runs the statement', async () => {
    const c = await connectProxied();
    try {
      const slow = failure(c.query('SELECT sum(g) FROM generate_series(1, 1000000000) AS s(g)'));
      await new Promise((r) => setTimeout(r, 300));
      // As drivers do: a CancelRequest with the session's key, on a new connection to the same port.
      const { processID, secretKey } = c as unknown as { processID: number; secretKey: number };
      await sendCancel(proxyPort, processID, secretKey);
      const err = await slow;
      expect(err.code).to.equal('57014');
      expect(err.ms).to.be.lessThan(10000);
    } finally {
      await c.end();
    }
  });

  // Review: COPY in both directions through the relay, compared with the same COPY straight to the server.
  it('relays COPY FROM STDIN and COPY TO STDOUT byte for byte', async function () {
    if (!psqlAvailable()) this.skip();
    const lines: string[] = [];
    for (let i = 0; i < 30000; i++) lines.push(`${i}\t${'x'.repeat(i % 97)}\t${i % 7 === 0 ? '\\N' : `v${i}`}`);
    const load = await runPsql(proxyPort, `CREATE TABLE copied (id int, s text, t text);\nCOPY copied FROM STDIN;\n${lines.join('\n')}\n\\.\n`);
    expect(load.stdout).to.match(/COPY 30000/);
    const out = 'COPY (SELECT * FROM copied ORDER BY id) TO STDOUT;';
    const viaProxy = await runPsql(proxyPort, out);
    const direct = await runPsql(server.port, out);
    expect(viaProxy.stdout).to.equal(lines.join('\n') + '\n');
    expect(viaProxy.stdout).to.equal(direct.stdout);
  });

  it('reports a lost leader as FATAL 57P01 between messages, and refuses with 57P03 while none is known', async () => {
    const c = await connectProxied();
    const lost = new Promise<{ code?: string; message: string }>((resolve) => c.on('error', (e) => resolve(e as { code?: string; message: string })));
    await server.kill9();
    const err = await lost;
    expect(err.code).to.equal('57P01');
    expect(err.message).to.match(/reconnect and retry/);
    target = null;
    const refused = await failure(connectProxied());
    expect(refused.code).to.equal('57P03');
    await server.restart();
    target = { host: '127.0.0.1', port: server.port };
    const again = await connectProxied();
    expect((await again.query('SELECT count(*)::int AS n FROM proxied')).rows).to.deep.equal([{ n: 5000 }]);
    await again.end();
  });
});

/** A CancelRequest packet on a new connection, as drivers send it. */
function sendCancel(port: number, pid: number, secret: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => {
      const b = Buffer.alloc(16);
      b.writeInt32BE(16, 0);
      b.writeInt32BE(80877102, 4);
      b.writeInt32BE(pid, 8);
      b.writeInt32BE(secret, 12);
      s.end(b);
    });
    s.on('close', () => resolve());
    s.on('error', reject);
  });
}

// Review: the relay in front of a scripted leader, so the exact bytes and the moment it goes can be chosen.
describe('cluster client proxy, byte stream at the end of a session', function () {
  this.timeout(20000);
  const servers: Server[] = [];
  after(() => {
    for (const s of servers) s.close();
  });

  /** A leader that answers the startup packet with `script(socket)`; returns the proxy's port. */
  async function relayTo(script: (leader: Socket, first: Buffer) => void): Promise<number> {
    const leader = createServer((s) => {
      s.on('error', () => undefined);
      s.once('data', (first) => script(s, first));
    });
    await new Promise<void>((r) => leader.listen(0, '127.0.0.1', () => r()));
    const port = (leader.address() as { port: number }).port;
    const proxy = createServer((socket) => proxyClient(socket, () => ({ host: '127.0.0.1', port })));
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    servers.push(leader, proxy);
    return (proxy.address() as { port: number }).port;
  }

  /** Connects, sends a startup packet (and `then`), reads until the proxy closes; `pauseMs`: read nothing at first. */
  function session(port: number, then: Buffer, pauseMs = 0): Promise<Buffer> {
    return new Promise((resolve) => {
      const parts: Buffer[] = [];
      const s = connect(port, '127.0.0.1', () => {
        const user = Buffer.from('user\0postgres\0\0');
        const startup = Buffer.alloc(8);
        startup.writeInt32BE(8 + user.length, 0);
        startup.writeInt32BE(196608, 4);
        s.write(Buffer.concat([startup, user, then]));
        if (pauseMs > 0) {
          s.pause();
          setTimeout(() => s.resume(), pauseMs);
        }
      });
      s.on('data', (b) => parts.push(b));
      s.on('error', () => undefined);
      s.on('close', () => resolve(Buffer.concat(parts)));
    });
  }

  /** The messages of a backend byte stream: [type, body]; a truncated last one is reported as such. */
  function messages(b: Buffer): { type: string; body: Buffer; truncated?: boolean }[] {
    const out: { type: string; body: Buffer; truncated?: boolean }[] = [];
    let p = 0;
    while (p < b.length) {
      const len = p + 5 <= b.length ? b.readInt32BE(p + 1) : Infinity;
      if (p + 1 + len > b.length) {
        out.push({ type: String.fromCharCode(b[p]), body: b.subarray(p + 5), truncated: true });
        break;
      }
      out.push({ type: String.fromCharCode(b[p]), body: b.subarray(p + 5, p + 1 + len) });
      p += 1 + len;
    }
    return out;
  }

  const msg = (type: string, body: Buffer) => {
    const h = Buffer.alloc(5);
    h.write(type, 0, 'latin1');
    h.writeInt32BE(body.length + 4, 1);
    return Buffer.concat([h, body]);
  };
  const ready = Buffer.concat([msg('R', Buffer.alloc(4)), msg('Z', Buffer.from('I'))]);
  const sqlstate = (body: Buffer) => /C([0-9A-Z]{5})\0/.exec(body.toString('latin1'))?.[1];

  it('reports a leader lost right after a (non-fatal) error of a pipelined statement with 57P01', async () => {
    // The extended protocol: Parse fails, the leader answers ERROR and waits for Sync; then it dies.
    // (The client's Parse arrives with its startup packet.)
    const port = await relayTo((leader) => {
      const err = Buffer.from('SERROR\0VERROR\0C42601\0Msyntax error\0\0', 'latin1');
      leader.write(Buffer.concat([ready, msg('E', err)]), () => leader.destroy());
    });
    const parse = msg('P', Buffer.from('\0SELEC 1\0\0\0', 'latin1'));
    const got = messages(await session(port, parse));
    expect(got.map((m) => m.type).join('')).to.equal('RZEE');
    expect(sqlstate(got[2].body)).to.equal('42601');
    expect(sqlstate(got[3].body)).to.equal('57P01');
  });

  it('refuses a client with 57P03 (retry) when the leader it names cannot be reached at all', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const deadPort = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const proxy = createServer((socket) => proxyClient(socket, () => ({ host: '127.0.0.1', port: deadPort })));
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    servers.push(proxy);
    const got = messages(await session((proxy.address() as { port: number }).port, Buffer.alloc(0)));
    expect(got.map((m) => m.type).join('')).to.equal('E');
    expect(sqlstate(got[0].body)).to.equal('57P03');
  });

  it('ends a session with 57P01 when its leader is deposed but still holds the connection (paused)', async () => {
    // The leader answers the startup and then says nothing more, as a SIGSTOPped process would.
    const leader = createServer((s) => {
      s.on('error', () => undefined);
      s.once('data', () => s.write(ready));
    });
    await new Promise<void>((r) => leader.listen(0, '127.0.0.1', () => r()));
    const port = (leader.address() as { port: number }).port;
    const sessions: RelayedSession[] = [];
    const proxy = createServer((socket) => sessions.push(proxyClient(socket, () => ({ host: '127.0.0.1', port }))));
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    servers.push(leader, proxy);
    const query = msg('Q', Buffer.from('SELECT 1\0'));
    const done = session((proxy.address() as { port: number }).port, query);
    const deadline = Date.now() + 5000;
    while (sessions.length === 0 || sessions[0].target() === null) {
      if (Date.now() > deadline) throw new Error('the session was not relayed');
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(sessions[0].target()).to.deep.equal({ host: '127.0.0.1', port });
    await new Promise((r) => setTimeout(r, 100));
    // The agreed view names another leader now.
    sessions[0].abandon();
    const got = messages(await done);
    expect(got.map((m) => m.type).join('')).to.equal('RZE');
    expect(sqlstate(got[2].body)).to.equal('57P01');
  });

  it('adds nothing when the leader closes the session after the client\'s Terminate', async () => {
    // The leader closes as soon as Terminate arrives, before the client's own end reaches the relay.
    const port = await relayTo((leader, first) => {
      leader.write(ready);
      // The Terminate comes right after the startup packet (the client sends both at once).
      if (first[first.length - 5] === 0x58) leader.destroy();
    });
    const got = messages(await session(port, msg('X', Buffer.alloc(0))));
    expect(got.map((m) => m.type).join('')).to.equal('RZ');
  });

  it('hands a slow client every byte of a large result and the leader\'s own FATAL before closing', async () => {
    const rows: Buffer[] = [];
    for (let i = 0; i < 4000; i++) rows.push(msg('D', Buffer.alloc(2000, i % 251)));
    const fatal = fatalErrorBytes('57P01', 'terminating connection due to administrator command');
    const sent = Buffer.concat([ready, ...rows, fatal]);
    const port = await relayTo((leader) => leader.end(sent));
    const got = await session(port, Buffer.alloc(0), 500);
    expect(got.length).to.equal(sent.length);
    expect(got.equals(sent)).to.equal(true);
  });
});
