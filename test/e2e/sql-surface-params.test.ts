// Window frames, lag/lead defaults, WITH RECURSIVE and to_char with statement parameters (the
// extended protocol): parameter types are inferred from where they stand, as PostgreSQL infers
// them. Expected values are PostgreSQL 15's answers to the same calls.
import { expect } from 'chai';
import { Client } from 'pg';
import { TestServer, startTestServer } from '../helpers/test-server';

describe('window functions, WITH RECURSIVE and to_char with parameters', function () {
  this.timeout(60000);
  let server: TestServer;
  let client: Client;
  before(async () => {
    server = await startTestServer();
    client = new Client({ host: '127.0.0.1', port: server.port, user: 'postgres' });
    await client.connect();
  });
  after(async () => {
    await client?.end();
    await server?.stop();
  });

  it('takes frame offsets, lag offsets and defaults, and series bounds from parameters', async () => {
    const r = await client.query('select x, sum(x) over (order by x rows between $1 preceding and current row), lag(x, $2, $3) over (order by x) from generate_series(1, $4::int) x', [1, 2, -1, 5]);
    expect(r.rows).to.deep.equal([
      { x: 1, sum: '1', lag: -1 },
      { x: 2, sum: '3', lag: -1 },
      { x: 3, sum: '5', lag: 1 },
      { x: 4, sum: '7', lag: 2 },
      { x: 5, sum: '9', lag: 3 },
    ]);
  });

  it('runs a parameterized recursive query and to_char with a parameter format', async () => {
    const r = await client.query("with recursive t(n) as (select $1::int union all select n + 1 from t where n < $2) select string_agg(n::text, ',' order by n desc) from t", [3, 6]);
    expect(r.rows).to.deep.equal([{ string_agg: '6,5,4,3' }]);
    const t = await client.query('select to_char($1::timestamp, $2)', ['2024-05-06 07:08:09', 'FMMonth DDth YYYY HH12:MI am']);
    expect(t.rows).to.deep.equal([{ to_char: 'May 06th 2024 07:08 am' }]);
  });
});
