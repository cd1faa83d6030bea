// Runs every test/sql/*.slt file against a real Tessera server through the `pg` driver.
// The expectations in those files were produced by PostgreSQL 15 (test/slt/rewrite-from-postgres.ts).
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { Client } from 'pg';
import { readSlt } from '../slt/slt-file';
import { checkOutcome, runBlock } from '../slt/slt-run';
import { TestServer, startTestServer } from '../helpers/test-server';

const SQL_DIR = path.resolve(__dirname, '../../../test/sql');

describe('SQL behaviour (sqllogictest files checked against PostgreSQL 15)', function () {
  this.timeout(120000);
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server?.stop();
  });

  for (const file of fs.readdirSync(SQL_DIR).filter((f) => f.endsWith('.slt')).sort()) {
    it(file, async () => {
      const client = new Client({ host: '127.0.0.1', port: server.port, user: 'postgres', database: 'postgres' });
      await client.connect();
      const failures: string[] = [];
      try {
        for (const block of readSlt(path.join(SQL_DIR, file))) {
          const problem = checkOutcome(await runBlock(client, block));
          if (problem !== null) failures.push(`${file}:${block.line}: ${block.sql.split('\n')[0]}\n${problem}`);
        }
      } finally {
        await client.end();
      }
      expect(failures, failures.join('\n\n')).to.deep.equal([]);
    });
  }
});
