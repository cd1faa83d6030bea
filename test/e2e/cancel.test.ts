// A long CPU-bound query is cancelled while it runs: pg's client.cancel() sends a CancelRequest on a
// new connection, the server's event loop sees it because running queries pause every few
// milliseconds, and the query fails with 57014. A CancelRequest with a wrong key does nothing, other
// sessions are served while the query runs, and statement_timeout (also through set_config) stops it.
import { expect } from 'chai';
import * as net from 'net';
import { TestServer, startTestServer } from '../helpers/test-server';
import { connectPg, failure } from '../helpers/pg-client';

/** Several seconds of CPU at least: a billion-row series summed (the test never lets it finish). */
const LONG_QUERY = 'select sum(g) from generate_series(1, 1000000000) as s(g)';

function sendCancel(port: number, pid: number, key: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => {
      const b = Buffer.alloc(16);
      b.writeInt32BE(16, 0);
      b.writeInt32BE(80877102, 4);
      b.writeInt32BE(pid, 8);
      b.writeInt32BE(key, 12);
      s.end(b);
    });
    s.on('close', () => resolve());
    s.on('error', reject);
  });
}

describe('cancelling a running query', function () {
  this.timeout(60000);
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server?.stop();
  });

  it('CancelRequest stops a CPU-bound query with 57014; a wrong key does nothing; the session goes on', async () => {
    const victim = await connectPg(server.port);
    const other = await connectPg(server.port);
    try {
      const { processID, secretKey } = victim as unknown as { processID: number; secretKey: number };
      const running = failure(victim.query(LONG_QUERY));
      await new Promise((r) => setTimeout(r, 300));
      // A wrong key (and another backend's right key for a pid that is not running anything) change nothing.
      await sendCancel(server.port, processID, (secretKey ^ 0x5a5a) | 1);
      // Other sessions are served while the query runs.
      const t0 = Date.now();
      expect((await other.query('select 41 + 1 as answer')).rows).to.deep.equal([{ answer: 42 }]);
      expect(Date.now() - t0).to.be.below(2000);
      await new Promise((r) => setTimeout(r, 300));
      await sendCancel(server.port, processID, secretKey);
      const err = await running;
      expect(err.code).to.equal('57014');
      expect(err.message).to.equal('canceling statement due to user request');
      // The query ran until the right cancel came (the wrong one at ~300 ms did not stop it).
      expect(err.ms).to.be.at.least(550);
      expect((await victim.query('select 1 as still_here')).rows).to.deep.equal([{ still_here: 1 }]);
    } finally {
      await victim.end();
      await other.end();
    }
  });

  it('statement_timeout set with SET or set_config() cancels a long query', async () => {
    const c = await connectPg(server.port);
    try {
      await c.query("set statement_timeout = '300ms'");
      const a = await failure(c.query(LONG_QUERY));
      expect([a.code, a.message]).to.deep.equal(['57014', 'canceling statement due to statement timeout']);
      expect(a.ms).to.be.below(5000);
      await c.query('reset statement_timeout');
      expect((await c.query("select set_config('statement_timeout', '200', false) as v")).rows).to.deep.equal([{ v: '200ms' }]);
      const b = await failure(c.query(LONG_QUERY));
      expect(b.code).to.equal('57014');
      expect((await c.query('show statement_timeout')).rows).to.deep.equal([{ statement_timeout: '200ms' }]);
    } finally {
      await c.end();
    }
  });
});
