// Loads TPC-H SF 0.01 through psql's \copy (as a user would) and checks all 22 queries against
// PostgreSQL 15's answers in ../shared/tpch/answers/sf0.01.
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { compareAnswer } from '../../bench/tpch/compare-answers';
import { TestServer, psqlAvailable, runPsql, startTestServer } from '../helpers/test-server';

const TPCH = path.resolve(__dirname, '../../../../shared/tpch');
const PROJECT_TPCH = path.resolve(__dirname, '../../../bench/tpch');
const TABLES = ['region', 'nation', 'part', 'supplier', 'partsupp', 'customer', 'orders', 'lineitem'];

describe('TPC-H SF 0.01: the 22 queries match PostgreSQL 15', function () {
  this.timeout(300000);
  let server: TestServer;
  let tmp: string;
  before(async function () {
    if (!psqlAvailable()) this.skip();
    if (!fs.existsSync(path.join(TPCH, 'sf0.01'))) this.skip();
    server = await startTestServer();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-tpch-'));
    let script = fs.readFileSync(path.join(PROJECT_TPCH, 'schema.sql'), 'utf8') + '\n';
    for (const t of TABLES) {
      // PostgreSQL's COPY needs each line's trailing '|' stripped, as the issue says.
      const lines = fs.readFileSync(path.join(TPCH, 'sf0.01', `${t}.tbl`), 'utf8').replace(/\|$/gm, '');
      const file = path.join(tmp, `${t}.tbl`);
      fs.writeFileSync(file, lines);
      script += `\\copy ${t} from '${file}' with (delimiter '|')\n`;
    }
    script += fs.readFileSync(path.join(PROJECT_TPCH, 'keys.sql'), 'utf8');
    const load = await runPsql(server.port, script, ['-v', 'ON_ERROR_STOP=1']);
    expect(load.code, load.stderr).to.equal(0);
  });
  after(async () => {
    await server?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('loaded every row', async () => {
    const out = await runPsql(server.port, 'select count(*) from lineitem; select count(*) from orders; select count(*) from nation;', ['-A', '-t']);
    expect(out.stdout.trim().split('\n')).to.deep.equal(['60175', '15000', '25']);
  });

  for (let q = 1; q <= 22; q++) {
    const name = `q${String(q).padStart(2, '0')}`;
    it(name, async () => {
      const sql = fs.readFileSync(path.join(PROJECT_TPCH, 'queries', `${name}.sql`), 'utf8');
      const out = await runPsql(server.port, sql, ['-A', '-F', '|', '-P', 'footer=off']);
      expect(out.stderr, out.stderr).to.equal('');
      // Q15 prints CREATE VIEW / DROP VIEW tags around its rows; psql -A keeps them on their own lines.
      const actual = out.stdout.split('\n').filter((l) => l !== 'CREATE VIEW' && l !== 'DROP VIEW').join('\n');
      const expected = fs.readFileSync(path.join(TPCH, 'answers', 'sf0.01', `${name}.out`), 'utf8');
      const problem = compareAnswer(name, expected, actual);
      expect(problem, problem ?? '').to.equal(null);
    });
  }
});
