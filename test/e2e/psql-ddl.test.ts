// psql's \d, \di and \ds over sequences, serial/identity columns, UNIQUE and CHECK constraints,
// CREATE INDEX indexes and ALTER TABLE changes: the output must equal what psql printed for the
// same script against PostgreSQL 15 (test/e2e/psql-ddl/expected.out, from regenerate.sh there).
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { TestServer, psqlAvailable, runPsqlScript, startTestServer } from '../helpers/test-server';

const DIR = path.resolve(__dirname, '../../../test/e2e/psql-ddl');

describe('psql \\d of DDL objects', function () {
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

  it('prints what PostgreSQL 15 prints for constraints, indexes, sequences and identity columns', async () => {
    const script = path.join(DIR, 'script.sql');
    const out = await runPsqlScript(server.port, script);
    expect(out.split(script).join('SCRIPT')).to.equal(fs.readFileSync(path.join(DIR, 'expected.out'), 'utf8'));
  });
});
