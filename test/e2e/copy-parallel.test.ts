// A large text COPY is parsed on worker threads (src/engine/copy-parallel.ts) unless
// max_parallel_workers is below 2 (or the machine is busy: the server here is told to ignore that):
// both ways through psql, the table holds the same rows (defaults
// and CHECK constraints applied), and bad input fails with the same error and line number.
import { expect } from 'chai';
import { runPsql, skipWithoutPsql, startTestServer, TestServer } from '../helpers/test-server';

/** About 4 MB: past the bytes a COPY holds before it goes parallel, three full row groups and a partial one. */
const ROWS = 3 * 65536 + 4321;

function data(badLine: number | null, bad = ''): string {
  const out: string[] = [];
  for (let i = 0; i < ROWS; i++)
    out.push(i + 1 === badLine ? `${bad}\n` : `${i}|${i % 5 === 0 ? '\\N' : `name ${i % 1013}`}|${(i % 20000) / 100}|2024-${String((i % 12) + 1).padStart(2, '0')}-01|comment number ${i * 7}\n`);
  return out.join('');
}

async function psql(port: number, script: string): Promise<{ out: string; err: string }> {
  const r = await runPsql(port, script, ['-t', '-q']);
  return { out: r.stdout.trim(), err: r.stderr.trim() };
}

describe('COPY text parsed on worker threads, through psql', function () {
  this.timeout(180000);
  let server: TestServer;

  before(async function () {
    skipWithoutPsql(this);
    // Parallel whatever the machine's load (by default a busy machine parses serially).
    server = await startTestServer({ env: { TESSERA_COPY_PARALLEL: 'always' } });
    const create = (t: string) =>
      `CREATE TABLE ${t} (id int NOT NULL, name varchar(20), price numeric(10,2) CHECK (price >= 0), day date, note text, tag text DEFAULT 'd', n int DEFAULT 7);`;
    await psql(server.port, create('par') + create('ser'));
  });
  after(async () => server?.stop());

  const copy = (table: string, workers: number, input: string) =>
    psql(server.port, `SET max_parallel_workers = ${workers};\nCOPY ${table} (id, name, price, day, note) FROM STDIN WITH (DELIMITER '|');\n${input}\\.\nSELECT count(*) FROM ${table};`);

  it('loads the same rows as the serial parser', async () => {
    const input = data(null);
    expect((await copy('par', 2, input)).out).to.equal(String(ROWS));
    expect((await copy('ser', 0, input)).out).to.equal(String(ROWS));
    const diff = await psql(
      server.port,
      `SELECT (SELECT count(*) FROM (SELECT * FROM par EXCEPT ALL SELECT * FROM ser) d), (SELECT count(*) FROM (SELECT * FROM ser EXCEPT ALL SELECT * FROM par) d);
       SELECT count(name), count(DISTINCT name), sum(price), min(day), max(note), min(tag), sum(n) FROM par;`,
    );
    expect(diff.out.split('\n').map((l) => l.trim())).to.deep.equal(['0|0', `${ROWS - Math.ceil(ROWS / 5)}|1013|${sumPrices()}|2024-01-01|${maxNote()}|d|${7 * ROWS}`]);
  });

  it('fails on a bad line with the serial parser’s error and line number, and keeps nothing', async () => {
    await psql(server.port, 'TRUNCATE par; TRUNCATE ser;');
    for (const [bad, message] of [
      ['1|oops|x', 'missing data for column "day"\nDETAIL:  COPY t, line 150001'],
      ['1|a|x|2024-01-01|c', 'invalid input syntax for type numeric: "x"'],
      ['1|a|-1|2024-01-01|c', 'new row for relation "t" violates check constraint "t_price_check"'],
    ]) {
      const input = data(150001, bad);
      const par = await copy('par', 2, input);
      const ser = await copy('ser', 0, input);
      expect(par.err.replace(/par/g, 't'), bad).to.equal(ser.err.replace(/ser/g, 't'));
      expect(par.err.replace(/par/g, 't'), bad).to.contain(message);
    }
    const bad = data(null).replace('\n', '|extra\n');
    const extra = await copy('par', 2, bad);
    expect(extra.err).to.contain('extra data after last expected column');
    expect(extra.err).to.contain('COPY par, line 1');
    expect((await psql(server.port, 'SELECT count(*) FROM par; SELECT count(*) FROM ser;')).out.split('\n').map((l) => l.trim())).to.deep.equal(['0', '0']);
  });
});

function maxNote(): string {
  let max = '';
  for (let i = 0; i < ROWS; i++) if (`comment number ${i * 7}` > max) max = `comment number ${i * 7}`;
  return max;
}

/** sum of (i % 20000) / 100 over the rows, as numeric text. */
function sumPrices(): string {
  let cents = 0;
  for (let i = 0; i < ROWS; i++) cents += i % 20000;
  return (cents / 100).toFixed(2);
}
