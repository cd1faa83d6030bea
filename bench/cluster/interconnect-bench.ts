// Interconnect benchmark: three nodes in separate processes on loopback. Node 1 offers a fixed load
// of requests (open loop: requests are issued on schedule whether or not earlier ones were answered)
// spread over nodes 2 and 3, with batching on and with batching off, and for small (64-byte echo)
// and block (64-byte request, 8 KiB answer) messages. Reported per run: requests/s answered,
// messages/s over all links, socket writes/s (the interconnect's own count of socket.write calls,
// every node), messages per write, CPU ms per 1000 requests (all nodes), p50/p99 request round trip.
// With --strace, each node also runs under `strace -c -f -e trace=write,writev` and the kernel's
// count of write/writev calls is printed beside the interconnect's own count (a cross-check; strace
// slows the nodes, so those runs' rates are not the reported ones).
//
//   npm run bench:interconnect -- [--seconds 5] [--repeat 1] [--rate 20000] [--block-rate 5000] [--strace] [--out bench/results/interconnect.md]
import { fork, spawn, ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { execSync } from 'child_process';
import { Interconnect, InterconnectPeerStats } from '../../src/cluster/interconnect';
import { MessageType } from '../../src/cluster/message-types';
import { freePort } from '../../test/helpers/test-server';
import type { NodeInfo } from '../../src/cluster/cluster-types';

interface RunConfig {
  batching: boolean;
  requestBytes: number;
  responseBytes: number;
  rate: number;
  warmupMs: number;
  measureMs: number;
}

interface NodeReport {
  id: number;
  total: InterconnectPeerStats;
  cpuMs: number;
  issued?: number;
  completed?: number;
  failed?: number;
}

// ---------------------------------------------------------------- node process

async function nodeMain(): Promise<void> {
  const self: NodeInfo = JSON.parse(process.argv[3]);
  const peers: NodeInfo[] = JSON.parse(process.argv[4]);
  const cfg: RunConfig = JSON.parse(process.argv[5]);
  const ic = new Interconnect({ self, peers, batching: cfg.batching, requestTimeoutMs: 10000 });
  const block = Buffer.alloc(cfg.responseBytes, 7);
  ic.handle(MessageType.benchEcho, (_from, p) => p);
  ic.handle(MessageType.benchBlock, () => block);
  await ic.listen();
  let cpuAtReset = process.cpuUsage();
  let writesBeforeReset = 0;
  let load: { issued: number; completed: number; failed: number } | undefined;
  let stopLoad = (): void => undefined;
  const send = (m: unknown) => process.send!(m);
  process.on('message', async (m: { cmd: string }) => {
    switch (m.cmd) {
      case 'connect':
        await ic.waitConnected();
        send({ cmd: 'connected' });
        return;
      case 'load':
        load = { issued: 0, completed: 0, failed: 0 };
        stopLoad = offerLoad(ic, cfg, load);
        return;
      case 'reset':
        writesBeforeReset += ic.stats().total.socketWrites;
        ic.resetStats();
        if (load !== undefined) load.issued = load.completed = load.failed = 0;
        cpuAtReset = process.cpuUsage();
        send({ cmd: 'reset-done' });
        return;
      case 'stats': {
        const cpu = process.cpuUsage(cpuAtReset);
        const total = ic.stats().total;
        const report: NodeReport = { id: self.id, total, cpuMs: (cpu.user + cpu.system) / 1000, ...load };
        send({ cmd: 'stats', report });
        return;
      }
      case 'exit':
        // Final count for the strace cross-check: strace counts the process's whole life.
        stopLoad();
        await new Promise((r) => setTimeout(r, 200)); // answers still in flight
        send({ cmd: 'final', lifetimeSocketWrites: writesBeforeReset + ic.stats().total.socketWrites });
        await ic.close();
        process.disconnect();
        return;
    }
  });
  send({ cmd: 'ready' });
}

/** Issues requests on schedule (rate per second) until told to stop; the schedule does not wait for answers. */
function offerLoad(ic: Interconnect, cfg: RunConfig, counts: { issued: number; completed: number; failed: number }): () => void {
  const payload = Buffer.alloc(cfg.requestBytes, 1);
  const type = cfg.responseBytes > cfg.requestBytes ? MessageType.benchBlock : MessageType.benchEcho;
  const targets = ic.peerIds();
  const onAnswer = (): void => {
    counts.completed++;
  };
  const onError = (): void => {
    counts.failed++;
  };
  const start = performance.now();
  let issuedTotal = 0;
  const tick = (): void => {
    const due = Math.floor(((performance.now() - start) * cfg.rate) / 1000);
    while (issuedTotal < due) {
      ic.request(targets[issuedTotal % targets.length], type, payload).then(onAnswer, onError);
      issuedTotal++;
      counts.issued++;
    }
    if (!stopped) setTimeout(tick, 1);
  };
  let stopped = false;
  tick();
  return () => {
    stopped = true;
  };
}

// ---------------------------------------------------------------- coordinator

function waitFor<T>(child: ChildProcess, cmd: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: { cmd: string }) => {
      if (m.cmd !== cmd) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(m as T);
    };
    const onExit = (code: number) => reject(new Error(`node exited (${code}) while waiting for ${cmd}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

interface RunResult {
  cfg: RunConfig;
  seconds: number;
  requestsPerSec: number;
  messagesPerSec: number;
  writesPerSec: number;
  messagesPerWrite: number;
  cpuMsPer1000: number;
  p50Ms: number | null;
  p99Ms: number | null;
  failed: number;
  strace?: { node: number; kernelWrites: number; ownWrites: number }[];
}

async function runOnce(cfg: RunConfig, useStrace: boolean): Promise<RunResult> {
  const infos: NodeInfo[] = [];
  for (let id = 1; id <= 3; id++) infos.push({ id, host: '127.0.0.1', interconnectPort: await freePort(), clientPort: 0 });
  const script = __filename;
  const traceDir = useStrace ? fs.mkdtempSync(path.join(os.tmpdir(), 'ic-strace-')) : '';
  const children: ChildProcess[] = infos.map((self) => {
    const args = [script, 'node', JSON.stringify(self), JSON.stringify(infos), JSON.stringify(cfg)];
    if (!useStrace) return fork(script, args.slice(1), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const out = path.join(traceDir, `node${self.id}.txt`);
    return spawn('strace', ['-c', '-f', '-e', 'trace=write,writev', '-o', out, process.execPath, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  });
  try {
    await Promise.all(children.map((c) => waitFor(c, 'ready')));
    children.forEach((c) => c.send({ cmd: 'connect' }));
    await Promise.all(children.map((c) => waitFor(c, 'connected')));
    children[0].send({ cmd: 'load' });
    await sleep(cfg.warmupMs);
    const resets = children.map((c) => waitFor(c, 'reset-done'));
    children.forEach((c) => c.send({ cmd: 'reset' }));
    await Promise.all(resets);
    const t0 = performance.now();
    await sleep(cfg.measureMs);
    const statsP = children.map((c) => waitFor<{ report: NodeReport }>(c, 'stats'));
    children.forEach((c) => c.send({ cmd: 'stats' }));
    const reports = (await Promise.all(statsP)).map((m) => m.report);
    const seconds = (performance.now() - t0) / 1000;
    const exits = children.map((c) => new Promise((r) => c.once('exit', r)));
    const finals = children.map((c) => waitFor<{ lifetimeSocketWrites: number }>(c, 'final'));
    children.forEach((c) => c.send({ cmd: 'exit' }));
    const lifetime = (await Promise.all(finals)).map((f) => f.lifetimeSocketWrites);
    await Promise.all(exits);
    const client = reports[0];
    const messages = reports.reduce((s, r) => s + r.total.messagesSent, 0);
    const writes = reports.reduce((s, r) => s + r.total.socketWrites, 0);
    const cpuMs = reports.reduce((s, r) => s + r.cpuMs, 0);
    const result: RunResult = {
      cfg,
      seconds,
      requestsPerSec: client.completed! / seconds,
      messagesPerSec: messages / seconds,
      writesPerSec: writes / seconds,
      messagesPerWrite: messages / writes,
      cpuMsPer1000: (cpuMs / Math.max(1, client.completed!)) * 1000,
      p50Ms: client.total.p50Ms,
      p99Ms: client.total.p99Ms,
      failed: client.failed!,
    };
    if (useStrace) {
      result.strace = reports.map((r) => ({ node: r.id, kernelWrites: straceWrites(path.join(traceDir, `node${r.id}.txt`)), ownWrites: lifetime[r.id - 1] }));
      fs.rmSync(traceDir, { recursive: true, force: true });
    }
    return result;
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  }
}

/** write + writev calls from an `strace -c` summary. */
function straceWrites(file: string): number {
  let n = 0;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const cols = line.trim().split(/\s+/);
    const name = cols[cols.length - 1];
    if (name === 'write' || name === 'writev') n += Number(cols[3]);
  }
  return n;
}

function rowOf(r: RunResult, load: string): string {
  const cfg = r.cfg;
  return `| ${cfg.requestBytes} B → ${cfg.responseBytes} B | ${cfg.rate} | ${cfg.batching ? 'on' : 'off'} | ${fmt(r.requestsPerSec)} | ${fmt(r.messagesPerSec)} | ${fmt(r.writesPerSec)} | ${fmt(r.messagesPerWrite, 1)} | ${fmt(r.cpuMsPer1000, 1)} | ${fmt(r.p50Ms, 3)} | ${fmt(r.p99Ms, 3)} | ${r.failed} | ${load} |`;
}

function median(xs: (number | null)[]): number | null {
  const v = xs.filter((x): x is number => x !== null).sort((a, b) => a - b);
  if (v.length === 0) return null;
  return v.length % 2 === 1 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}

function fmt(x: number | null, digits = 0): string {
  return x === null ? '-' : x.toFixed(digits);
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const seconds = Number(arg('seconds', '5'));
  const rate = Number(arg('rate', '20000'));
  const blockRate = Number(arg('block-rate', '5000'));
  const out = arg('out', '');
  const useStrace = process.argv.includes('--strace');
  const repeat = Number(arg('repeat', '1'));
  const loadBefore = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  const configs: RunConfig[] = [];
  for (const [requestBytes, responseBytes, r] of [
    [64, 64, rate],
    [64, 8192, blockRate],
  ])
    for (const batching of [true, false]) configs.push({ batching, requestBytes, responseBytes, rate: r, warmupMs: 1000, measureMs: seconds * 1000 });
  const rows: string[] = [];
  const header = '| payload (request → answer) | offered req/s | batching | answered req/s | messages/s | socket writes/s | messages/write | CPU ms / 1000 req | p50 ms | p99 ms | failed | load avg |';
  rows.push(header, '|---|---|---|---|---|---|---|---|---|---|---|---|');
  const straceRows: string[] = [];
  const results: RunResult[][] = configs.map(() => []);
  const loads: number[][] = configs.map(() => []);
  // Rounds alternate the configurations, so a change of machine load hits all of them alike.
  for (let round = 0; round < repeat; round++)
    for (let ci = 0; ci < configs.length; ci++) {
      const cfg = configs[ci];
      const r = await runOnce(cfg, false);
      const load = os.loadavg()[0];
      results[ci].push(r);
      loads[ci].push(load);
      const row = rowOf(r, load.toFixed(2));
      rows.push(row);
      console.log(row);
    }
  const medians = [header.replace('| load avg |', '| load avg (range) |'), rows[1]];
  for (let ci = 0; ci < configs.length; ci++) {
    const rs = results[ci];
    const med = (f: (r: RunResult) => number | null): number | null => median(rs.map(f));
    const m: RunResult = {
      cfg: configs[ci],
      seconds: 0,
      requestsPerSec: med((r) => r.requestsPerSec)!,
      messagesPerSec: med((r) => r.messagesPerSec)!,
      writesPerSec: med((r) => r.writesPerSec)!,
      messagesPerWrite: med((r) => r.messagesPerWrite)!,
      cpuMsPer1000: med((r) => r.cpuMsPer1000)!,
      p50Ms: med((r) => r.p50Ms),
      p99Ms: med((r) => r.p99Ms),
      failed: rs.reduce((s, r) => s + r.failed, 0),
    };
    medians.push(rowOf(m, `${Math.min(...loads[ci]).toFixed(1)}-${Math.max(...loads[ci]).toFixed(1)}`));
  }
  if (repeat > 1) console.log(['medians:', ...medians].join('\n'));
  for (const cfg of configs) {
    if (useStrace && cfg.responseBytes === cfg.requestBytes) {
      const s = await runOnce({ ...cfg, measureMs: Math.min(cfg.measureMs, 3000) }, true);
      for (const t of s.strace!) {
        const line = `| ${cfg.batching ? 'on' : 'off'} | node ${t.node} | ${t.kernelWrites} | ${t.ownWrites} |`;
        straceRows.push(line);
        console.log(`strace ${line}`);
      }
    }
  }
  if (out !== '') {
    let commit = 'unknown';
    try {
      commit = execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim();
      if (execSync("git status --porcelain -- src bench ':!bench/results'", { encoding: 'utf8' }).trim() !== '') commit += ' (with uncommitted changes)';
    } catch {
      // not a git checkout
    }
    const cpu = os.cpus();
    const lines = [
      '# Interconnect: batching on vs off',
      '',
      `Command: \`npm run bench:interconnect -- ${process.argv.slice(2).join(' ')}\``,
      `Commit: ${commit}; machine: ${cpu.length} × ${cpu[0]?.model ?? '?'}, ${os.platform()} ${os.release()}, Node ${process.version}; load average before: ${loadBefore}; ${new Date().toISOString()}`,
      '',
      `Three node processes on loopback; node 1 offers requests on a fixed schedule (open loop), alternating between nodes 2 and 3; each run has 1 s of warm-up, then ${seconds} s measured. "messages" counts every request and answer sent by any node, "socket writes" every socket.write the interconnect made on any node (heartbeats included), CPU is user+system of all three processes. Latency is node 1's request round trip (send to answer).`,
      '',
      ...(repeat > 1 ? [`Medians over ${repeat} rounds (rounds alternate the configurations; failed = sum):`, '', ...medians, '', 'Every run:', ''] : []),
      ...rows,
      '',
    ];
    if (straceRows.length > 0)
      lines.push('Cross-check of socket writes: `strace -c -f -e trace=write,writev` on each node over its whole life (start-up, warm-up, IPC with the coordinator included; the interconnect\'s own count covers its sockets only), 64-byte runs of 3 s under strace:', '', '| batching | node | kernel write+writev calls | interconnect socket writes |', '|---|---|---|---|', ...straceRows, '');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, lines.join('\n'));
    console.log(`wrote ${out}`);
  }
}

if (process.argv[2] === 'node') {
  nodeMain().catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
