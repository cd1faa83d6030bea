// Binary format of every type, in results and in Bind parameters, against the real server process.
// The expected bytes and texts are PostgreSQL 15's own for the same queries (recorded with the
// raw protocol against PostgreSQL: select <literal> with result format 1, then 0).
import { expect } from 'chai';
import { Client } from 'pg';
import { RawClient, serialize } from '../helpers/raw-client';
import { TestServer, startTestServer } from '../helpers/test-server';
import { bind, firstCell } from '../helpers/binary-bind';

/** [type, literal, PostgreSQL's binary cell (hex), PostgreSQL's text cell] */
const CASES: [string, string, string, string][] = [
  ["int2","-2::int2","fffe","-2"],
  ["int2","32767::int2","7fff","32767"],
  ["int4","-123456","fffe1dc0","-123456"],
  ["int8","9007199254740991::int8","001fffffffffffff","9007199254740991"],
  ["int8","-42::int8","ffffffffffffffd6","-42"],
  ["float4","1.5::float4","3fc00000","1.5"],
  ["float4","'-3.4e38'::float4","ff7fc99e","-3.4e+38"],
  ["float8","-2.25e-10::float8","bdeeec7bd512b572","-2.25e-10"],
  ["float8","'Infinity'::float8","7ff0000000000000","Infinity"],
  ["numeric","0::numeric","0000000000000000","0"],
  ["numeric","0.00::numeric","0000000000000002","0.00"],
  ["numeric","123.45::numeric","0002000000000002007b1194","123.45"],
  ["numeric","-123.45::numeric","0002000040000002007b1194","-123.45"],
  ["numeric","1e20::numeric","00010005000000000001","100000000000000000000"],
  ["numeric","0.0001::numeric","0001ffff000000040001","0.0001"],
  ["numeric","12345678.9::numeric","000300010000000104d2162e2328","12345678.9"],
  ["numeric","1.000::numeric","00010000000000030001","1.000"],
  ["numeric","-0.5::numeric","0001ffff400000011388","-0.5"],
  ["numeric","10000::numeric","00010001000000000001","10000"],
  ["numeric","99999999999999999999.123456789::numeric","0008000400000009270f270f270f270f270f04d2162e2328","99999999999999999999.123456789"],
  ["numeric","0.000012::numeric(10,7)","0001fffe0000000704b0","0.0000120"],
  ["bool","true","01","t"],
  ["bool","false","00","f"],
  ["text","'héllo'::text","68c3a96c6c6f","héllo"],
  ["varchar","'ab'::varchar(5)","6162","ab"],
  ["bpchar","'ab'::char(4)","61622020","ab  "],
  ["text","''::text","",""],
  ["date","'2024-02-29'::date","00002279","2024-02-29"],
  ["date","'1970-01-01'::date","ffffd533","1970-01-01"],
  ["date","'0044-03-15 BC'::date","fff49d7b","0044-03-15 BC"],
  ["timestamp","'1999-12-31 23:59:59.5'::timestamp","fffffffffff85ee0","1999-12-31 23:59:59.5"],
  ["timestamp","'2024-06-01 08:30:00'::timestamp","0002bcceacb13200","2024-06-01 08:30:00"],
  ["timestamptz","'2024-01-01 12:00:00+02'::timestamptz","0002b0de36ada800","2024-01-01 10:00:00+00"],
  ["interval","'1 year 2 mons 3 days 04:05:06.7'::interval","000000036c966ee0000000030000000e","1 year 2 mons 3 days 04:05:06.7"],
  ["interval","'-1 day -00:00:01'::interval","fffffffffff0bdc0ffffffff00000000","-1 days -00:00:01"],
  ["interval","'0'::interval","00000000000000000000000000000000","00:00:00"],
  ["bytea","'\\x00ff41'::bytea","00ff41","\\x00ff41"],
  ["bytea","''::bytea","","\\x"],
  ["uuid","'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid","a0eebc999c0b4ef8bb6d6bb9bd380a11","a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"],
  ["json","'{\"b\":1, \"a\":[1,2]}'::json","7b2262223a312c202261223a5b312c325d7d","{\"b\":1, \"a\":[1,2]}"],
  ["jsonb","'{\"b\":1, \"a\":[1,2.50]}'::jsonb","017b2261223a205b312c20322e35305d2c202262223a20317d","{\"a\": [1, 2.50], \"b\": 1}"],
];

const OID: Record<string, number> = {
  int2: 21, int4: 23, int8: 20, float4: 700, float8: 701, numeric: 1700, bool: 16, text: 25, varchar: 1043, bpchar: 1042,
  date: 1082, timestamp: 1114, timestamptz: 1184, interval: 1186, bytea: 17, uuid: 2950, json: 114, jsonb: 3802,
};

describe('binary format of every type (bytes checked against PostgreSQL 15)', function () {
  let server: TestServer;
  let c: RawClient;
  before(async () => {
    server = await startTestServer();
    c = await RawClient.connect(server.port);
  });
  after(async () => {
    c?.close();
    await server?.stop();
  });

  it('sends binary result cells exactly as PostgreSQL does', async () => {
    for (const [, literal, hex] of CASES) {
      const cell = await firstCell(c, `select ${literal}`, [], [], 1);
      expect(cell!.toString('hex'), literal).to.equal(hex);
    }
  });

  it('sends the same values in text format as PostgreSQL does', async () => {
    for (const [, literal, , text] of CASES) {
      const cell = await firstCell(c, `select ${literal}`, [], [], 0);
      expect(cell!.toString('utf8'), literal).to.equal(text);
    }
  });

  it('reads PostgreSQL binary parameters of every type (echoed in text and in binary)', async () => {
    for (const [type, literal, hex, text] of CASES) {
      const param = Buffer.from(hex, 'hex');
      const asText = await firstCell(c, 'select $1', [OID[type]], [param], 0);
      expect(asText!.toString('utf8'), `${type} param for ${literal}`).to.equal(text);
      const asBinary = await firstCell(c, 'select $1', [OID[type]], [param], 1);
      expect(asBinary!.toString('hex'), `${type} param for ${literal}`).to.equal(hex);
    }
  });

  it('stores binary parameters in table columns and reads them back', async () => {
    c.send(serialize.query('create table bin (a int2, b int8, c numeric(12,3), d interval, e bytea, f uuid, g jsonb, h timestamptz)'));
    await c.until('readyForQuery');
    const row = [
      ['int2', 'fffe'], ['int8', 'ffffffffffffffd6'], ['numeric', '0002000040000002007b1194'], ['interval', '000000036c966ee0000000030000000e'],
      ['bytea', '00ff41'], ['uuid', 'a0eebc999c0b4ef8bb6d6bb9bd380a11'], ['jsonb', '017b2261223a205b312c20322e35305d2c202262223a20317d'], ['timestamptz', '0002b0de36ada800'],
    ];
    c.send(
      serialize.parse({ text: 'insert into bin values ($1, $2, $3, $4, $5, $6, $7, $8)', types: row.map(([t]) => OID[t]) }),
      bind(row.map(([, h]) => Buffer.from(h, 'hex')), 0),
      serialize.execute({}),
      serialize.sync(),
    );
    expect((await c.until('readyForQuery')).map((m) => m.name)).to.include('commandComplete');
    c.send(serialize.query('select * from bin'));
    const rows = (await c.until('readyForQuery')).filter((m) => m.name === 'dataRow');
    // numeric(12,3) rescales -123.45 to -123.450, as PostgreSQL's column typmod does.
    expect(rows[0].fields).to.deep.equal(['-2', '-42', '-123.450', '1 year 2 mons 3 days 04:05:06.7', '\\x00ff41', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2.50], "b": 1}', '2024-01-01 10:00:00+00']);
  });

  it('rejects malformed binary parameters with PostgreSQL\'s codes, keeping the session', async () => {
    const attempt = async (type: string, hex: string) => {
      c.send(serialize.parse({ text: 'select $1', types: [OID[type]] }), bind([Buffer.from(hex, 'hex')], 0), serialize.execute({}), serialize.sync());
      const err = (await c.until('readyForQuery')).find((m) => m.name === 'error');
      return err?.code;
    };
    // (codes checked against PostgreSQL 15 with the same bytes)
    expect(await attempt('int4', '0001')).to.equal('08P01');
    expect(await attempt('int4', '0000000001')).to.equal('22P03');
    expect(await attempt('uuid', '00ff')).to.equal('08P01');
    expect(await attempt('numeric', '00010000800000000001')).to.equal('22P03');
    expect(await attempt('numeric', '0001000000000000ffff')).to.equal('22P03');
    expect(await attempt('numeric', '000100000000000227100000')).to.equal('22P03');
    expect(await attempt('jsonb', '027b7d')).to.equal('XX000');
    expect(await attempt('json', '7b')).to.equal('22P02');
    expect(await firstCell(c, 'select 1', [], [], 0)).to.deep.equal(Buffer.from('1'));
  });

  it('takes Buffers from the pg driver as binary bytea parameters', async () => {
    const client = new Client({ connectionString: server.url });
    await client.connect();
    try {
      await client.query('create table pgbuf (id int, b bytea)');
      const bytes = Buffer.from([0, 1, 127, 128, 255, 92, 120]);
      await client.query('insert into pgbuf values ($1, $2)', [1, bytes]);
      const r = await client.query('select b, length(b) n from pgbuf where b = $1', [bytes]);
      expect(r.rows).to.deep.equal([{ b: bytes, n: 7 }]);
    } finally {
      await client.end();
    }
  });

  it('gives the pg driver binary results it parses (binary: true)', async () => {
    const client = new Client({ connectionString: server.url });
    await client.connect();
    try {
      // pg decodes DataRow cells as UTF-8 before its binary parsers run: values are chosen so their bytes are ASCII.
      // (with a parameter, so pg uses the extended protocol, where result formats can be chosen)
      const r = await client.query({ text: 'select 258::int2 a, 33554434 b, 42::int8 c, 2.0::float8 d, 123.45::numeric e, true f, \$1::text g', values: ['hello'], binary: true } as any);
      expect(r.fields.map((f: any) => f.format)).to.deep.equal(new Array(7).fill('binary'));
      // What the driver makes of PostgreSQL 15's answer to the same query (its binary numeric parser
      // rounds 123.45 to 123.46: PostgreSQL's bytes, the same as ours, give that too).
      expect(r.rows[0]).to.deep.equal({ a: 258, b: 33554434, c: '42', d: 2, e: 123.46, f: true, g: 'hello' });
    } finally {
      await client.end();
    }
  });
});
