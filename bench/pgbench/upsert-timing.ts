// Time of one INSERT … ON CONFLICT DO UPDATE of 10,000 rows (5,000 new keys, 5,000 updates) in a
// REPEATABLE READ and in a READ COMMITTED transaction, with a commit by another session after the
// transaction's snapshot; three rounds each. Runs against a server already listening on --port
// (Tessera of any build, or PostgreSQL): for before/after comparisons of the upsert path
// (src/engine/on-conflict.ts: key locks, look-ups among the latest commits).
//
//   node dist/bench/pgbench/upsert-timing.js --port 5432
import * as os from 'os';
import { Client } from 'pg';
import { option } from './pgbench-cli';

async function main(): Promise<void> {
  const port = option('port', 0);
  if (port === 0) throw new Error('--port <port of the server to measure> is required');
  const connect = async () => {
    const c = new Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
    await c.connect();
    return c;
  };
  const [a, b] = [await connect(), await connect()];
  const load = os.loadavg()[0];
  try {
    for (const level of ['repeatable read', 'read committed']) {
      const ms: number[] = [];
      for (let round = 0; round < 3; round++) {
        await a.query('drop table if exists upsert_timing');
        await a.query('create table upsert_timing (k int primary key, v text)');
        await a.query("insert into upsert_timing select g, 'a' from generate_series(1, 10000) g");
        await b.query(`begin isolation level ${level}`);
        await b.query('select count(*) from upsert_timing');
        await a.query("insert into upsert_timing values (-1, 'x')");
        const t = process.hrtime.bigint();
        await b.query("insert into upsert_timing select g, 'b' from generate_series(5001, 15000) g on conflict (k) do update set v = excluded.v");
        ms.push(Number(process.hrtime.bigint() - t) / 1e6);
        await b.query('commit');
      }
      console.log(`${level}: ${ms.map((x) => x.toFixed(0)).join(', ')} ms (best ${Math.min(...ms).toFixed(0)})`);
    }
    console.log(`load average ${load.toFixed(2)} -> ${os.loadavg()[0].toFixed(2)}`);
  } finally {
    await a.end();
    await b.end();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
