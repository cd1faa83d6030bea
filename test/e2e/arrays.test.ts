// Array columns through real clients: node-postgres parses int[] and text[] results into JS arrays
// (text and binary format), JS arrays go in as parameters, binary array cells and parameters are
// PostgreSQL 15's bytes (from array_send on PostgreSQL), COPY text in and out, and array columns
// survive a restart.
import { expect } from 'chai';
import { Client } from 'pg';
import { RawClient, serialize } from '../helpers/raw-client';
import { TestServer, startTestServer } from '../helpers/test-server';
import { bind, firstCell } from '../helpers/binary-bind';

/** [literal, element type OID of the array, PostgreSQL 15's array_send bytes (hex), its text output] */
const CASES: [string, number, string, string][] = [
  ["'{1,NULL,3}'::int[]", 1007, '00000001000000010000001700000003000000010000000400000001ffffffff0000000400000003', '{1,NULL,3}'],
  ["'{a,\"b c\"}'::text[]", 1009, '0000000100000000000000190000000200000001000000016100000003622063', '{a,"b c"}'],
  ["'{{1,2},{3,4}}'::int8[]", 1016, '00000002000000000000001400000002000000010000000200000001000000080000000000000001000000080000000000000002000000080000000000000003000000080000000000000004', '{{1,2},{3,4}}'],
  ["'{}'::int[]", 1007, '000000000000000000000017', '{}'],
  ["'[0:1]={1.5,2}'::numeric[]", 1231, '0000000100000000000006a400000002000000000000000c0002000000000001000113880000000a00010000000000000002', '[0:1]={1.5,2}'],
  ["'{2024-02-29}'::date[]", 1182, '00000001000000000000043a00000001000000010000000400002279', '{2024-02-29}'],
  ["'{t,f}'::bool[]", 1000, '000000010000000000000010000000020000000100000001010000000100', '{t,f}'],
];

describe('arrays with real clients', function () {
  this.timeout(60000);
  let server: TestServer;
  let client: Client;
  before(async () => {
    server = await startTestServer();
    client = new Client({ connectionString: server.url });
    await client.connect();
  });
  after(async () => {
    await client?.end();
    await server?.stop();
  });

  it('sends and reads binary array cells as PostgreSQL 15 does', async () => {
    const c = await RawClient.connect(server.port);
    try {
      for (const [literal, oid, hex, text] of CASES) {
        expect((await firstCell(c, `select ${literal}`, [], [], 1))!.toString('hex'), literal).to.equal(hex);
        expect((await firstCell(c, `select ${literal}`, [], [], 0))!.toString('utf8'), literal).to.equal(text);
        // The same bytes as a binary Bind parameter, echoed in text and binary.
        expect((await firstCell(c, 'select $1', [oid], [Buffer.from(hex, 'hex')], 0))!.toString('utf8'), literal).to.equal(text);
        expect((await firstCell(c, 'select $1', [oid], [Buffer.from(hex, 'hex')], 1))!.toString('hex'), literal).to.equal(hex);
      }
      // An element type other than the parameter's is refused as PostgreSQL does (42804), and the session lives on.
      c.send(serialize.parse({ text: 'select $1', types: [1009] }), bind([Buffer.from(CASES[0][2], 'hex')], 0), serialize.execute({}), serialize.sync());
      const err = (await c.until('readyForQuery')).find((m) => m.name === 'error');
      expect(err?.code).to.equal('42804');
      expect(await firstCell(c, 'select 1', [], [], 0)).to.deep.equal(Buffer.from('1'));
    } finally {
      c.close();
    }
  });

  it('lets node-postgres store JS arrays and parse int[] and text[] results into JS arrays', async () => {
    await client.query('create table tags (id int primary key, nums int[], labels text[], grid integer ARRAY)');
    await client.query('insert into tags values ($1, $2, $3, $4)', [1, [3, 1, 2], ['a', 'b c', null, '"q"', 'NULL'], '{{1,2},{3,4}}']);
    await client.query("insert into tags values (2, '{10,20}', ARRAY['x'], NULL), (3, '{}', '{}', '{}')");
    const r = await client.query('select id, nums, labels, grid from tags order by id');
    expect(r.rows).to.deep.equal([
      { id: 1, nums: [3, 1, 2], labels: ['a', 'b c', null, '"q"', 'NULL'], grid: [[1, 2], [3, 4]] },
      { id: 2, nums: [10, 20], labels: ['x'], grid: null },
      { id: 3, nums: [], labels: [], grid: [] },
    ]);
    // = ANY($1) with a JS array, and array functions over columns.
    const any = await client.query('select id from tags where id = any($1) order by id', [[1, 3, 5]]);
    expect(any.rows.map((x) => x.id)).to.deep.equal([1, 3]);
    const fns = await client.query('select nums[2] as second, nums[2:3] as tail, array_length(nums, 1) as n, nums || 9 as more from tags where id = 1');
    expect(fns.rows).to.deep.equal([{ second: 1, tail: [1, 2], n: 3, more: [3, 1, 2, 9] }]);
    // Binary results for int[] and text[] (pg parses them with its binary array parser; it decodes cells
    // as UTF-8 first, so a NULL element's length bytes would not survive: none here).
    const bin = await client.query({ text: 'select nums, labels[4:5] as labels from tags where id = $1', values: [1], binary: true } as any);
    expect(bin.fields.map((f: any) => f.format)).to.deep.equal(['binary', 'binary']);
    expect(bin.rows).to.deep.equal([{ nums: [3, 1, 2], labels: ['"q"', 'NULL'] }]);
  });

  it('copies array columns in and out as text, and keeps them across a restart', async () => {
    await client.query('create table copied (id int, v numeric[], t text[])');
    await client.query("insert into copied values (1, '{1.50,NULL}', '{\"a,b\",\"\"}')");
    const raw = await RawClient.connect(server.port);
    try {
      raw.send(serialize.query('copy copied to stdout'));
      const out = (await raw.until('readyForQuery')).filter((m) => m.name === 'copyData').map((m) => Buffer.from(m.chunk).toString('utf8'));
      expect(out).to.deep.equal(['1\t{1.50,NULL}\t{"a,b",""}\n']);
      raw.send(serialize.query('copy copied from stdin'));
      await raw.until('copyInResponse');
      raw.send(serialize.copyData(Buffer.from('2\t{3}\t{x,"y z"}\n3\t\\N\t{}\n')), serialize.copyDone());
      const done = await raw.until('readyForQuery');
      expect(done.find((m) => m.name === 'error')).to.equal(undefined);
      raw.send(serialize.query('copy copied from stdin'));
      await raw.until('copyInResponse');
      raw.send(serialize.copyData(Buffer.from('4\t{1,2\t{}\n')), serialize.copyDone());
      const bad = (await raw.until('readyForQuery')).find((m) => m.name === 'error');
      expect([bad?.code, bad?.message]).to.deep.equal(['22P02', 'malformed array literal: "{1,2"']);
    } finally {
      raw.close();
    }
    await client.end();
    await server.restart();
    client = new Client({ connectionString: server.url });
    await client.connect();
    const r = await client.query('select id, v::text, t from copied order by id');
    expect(r.rows).to.deep.equal([
      { id: 1, v: '{1.50,NULL}', t: ['a,b', ''] },
      { id: 2, v: '{3}', t: ['x', 'y z'] },
      { id: 3, v: null, t: [] },
    ]);
    const tags = await client.query('select nums from tags order by id');
    expect(tags.rows.map((x) => x.nums)).to.deep.equal([[3, 1, 2], [10, 20], []]);
  });
});
