// Protocol behaviour against the real server process: startup, SSL refusal, extended query with
// portals, skip-until-Sync after errors, transaction status, bad messages, cancel.
import { expect } from 'chai';
import * as net from 'net';
import { Client } from 'pg';
import { RawClient, serialize } from '../helpers/raw-client';
import { TestServer, startTestServer } from '../helpers/test-server';

describe('wire protocol', function () {
  this.timeout(60000);
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
    const c = new Client({ host: '127.0.0.1', port: server.port, user: 'postgres' });
    await c.connect();
    await c.query('create table nums (n int primary key, label text)');
    await c.query("insert into nums select * from (values (1,'one'),(2,'two'),(3,'three'),(4,'four'),(5,'five')) v");
    await c.end();
  });
  after(async () => server?.stop());

  it('answers SSLRequest with N and then accepts a normal startup', async () => {
    const socket = net.connect(server.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const reply = await new Promise<Buffer>((resolve) => {
      socket.once('data', resolve);
      socket.write(serialize.requestSsl());
    });
    expect(reply.toString()).to.equal('N');
    socket.destroy();
    const c = new Client({ host: '127.0.0.1', port: server.port, user: 'postgres', ssl: false });
    await c.connect();
    expect((await c.query('select 1 as x')).rows).to.deep.equal([{ x: 1 }]);
    await c.end();
  });

  it('reports the PostgreSQL parameters a client expects at startup', async () => {
    const c = await RawClient.connect(server.port, false);
    c.send(serialize.startup({ user: 'postgres', database: 'postgres', application_name: 'wire-test' }));
    const msgs = await c.until('readyForQuery');
    const params = Object.fromEntries(msgs.filter((m) => m.name === 'parameterStatus').map((m) => [m.parameterName, m.parameterValue]));
    expect(params.server_encoding).to.equal('UTF8');
    expect(params.client_encoding).to.equal('UTF8');
    expect(params.DateStyle).to.equal('ISO, MDY');
    expect(params.integer_datetimes).to.equal('on');
    expect(params.standard_conforming_strings).to.equal('on');
    expect(params.application_name).to.equal('wire-test');
    expect(Number(params.server_version.split('.')[0])).to.be.at.least(15);
    expect(msgs.some((m) => m.name === 'backendKeyData')).to.equal(true);
    expect(msgs[msgs.length - 1].status).to.equal('I');
    c.close();
  });

  it('suspends a portal at the row limit and resumes it', async () => {
    const c = await RawClient.connect(server.port);
    c.send(
      serialize.parse({ name: 'q', text: 'select n, label from nums where n >= $1 order by n', types: [23] }),
      serialize.bind({ statement: 'q', portal: 'p', values: ['2'] }),
      serialize.execute({ portal: 'p', rows: 2 }),
      serialize.execute({ portal: 'p', rows: 2 }),
      serialize.execute({ portal: 'p', rows: 2 }),
      serialize.sync(),
    );
    const msgs = await c.until('readyForQuery');
    const names = msgs.map((m) => m.name);
    // PostgreSQL 15 answers exactly this sequence (checked against it): reaching the limit suspends
    // even when no rows remain, and the final Execute completes with the rows it sent (none).
    expect(names).to.deep.equal(['parseComplete', 'bindComplete', 'dataRow', 'dataRow', 'portalSuspended', 'dataRow', 'dataRow', 'portalSuspended', 'commandComplete', 'readyForQuery']);
    const rows = msgs.filter((m) => m.name === 'dataRow').map((m) => m.fields.join(','));
    expect(rows).to.deep.equal(['2,two', '3,three', '4,four', '5,five']);
    expect(msgs.find((m) => m.name === 'commandComplete')!.text).to.equal('SELECT 0');
    c.close();
  });

  it('skips messages after an error until Sync, then serves the next batch', async () => {
    const c = await RawClient.connect(server.port);
    c.send(
      serialize.parse({ text: 'select * from missing_table' }),
      serialize.bind({}),
      serialize.execute({}),
      serialize.sync(),
      serialize.parse({ text: 'select 42' }),
      serialize.bind({}),
      serialize.execute({}),
      serialize.sync(),
    );
    const first = await c.until('readyForQuery');
    expect(first.map((m) => m.name)).to.deep.equal(['error', 'readyForQuery']);
    expect(first[0].code).to.equal('42P01');
    const second = await c.until('readyForQuery');
    expect(second.map((m) => m.name)).to.deep.equal(['parseComplete', 'bindComplete', 'dataRow', 'commandComplete', 'readyForQuery']);
    expect(second[2].fields).to.deep.equal(['42']);
    c.close();
  });

  it('describes parameters and result columns of a prepared statement with their OIDs', async () => {
    const c = await RawClient.connect(server.port);
    c.send(serialize.parse({ name: 'd', text: 'select n, label, n * 1.5 as x from nums where n = $1 and label <> $2' }), serialize.describe({ type: 'S', name: 'd' }), serialize.sync());
    const msgs = await c.until('readyForQuery');
    const params = msgs.find((m) => m.name === 'parameterDescription')!;
    expect(params.dataTypeIDs).to.deep.equal([23, 25]);
    const row = msgs.find((m) => m.name === 'rowDescription')!;
    expect(row.fields.map((f: any) => [f.name, f.dataTypeID])).to.deep.equal([
      ['n', 23],
      ['label', 25],
      ['x', 1700],
    ]);
    c.close();
  });

  it('reports transaction status I, T and E in ReadyForQuery', async () => {
    const c = await RawClient.connect(server.port);
    const status = async (sql: string) => {
      c.send(serialize.query(sql));
      const msgs = await c.until('readyForQuery');
      return msgs[msgs.length - 1].status;
    };
    expect(await status('begin')).to.equal('T');
    expect(await status('select 1')).to.equal('T');
    expect(await status('select 1/0')).to.equal('E');
    c.send(serialize.query('select 1'));
    const aborted = await c.until('readyForQuery');
    expect(aborted[0].code).to.equal('25P02');
    expect(await status('rollback')).to.equal('I');
    c.close();
  });

  it('answers EmptyQueryResponse for an empty query string', async () => {
    const c = await RawClient.connect(server.port);
    c.send(serialize.query(''));
    const msgs = await c.until('readyForQuery');
    expect(msgs.map((m) => m.name)).to.deep.equal(['emptyQuery', 'readyForQuery']);
    c.close();
  });

  it('closes only the connection that sends a malformed or oversized message', async () => {
    const bystander = new Client({ host: '127.0.0.1', port: server.port, user: 'postgres' });
    await bystander.connect();
    const c = await RawClient.connect(server.port);
    const bad = Buffer.alloc(5);
    bad[0] = 0x51; // 'Q' with a negative length
    bad.writeInt32BE(-7, 1);
    c.send(bad);
    const msgs = await c.untilClosed();
    expect(msgs.map((m) => m.name)).to.deep.equal(['error']);
    expect(msgs[0].code).to.equal('08P01');
    const huge = await RawClient.connect(server.port);
    const big = Buffer.alloc(5);
    big[0] = 0x51;
    big.writeInt32BE(0x7fffffff, 1);
    huge.send(big);
    const hugeMsgs = await huge.untilClosed();
    expect(hugeMsgs[0].code).to.equal('08P01');
    expect((await bystander.query('select count(*)::int as n from nums')).rows).to.deep.equal([{ n: 5 }]);
    await bystander.end();
  });

  it('cancels a running statement with CancelRequest and ignores a wrong key', async () => {
    const c = await RawClient.connect(server.port, false);
    c.send(serialize.startup({ user: 'postgres', database: 'postgres' }));
    const startup = await c.until('readyForQuery');
    const key = startup.find((m) => m.name === 'backendKeyData')!;
    // An UPDATE waits on the row lock held by another session's open transaction: a statement that runs until cancelled.
    const holder = new Client({ host: '127.0.0.1', port: server.port, user: 'postgres' });
    await holder.connect();
    await holder.query('begin');
    await holder.query("update nums set label = 'held' where n = 5");
    c.send(serialize.query("update nums set label = 'waits' where n = 5"));
    await new Promise((r) => setTimeout(r, 200));
    const sendCancel = async (pid: number, secret: number) => {
      const s = net.connect(server.port, '127.0.0.1');
      await new Promise((r) => s.once('connect', r));
      s.end(serialize.cancel(pid, secret));
      await new Promise((r) => s.once('close', r));
    };
    await sendCancel(key.processID, key.secretKey + 1);
    await new Promise((r) => setTimeout(r, 200));
    await sendCancel(key.processID, key.secretKey);
    const msgs = await c.until('readyForQuery');
    expect(msgs[0].name).to.equal('error');
    expect(msgs[0].code).to.equal('57014');
    await holder.query('rollback');
    await holder.end();
    c.close();
  });
});
