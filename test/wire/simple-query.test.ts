// The simple query protocol against the in-process server and the fake engine: result shapes,
// error fields, notices and ParameterStatus, transaction status, selection vectors, COPY in and
// out, big results to a slow reader, and what happens when the client goes away.
import { expect } from 'chai';
import { Client } from 'pg';
import { RawClient, serialize } from '../helpers/raw-client';
import { InProcessServer, eventually, startInProcess } from './in-process';

describe('wire: simple query (in-process, fake engine)', function () {
  this.timeout(30000);
  let s: InProcessServer;
  before(async () => {
    s = await startInProcess();
  });
  after(async () => s?.stop());

  async function query(c: RawClient, sql: string) {
    c.send(serialize.query(sql));
    return c.until('readyForQuery');
  }
  const names = (msgs: { name: string }[]) => msgs.map((m) => m.name);

  it('answers rows, commands and empty statements in order, then ReadyForQuery', async () => {
    const c = await RawClient.connect(s.port);
    const msgs = await query(c, 'select 1; insert; ; select 1');
    expect(names(msgs)).to.deep.equal(['rowDescription', 'dataRow', 'commandComplete', 'commandComplete', 'rowDescription', 'dataRow', 'commandComplete', 'readyForQuery']);
    expect(msgs[0].fields.map((f: any) => [f.name, f.dataTypeID, f.dataTypeSize, f.dataTypeModifier, f.format])).to.deep.equal([['?column?', 23, 4, -1, 'text']]);
    expect(msgs[1].fields).to.deep.equal(['1']);
    expect(msgs[3].text).to.equal('INSERT 0 1');
    expect(names(await query(c, ''))).to.deep.equal(['emptyQuery', 'readyForQuery']);
    // endOfCommandGroup ran once per Query message.
    expect(s.db.last.endOfGroupCalls).to.equal(2);
    c.close();
  });

  it('sends every ErrorResponse field and skips the rest of the query string', async () => {
    const c = await RawClient.connect(s.port);
    const msgs = await query(c, 'select 1; error 23505 duplicate key value; select 1');
    expect(names(msgs)).to.deep.equal(['rowDescription', 'dataRow', 'commandComplete', 'error', 'readyForQuery']);
    expect(msgs[3]).to.include({
      severity: 'ERROR',
      code: '23505',
      message: 'duplicate key value',
      detail: 'the detail',
      hint: 'the hint',
      position: '3',
      schema: 'public',
      table: 't',
      column: 'c',
      constraint: 't_pkey',
    });
    expect(s.db.last.executed).to.deep.equal(['select 1', 'error 23505 duplicate key value']);
    // A syntax error from parseSimple: nothing runs, the position is sent.
    const syn = await query(c, 'select 1; syntax');
    expect(syn[0]).to.include({ name: 'error', code: '42601', position: '11' });
    expect(s.db.last.executed.length).to.equal(2);
    c.close();
  });

  it('reports a non-SqlError from the engine as XX000, and the session lives on', async () => {
    const c = new Client({ host: '127.0.0.1', port: s.port, user: 'postgres' });
    await c.connect();
    const originalError = console.error;
    console.error = () => undefined; // the server logs the bug; keep test output clean
    let err: any;
    try {
      await c.query('crash');
    } catch (e) {
      err = e;
    } finally {
      console.error = originalError;
    }
    expect(err).to.include({ code: 'XX000', severity: 'ERROR' });
    expect((await c.query('select 1')).rows).to.deep.equal([{ '?column?': 1 }]);
    await c.end();
  });

  it('sends notices before the result, and ParameterStatus for changed settings before ReadyForQuery', async () => {
    const c = await RawClient.connect(s.port);
    const msgs = await query(c, 'notice hello there; set tz Asia/Tokyo; select 1');
    expect(names(msgs)).to.deep.equal(['notice', 'commandComplete', 'commandComplete', 'rowDescription', 'dataRow', 'commandComplete', 'parameterStatus', 'readyForQuery']);
    expect(msgs[0]).to.include({ severity: 'NOTICE', code: '00000', message: 'hello there', detail: 'fake detail' });
    expect(msgs[6]).to.include({ parameterName: 'TimeZone', parameterValue: 'Asia/Tokyo' });
    c.close();
  });

  it('reports transaction status I, T and E', async () => {
    const c = await RawClient.connect(s.port);
    const status = async (sql: string) => (await query(c, sql)).pop()!.status;
    expect(await status('begin')).to.equal('T');
    expect(await status('select 1')).to.equal('T');
    expect(await status('error 22012 division by zero')).to.equal('E');
    const aborted = await query(c, 'select 1');
    expect(aborted[0].code).to.equal('25P02');
    expect(await status('rollback')).to.equal('I');
    c.close();
  });

  it('sends rows of every batch in order, honouring selection vectors', async () => {
    const c = new Client({ host: '127.0.0.1', port: s.port, user: 'postgres' });
    await c.connect();
    const r = await c.query('series 3500');
    expect(r.rowCount).to.equal(3500);
    expect(r.rows.map((x) => x.n)).to.deep.equal(Array.from({ length: 3500 }, (_, i) => i + 1));
    await c.end();
  });

  it('delivers a 20 MB result to a client that stops reading for a while (backpressure)', async () => {
    const c = await RawClient.connect(s.port);
    c.socket.pause();
    c.send(serialize.query('wide 250000'));
    await new Promise((r) => setTimeout(r, 300));
    c.socket.resume();
    const msgs = await c.until('readyForQuery', 60000);
    const rows = msgs.filter((m) => m.name === 'dataRow');
    expect(rows.length).to.equal(250000);
    expect(rows[1].fields).to.deep.equal(['2', `row 2 – ünïcödé ${'x'.repeat(50)}`]);
    expect(rows[2].fields).to.deep.equal(['3', null]);
    expect(msgs[msgs.length - 2].text).to.equal('SELECT 250000');
    c.close();
  });

  it('runs COPY FROM STDIN with data split across CopyData messages', async () => {
    const c = await RawClient.connect(s.port);
    c.send(serialize.query('copy in'));
    const start = await c.until('copyInResponse');
    expect(start[0]).to.include({ binary: false });
    expect(start[0].columnTypes).to.deep.equal([0]);
    c.send(serialize.copyData(Buffer.from('1\n2')), serialize.copyData(Buffer.from('\n3\n')), serialize.copyDone());
    const done = await c.until('readyForQuery');
    expect(names(done)).to.deep.equal(['commandComplete', 'readyForQuery']);
    expect(done[0].text).to.equal('COPY 3');
    expect(s.db.last.copies).to.deep.equal([{ data: '1\n2\n3\n', outcome: 'done' }]);
    c.close();
  });

  it('fails COPY FROM STDIN at the first bad data, drops the rest of the copy stream, and goes on', async () => {
    const c = await RawClient.connect(s.port);
    c.send(serialize.query('copy in'));
    await c.until('copyInResponse');
    c.send(serialize.copyData(Buffer.from('1\nbad\n')));
    // As in PostgreSQL: ErrorResponse and ReadyForQuery at once, while the client may still be sending.
    const failed = await c.until('readyForQuery');
    expect(names(failed)).to.deep.equal(['error', 'readyForQuery']);
    expect(failed[0]).to.include({ code: '22P02' });
    c.send(serialize.copyData(Buffer.from('4\n')), serialize.copyDone(), serialize.query('select 1'));
    expect(names(await c.until('readyForQuery'))).to.deep.equal(['rowDescription', 'dataRow', 'commandComplete', 'readyForQuery']);
    expect(s.db.last.copies[0].outcome).to.match(/invalid input syntax/);
    c.close();
  });

  it('ends COPY FROM STDIN on CopyFail with 57014, failing the sink', async () => {
    const c = await RawClient.connect(s.port);
    c.send(serialize.query('copy in'));
    await c.until('copyInResponse');
    c.send(serialize.copyData(Buffer.from('1\n')), serialize.copyFail('client changed its mind'));
    const msgs = await c.until('readyForQuery');
    expect(msgs[0]).to.include({ name: 'error', code: '57014', message: 'COPY from stdin failed: client changed its mind' });
    expect(s.db.last.copies[0].outcome).to.equal('client changed its mind');
    c.close();
  });

  it('runs COPY TO STDOUT: CopyOutResponse, CopyData per buffer, CopyDone, CommandComplete', async () => {
    const c = await RawClient.connect(s.port);
    const msgs = await query(c, 'copy out 3');
    expect(names(msgs)).to.deep.equal(['copyOutResponse', 'copyData', 'copyData', 'copyData', 'copyDone', 'commandComplete', 'readyForQuery']);
    expect(msgs.filter((m) => m.name === 'copyData').map((m) => m.chunk.toString())).to.deep.equal(['1\n', '2\n', '3\n']);
    expect(msgs[5].text).to.equal('COPY 3');
    c.close();
  });

  it('fails the COPY sink and closes the session when the client disappears mid-COPY', async () => {
    const c = await RawClient.connect(s.port);
    const session = s.db.last;
    c.send(serialize.query('copy in'));
    await c.until('copyInResponse');
    c.send(serialize.copyData(Buffer.from('1\n')));
    await eventually(() => session.copies[0]?.data === '1\n');
    c.socket.destroy();
    await eventually(() => session.closed);
    expect(session.copies[0].outcome).to.match(/connection lost/);
  });

  it('closes the connection after a FATAL error from the engine', async () => {
    const c = await RawClient.connect(s.port);
    c.send(serialize.query('fatal'));
    const msgs = await c.untilClosed();
    expect(msgs[0]).to.include({ name: 'error', severity: 'FATAL', code: '57P01' });
    await eventually(() => s.db.last.closed);
  });

  it('closes the session on Terminate', async () => {
    const c = await RawClient.connect(s.port);
    const session = s.db.last;
    c.close();
    await eventually(() => session.closed);
    expect(s.db.sessions.has(session.processId)).to.equal(false);
  });
});
