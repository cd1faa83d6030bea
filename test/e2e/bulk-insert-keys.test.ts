// Two transactions adding the same primary key through COPY FROM STDIN or an INSERT of more than
// 10 000 rows (which take no key locks in Tessera: their keys are checked when they commit) end with
// exactly one 23505 and never two rows with one key. PostgreSQL 15 gets there by making the second
// inserter wait for the first; Tessera fails the second at its INSERT/COPY or at its COMMIT. With
// TESSERA_TEST_POSTGRES_PORT set, this file runs against that PostgreSQL and passes the same way.
import { expect } from 'chai';
import { RawClient, serialize } from '../helpers/raw-client';
import { TestServer, startServerOrPostgres } from '../helpers/test-server';

interface Outcome {
  tag?: string;
  code?: string;
}

async function query(c: RawClient, sql: string): Promise<Outcome> {
  c.send(serialize.query(sql));
  const msgs = await c.until('readyForQuery', 60000);
  const err = msgs.find((m) => m.name === 'error');
  return { tag: msgs.find((m) => m.name === 'commandComplete')?.text, code: err?.code };
}

async function copyIn(c: RawClient, sql: string, lines: string[]): Promise<Outcome> {
  c.send(serialize.query(sql));
  const start = await c.until('copyInResponse');
  if (start.some((m) => m.name === 'error')) return { code: start.find((m) => m.name === 'error')!.code };
  for (let i = 0; i < lines.length; i += 4096) c.send(serialize.copyData(Buffer.from(lines.slice(i, i + 4096).join(''))));
  c.send(serialize.copyDone());
  const msgs = await c.until('readyForQuery', 60000);
  const err = msgs.find((m) => m.name === 'error');
  return { tag: msgs.find((m) => m.name === 'commandComplete')?.text, code: err?.code };
}

const onPostgres = process.env.TESSERA_TEST_POSTGRES_PORT !== undefined;
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `${from + i}\t${from + i}\n`);

describe('same key added by two transactions through COPY or a big INSERT', function () {
  this.timeout(120000);
  let server: TestServer;
  let a: RawClient;
  let b: RawClient;
  let c: RawClient;
  before(async () => {
    server = await startServerOrPostgres();
    [a, b, c] = await Promise.all([RawClient.connect(server.port), RawClient.connect(server.port), RawClient.connect(server.port)]);
  });
  after(async () => {
    for (const x of [a, b, c]) x?.close();
    await server?.stop();
  });

  /** One transaction committed, the other failed with 23505 (PostgreSQL: at its INSERT/COPY, after waiting; Tessera: at its COMMIT). */
  const oneDuplicate = (out: string[]) => {
    expect(out[1], out.join(', ')).to.equal('ok');
    expect(out[0], out.join(', ')).to.match(onPostgres ? /^23505@add$/ : /^23505@(add|commit)$/);
  };

  /** Runs the two transactions' statements side by side; returns each one's first error with where it came (or 'ok'). */
  async function race(first: (x: RawClient) => Promise<Outcome>, second: (x: RawClient) => Promise<Outcome>): Promise<string[]> {
    const run = async (x: RawClient, add: (x: RawClient) => Promise<Outcome>): Promise<string> => {
      await query(x, 'begin');
      const added = await add(x);
      if (added.code !== undefined) {
        await query(x, 'rollback');
        return `${added.code}@add`;
      }
      const done = await query(x, 'commit');
      return done.code === undefined ? 'ok' : `${done.code}@commit`;
    };
    return (await Promise.all([run(a, first), run(b, second)])).sort();
  }

  async function fresh(): Promise<void> {
    await query(c, 'drop table if exists bk');
    expect((await query(c, 'create table bk (k int primary key, v int)')).code).to.equal(undefined);
  }

  /** Count of rows and of distinct keys. */
  async function counts(): Promise<string> {
    c.send(serialize.query('select count(*) || \' \' || count(distinct k) as n from bk'));
    const msgs = await c.until('readyForQuery');
    return msgs.find((m) => m.name === 'dataRow')!.fields[0];
  }

  for (let round = 0; round < 3; round++) {
    it(`COPY and COPY (round ${round + 1})`, async () => {
      await fresh();
      const out = await race(
        (x) => copyIn(x, 'copy bk from stdin', range(1, 20000)),
        (x) => copyIn(x, 'copy bk from stdin', range(19990 - round, 30000)),
      );
      oneDuplicate(out);
      const n = await counts();
      expect(['20000 20000', `${10011 + round} ${10011 + round}`]).to.include(n);
    });

    it(`INSERT of 20 000 rows and COPY (round ${round + 1})`, async () => {
      await fresh();
      const out = await race(
        (x) => query(x, 'insert into bk select g, g from generate_series(1, 20000) g'),
        (x) => copyIn(x, 'copy bk from stdin', range(20000 - round, 20100)),
      );
      oneDuplicate(out);
      expect(['20000 20000', `${101 + round} ${101 + round}`]).to.include(await counts());
    });

    it(`two INSERTs of 15 000 rows (round ${round + 1})`, async () => {
      await fresh();
      const out = await race(
        (x) => query(x, 'insert into bk select g, g from generate_series(1, 15000) g'),
        (x) => query(x, `insert into bk select g, g from generate_series(${15000 - round}, 30000) g`),
      );
      oneDuplicate(out);
      expect(['15000 15000', `${15001 + round} ${15001 + round}`]).to.include(await counts());
    });
  }
});
