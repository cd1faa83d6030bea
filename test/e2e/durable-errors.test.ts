// Early lock release (storage/write-pipeline.ts) shows decided commits before they are durable; a
// client must still never get an answer that a crash could take back. These cases are answers
// that are errors: a statement outside a writing transaction block that fails because of a decided
// but not yet durable commit (a duplicate key it inserted) fails only once that commit is durable,
// as in PostgreSQL, where the other transaction's locks go only after its commit record is flushed.
// Real pg clients against a server in this process whose key-value store can hold writes back.
import { expect } from 'chai';
import { Client } from 'pg';
import { Database } from '../../src/engine/database';
import { RunningServer, startServer } from '../../src/wire/server';
import { HeldKv } from '../helpers/held-kv';
import { RawClient, serialize } from '../helpers/raw-client';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function track(p: Promise<unknown>): { state(): string; done: Promise<unknown> } {
  let state = 'pending';
  const done = p.then(
    () => (state = 'resolved'),
    (e: { code?: string; message?: string }) => (state = e.code ?? e.message ?? 'rejected'),
  );
  return { state: () => state, done };
}

describe('errors that depend on decided commits wait for their durability', function () {
  this.timeout(30000);
  let kv: HeldKv;
  let db: Database;
  let server: RunningServer;
  const clients: Client[] = [];

  async function open(): Promise<void> {
    kv = new HeldKv();
    db = await Database.open({ dir: null, kv, settings: new Map() });
    server = await startServer(db, { host: '127.0.0.1', port: 0, authMethod: 'trust', users: new Map() });
  }

  async function connect(): Promise<Client> {
    const c = new Client({ host: '127.0.0.1', port: server.port, user: 'postgres', database: 'postgres' });
    await c.connect();
    clients.push(c);
    return c;
  }

  /** Waits until a write reached the store after `started` (a commit decided, its write held). */
  async function writeStarted(started: number): Promise<void> {
    for (let i = 0; i < 500 && kv.started <= started; i++) await sleep(10);
    expect(kv.started).to.be.greaterThan(started);
  }

  afterEach(async () => {
    kv?.release();
    for (const c of clients.splice(0)) await c.end().catch(() => undefined);
    await server?.close();
    await db?.close().catch(() => undefined);
  });

  it('an autocommit INSERT of a key a not yet durable commit inserted fails with 23505 only once that commit is durable', async () => {
    await open();
    const [a, b] = [await connect(), await connect()];
    await a.query('create table dk (k int primary key)');
    kv.hold();
    const started = kv.started;
    const aInsert = track(a.query('insert into dk values (1)'));
    await writeStarted(started);
    expect(aInsert.state()).to.equal('pending'); // decided, not durable
    const bInsert = track(b.query('insert into dk values (1)'));
    await sleep(150);
    expect(bInsert.state()).to.equal('pending'); // its error depends on a's commit
    kv.release();
    await Promise.all([aInsert.done, bInsert.done]);
    expect(aInsert.state()).to.equal('resolved');
    expect(bInsert.state()).to.equal('23505');
  });

  it('an autocommit SELECT failing on a row of a not yet durable commit fails only once it is durable', async () => {
    await open();
    const [a, b] = [await connect(), await connect()];
    await a.query('create table dz (k int primary key, v int)');
    await a.query('insert into dz values (1, 1)');
    kv.hold();
    const started = kv.started;
    const aUpdate = track(a.query('update dz set v = 0 where k = 1'));
    await writeStarted(started);
    const bSelect = track(b.query('select 10 / v from dz'));
    await sleep(150);
    expect(bSelect.state()).to.equal('pending');
    kv.release();
    await Promise.all([aUpdate.done, bSelect.done]);
    expect(aUpdate.state()).to.equal('resolved');
    expect(bSelect.state()).to.equal('22012');
  });

  it("a SERIALIZABLE COMMIT refused (40001) because of a not yet durable commit, and the ROLLBACK of a block whose statement failed on one, answer once it is durable", async () => {
    await open();
    const [a, b, c] = [await connect(), await connect(), await connect()];
    await a.query('create table dr (k int primary key, v int)');
    await a.query('insert into dr values (1, 0), (2, 0)');
    await b.query('begin isolation level serializable');
    await b.query('select v from dr where k = 1');
    await b.query('update dr set v = 1 where k = 2');
    await c.query('begin isolation level repeatable read');
    await c.query('select v from dr where k = 2');
    kv.hold();
    const started = kv.started;
    // a writes what b read (b's COMMIT fails validation) and the row c then updates (40001).
    const aUpdate = track(a.query('update dr set v = 5 where k = 1'));
    await writeStarted(started);
    const bCommit = track(b.query('commit'));
    const cUpdate = track(c.query('update dr set v = 7 where k = 1'));
    await cUpdate.done;
    expect(cUpdate.state()).to.equal('40001'); // inside a writing block: its ROLLBACK waits instead
    const cRollback = track(c.query('rollback'));
    await sleep(150);
    expect(aUpdate.state()).to.equal('pending');
    expect(bCommit.state()).to.equal('pending');
    expect(cRollback.state()).to.equal('pending');
    kv.release();
    await Promise.all([aUpdate.done, bCommit.done, cRollback.done]);
    expect(aUpdate.state()).to.equal('resolved');
    expect(bCommit.state()).to.equal('40001');
    expect(cRollback.state()).to.equal('resolved');
  });
  it('a COPY FROM STDIN of a key a not yet durable commit inserted fails with 23505 only once that commit is durable', async () => {
    await open();
    const a = await connect();
    await a.query('create table dc (k int primary key)');
    kv.hold();
    const started = kv.started;
    const aInsert = track(a.query('insert into dc values (1)'));
    await writeStarted(started);
    const raw = await RawClient.connect(server.port);
    try {
      raw.send(serialize.query('copy dc from stdin'));
      await raw.until('copyInResponse');
      raw.send(serialize.copyData(Buffer.from('2\n1\n')));
      raw.send(serialize.copyDone());
      await sleep(200);
      expect(raw.received().some((m) => m.name === 'error')).to.equal(false);
      kv.release();
      const msgs = await raw.until('readyForQuery');
      expect(msgs.find((m) => m.name === 'error')?.code).to.equal('23505');
      await aInsert.done;
      expect(aInsert.state()).to.equal('resolved');
    } finally {
      raw.close();
    }
  });
});
