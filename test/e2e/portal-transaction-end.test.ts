// A portal ends with the transaction block it was opened in: a COMMIT run by Execute in the same
// pipeline (no Sync between) drops it, as PostgreSQL 15 does (34000 at the next Execute). Kept, its
// rows could be views of memory the store lends a transaction for its own rows until it ends
// (storage/own-rows-scratch.ts), which another transaction then reuses: the portal returned that
// transaction's uncommitted row.
import { expect } from 'chai';
import { Client } from 'pg';
import { TestServer, startTestServer } from '../helpers/test-server';
import { RawClient, serialize } from '../helpers/raw-client';

describe('portals end with their transaction block', function () {
  this.timeout(60000);
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server?.stop());

  it('drops a suspended portal at a pipelined COMMIT (no other transaction’s rows read through it)', async () => {
    const b = new Client({ host: '127.0.0.1', port: server.port, user: 'postgres', database: 'postgres' });
    await b.connect();
    const a = await RawClient.connect(server.port);
    try {
      await b.query('create table portal_t (id int not null, v int not null)');
      await b.query('insert into portal_t select g, g from generate_series(1, 100) g');
      await b.query('begin isolation level repeatable read');
      await b.query('select count(*) from portal_t'); // b's snapshot: before a commits
      a.send(serialize.query('begin; insert into portal_t values (1000, -1)'));
      await a.until('readyForQuery');
      a.send(
        serialize.parse({ name: 's', text: 'select id, v from portal_t' }),
        serialize.bind({ portal: 'p', statement: 's' }),
        serialize.execute({ portal: 'p', rows: 1 }),
        serialize.parse({ text: 'commit' }),
        serialize.bind({}),
        serialize.execute({}),
        serialize.flush(),
      );
      const first = await a.until('commandComplete');
      expect(first.filter((m) => m.name === 'dataRow').map((m) => m.fields.join(','))).to.deep.equal(['1,1']);
      // b appends a row of its own and reads the table (its view of the group a appended to).
      await b.query('insert into portal_t values (2000, 777)');
      expect((await b.query('select id, v from portal_t')).rows.length).to.equal(101);
      a.send(serialize.execute({ portal: 'p', rows: 0 }), serialize.sync());
      const rest = await a.until('readyForQuery');
      expect(rest.filter((m) => m.name === 'dataRow').map((m) => m.fields.join(','))).to.not.include('2000,777');
      expect(rest[0]).to.include({ name: 'error', code: '34000', message: 'portal "p" does not exist' });
      await b.query('rollback');
    } finally {
      a.close();
      await b.end();
    }
  });
});
