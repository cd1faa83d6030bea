// A script of statements through the real psql, compared line for line with what psql printed for
// the same script against PostgreSQL 15 (test/e2e/psql/expected.out).
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { TestServer, psqlAvailable, runPsqlScript, startTestServer } from '../helpers/test-server';

const DIR = path.resolve(__dirname, '../../../test/e2e/psql');

describe('psql script', function () {
  this.timeout(60000);
  let server: TestServer;
  before(async function () {
    if (!psqlAvailable()) {
      console.log('    (psql is not installed: skipping)');
      this.skip();
    }
    server = await startTestServer();
  });
  after(async () => server?.stop());

  it('prints what PostgreSQL 15 prints for the same script', async () => {
    const script = path.join(DIR, 'script.sql');
    const out = await runPsqlScript(server.port, script);
    const expected = fs.readFileSync(path.join(DIR, 'expected.out'), 'utf8');
    expect(out.split(script).join('SCRIPT')).to.equal(expected);
  });
});
