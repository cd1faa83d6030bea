// Compressed column chunks end to end: tessera_storage_stats() (and the relation
// tessera_column_storage) report per column the encodings chosen, plain and stored bytes and the
// ratio; the compressed data reads back the same after a restart (every chunk decoded from disk).
import { expect } from 'chai';
import { Client } from 'pg';
import { TestServer, startTestServer } from '../helpers/test-server';

describe('storage statistics view (compressed chunks)', function () {
  this.timeout(120000);
  let server: TestServer;
  let client: Client;
  const connect = async () => {
    client = new Client({ host: '127.0.0.1', port: server.port, user: 'postgres' });
    await client.connect();
  };
  before(async () => {
    server = await startTestServer();
    await connect();
    await client.query('create table t (id int8 primary key, flag bool, mode text, price numeric(12,2), note text, maybe int4)');
    await client.query(
      `insert into t select g, g % 2 = 0, case g % 3 when 0 then 'AIR' when 1 then 'MAIL' else 'SHIP' end,
         (g % 1000)::numeric / 100, 'note ' || g, case when g % 10 = 0 then g end from generate_series(1, 100000) as s(g)`,
    );
  });
  after(async () => {
    await client?.end();
    await server?.stop();
  });

  const contents = async () =>
    (await client.query(`select count(*)::int as n, sum(id)::text as ids, count(*) filter (where flag)::int as flags, count(*) filter (where mode = 'MAIL')::int as mail,
       sum(price)::text as price, max(note) as note, count(maybe)::int as maybe, sum(maybe)::text as maybe_sum from t`)).rows[0];
  const expected = { n: 100000, ids: '5000050000', flags: 50000, mail: 33334, price: '499500.00', note: 'note 99999', maybe: 10000, maybe_sum: '500050000' };

  it('reports encodings, rows, plain and stored bytes per column', async () => {
    const rows = (await client.query("select column_name, encodings, chunks::int, rows::int, uncompressed_bytes::int as raw, stored_bytes::int as stored, ratio from tessera_storage_stats() where table_name = 't' order by column_name")).rows;
    const by = new Map(rows.map((r) => [r.column_name, r]));
    expect([...by.keys()]).to.deep.equal(['flag', 'id', 'maybe', 'mode', 'note', 'price']);
    for (const r of rows) {
      expect(r.chunks, r.column_name).to.equal(2);
      expect(r.rows, r.column_name).to.equal(100000);
      expect(r.ratio, r.column_name).to.equal(Math.round((r.raw / r.stored) * 100) / 100);
    }
    expect(by.get('id')).to.include({ encodings: 'delta', raw: 800000 });
    expect(by.get('id').stored).to.be.below(200);
    expect(by.get('flag')).to.include({ encodings: 'bitpack', raw: 100000 });
    expect(by.get('flag').stored).to.be.below(100000 / 8 + 200);
    // AIR (33333 rows) + MAIL (33334) + SHIP (33333), in UTF-8 bytes.
    expect(by.get('mode')).to.include({ encodings: 'dictionary+bitpack', raw: 33333 * 3 + 33334 * 4 + 33333 * 4 });
    expect(by.get('mode').stored).to.be.below((100000 * 2) / 8 + 200);
    expect(by.get('price')).to.include({ raw: 800000 });
    expect(by.get('price').encodings).to.match(/^(bitpack|delta)/);
    expect(by.get('note').encodings).to.match(/^dictionary\+delta\+brotli/);
    expect(by.get('maybe').raw).to.equal(400000);
    expect(by.get('maybe').ratio).to.be.above(1);
  });

  it('is also the relation tessera_column_storage (and pg_catalog.tessera_column_storage)', async () => {
    const a = (await client.query("select * from tessera_storage_stats() where table_name = 't' order by column_name")).rows;
    const b = (await client.query("select * from tessera_column_storage where table_name = 't' order by column_name")).rows;
    const c = (await client.query("select * from pg_catalog.tessera_column_storage s where s.table_name = 't' order by column_name")).rows;
    expect(b).to.deep.equal(a);
    expect(c).to.deep.equal(a);
    expect(Object.keys(a[0])).to.deep.equal(['schema_name', 'table_name', 'column_name', 'encodings', 'chunks', 'rows', 'uncompressed_bytes', 'stored_bytes', 'ratio']);
    expect(a[0].schema_name).to.equal('public');
  });

  it('rejects arguments with 42883', async () => {
    let code = '';
    try {
      await client.query('select * from tessera_storage_stats(1)');
    } catch (e) {
      code = (e as { code: string }).code;
    }
    expect(code).to.equal('42883');
  });

  it('reads the same values back from the compressed chunks after a restart', async () => {
    expect(await contents()).to.deep.equal(expected);
    await client.end();
    await server.restart();
    await connect();
    expect(await contents()).to.deep.equal(expected);
    const mode = (await client.query("select mode, count(*)::int as n from t group by mode order by mode")).rows;
    expect(mode).to.deep.equal([
      { mode: 'AIR', n: 33333 },
      { mode: 'MAIL', n: 33334 },
      { mode: 'SHIP', n: 33333 },
    ]);
  });
});
