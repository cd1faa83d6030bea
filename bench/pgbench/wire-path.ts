// The wire path of small simple queries: many clients, each sending one Query message and waiting
// for its ReadyForQuery before the next (as pgbench does), against a real server process. The
// clients speak the protocol on raw sockets (no driver; test/helpers/raw-client.ts parses and keeps
// every message, too heavy for a load generator) so the bench process itself stays light on the
// shared cores. Reports queries per second and the server's CPU time (user + system, /proc)
// per query: what the socket reads and writes, message decoding, the session's per-statement work
// and the response encoding cost, beside the statement's own execution.
//
//   node dist/bench/pgbench/wire-path.js [--clients 16] [--seconds 10] [--rounds 3] [--query select1|select|begin-end|all] [--cpu-prof DIR]
//
// select1: `SELECT 1`; select: pgbench's `SELECT abalance FROM pgbench_accounts WHERE aid = N` on
// 100000 accounts; begin-end: `BEGIN;` then `END;` (two queries). Best of the rounds (least CPU).
import * as fs from 'fs';
import * as net from 'net';
import { execFileSync } from 'child_process';
import { startTestServer } from '../../test/helpers/test-server';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

function processCpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / TICKS;
}

/** A protocol-level client: startup (trust auth), then one Query at a time. */
class RawClient {
  private sock!: net.Socket;
  private buf: Buffer = Buffer.alloc(0);
  private waiting: (() => void) | null = null;

  async connect(port: number): Promise<void> {
    this.sock = net.connect(port, '127.0.0.1');
    this.sock.setNoDelay(true);
    this.sock.on('data', (d: Buffer) => {
      this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
      this.scan();
    });
    await new Promise<void>((resolve, reject) => {
      this.sock.once('connect', resolve);
      this.sock.once('error', reject);
    });
    const params = Buffer.from('user\0postgres\0database\0postgres\0\0');
    const startup = Buffer.alloc(8 + params.length);
    startup.writeInt32BE(startup.length, 0);
    startup.writeInt32BE(196608, 4);
    params.copy(startup, 8);
    await this.roundTrip(startup);
  }

  /** Consumes whole messages; a ReadyForQuery ends the exchange. */
  private scan(): void {
    let pos = 0;
    while (this.buf.length - pos >= 5) {
      const len = this.buf.readInt32BE(pos + 1);
      if (this.buf.length - pos < len + 1) break;
      const type = this.buf[pos];
      if (type === 0x45) throw new Error(`server error: ${this.buf.subarray(pos + 5, pos + 1 + len).toString()}`);
      pos += len + 1;
      if (type === 0x5a) {
        const w = this.waiting;
        this.waiting = null;
        w?.();
      }
    }
    this.buf = this.buf.subarray(pos);
  }

  private roundTrip(message: Buffer): Promise<void> {
    return new Promise<void>((resolve) => {
      this.waiting = resolve;
      this.sock.write(message);
    });
  }

  query(sql: string): Promise<void> {
    const text = Buffer.from(sql + '\0');
    const m = Buffer.alloc(5 + text.length);
    m[0] = 0x51;
    m.writeInt32BE(4 + text.length, 1);
    text.copy(m, 5);
    return this.roundTrip(m);
  }

  end(): void {
    this.sock.end(Buffer.from([0x58, 0, 0, 0, 4]));
  }
}

const ACCOUNTS = 100000;

const WORKLOADS: Record<string, () => string[]> = {
  select1: () => ['SELECT 1'],
  select: () => [`SELECT abalance FROM pgbench_accounts WHERE aid = ${1 + Math.floor(Math.random() * ACCOUNTS)};`],
  'begin-end': () => ['BEGIN;', 'END;'],
};

async function main(): Promise<void> {
  const clients = Number(option('clients', '16'));
  const seconds = Number(option('seconds', '10'));
  const rounds = Number(option('rounds', '3'));
  const which = option('query', 'all');
  const names = which === 'all' ? Object.keys(WORKLOADS) : [which];
  const profDir = option('cpu-prof', '');
  const server = await startTestServer({ settings: { unix_socket_directories: '' }, nodeArgs: profDir === '' ? [] : ['--cpu-prof', '--cpu-prof-dir', profDir] });
  try {
    const setup = new RawClient();
    await setup.connect(server.port);
    await setup.query(
      `create table pgbench_accounts (aid int not null primary key, bid int, abalance int, filler char(84)); insert into pgbench_accounts select g, 1, 0, '' from generate_series(1, ${ACCOUNTS}) g`,
    );
    setup.end();
    const conns: RawClient[] = [];
    for (let i = 0; i < clients; i++) {
      const c = new RawClient();
      await c.connect(server.port);
      conns.push(c);
    }
    for (const name of names) {
      let best: { qps: number; cpuUs: number; load: number } | null = null;
      for (let round = 0; round < rounds; round++) {
        const load = Number(fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
        let count = 0;
        let stop = false;
        const end = performance.now() + seconds * 1000;
        // A short warm-up (the statement cache's first sightings, JIT), then the timed part.
        let cpu0 = 0;
        let t0 = 0;
        let counting = false;
        setTimeout(() => {
          counting = true;
          count = 0;
          cpu0 = processCpuMs(server.pid!);
          t0 = performance.now();
        }, 1000);
        await Promise.all(
          conns.map(async (c) => {
            while (!stop) {
              for (const sql of WORKLOADS[name]()) await c.query(sql);
              count += WORKLOADS[name]().length;
              if (performance.now() > end + 1000) stop = true;
            }
          }),
        );
        if (!counting) throw new Error('run too short');
        const cpu = processCpuMs(server.pid!) - cpu0;
        const ms = performance.now() - t0;
        const r = { qps: (count * 1000) / ms, cpuUs: (cpu * 1000) / count, load };
        console.log(`${name.padEnd(10)} round ${round + 1}: ${r.qps.toFixed(0).padStart(6)} queries/s, server CPU ${r.cpuUs.toFixed(1).padStart(6)} µs/query (load ${load.toFixed(2)})`);
        if (best === null || r.cpuUs < best.cpuUs) best = r;
      }
      console.log(`${name.padEnd(10)} best: ${best!.cpuUs.toFixed(1)} µs server CPU/query, ${best!.qps.toFixed(0)} queries/s`);
    }
    for (const c of conns) c.end();
  } finally {
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
