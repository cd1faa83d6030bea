// How many REPEATABLE READ transactions fail with 40001 although no other transaction touched their
// rows: each pgbench client reads and updates its own row of a small table (so PostgreSQL never
// fails one), and the table is compacted every thousand or so updates (src/storage/compaction.ts).
// Every serialization failure counted here is one a compaction caused. Runs against a server
// already listening on --port (Tessera of any build, or PostgreSQL); pgbench retries nothing
// (--max-tries=1), so the failures are counted as they happen.
//
//   node dist/bench/pgbench/rr-compaction-conflicts.js --port 5432 [--time 20] [--clients 8]
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Client } from 'pg';
import { option, runPgbench as run } from './pgbench-cli';

const SCRIPT = `\\set id :client_id + 1
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT v FROM rr_rows WHERE id = :id;
UPDATE rr_rows SET v = v + 1 WHERE id = :id;
END;
`;

async function main(): Promise<void> {
  const port = option('port', 0);
  if (port === 0) throw new Error('--port <port of the server to measure> is required');
  const time = option('time', 20);
  const clients = option('clients', 8);
  const c = new Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  await c.connect();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rr-conflicts-'));
  try {
    await c.query('drop table if exists rr_rows');
    await c.query('create table rr_rows (id int primary key, v int not null)');
    await c.query('insert into rr_rows select g, 0 from generate_series(1, $1::int) g', [clients]);
    const file = path.join(dir, 'rr.sql');
    fs.writeFileSync(file, SCRIPT);
    const load = os.loadavg()[0];
    const out = await run(['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-n', '-f', file, '-c', String(clients), '-j', '2', '-T', String(time), '--max-tries=1', '--failures-detailed', 'postgres']);
    const processed = /number of transactions actually processed: (\d+)/.exec(out)?.[1];
    const failed = /number of failed transactions: (\d+)/.exec(out)?.[1];
    const serialization = /number of serialization failures: (\d+)/.exec(out)?.[1];
    const tps = /tps = ([\d.]+)/.exec(out)?.[1];
    const sum = (await c.query('select sum(v)::int as s from rr_rows')).rows[0].s;
    console.log(`${clients} clients, ${time} s, load average ${load.toFixed(2)} -> ${os.loadavg()[0].toFixed(2)}`);
    console.log(`committed ${processed}, failed ${failed} (serialization failures ${serialization}), tps ${tps}; sum(v) ${sum} (= committed: ${Number(sum) === Number(processed)})`);
    if (processed !== undefined && serialization !== undefined)
      console.log(`serialization failures per 1000 committed: ${((1000 * Number(serialization)) / Number(processed)).toFixed(2)}`);
  } finally {
    await c.end();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
