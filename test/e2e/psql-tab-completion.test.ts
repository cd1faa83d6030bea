// psql's tab completion runs catalog queries (pg_class, pg_namespace, pg_attribute with
// quote_ident, substring, pg_table_is_visible…); psql hides their errors and just offers nothing,
// so the test checks that the completions really appear: table names, column names, schema names.
// psql completes only on a terminal: drive-psql.py gives it a pseudo-terminal.
import { expect } from 'chai';
import { execFile, execFileSync } from 'child_process';
import * as path from 'path';
import { TestServer, psqlAvailable, startTestServer } from '../helpers/test-server';
import { connectPg } from '../helpers/pg-client';

const DRIVER = path.resolve(__dirname, '../../../test/e2e/psql-tab/drive-psql.py');

function python3Available(): boolean {
  try {
    execFileSync('python3', ['-c', 'import pty'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function complete(port: number, ...keystrokes: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('python3', [DRIVER, String(port), ...keystrokes], { timeout: 30000 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
}

describe('psql tab completion', function () {
  this.timeout(60000);
  let server: TestServer;
  before(async function () {
    if (!psqlAvailable() || !python3Available()) {
      console.log('    (skipped: psql or python3 with pty is not installed)');
      this.skip();
    }
    server = await startTestServer();
    const c = await connectPg(server.port);
    await c.query('create table tab_orders (order_id int primary key, placed date); create table tab_other (x int)');
    await c.end();
  });
  after(async () => {
    await server?.stop();
  });

  it('completes table names, a unique table name, columns and \\dt arguments', async () => {
    const out = await complete(server.port, 'select * from tab_o\t\t', 'select * from tab_ord\t', 'select * from tab_orders where \t\t', '\\dt \t\t');
    // Two candidates listed after the double Tab…
    expect(out).to.match(/tab_orders\s+tab_other|tab_other\s+tab_orders/);
    // …the unique prefix completed in place (once more than the one typed out in full below)…
    expect(out.split('tab_orders ').length - 1).to.be.at.least(2);
    // …columns offered after WHERE…
    expect(out).to.include('order_id');
    expect(out).to.include('placed');
    // …and schema-qualified names for \dt.
    expect(out).to.include('public.');
  });
});
