// The extended query protocol against the in-process server and the fake engine. Message sequences
// were checked against PostgreSQL 15 (portal suspension and tags, re-executed portals, duplicate
// names, portals ending with their transaction).
import { expect } from 'chai';
import { Client } from 'pg';
import { RawClient, RawBackendMessage, serialize } from '../helpers/raw-client';
import { InProcessServer, startInProcess } from './in-process';

const names = (msgs: { name: string }[]) => msgs.map((m) => m.name);

/** Bind with per-parameter format codes and result format codes (pg-protocol's bind() cannot mix them). */
function bindMessage(portal: string, statement: string, params: (Buffer | null)[], paramFormats: number[], resultFormats: number[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`${portal}\0${statement}\0`)];
  const i16 = (n: number) => {
    const b = Buffer.alloc(2);
    b.writeInt16BE(n);
    return b;
  };
  const i32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    return b;
  };
  parts.push(i16(paramFormats.length), ...paramFormats.map(i16), i16(params.length));
  for (const p of params) parts.push(p === null ? i32(-1) : Buffer.concat([i32(p.length), p]));
  parts.push(i16(resultFormats.length), ...resultFormats.map(i16));
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from('B'), i32(body.length + 4), body]);
}

/** The cells of the raw DataRow messages received so far. */
function rawRows(raw: RawBackendMessage[]): (Buffer | null)[][] {
  return raw
    .filter((m) => m.type === 'D')
    .map((m) => {
      const n = m.body.readInt16BE(0);
      const cells: (Buffer | null)[] = [];
      let pos = 2;
      for (let i = 0; i < n; i++) {
        const len = m.body.readInt32BE(pos);
        pos += 4;
        cells.push(len === -1 ? null : m.body.subarray(pos, pos + len));
        if (len > 0) pos += len;
      }
      return cells;
    });
}

describe('wire: extended query (in-process, fake engine)', function () {
  this.timeout(20000);
  let s: InProcessServer;
  before(async () => {
    s = await startInProcess();
  });
  after(async () => s?.stop());

  it('runs parameterized statements from the pg driver, decoding text parameters to their types', async () => {
    const c = new Client({ host: '127.0.0.1', port: s.port, user: 'postgres' });
    await c.connect();
    // pg sends parameter type 0 (infer): the fake engine then types them as text.
    const r = await c.query('echo $1 $2 $3', [42, 'héllo', null]);
    expect(r.rows).to.deep.equal([{ p1: '42', p2: 'héllo', p3: null }]);
    await c.end();
  });

  it('decodes parameters with the types Parse gave, and executes at the first Execute, not at Bind', async () => {
    const c = await RawClient.connect(s.port);
    const session = s.db.last;
    c.send(serialize.parse({ name: 'e', text: 'echo $1 $2 $3', types: [23, 16, 701] }), serialize.bind({ statement: 'e', portal: 'p', values: ['-7', 't', '2.5'] }), serialize.flush());
    await c.until('bindComplete');
    expect(session.executed).to.deep.equal([]);
    c.send(serialize.describe({ type: 'P', name: 'p' }), serialize.execute({ portal: 'p' }), serialize.sync());
    const msgs = await c.until('readyForQuery');
    expect(names(msgs)).to.deep.equal(['rowDescription', 'dataRow', 'commandComplete', 'readyForQuery']);
    expect(msgs[0].fields.map((f: any) => f.dataTypeID)).to.deep.equal([23, 16, 701]);
    expect(msgs[1].fields).to.deep.equal(['-7', 't', '2.5']);
    expect(session.executed).to.deep.equal(['echo $1 $2 $3']);
    // Bad text for an int4 parameter is the type's input error at Bind.
    c.send(serialize.bind({ statement: 'e', portal: 'q', values: ['x', 't', '1'] }), serialize.sync());
    expect((await c.until('readyForQuery'))[0]).to.include({ name: 'error', code: '22P02' });
    c.close();
  });

  it('suspends a portal at the row limit and resumes it (PostgreSQL 15 sequence and tags)', async () => {
    const c = await RawClient.connect(s.port);
    c.send(
      serialize.parse({ name: 'q', text: 'series 4' }),
      serialize.bind({ statement: 'q', portal: 'p' }),
      serialize.execute({ portal: 'p', rows: 2 }),
      serialize.execute({ portal: 'p', rows: 2 }),
      serialize.execute({ portal: 'p', rows: 2 }),
      serialize.execute({ portal: 'p', rows: 2 }),
      serialize.sync(),
    );
    const msgs = await c.until('readyForQuery');
    // Reaching the limit suspends even when no rows remain; the Execute after that completes with 0
    // rows, and one more Execute of the finished portal says SELECT 0 again.
    expect(names(msgs)).to.deep.equal(['parseComplete', 'bindComplete', 'dataRow', 'dataRow', 'portalSuspended', 'dataRow', 'dataRow', 'portalSuspended', 'commandComplete', 'commandComplete', 'readyForQuery']);
    expect(msgs.filter((m) => m.name === 'dataRow').map((m) => m.fields[0])).to.deep.equal(['1', '2', '3', '4']);
    expect(msgs.filter((m) => m.name === 'commandComplete').map((m) => m.text)).to.deep.equal(['SELECT 0', 'SELECT 0']);
    c.close();
  });

  it('counts the rows of the last Execute in the tag of a DML portal with RETURNING', async () => {
    const c = await RawClient.connect(s.port);
    c.send(serialize.parse({ text: 'insert returning 5' }), serialize.bind({ portal: 'r' }));
    for (let i = 0; i < 4; i++) c.send(serialize.execute({ portal: 'r', rows: 2 }));
    c.send(serialize.sync());
    const msgs = await c.until('readyForQuery');
    expect(names(msgs).filter((n) => n !== 'dataRow')).to.deep.equal(['parseComplete', 'bindComplete', 'portalSuspended', 'portalSuspended', 'commandComplete', 'commandComplete', 'readyForQuery']);
    expect(msgs.filter((m) => m.name === 'commandComplete').map((m) => m.text)).to.deep.equal(['INSERT 0 1', 'INSERT 0 0']);
    c.close();
  });

  it('slices batches with selection vectors across row limits', async () => {
    const c = await RawClient.connect(s.port);
    c.send(serialize.parse({ text: 'series 2500' }), serialize.bind({}));
    for (let i = 0; i < 4; i++) c.send(serialize.execute({ rows: 777 }));
    c.send(serialize.sync());
    const msgs = await c.until('readyForQuery');
    expect(msgs.filter((m) => m.name === 'dataRow').map((m) => Number(m.fields[0]))).to.deep.equal(Array.from({ length: 2500 }, (_, i) => i + 1));
    expect(msgs.filter((m) => m.name === 'portalSuspended').length).to.equal(3);
    expect(msgs.find((m) => m.name === 'commandComplete')!.text).to.equal('SELECT 169');
    c.close();
  });

  it('refuses to run a finished command portal again (55000)', async () => {
    const c = await RawClient.connect(s.port);
    c.send(serialize.parse({ text: 'insert' }), serialize.bind({ portal: 'r' }), serialize.execute({ portal: 'r' }), serialize.execute({ portal: 'r' }), serialize.sync());
    const msgs = await c.until('readyForQuery');
    expect(names(msgs)).to.deep.equal(['parseComplete', 'bindComplete', 'commandComplete', 'error', 'readyForQuery']);
    expect(msgs[3]).to.include({ code: '55000', message: 'portal "r" cannot be run' });
    c.close();
  });

  it('discards messages after an error until Sync, then serves the next batch', async () => {
    const c = await RawClient.connect(s.port);
    const session = s.db.last;
    c.send(
      serialize.parse({ text: 'error 42P01 relation "missing" does not exist' }),
      serialize.bind({}),
      serialize.execute({}),
      serialize.parse({ name: 'never', text: 'select 1' }),
      serialize.query('insert'),
      serialize.sync(),
      serialize.parse({ text: 'select 1' }),
      serialize.bind({}),
      serialize.execute({}),
      serialize.sync(),
    );
    const first = await c.until('readyForQuery');
    expect(names(first)).to.deep.equal(['parseComplete', 'bindComplete', 'error', 'readyForQuery']);
    expect(first[2].code).to.equal('42P01');
    const second = await c.until('readyForQuery');
    expect(names(second)).to.deep.equal(['parseComplete', 'bindComplete', 'dataRow', 'commandComplete', 'readyForQuery']);
    // Neither the skipped Parse nor the skipped simple Query ran.
    expect(session.executed).to.deep.equal(['error 42P01 relation "missing" does not exist', 'select 1']);
    c.send(serialize.bind({ statement: 'never' }), serialize.sync());
    expect((await c.until('readyForQuery'))[0]).to.include({ code: '26000', message: 'prepared statement "never" does not exist' });
    c.close();
  });

  it('describes statements (ParameterDescription + RowDescription or NoData) and portals (with their formats)', async () => {
    const c = await RawClient.connect(s.port);
    c.send(
      serialize.parse({ name: 'd', text: 'echo $1 $2', types: [23, 0] }),
      serialize.describe({ type: 'S', name: 'd' }),
      serialize.parse({ name: 'i', text: 'insert' }),
      serialize.describe({ type: 'S', name: 'i' }),
      bindMessage('bp', 'd', [Buffer.from('1'), Buffer.from('x')], [], [1, 0]),
      serialize.describe({ type: 'P', name: 'bp' }),
      serialize.sync(),
    );
    const msgs = await c.until('readyForQuery');
    expect(names(msgs)).to.deep.equal(['parseComplete', 'parameterDescription', 'rowDescription', 'parseComplete', 'parameterDescription', 'noData', 'bindComplete', 'rowDescription', 'readyForQuery']);
    expect(msgs[1].dataTypeIDs).to.deep.equal([23, 25]);
    expect(msgs[2].fields.map((f: any) => [f.name, f.dataTypeID, f.format])).to.deep.equal([
      ['p1', 23, 'text'],
      ['p2', 25, 'text'],
    ]);
    expect(msgs[4].dataTypeIDs).to.deep.equal([]);
    expect(msgs[7].fields.map((f: any) => f.format)).to.deep.equal(['binary', 'text']);
    c.close();
  });

  it('keeps named statements, replaces the unnamed one, refuses duplicates, and closes quietly', async () => {
    const c = await RawClient.connect(s.port);
    c.send(serialize.parse({ name: 'n', text: 'select 1' }), serialize.parse({ name: 'n', text: 'insert' }), serialize.sync());
    let msgs = await c.until('readyForQuery');
    expect(msgs[1]).to.include({ name: 'error', code: '42P05', message: 'prepared statement "n" already exists' });
    c.send(serialize.parse({ text: 'select 1' }), serialize.parse({ text: 'insert' }), serialize.bind({}), serialize.execute({}), serialize.sync());
    msgs = await c.until('readyForQuery');
    expect(names(msgs)).to.deep.equal(['parseComplete', 'parseComplete', 'bindComplete', 'commandComplete', 'readyForQuery']);
    c.send(serialize.parse({ name: 'n2', text: 'select 1' }), serialize.bind({ statement: 'n2', portal: 'x' }), serialize.bind({ statement: 'n2', portal: 'x' }), serialize.sync());
    msgs = await c.until('readyForQuery');
    expect(msgs[2]).to.include({ name: 'error', code: '42P03', message: 'cursor "x" already exists' });
    c.send(serialize.close({ type: 'S', name: 'n' }), serialize.close({ type: 'S', name: 'nope' }), serialize.close({ type: 'P', name: 'nope' }), serialize.bind({ statement: 'n' }), serialize.sync());
    msgs = await c.until('readyForQuery');
    expect(names(msgs)).to.deep.equal(['closeComplete', 'closeComplete', 'closeComplete', 'error', 'readyForQuery']);
    expect(msgs[3].code).to.equal('26000');
    // A simple Query drops the unnamed statement.
    c.send(serialize.parse({ text: 'select 1' }), serialize.sync(), serialize.query('select 1'), serialize.bind({}), serialize.sync());
    await c.until('readyForQuery');
    await c.until('readyForQuery');
    expect((await c.until('readyForQuery'))[0]).to.include({ code: '26000', message: 'unnamed prepared statement does not exist' });
    c.close();
  });

  it('drops portals when the transaction ends at Sync, keeps them inside a transaction block', async () => {
    const c = await RawClient.connect(s.port);
    c.send(serialize.parse({ text: 'select 1' }), serialize.bind({ portal: 'p' }), serialize.sync(), serialize.execute({ portal: 'p' }), serialize.sync());
    await c.until('readyForQuery');
    expect((await c.until('readyForQuery'))[0]).to.include({ code: '34000', message: 'portal "p" does not exist' });
    c.send(serialize.query('begin'));
    await c.until('readyForQuery');
    c.send(serialize.parse({ text: 'series 3' }), serialize.bind({ portal: 'p' }), serialize.execute({ portal: 'p', rows: 1 }), serialize.sync());
    expect(names(await c.until('readyForQuery'))).to.deep.equal(['parseComplete', 'bindComplete', 'dataRow', 'portalSuspended', 'readyForQuery']);
    c.send(serialize.execute({ portal: 'p' }), serialize.sync());
    const rest = await c.until('readyForQuery');
    expect(rest.filter((m) => m.name === 'dataRow').map((m) => m.fields[0])).to.deep.equal(['2', '3']);
    expect(rest[rest.length - 1].status).to.equal('T');
    c.send(serialize.query('commit'));
    await c.until('readyForQuery');
    c.close();
  });

  it('sends binary results for int2/int4/int8/bool/float8/text and takes binary parameters', async () => {
    const c = await RawClient.connect(s.port);
    const int4 = Buffer.alloc(4);
    int4.writeInt32BE(-123456);
    const f8 = Buffer.alloc(8);
    f8.writeDoubleBE(Math.PI);
    c.send(serialize.parse({ name: 'b', text: 'echo $1 $2 $3', types: [23, 701, 25] }), bindMessage('', 'b', [int4, f8, Buffer.from('zé')], [1], [1]), serialize.execute({}), serialize.sync());
    await c.until('readyForQuery');
    const [row] = rawRows(c.raw);
    expect(row[0]!.readInt32BE(0)).to.equal(-123456);
    expect(row[1]!.readDoubleBE(0)).to.equal(Math.PI);
    expect(row[2]!.toString()).to.equal('zé');
    c.raw.length = 0;
    c.send(serialize.parse({ name: 't', text: 'types' }), bindMessage('', 't', [], [], [1, 1, 1, 1, 1, 0]), serialize.execute({}), serialize.sync());
    await c.until('readyForQuery');
    const [t] = rawRows(c.raw);
    expect(t[0]!.equals(Buffer.from([1]))).to.equal(true);
    expect(t[1]!.readInt16BE(0)).to.equal(-2);
    expect(t[2]!.readBigInt64BE(0)).to.equal(2n ** 40n);
    expect(t[3]!.readDoubleBE(0)).to.equal(1.5);
    expect(t[4]!.toString()).to.equal('héllo');
    expect(t[5]!.toString()).to.equal('123.45');
    c.close();
  });

  it('sends binary numeric and answers 08P01/22023 for inconsistent Bind messages, without closing', async () => {
    const c = await RawClient.connect(s.port);
    c.raw.length = 0;
    c.send(serialize.parse({ name: 't', text: 'types' }), bindMessage('', 't', [], [], [1]), serialize.execute({}), serialize.sync());
    await c.until('readyForQuery');
    // 123.45: ndigits 2, weight 0, sign +, dscale 2, digits 123 and 4500 (PostgreSQL's numeric_send)
    expect(rawRows(c.raw)[0][5]!.toString('hex')).to.equal('0002000000000002007b1194');
    c.send(serialize.parse({ name: 'e', text: 'echo $1 $2' }), bindMessage('', 'e', [Buffer.from('1')], [], []), serialize.sync());
    expect((await c.until('readyForQuery'))[1]).to.include({ code: '08P01', message: 'bind message supplies 1 parameters, but prepared statement "e" requires 2' });
    c.send(bindMessage('', 'e', [Buffer.from('1'), Buffer.from('2')], [0, 0, 0], []), serialize.sync());
    expect((await c.until('readyForQuery'))[0]).to.include({ code: '08P01', message: 'bind message has 3 parameter formats but 2 parameters' });
    c.send(bindMessage('', 'e', [Buffer.from('1'), Buffer.from('2')], [7], []), serialize.sync());
    expect((await c.until('readyForQuery'))[0]).to.include({ code: '22023', message: 'unsupported format code: 7' });
    c.send(serialize.query('select 1'));
    expect(names(await c.until('readyForQuery'))).to.deep.equal(['rowDescription', 'dataRow', 'commandComplete', 'readyForQuery']);
    c.close();
  });

  it('sends what is buffered on Flush, without ReadyForQuery', async () => {
    const c = await RawClient.connect(s.port);
    c.send(serialize.parse({ text: 'select 1' }), serialize.bind({}), serialize.execute({}), serialize.flush());
    const msgs = await c.until('commandComplete');
    expect(names(msgs)).to.deep.equal(['parseComplete', 'bindComplete', 'dataRow', 'commandComplete']);
    await new Promise((r) => setTimeout(r, 50));
    expect(c.received()).to.deep.equal([]);
    c.send(serialize.sync());
    expect(names(await c.until('readyForQuery'))).to.deep.equal(['readyForQuery']);
    c.close();
  });

  it('runs COPY through Execute, ignoring Sync and Flush during copy-in', async () => {
    const c = await RawClient.connect(s.port);
    c.send(serialize.parse({ text: 'copy in' }), serialize.bind({}), serialize.execute({}), serialize.flush());
    await c.until('copyInResponse');
    c.send(serialize.copyData(Buffer.from('5\n')), serialize.flush(), serialize.copyData(Buffer.from('6\n')), serialize.copyDone(), serialize.sync());
    const msgs = await c.until('readyForQuery');
    expect(names(msgs)).to.deep.equal(['commandComplete', 'readyForQuery']);
    expect(msgs[0].text).to.equal('COPY 2');
    c.send(serialize.parse({ text: 'copy out 2' }), serialize.bind({}), serialize.execute({}), serialize.sync());
    expect(names(await c.until('readyForQuery'))).to.deep.equal(['parseComplete', 'bindComplete', 'copyOutResponse', 'copyData', 'copyData', 'copyDone', 'commandComplete', 'readyForQuery']);
    c.close();
  });
});
