// pgbench against the server: initialization (tables, COPY, primary keys, vacuum) and a 10 s
// TPC-B-like run with 8 clients, with no failed transactions (serialization failures and
// deadlocks are retried, --max-tries, as the issue allows) and consistent balances afterwards.
import { expect } from 'chai';
import { execFileSync, spawn } from 'child_process';
import { Client } from 'pg';
import { TestServer, startTestServer } from '../helpers/test-server';

function pgbenchAvailable(): boolean {
  try {
    execFileSync('pgbench', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function pgbench(port: number, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const p = spawn('pgbench', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', ...args, 'postgres']);
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

describe('pgbench', function () {
  this.timeout(120000);
  let server: TestServer;
  before(async function () {
    if (!pgbenchAvailable()) {
      console.log('    (pgbench is not installed: skipping)');
      this.skip();
    }
    server = await startTestServer();
  });
  after(async () => server?.stop());

  it('initializes scale 1 and runs 8 clients for 10 s without failed transactions (retries allowed), balances consistent', async () => {
    const init = await pgbench(server.port, ['-i', '-s', '1']);
    expect(init.code, init.out).to.equal(0);
    expect(init.out).to.match(/100000 of 100000 tuples \(100%\) done/);
    // Retried transactions are rolled back and run again: only their last try counts (and inserts a history row).
    const run = await pgbench(server.port, ['-c', '8', '-j', '2', '-T', '10', '--max-tries=20', '--failures-detailed']);
    expect(run.code, run.out).to.equal(0);
    expect(run.out).to.match(/number of failed transactions: 0 \(0\.000%\)/);
    const processed = Number(/number of transactions actually processed: (\d+)/.exec(run.out)![1]);
    expect(processed).to.be.greaterThan(0);
    const retried = Number(/number of transactions retried: (\d+)/.exec(run.out)?.[1] ?? 0);
    expect(retried, 'retried transactions').to.be.at.most(processed);
    const c = new Client({ host: '127.0.0.1', port: server.port, user: 'postgres' });
    await c.connect();
    const sums = await c.query(
      'select (select sum(abalance) from pgbench_accounts) as a, (select sum(delta) from pgbench_history) as h, (select sum(tbalance) from pgbench_tellers) as t, (select sum(bbalance) from pgbench_branches) as b, (select count(*) from pgbench_history) as n',
    );
    await c.end();
    const row = sums.rows[0];
    expect([row.a, row.t, row.b]).to.deep.equal([row.h, row.h, row.h]);
    expect(Number(row.n)).to.equal(processed);
  });
});
