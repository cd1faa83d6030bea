// Catalog queries as drivers send them: extended protocol with parameters, through the real `pg`
// driver. Values are PostgreSQL 15's for the same schema (they do not depend on OIDs).
import { expect } from 'chai';
import { Client } from 'pg';
import { TestServer, startTestServer } from '../helpers/test-server';

describe('catalog queries through the pg driver (extended protocol)', function () {
  this.timeout(60000);
  let server: TestServer;
  let client: Client;
  before(async () => {
    server = await startTestServer();
    client = new Client({ host: '127.0.0.1', port: server.port, user: 'postgres', database: 'postgres' });
    await client.connect();
    await client.query('CREATE TABLE drv_items (id int PRIMARY KEY, label varchar(20) NOT NULL DEFAULT \'x\', price numeric(8,2))');
  });
  after(async () => {
    await client?.end();
    await server?.stop();
  });

  it('finds columns by parameterised information_schema queries', async () => {
    const r = await client.query(
      'SELECT column_name, data_type, is_nullable, column_default, character_maximum_length, numeric_precision, numeric_scale FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
      ['public', 'drv_items'],
    );
    expect(r.rows).to.deep.equal([
      { column_name: 'id', data_type: 'integer', is_nullable: 'NO', column_default: null, character_maximum_length: null, numeric_precision: 32, numeric_scale: 0 },
      { column_name: 'label', data_type: 'character varying', is_nullable: 'NO', column_default: "'x'::character varying", character_maximum_length: 20, numeric_precision: null, numeric_scale: null },
      { column_name: 'price', data_type: 'numeric', is_nullable: 'YES', column_default: null, character_maximum_length: null, numeric_precision: 8, numeric_scale: 2 },
    ]);
  });

  it('resolves $1::regclass from a relation name and reports oid/"char"/array column types', async () => {
    const r = await client.query(
      "SELECT a.attname, a.attnum, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0 ORDER BY a.attnum",
      ['drv_items'],
    );
    expect(r.rows.map((x) => `${x.attname} ${x.attnum} ${x.type}`)).to.deep.equal(['id 1 integer', 'label 2 character varying(20)', 'price 3 numeric(8,2)']);
    const c = await client.query("SELECT c.oid, c.relkind, i.indkey, con.conkey FROM pg_class c JOIN pg_index i ON i.indrelid = c.oid JOIN pg_constraint con ON con.conindid = i.indexrelid WHERE c.relname = $1", ['drv_items']);
    expect(c.fields.map((f) => f.dataTypeID)).to.deep.equal([26, 18, 22, 1005]);
    expect(c.rows[0].relkind).to.equal('r');
    expect(c.rows[0].conkey).to.deep.equal([1]); // int2[] parsed by the driver from the text form
    expect(Number(c.rows[0].oid)).to.be.greaterThan(16383);
  });

  it('answers SQLAlchemy-style has_table and pgjdbc-style type lookups', async () => {
    const t = await client.query(
      "SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind = ANY (ARRAY['r', 'p', 'f', 'v', 'm'])",
      ['public', 'drv_items'],
    );
    expect(t.rows).to.deep.equal([{ relname: 'drv_items' }]);
    const ty = await client.query(
      'SELECT n.nspname = ANY(current_schemas(true)) AS onpath, n.nspname, t.typname FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON t.typnamespace = n.oid WHERE t.oid = $1',
      [1043],
    );
    expect(ty.rows).to.deep.equal([{ onpath: true, nspname: 'pg_catalog', typname: 'varchar' }]);
  });
});
