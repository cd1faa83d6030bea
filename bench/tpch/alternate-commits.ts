// Before/after timing of TPC-H queries at two commits, alternating query by query on one machine:
//   node dist/bench/tpch/alternate-commits.js --old /tmp/x-old --data DIR [--queries 18,21] [--runs 5] [--warmup 2] [--out FILE]
// Starts this worktree's server and the one built in --old (a `git worktree` of the other commit,
// built), each on its own copy of the data directory DIR (loaded before by
// `node dist/bench/tpch/run.js --sf 1 --data DIR`; the copy for --old is made next to DIR once), with
// the same settings as the TPC-H runner (buffer_pool_size=2GB). Each query runs `warmup` times on
// both, then `runs` times alternating old, new, old, … so the load of a shared machine hits both
// alike. Prints each run with the 1-minute load average beside it, then best and median per side.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Client } from 'pg';
import { TestServer, startTestServer } from '../../test/helpers/test-server';

const QUERIES = path.resolve(__dirname, '../../../bench/tpch/queries');

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A server from the build at `root` (its dist/src/main.js) on `dataDir`. */
async function serverAt(root: string | null, dataDir: string): Promise<TestServer> {
  if (root === null) return startTestServer({ dataDir, settings: { buffer_pool_size: '2GB' }, startTimeoutMs: 300000 });
  // The other build's own test helper starts its own main.js.
  const helper = (await import(path.join(root, 'dist/test/helpers/test-server.js'))) as { startTestServer: typeof startTestServer };
  return helper.startTestServer({ dataDir, settings: { buffer_pool_size: '2GB' }, startTimeoutMs: 300000 });
}

async function timed(c: Client, sql: string): Promise<number> {
  const t = performance.now();
  await c.query(sql);
  return performance.now() - t;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (name: string, def: string | null): string | null => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : def;
  };
  const oldRoot = path.resolve(arg('--old', null) ?? '');
  const data = path.resolve(arg('--data', null) ?? '');
  if (!fs.existsSync(path.join(oldRoot, 'dist')) || !fs.existsSync(data)) throw new Error('usage: --old <built worktree> --data <loaded data dir>');
  const queries = (arg('--queries', null) ?? Array.from({ length: 22 }, (_, i) => String(i + 1)).join(',')).split(',').map((q) => `q${q.replace(/^q/, '').padStart(2, '0')}`);
  const runs = Number(arg('--runs', '5'));
  const warmup = Number(arg('--warmup', '2'));
  const out = arg('--out', null);
  const copy = `${data}-old-copy`;
  if (!fs.existsSync(copy)) execFileSync('cp', ['-r', data, copy]);
  const commitOf = (dir: string) => execFileSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD']).toString().trim();
  const lines: string[] = [
    `# alternate-commits: new ${commitOf(path.resolve(__dirname, '../../..'))} vs old ${commitOf(oldRoot)}`,
    `command: node dist/bench/tpch/alternate-commits.js ${argv.join(' ')}`,
    `machine: ${os.cpus()[0]?.model ?? '?'}, ${os.cpus().length} cores, Node ${process.version}; ${warmup} warm-up runs each, then ${runs} alternating runs`,
    '',
    '| query | old best ms | old median ms | new best ms | new median ms | new/old (median) | load 1-min (min..max) |',
    '|---|---:|---:|---:|---:|---:|---|',
  ];
  const oldServer = await serverAt(oldRoot, copy);
  const newServer = await serverAt(null, data);
  const connect = async (s: TestServer) => {
    const c = new Client({ host: '127.0.0.1', port: s.port, user: 'postgres' });
    await c.connect();
    return c;
  };
  const oldClient = await connect(oldServer);
  const newClient = await connect(newServer);
  try {
    for (const q of queries) {
      const sql = fs.readFileSync(path.join(QUERIES, `${q}.sql`), 'utf8');
      for (let i = 0; i < warmup; i++) {
        await timed(oldClient, sql);
        await timed(newClient, sql);
      }
      const o: number[] = [];
      const n: number[] = [];
      const loads: number[] = [];
      for (let i = 0; i < runs; i++) {
        loads.push(os.loadavg()[0]);
        o.push(await timed(oldClient, sql));
        n.push(await timed(newClient, sql));
        console.log(`${q} run ${i + 1}: old ${o[i].toFixed(0)} ms, new ${n[i].toFixed(0)} ms, load ${loads[i].toFixed(2)}`);
      }
      const row = `| ${q} | ${Math.min(...o).toFixed(0)} | ${median(o).toFixed(0)} | ${Math.min(...n).toFixed(0)} | ${median(n).toFixed(0)} | ${(median(n) / median(o)).toFixed(2)} | ${Math.min(...loads).toFixed(1)}..${Math.max(...loads).toFixed(1)} |`;
      console.log(row);
      lines.push(row);
    }
  } finally {
    await oldClient.end();
    await newClient.end();
    await oldServer.stop();
    await newServer.stop();
  }
  console.log(lines.join('\n'));
  if (out !== null) fs.writeFileSync(out, lines.join('\n') + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
