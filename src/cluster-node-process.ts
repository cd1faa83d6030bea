// Starting one cluster node as its own process and waiting until it serves clients: shared by the
// cluster launcher (cluster-launcher.ts) and the tests' startTestCluster (test/helpers/cluster.ts).
import { ChildProcess, spawn } from 'child_process';
import * as net from 'net';
import * as path from 'path';

/** The server entry point (this file runs as dist/src/cluster-node-process.js, beside main.js). */
export const MAIN_SCRIPT = path.join(__dirname, 'main.js');

export interface NodeProcessOptions {
  confFile: string;
  nodeId: number;
  /** More server options after --cluster/--node-id (e.g. ['-c', 'unix_socket_directories=']). */
  extraArgs?: string[];
  env?: NodeJS.ProcessEnv;
  /** Each line the node prints, as it comes (stderr lines flagged). */
  onLine?: (line: string, stderr: boolean) => void;
  /**
   * A process group of its own: a Ctrl-C in the terminal then reaches only the launcher, which stops
   * the nodes itself (so it can tell a node that died from one it stopped).
   */
  detached?: boolean;
}

/** `node dist/src/main.js --cluster FILE --node-id N …`; stdout/stderr are piped to onLine. */
export function spawnNodeProcess(options: NodeProcessOptions): ChildProcess {
  const args = [MAIN_SCRIPT, '--cluster', options.confFile, '--node-id', String(options.nodeId), ...(options.extraArgs ?? [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env, detached: options.detached === true });
  const onLine = options.onLine ?? (() => undefined);
  for (const [stream, isErr] of [[child.stdout!, false], [child.stderr!, true]] as const) {
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => {
      pending += d;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const l of lines) onLine(l, isErr);
    });
    stream.on('end', () => {
      if (pending !== '') onLine(pending, isErr);
      pending = '';
    });
  }
  return child;
}

/** Resolves when the process has exited (at once if it already has). */
export function processExited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/** SIGTERM, then SIGKILL if the process is still there after `graceMs`; resolves once it has exited. */
export async function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  // A stopped (SIGSTOP) process cannot act on SIGTERM until it runs again.
  child.kill('SIGCONT');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await processExited(child);
  clearTimeout(timer);
}

type ProbeResult = { ok: true } | { ok: false; retry: boolean; error: string };

/**
 * One attempt: connect, start a session as postgres and run SELECT 1. A server that asks for a
 * password is up too (as pg_isready judges): the probe cannot answer it and says ok.
 */
export function probeSelect1(host: string, port: number, timeoutMs = 5000): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let buffer = Buffer.alloc(0);
    let queried = false;
    let failed: string | null = null;
    const finish = (r: ProbeResult) => {
      clearTimeout(timer);
      socket.removeAllListeners('data');
      // Terminate ('X'), so the server logs no broken connection.
      if (!socket.destroyed) socket.end(Buffer.from([0x58, 0, 0, 0, 4]));
      socket.on('error', () => undefined);
      resolve(r);
    };
    const timer = setTimeout(() => {
      socket.destroy();
      finish({ ok: false, retry: true, error: `no answer within ${timeoutMs} ms` });
    }, timeoutMs);
    socket.once('error', (err) => finish({ ok: false, retry: true, error: err.message }));
    socket.on('connect', () => {
      const params = Buffer.from('user\0postgres\0database\0postgres\0\0');
      const startup = Buffer.alloc(8);
      startup.writeInt32BE(8 + params.length, 0);
      startup.writeInt32BE(196608, 4); // protocol 3.0
      socket.write(Buffer.concat([startup, params]));
    });
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 5) {
        const len = buffer.readInt32BE(1);
        if (buffer.length < 1 + len) break;
        const type = String.fromCharCode(buffer[0]);
        const body = buffer.subarray(5, 1 + len);
        buffer = buffer.subarray(1 + len);
        if (type === 'R' && body.readInt32BE(0) !== 0) return finish({ ok: true });
        if (type === 'E') {
          const fields = body.toString('utf8').split('\0');
          const code = fields.find((f) => f.startsWith('C'))?.slice(1) ?? '';
          const message = fields.find((f) => f.startsWith('M'))?.slice(1) ?? 'error';
          failed = `${code} ${message}`;
          // 57P03: the server is starting up or shutting down; try again.
          if (!queried) return finish({ ok: false, retry: code === '57P03', error: failed });
        }
        if (type === 'Z') {
          if (queried) return finish(failed === null ? { ok: true } : { ok: false, retry: false, error: failed });
          queried = true;
          const sql = Buffer.from('SELECT 1\0');
          const q = Buffer.alloc(5);
          q[0] = 0x51; // 'Q'
          q.writeInt32BE(4 + sql.length, 1);
          socket.write(Buffer.concat([q, sql]));
        }
      }
    });
  });
}

/**
 * Polls host:port until SELECT 1 works; throws when `timeoutMs` passes, when the server answers with
 * an error that retrying will not fix, or as soon as `gaveUp()` says so (the process exited).
 */
export async function waitUntilServing(host: string, port: number, timeoutMs: number, gaveUp: () => string | null = () => null): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const why = gaveUp();
    if (why !== null) throw new Error(why);
    const r = await probeSelect1(host, port, Math.max(100, Math.min(5000, deadline - Date.now())));
    if (r.ok) return;
    last = r.error;
    if (!r.retry) throw new Error(`${host}:${port} answered SELECT 1 with ${r.error}`);
    if (Date.now() > deadline) throw new Error(`${host}:${port} did not serve SELECT 1 within ${timeoutMs} ms (last: ${last})`);
    await new Promise((r2) => setTimeout(r2, 100));
  }
}
