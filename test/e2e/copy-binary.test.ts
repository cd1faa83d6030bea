// COPY … TO STDOUT / FROM STDIN (FORMAT binary) against the real server process: the bytes of
// COPY TO are compared with what PostgreSQL 15 sent for the same table (recorded below), and what
// PostgreSQL sent is loaded back with COPY FROM (in small chunks, so tuples straddle CopyData messages).
import { expect } from 'chai';
import { RawClient, serialize } from '../helpers/raw-client';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TestServer, psqlAvailable, runPsql, startTestServer } from '../helpers/test-server';

const TABLE =
  'create table cb (i2 int2, i4 int4, i8 int8, f4 float4, f8 float8, n numeric(12,3), nn numeric, b bool, t text, v varchar(10), c char(4),' +
  ' d date, ts timestamp, tz timestamptz, iv interval, by bytea, u uuid, j json, jb jsonb)';
const ROWS = [
  "insert into cb values (-2, 123456, 9007199254740991, 1.5, -2.25e-10, -12345.678, 0.0001, true, 'héllo', 'var', 'ch', '2024-02-29', '1999-12-31 23:59:59.5'," +
    " '2024-01-01 12:00:00+02', '1 year 2 mons 3 days 04:05:06.7', '\\x00ff41', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{\"b\":1, \"a\":[1,2]}', '{\"b\":1, \"a\":[1,2.50]}')",
  'insert into cb values (null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null)',
  "insert into cb values (32767, -1, -42, 'NaN', 'Infinity', 0, 99999999999999999999.123456789, false, '', '', '', '0044-03-15 BC', '1970-01-01 00:00:00'," +
    " '1970-01-01 00:00:00+00', '-1 day -00:00:01', '', '00000000-0000-0000-0000-000000000000', '[]', 'null')",
];
/** PostgreSQL 15's COPY cb TO STDOUT (FORMAT binary) after the statements above. */
const PG_COPY = Buffer.from(
  '5047434f50590aff0d0a000000000000000000001300000002fffe000000040001e24000000008001fffffffffffff000000043fc0000000000008bdeeec7bd512b5720000000e0003000140000003000109291a7c0000000a0001ffff00000004000100000001010000000668c3a96c6c6f000000037661720000000463682020000000040000227900000008fffffffffff85ee0000000080002b0de36ada80000000010000000036c966ee0000000030000000e0000000300ff4100000010a0eebc999c0b4ef8bb6d6bb9bd380a11000000127b2262223a312c202261223a5b312c325d7d00000019017b2261223a205b312c20322e35305d2c202262223a20317d0013ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff0013000000027fff00000004ffffffff00000008ffffffffffffffd6000000047fc00000000000087ff0000000000000000000080000000000000003000000180008000400000009270f270f270f270f270f04d2162e232800000001000000000000000000000000042020202000000004fff49d7b00000008fffca2fec4c8200000000008fffca2fec4c8200000000010fffffffffff0bdc0ffffffff00000000000000000000001000000000000000000000000000000000000000025b5d00000005016e756c6cffff',
  'hex',
);
/** … and for a query with no rows: header and trailer only. */
const PG_EMPTY = Buffer.from('5047434f50590aff0d0a000000000000000000ffff', 'hex');

interface Outcome {
  data: Buffer;
  tag?: string;
  error?: { code: string; message: string };
}

async function simple(c: RawClient, sql: string): Promise<Outcome> {
  c.raw.length = 0;
  c.send(serialize.query(sql));
  const msgs = await c.until('readyForQuery');
  const err = msgs.find((m) => m.name === 'error');
  const done = msgs.find((m) => m.name === 'commandComplete');
  return {
    data: Buffer.concat(c.raw.filter((m) => m.type === 'd').map((m) => m.body)),
    tag: done?.text,
    error: err === undefined ? undefined : { code: err.code, message: err.message },
  };
}

async function copyIn(c: RawClient, sql: string, data: Buffer, chunk: number): Promise<Outcome> {
  c.send(serialize.query(sql));
  const start = await c.until('copyInResponse');
  expect(start[start.length - 1].binary).to.equal(true);
  for (let i = 0; i < data.length; i += chunk) c.send(serialize.copyData(data.subarray(i, i + chunk)));
  c.send(serialize.copyDone());
  const msgs = await c.until('readyForQuery');
  const err = msgs.find((m) => m.name === 'error');
  return { data: Buffer.alloc(0), tag: msgs.find((m) => m.name === 'commandComplete')?.text, error: err && { code: err.code, message: err.message } };
}

describe('COPY (FORMAT binary)', function () {
  let server: TestServer;
  let c: RawClient;
  before(async () => {
    server = await startTestServer();
    c = await RawClient.connect(server.port);
    for (const sql of [TABLE, ...ROWS]) expect((await simple(c, sql)).error).to.equal(undefined);
  });
  after(async () => {
    c?.close();
    await server?.stop();
  });

  it('sends exactly the bytes PostgreSQL sends for COPY TO STDOUT', async () => {
    const out = await simple(c, 'copy cb to stdout (format binary)');
    expect(out.tag).to.equal('COPY 3');
    expect(out.data.toString('hex')).to.equal(PG_COPY.toString('hex'));
    const empty = await simple(c, "copy (select 1::int4 as a, 'x'::text as b where false) to stdout (format binary)");
    expect(empty.data.toString('hex')).to.equal(PG_EMPTY.toString('hex'));
  });

  it("loads PostgreSQL's binary COPY data back (COPY FROM STDIN) to the same values and bytes", async () => {
    await simple(c, TABLE.replace('cb', 'cb2'));
    const loaded = await copyIn(c, 'copy cb2 from stdin (format binary)', PG_COPY, 7);
    expect(loaded.error).to.equal(undefined);
    expect(loaded.tag).to.equal('COPY 3');
    expect((await simple(c, 'copy cb2 to stdout (format binary)')).data.toString('hex')).to.equal(PG_COPY.toString('hex'));
    const a = await simple(c, 'copy cb to stdout');
    const b = await simple(c, 'copy cb2 to stdout');
    expect(b.data.toString()).to.equal(a.data.toString());
    // A column list, and a stream without the trailer that ends at a tuple boundary (PostgreSQL accepts it).
    await simple(c, 'create table two (x int8, y text)');
    const tuple = Buffer.from('0002' + '00000008' + '0000000000000007' + '00000002' + '6869', 'hex');
    const header = PG_EMPTY.subarray(0, 19);
    const r = await copyIn(c, 'copy two (x, y) from stdin (format binary)', Buffer.concat([header, tuple, tuple]), 5);
    expect(r.tag).to.equal('COPY 2');
    expect((await simple(c, 'copy two to stdout')).data.toString()).to.equal('7\thi\n7\thi\n');
    // Columns left out take their DEFAULT, a volatile one per row.
    await simple(c, 'create table three (x int8, y text, id uuid default gen_random_uuid())');
    expect((await copyIn(c, 'copy three (x, y) from stdin (format binary)', Buffer.concat([header, tuple, tuple, tuple]), 1000)).tag).to.equal('COPY 3');
    const ids = await simple(c, 'copy (select count(distinct id) from three) to stdout');
    expect(ids.data.toString()).to.equal('3\n');
  });

  it("writes and reads binary files with psql's \\copy", async function () {
    if (!psqlAvailable()) {
      console.log('    (psql is not installed: skipping)');
      this.skip();
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-copybin-'));
    try {
      const file = path.join(dir, 'cb.bin');
      const script = `\\copy cb to '${file}' (format binary)\n${TABLE.replace('cb', 'cb3')};\n\\copy cb3 from '${file}' (format binary)\nselect count(*) from cb3;\n`;
      const r = await runPsql(server.port, script, ['-t']);
      expect(r.stderr).to.equal('');
      expect(fs.readFileSync(file).toString('hex')).to.equal(PG_COPY.toString('hex'));
      expect(r.stdout.split('\n').filter((l) => l !== '')).to.deep.equal(['COPY 3', 'CREATE TABLE', 'COPY 3', '3']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("rejects bad binary COPY input with PostgreSQL's codes, and the session goes on", async () => {
    // (codes and messages checked against PostgreSQL 15 with the same input)
    const header = PG_EMPTY.subarray(0, 19);
    const bad = async (data: Buffer) => (await copyIn(c, 'copy two from stdin (format binary)', data, 64)).error;
    expect(await bad(Buffer.from('PGCOPY\n\xff\r\n\x01', 'latin1'))).to.deep.equal({ code: '22P04', message: 'COPY file signature not recognized' });
    expect(await bad(Buffer.from('PGCOPY\n\xff\r\n\x00\x00\x01\x00\x00\x00\x00\x00\x00', 'latin1'))).to.deep.equal({ code: '22P04', message: 'invalid COPY file header (WITH OIDS)' });
    expect(await bad(header.subarray(0, 15))).to.deep.equal({ code: '22P04', message: 'invalid COPY file header (missing length)' });
    expect(await bad(Buffer.concat([header, Buffer.from('0001ffffffff', 'hex')]))).to.deep.equal({ code: '22P04', message: 'row field count is 1, expected 2' });
    expect(await bad(Buffer.concat([header, Buffer.from('000200000004000000010000000161', 'hex')]))).to.deep.equal({ code: '08P01', message: 'insufficient data left in message' });
    expect(await bad(Buffer.concat([header, Buffer.from('0002000000090000000000000001000000000161', 'hex')]))).to.deep.equal({ code: '22P03', message: 'incorrect binary data format' });
    expect(await bad(Buffer.concat([header, Buffer.from('0002000000080000', 'hex')]))).to.deep.equal({ code: '22P04', message: 'unexpected EOF in COPY data' });
    expect(await bad(Buffer.concat([PG_EMPTY, Buffer.from('00', 'hex')]))).to.deep.equal({ code: '22P04', message: 'received copy data after EOF marker' });
    expect((await simple(c, "copy two to stdout (format binary, delimiter ',')")).error).to.deep.equal({ code: '42601', message: 'cannot specify DELIMITER in BINARY mode' });
    expect((await simple(c, "copy two to stdout (format binary, null 'x')")).error).to.deep.equal({ code: '42601', message: 'cannot specify NULL in BINARY mode' });
    expect((await simple(c, 'copy two to stdout (format binary, header)')).error).to.deep.equal({ code: '0A000', message: 'cannot specify HEADER in BINARY mode' });
    expect((await simple(c, 'select count(*) from two')).error).to.equal(undefined);
  });
});
