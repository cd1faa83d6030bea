// Whether pgbench's tables stay bounded under a continuous write load (garbage collection of old
// row versions, see src/storage/compaction.ts): runs `pgbench -i -s N` then `pgbench -c C -j 2 -T T`
// against a Tessera server while sampling tessera_storage_stats() (stored rows, dead ones included)
// of pgbench_accounts, pgbench_tellers and pgbench_branches every second; prints the samples'
// maximum, the final count and the live rows of each, TPS and whether the TPC-B balances agree.
//
//   node dist/bench/pgbench/storage-growth.js [--scale 1] [--time 60] [--clients 16]
import * as os from 'os';
import { Client } from 'pg';
import { option, runPgbench as run } from './pgbench-cli';
import { startTestServer } from '../../test/helpers/test-server';

async function main(): Promise<void> {
  const scale = option('scale', 1);
  const time = option('time', 60);
  const clients = option('clients', 16);
  const server = await startTestServer();
  const base = ['-h', '127.0.0.1', '-p', String(server.port), '-U', 'postgres'];
  const c = new Client({ host: '127.0.0.1', port: server.port, user: 'postgres', database: 'postgres' });
  try {
    await run([...base, '-i', '-s', String(scale), 'postgres']);
    await c.connect();
    const tables = ['pgbench_accounts', 'pgbench_tellers', 'pgbench_branches'];
    const stored = async (): Promise<number[]> => {
      const r = await c.query('select table_name as t, max(rows)::int as n from tessera_storage_stats() group by table_name');
      return tables.map((t) => (r.rows as { t: string; n: number }[]).find((x) => x.t === t)?.n ?? 0);
    };
    const samples: number[][] = [await stored()];
    const load = [os.loadavg()[0]];
    const bench = run([...base, '-c', String(clients), '-j', '2', '-T', String(time), '--max-tries=20', 'postgres']);
    let done = false;
    void bench.finally(() => (done = true)).catch(() => undefined);
    while (!done) {
      await new Promise((r) => setTimeout(r, 1000));
      samples.push(await stored());
    }
    const out = await bench;
    load.push(os.loadavg()[0]);
    const tps = /tps = ([\d.]+)/.exec(out)?.[1];
    const failed = /number of failed transactions: (\d+)/.exec(out)?.[1];
    const sums = (await c.query('select (select sum(abalance) from pgbench_accounts)::text a, (select sum(delta) from pgbench_history)::text h, (select sum(tbalance) from pgbench_tellers)::text t, (select sum(bbalance) from pgbench_branches)::text b')).rows[0];
    const live = (await c.query('select (select count(*) from pgbench_accounts)::int a, (select count(*) from pgbench_tellers)::int t, (select count(*) from pgbench_branches)::int b')).rows[0];
    const final = await stored();
    console.log(`scale ${scale}, ${clients} clients, ${time} s; load average ${load[0].toFixed(2)} -> ${load[1].toFixed(2)}`);
    console.log(`tps ${tps}, failed ${failed}`);
    tables.forEach((t, i) => console.log(`${t} stored rows: start ${samples[0][i]}, max ${Math.max(...samples.map((x) => x[i]))}, final ${final[i]}; live ${[live.a, live.t, live.b][i]}`));
    console.log(`pgbench_accounts samples: ${samples.map((x) => x[0]).join(' ')}`);
    console.log(`balances agree: ${sums.a === sums.h && sums.h === sums.t && sums.t === sums.b} (${sums.a}, ${sums.h}, ${sums.t}, ${sums.b})`);
  } finally {
    await c.end().catch(() => undefined);
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
