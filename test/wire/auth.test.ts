// SCRAM-SHA-256 with the real pg driver: the right password connects, a wrong one is 28P01.
import { expect } from 'chai';
import { Client } from 'pg';
import { TestServer, startTestServer } from '../helpers/test-server';

describe('authentication', function () {
  this.timeout(60000);
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ settings: { auth_method: 'scram-sha-256', 'user.alice': 's3cret' } });
  });
  after(async () => server?.stop());

  it('accepts the right password over SCRAM-SHA-256', async () => {
    const c = new Client({ host: '127.0.0.1', port: server.port, user: 'alice', password: 's3cret', database: 'postgres' });
    await c.connect();
    expect((await c.query('select 2 + 2 as four')).rows).to.deep.equal([{ four: 4 }]);
    await c.end();
  });

  it('rejects a wrong password and an unknown user with 28P01', async () => {
    for (const [user, password] of [
      ['alice', 'wrong'],
      ['mallory', 'x'],
    ]) {
      const c = new Client({ host: '127.0.0.1', port: server.port, user, password, database: 'postgres' });
      let code = '';
      try {
        await c.connect();
      } catch (err) {
        code = (err as { code?: string }).code ?? '';
      }
      expect(code).to.equal('28P01');
    }
  });
});
