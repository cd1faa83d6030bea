// Crash safety under concurrent load: several clients move money between accounts, each transfer
// one transaction that also writes a ledger row; the server is killed with SIGKILL at random moments,
// several times, and restarted on the same data directory. After every restart: every transfer whose
// COMMIT was acknowledged is present, no transfer is half-applied (each account's balance equals its
// opening balance plus the ledger's effects on it), and the total is unchanged.
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Client } from 'pg';
import { TestServer, startTestServer } from '../helpers/test-server';
import { connectPg } from '../helpers/pg-client';

const ACCOUNTS = 20;
const OPENING = 1000;
const CLIENTS = 4;
const CRASHES = 4;

/** A deterministic pseudo-random sequence, so a failure can be replayed. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** One client's loop: transfers until its connection dies; returns the ids whose COMMIT was acknowledged. */
async function transferLoop(port: number, clientNo: number, round: number, random: () => number, progress: { commits: number }): Promise<number[]> {
  const acknowledged: number[] = [];
  let c: Client;
  try {
    c = await connectPg(port, { tolerateKill: true });
  } catch {
    return acknowledged;
  }
  for (let seq = 0; ; seq++) {
    const id = round * 1_000_000 + clientNo * 100_000 + seq;
    const from = 1 + Math.floor(random() * ACCOUNTS);
    const to = 1 + ((from + Math.floor(random() * (ACCOUNTS - 1))) % ACCOUNTS);
    const amount = 1 + Math.floor(random() * 50);
    try {
      await c.query('begin');
      await c.query('insert into ledger (id, src, dst, amount) values ($1, $2, $3, $4)', [id, from, to, amount]);
      await c.query('update accounts set balance = balance - $1 where id = $2', [amount, from]);
      await c.query('update accounts set balance = balance + $1 where id = $2', [amount, to]);
      await c.query('commit');
      acknowledged.push(id);
      progress.commits++;
    } catch {
      // The server went away (or refused while shutting down): whatever was unacknowledged may or may not be there.
      break;
    }
  }
  await c.end().catch(() => undefined);
  return acknowledged;
}

describe('crash safety under concurrent writes (SIGKILL at random moments)', function () {
  this.timeout(180000);
  let dir: string;
  let server: TestServer;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-crash-'));
    server = await startTestServer({ dataDir: dir });
    const c = await connectPg(server.port, { tolerateKill: true });
    await c.query('create table accounts (id int primary key, balance int not null)');
    await c.query('create table ledger (id int primary key, src int not null, dst int not null, amount int not null)');
    await c.query(`insert into accounts select g, ${OPENING} from (values ${Array.from({ length: ACCOUNTS }, (_, i) => `(${i + 1})`).join(',')}) as v(g)`);
    await c.end();
  });
  after(async () => {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it(`keeps every acknowledged transfer and never half of one, over ${CRASHES} kills`, async () => {
    const random = lcg(20261130);
    const allAcknowledged: number[] = [];
    for (let round = 0; round < CRASHES; round++) {
      const progress = { commits: 0 };
      const loops = Array.from({ length: CLIENTS }, (_, k) => transferLoop(server.port, k, round, random, progress));
      // Kill at a random moment once the workload is under way (so every round has commits to lose).
      while (progress.commits === 0) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 200 + Math.floor(random() * 800)));
      await server.kill9();
      for (const acked of await Promise.all(loops)) allAcknowledged.push(...acked);
      await server.restart();

      const c = await connectPg(server.port, { tolerateKill: true });
      try {
        const ledger = (await c.query('select id, src, dst, amount from ledger')).rows as { id: number; src: number; dst: number; amount: number }[];
        const present = new Set(ledger.map((r) => r.id));
        const missing = allAcknowledged.filter((id) => !present.has(id));
        expect(missing, `acknowledged transfers lost after kill ${round + 1}`).to.deep.equal([]);
        // Atomicity: balances are exactly the opening balances moved by the ledger's rows.
        const expected = new Map<number, number>();
        for (let a = 1; a <= ACCOUNTS; a++) expected.set(a, OPENING);
        for (const r of ledger) {
          expected.set(r.src, expected.get(r.src)! - r.amount);
          expected.set(r.dst, expected.get(r.dst)! + r.amount);
        }
        const balances = (await c.query('select id, balance from accounts order by id')).rows as { id: number; balance: number }[];
        expect(balances.map((b) => [b.id, b.balance])).to.deep.equal([...expected.entries()].sort((x, y) => x[0] - y[0]));
        const total = (await c.query('select sum(balance)::int as t, count(*)::int as n from accounts')).rows[0];
        expect(total).to.deep.equal({ t: ACCOUNTS * OPENING, n: ACCOUNTS });
      } finally {
        await c.end();
      }
    }
    // The workload really ran: a test that committed nothing would prove nothing.
    expect(allAcknowledged.length).to.be.at.least(CRASHES);
  });
});
