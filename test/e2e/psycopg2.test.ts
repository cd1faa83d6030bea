// A non-Node driver: psycopg2 (libpq underneath) fills a table with parameters and reads every
// supported type back (test/e2e/psycopg2/read-types.py). The expected lines are what the same
// script printed against PostgreSQL 15.
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'child_process';
import * as path from 'path';
import { TestServer, startTestServer } from '../helpers/test-server';

const PYTHON = '/usr/bin/python3';
const SCRIPT = path.resolve(__dirname, '../../../test/e2e/psycopg2/read-types.py');

const EXPECTED = `i2: int -7
i4: int 2147483647
i8: int 9007199254740991
f4: float 1.5
f8: float -2.25e-10
n: Decimal Decimal('-12345.678')
b: bool True
t: str "it's héllo"
v: str 'var'
c: str 'ch  '
d: date datetime.date(2024, 2, 29)
ts: datetime datetime.datetime(1999, 12, 31, 23, 59, 59, 500000)
tz: datetime datetime.datetime(2024, 1, 1, 10, 0, tzinfo=datetime.timezone.utc)
iv: timedelta datetime.timedelta(days=3, seconds=14706, microseconds=700000)
by: bytes b'\\x00\\xffA\\\\'
u: UUID UUID('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')
j: dict {'b': 1, 'a': [1, 2]}
jb: dict {'a': [1, 2.5], 'b': 1}
counts: (2, 1)
json ops: ('2.5', '1', True)
`;

function psycopg2Available(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import psycopg2'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('psycopg2 (a libpq-based Python driver)', function () {
  let server: TestServer | undefined;
  before(async function () {
    if (!psycopg2Available()) {
      console.log(`    (${PYTHON} with psycopg2 is not available — apt-get install python3-psycopg2: skipping)`);
      this.skip();
    }
    server = await startTestServer();
  });
  after(async () => {
    await server?.stop();
  });

  it('writes with parameters and reads back every supported type as PostgreSQL 15 gives them', function () {
    const r = spawnSync(PYTHON, [SCRIPT, String(server!.port)], { encoding: 'utf8', timeout: 30000, env: { ...process.env, PYTHONIOENCODING: 'utf-8' } });
    expect(r.stderr, r.stderr).to.equal('');
    expect(r.stdout).to.equal(EXPECTED);
    expect(r.status).to.equal(0);
  });
});
