// What is not built yet answers 0A000 (or 42883 for functions) naming it, and the session goes on.
import { expect } from 'chai';
import { Client } from 'pg';
import { TestServer, startTestServer } from '../helpers/test-server';
import { connectPg, failure } from '../helpers/pg-client';

describe('unsupported features', function () {
  this.timeout(60000);
  let server: TestServer;
  let client: Client;
  before(async () => {
    server = await startTestServer();
    client = await connectPg(server.port);
    await client.query('create table w (a int, b text)');
  });
  after(async () => {
    await client?.end();
    await server?.stop();
  });

  const cases: [string, string, RegExp][] = [
    ['create index w_a on w ((a + 1))', '0A000', /indexes on expressions is not supported/],
    ['alter table w alter column a set statistics 100', '0A000', /ALTER TABLE SetStatistics is not supported/],
    ['create schema s2', '0A000', /CREATE SCHEMA is not supported/],
    ['select * from unnest(array[1,2]) with ordinality', '0A000', /unnest WITH ORDINALITY is not supported/],
    ['select * from w, lateral (select w.a) s', '0A000', /LATERAL is not supported/],
    ['create trigger t before insert on w for each row execute function f()', '0A000', /CREATE TRIGGER is not supported/],
    ['create materialized view mv as select a from w', '0A000', /CREATE MATERIALIZED VIEW is not supported/],
    ['select no_such_function(a) from w', '42883', /function no_such_function\(integer\) does not exist/],
  ];
  for (const [sql, code, message] of cases) {
    it(`${sql.split(' ').slice(0, 3).join(' ')} … → ${code}`, async () => {
      const err = await failure(client.query(sql));
      expect(err.code).to.equal(code);
      expect(err.message).to.match(message);
      expect((await client.query('select count(*)::int as n from w')).rows).to.deep.equal([{ n: 0 }]);
    });
  }
});
