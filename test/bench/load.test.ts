// The TPC-H loader (bench/tpch/load.ts) against a real Tessera server: it refuses to load over
// existing TPC-H rows, and with replace + stream it drops them and pipes the generator's rows
// straight into COPY (no files), giving the reference row counts.
import { expect } from 'chai';
import { loadTpch } from '../../bench/tpch/load';
import { TestServer, psqlAvailable, runPsql, startTestServer } from '../helpers/test-server';

describe('TPC-H loader', function () {
  this.timeout(180000);
  let server: TestServer;
  const lines: string[] = [];
  const log = (line: string) => lines.push(line);

  before(async function () {
    if (!psqlAvailable()) this.skip();
    server = await startTestServer();
  });
  after(async () => {
    if (server) await server.stop();
  });

  it('refuses to load into a database whose TPC-H tables hold rows, naming them', async () => {
    await runPsql(server.port, 'create table region (r_regionkey integer, r_name char(25), r_comment varchar(152)); insert into region values (7, \'X\', \'y\');');
    let error: Error | null = null;
    try {
      await loadTpch(server.port, '0.01', log);
    } catch (err) {
      error = err as Error;
    }
    expect(error?.message).to.match(/already holds TPC-H data: region \(1 rows\).*--replace/);
    const { stdout } = await runPsql(server.port, 'select r_regionkey from region;', ['-At']);
    expect(stdout.trim()).to.equal('7');
  });

  it('with replace and stream, drops the old rows and loads SF 0.01 straight from the generator', async () => {
    const timings = await loadTpch(server.port, '0.01', log, { replace: true, stream: true });
    expect(timings.map((t) => [t.table, t.rows])).to.deep.equal([
      ['region', 5], ['nation', 25], ['part', 2000], ['supplier', 100], ['partsupp', 8000], ['customer', 1500], ['orders', 15000], ['lineitem', 60175],
    ]);
    const { stdout } = await runPsql(server.port, "select sum(l_extendedprice), max(l_comment) from lineitem; select r_regionkey from region where r_regionkey = 7;", ['-At']);
    // Values from the reference SF 0.01 lineitem.tbl (sum of column 6, greatest comment).
    expect(stdout.trim().split('\n')).to.deep.equal(['2152189760.47|zzle: pending i']); // and region 7 is gone
    expect(lines.some((l) => /lineitem\s+60175 rows .* MB\/s/.test(l))).to.equal(true);
  });
});
