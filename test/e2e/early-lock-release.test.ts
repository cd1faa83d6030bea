// Early lock release (storage/write-pipeline.ts, engine session): a commit's row locks go when it is
// decided, before its write is durable, so a second writer of the row goes on while the first one's
// write is in flight; COMMIT is still acknowledged only once durable; a read outside a writing
// transaction does not return a decided-but-not-durable value until it is durable (nor does the
// ROLLBACK of a writing transaction that read one), nor an error caused by one; and a failed
// write of decided commits fails the store (58030) instead of going on from a state not on disk.
// Real pg clients against a server in this process whose key-value store can hold writes back.
import { expect } from 'chai';
import { Client } from 'pg';
import { Database } from '../../src/engine/database';
import { RunningServer, startServer } from '../../src/wire/server';
import { HeldKv } from '../helpers/held-kv';
import { RawClient, serialize } from '../helpers/raw-client';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Follows a promise: state() is 'pending', 'resolved' or the rejection's SQLSTATE. */
function track(p: Promise<unknown>): { state(): string; done: Promise<unknown> } {
  let state = 'pending';
  const done = p.then(
    () => (state = 'resolved'),
    (e: { code?: string; message?: string }) => (state = e.code ?? e.message ?? 'rejected'),
  );
  return { state: () => state, done };
}

describe('early lock release', function () {
  this.timeout(30000);
  let kv: HeldKv;
  let db: Database;
  let server: RunningServer;
  const clients: Client[] = [];

  async function open(settings: [string, string][] = []): Promise<void> {
    kv = new HeldKv();
    db = await Database.open({ dir: null, kv, settings: new Map(settings) });
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

  it('a waiting UPDATE goes on once the holder is decided, before its commit is durable; COMMIT waits for durability', async () => {
    await open();
    const [a, b] = [await connect(), await connect()];
    await a.query('create table acct (id int primary key, v int)');
    await a.query('insert into acct values (1, 0), (2, 0)');
    await a.query('begin');
    await a.query('update acct set v = v + 1 where id = 1');
    await b.query('begin');
    const bUpdate = track(b.query('update acct set v = v + 10 where id = 1'));
    await sleep(100);
    expect(bUpdate.state()).to.equal('pending'); // a holds the row
    kv.hold(); // a's write will not finish until released
    const aCommit = track(a.query('commit'));
    await bUpdate.done;
    expect(bUpdate.state()).to.equal('resolved');
    await sleep(100);
    expect(aCommit.state()).to.equal('pending'); // not durable, not acknowledged
    // b re-read the row as a decided it (READ COMMITTED).
    expect((await b.query('select v from acct where id = 1')).rows).to.deep.equal([{ v: 11 }]);
    kv.release();
    await aCommit.done;
    expect(aCommit.state()).to.equal('resolved');
    await b.query('commit');
    expect((await a.query('select v from acct where id = 1')).rows).to.deep.equal([{ v: 11 }]);
  });

  it('an autocommit read does not return a decided value until it is durable; a read-only transaction waits likewise', async () => {
    await open();
    const [a, r, ro] = [await connect(), await connect(), await connect()];
    await a.query('create table kvt (k int primary key, v text)');
    await a.query("insert into kvt values (1, 'old')");
    await ro.query('begin');
    kv.hold();
    const started = kv.started;
    const aUpdate = track(a.query("update kvt set v = 'new' where k = 1"));
    await writeStarted(started);
    expect(aUpdate.state()).to.equal('pending');
    const read = track(r.query('select v from kvt where k = 1'));
    const roRead = track(ro.query('select v from kvt where k = 1'));
    await sleep(150);
    expect(read.state()).to.equal('pending');
    expect(roRead.state()).to.equal('pending');
    kv.release();
    const [rows, roRows] = await Promise.all([r.query('select v from kvt where k = 1'), read.done.then(() => ro.query('select v from kvt where k = 1'))]);
    expect(rows.rows).to.deep.equal([{ v: 'new' }]);
    expect(roRows.rows).to.deep.equal([{ v: 'new' }]);
    await ro.query('commit');
    expect(aUpdate.state()).to.equal('resolved');
    // With nothing in flight a read does not wait.
    expect((await r.query('select v from kvt')).rows).to.deep.equal([{ v: 'new' }]);
  });

  it("a writing transaction's own statements read decided values at once (its COMMIT comes after theirs)", async () => {
    await open();
    const [a, b] = [await connect(), await connect()];
    await a.query('create table w (k int primary key, v int)');
    await a.query('insert into w values (1, 1), (2, 2)');
    await b.query('begin');
    await b.query('update w set v = 20 where k = 2');
    kv.hold();
    const started = kv.started;
    const aUpdate = track(a.query('update w set v = 10 where k = 1'));
    await writeStarted(started);
    const bRead = track(b.query('select v from w order by k'));
    await bRead.done;
    expect(bRead.state()).to.equal('resolved');
    expect(aUpdate.state()).to.equal('pending');
    const bCommit = track(b.query('commit'));
    await sleep(50);
    expect(bCommit.state()).to.equal('pending'); // written after a's commit, in the same or a later write
    kv.release();
    await Promise.all([aUpdate.done, bCommit.done]);
    expect([aUpdate.state(), bCommit.state()]).to.deep.equal(['resolved', 'resolved']);
    expect((await a.query('select v from w order by k')).rows).to.deep.equal([{ v: 10 }, { v: 20 }]);
  });

  it('ROLLBACK of a writing transaction that read a decided value returns once that value is durable', async () => {
    await open();
    const [a, b] = [await connect(), await connect()];
    await a.query('create table rb (k int primary key, v int)');
    await a.query('insert into rb values (1, 1), (2, 2)');
    await b.query('begin');
    await b.query('update rb set v = 20 where k = 2');
    kv.hold();
    const started = kv.started;
    const aUpdate = track(a.query('update rb set v = 10 where k = 1'));
    await writeStarted(started);
    expect((await b.query('select v from rb order by k')).rows).to.deep.equal([{ v: 10 }, { v: 20 }]);
    const rollback = track(b.query('rollback'));
    await sleep(100);
    expect(rollback.state()).to.equal('pending'); // b saw a's value, which is not durable yet
    kv.release();
    await Promise.all([aUpdate.done, rollback.done]);
    expect([aUpdate.state(), rollback.state()]).to.deep.equal(['resolved', 'resolved']);
    expect((await b.query('select v from rb order by k')).rows).to.deep.equal([{ v: 10 }, { v: 2 }]);
  });

  it('a failed write of a decided commit fails the store: that commit and every later one get 58030, and so do reads of what it decided', async () => {
    await open();
    const [a, b] = [await connect(), await connect()];
    await a.query('create table f (k int primary key, v int)');
    await a.query('insert into f values (1, 1)');
    kv.hold();
    const started = kv.started;
    const aUpdate = track(a.query('update f set v = 2 where k = 1'));
    await writeStarted(started);
    const bRead = track(b.query('select v from f'));
    kv.failNext(new Error('EIO: i/o error'));
    kv.release();
    await Promise.all([aUpdate.done, bRead.done]);
    expect(aUpdate.state()).to.equal('58030');
    expect(bRead.state()).to.equal('58030');
    const later = await a.query('insert into f values (2, 2)').catch((e: { code: string; message: string }) => e);
    expect((later as { code: string }).code).to.equal('58030');
    expect((later as { message: string }).message).to.match(/could not write committed data to disk: EIO/);
    // The session survives; the store refuses commits until restarted.
    const again = await b.query('insert into f values (3, 3)').catch((e: { code: string }) => e);
    expect((again as { code: string }).code).to.equal('58030');
  });

  it('tessera_commit_stats() counts the commit queue: batches, commits, writes, and reads that waited', async () => {
    await open();
    const [a, r, ...writers] = [await connect(), await connect(), await connect(), await connect(), await connect()];
    await a.query('create table cs (k int)');
    const before = (await a.query('select * from tessera_commit_stats()')).rows[0];
    kv.hold();
    const started = kv.started;
    const inserts = writers.map((w, k) => track(w.query('insert into cs values ($1)', [k])));
    await writeStarted(started);
    const read = track(r.query('select count(*)::int as n from cs'));
    await sleep(50);
    kv.release();
    await Promise.all([...inserts.map((i) => i.done), read.done]);
    const after = (await a.query('select * from tessera_commit_stats()')).rows[0];
    expect(Number(after.commits) - Number(before.commits)).to.equal(3);
    expect(Number(after.acknowledged) - Number(before.acknowledged)).to.equal(3);
    expect(Number(after.writes)).to.be.greaterThan(Number(before.writes));
    expect(Number(after.read_waits) - Number(before.read_waits)).to.equal(1);
    expect(after.commits_per_batch).to.be.a('number');
    const err = await a.query('select * from tessera_commit_stats(1)').catch((e: { code: string }) => e);
    expect((err as { code: string }).code).to.equal('42883');
  });

  it('synchronous_commit = off acknowledges a commit once decided', async () => {
    await open([['synchronous_commit', 'off']]);
    const a = await connect();
    await a.query('create table s (k int)');
    kv.hold();
    const ins = track(a.query('insert into s values (1)'));
    await ins.done;
    expect(ins.state()).to.equal('resolved');
    expect(kv.started).to.be.greaterThan(kv.writes.length); // its write is still held
    kv.release();
  });
  // Errors are answers too: one that depends on a decided commit (a duplicate key it inserted, a
  // row it changed, a conflict with it) is answered only once that commit is durable, as in
  // PostgreSQL, where the other transaction's locks go only after its commit record is flushed.
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
  it("a COMMIT refused (23505) because of a commit decided in the same batch answers once that commit is durable", async () => {
    await open();
    const [a, b] = [await connect(), await connect()];
    await a.query('create table bb (k int primary key, t text)');
    // More rows than INSERT_KEY_LOCK_ROWS: no key locks, the keys are checked at COMMIT. The text
    // column is compressed on a thread while the batch is decided (an await inside commitBatch).
    for (const c of [a, b]) {
      await c.query('begin');
      await c.query("insert into bb select g, repeat('x', 40) || g from generate_series(1, 10500) g");
    }
    kv.hold();
    const started = kv.started;
    const [aCommit, bCommit] = [track(a.query('commit')), track(b.query('commit'))];
    await writeStarted(started);
    await sleep(150);
    expect(aCommit.state()).to.equal('pending');
    expect(bCommit.state()).to.equal('pending'); // its 23505 comes from a's commit, not yet durable
    kv.release();
    await Promise.all([aCommit.done, bCommit.done]);
    expect([aCommit.state(), bCommit.state()]).to.deep.equal(['resolved', '23505']);
    expect((await a.query('select count(*)::int as n from bb')).rows).to.deep.equal([{ n: 10500 }]);
  });
});
