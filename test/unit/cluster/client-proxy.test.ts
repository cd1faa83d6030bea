// The follower's relay of client connections to the leader (src/cluster/client-proxy.ts), in front of
// a real server process: pg and psql talk through it, cancel works, and a lost leader is reported.
import { expect } from 'chai';
import { Server, connect, createServer } from 'net';
import { Client } from 'pg';
import { proxyClient, ProxyTarget } from '../../../src/cluster/client-proxy';
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
