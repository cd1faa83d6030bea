// Scripts run through the real psql whose whole output (stdout and stderr joined, as psql wrote them)
// must equal what psql printed for the same script against PostgreSQL 15. Each folder holds
// script.sql and expected.out; `test/e2e/regenerate-expected.sh <folder>` rebuilds expected.out from
// a fresh PostgreSQL 15 cluster.
//   psql       statements, results and errors of every class
//   psql-meta  \dt, \d, \d table, \dv, \dn, \df, \l, \x, \timing (psql's own catalog queries: pg_class,
//              pg_attribute, pg_index, regex operators, reg* casts…)
//   psql-ddl   \d, \di, \ds over sequences, serial/identity columns, UNIQUE/CHECK, indexes, ALTER TABLE
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { TestServer, psqlAvailable, runPsqlScript, startTestServer } from '../helpers/test-server';

const E2E = path.resolve(__dirname, '../../../test/e2e');

/** What differs between runs for reasons of time, not behaviour. */
const normalize = (text: string) => text.replace(/^Time: [0-9.]+ ms$/gm, 'Time: N ms');

for (const folder of ['psql', 'psql-meta', 'psql-ddl']) {
  describe(`psql script ${folder}/script.sql`, function () {
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
      const script = path.join(E2E, folder, 'script.sql');
      const out = await runPsqlScript(server.port, script);
      const expected = fs.readFileSync(path.join(E2E, folder, 'expected.out'), 'utf8');
      expect(normalize(out.split(script).join('SCRIPT'))).to.equal(expected);
    });
  });
}
