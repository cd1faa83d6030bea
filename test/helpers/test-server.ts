// End-to-end test helpers: start the REAL server process (node dist/src/main.js) on a free port
// with a temporary data directory, and run psql scripts against it.
//
//   const server = await startTestServer({ settings: { buffer_pool_size: '64MB' } });
//   const { stdout } = await runPsql(server.port, 'select 1;', ['-t']);
//   await server.stop();
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

/** The compiled server entry point (this file runs as dist/test/helpers/test-server.js). */
const MAIN = path.resolve(__dirname, '../../src/main.js');
const READY = /ready to accept connections on \S+?:(\d+)/;

export interface TestServer {
  /** The port the server listens on (the same after restart()). */
  readonly port: number;
  readonly dataDir: string;
  /** postgresql://postgres@127.0.0.1:<port>/postgres */
  readonly url: string;
  /** Clean shutdown (SIGTERM); removes the data directory if this helper created it. Final for such a server. */
  stop(): Promise<void>;
  /** SIGKILL, leaving the data directory as it is for restart(). */
  kill9(): Promise<void>;
  /** Starts the server again on the same port and data directory (after a clean stop first if it is running). */
  restart(): Promise<void>;
  /** Everything the server printed to stdout and stderr so far. */
  output(): string;
  /** The server process's id while it runs (for memory sampling). */
  readonly pid: number | undefined;
}

export interface TestServerOptions {
  /** Settings passed as `-c name=value` (e.g. { auth_method: 'scram-sha-256', 'user.alice': 's3cret' }). */
  settings?: Record<string, string>;
  /** Use this data directory (kept after stop()) instead of a fresh temporary one (removed by stop()). */
  dataDir?: string;
  /** Milliseconds to wait for the ready line (default 30000). */
  startTimeoutMs?: number;
  /** Extra environment for the server process. */
  env?: Record<string, string>;
  /** Options for node itself, before the script (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /**
   * Run the server in a session of its own (setsid), as a daemon is and as pg_ctl starts PostgreSQL:
   * with the kernel's autogroup scheduling a session shares the CPU with other sessions as one,
   * so a server left in the caller's session would share its slice with the caller and its clients.
   */
  ownSession?: boolean;
}

/** A TCP port nobody listens on right now (for servers you start yourself, e.g. a reference PostgreSQL). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

// Servers still running when the test process exits (a failed before() hook…) are killed, and
// their temporary directories removed, so no test leaves a server behind.
const live = new Set<ChildProcess>();
const tempDirs = new Set<string>();
process.on('exit', () => {
  for (const p of live) p.kill('SIGKILL');
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} not found: build first (npx tsc -p tsconfig.json)`);
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-test-'));
  if (ownDir) tempDirs.add(dataDir);
  // Port 0 lets the server pick a free port itself (no race with other tests); restarts reuse it.
  let port = 0;
  let child: ChildProcess | null = null;
  let out = '';
  let finished = false;

  const launch = async () => {
    if (finished) throw new Error('this test server was stopped and its temporary data directory removed; start a new one');
    // Deterministic defaults (whatever conf/tessera.conf says), then the test's own settings.
    // No Unix-domain socket unless a test asks for one (in its own directory), so tests never share /tmp.
    const settings: Record<string, string> = { listen_addresses: '127.0.0.1', unix_socket_directories: '', auth_method: 'trust', ...options.settings };
    const args = [...(options.nodeArgs ?? []), MAIN, '--port', String(port), '--data', dataDir];
    for (const [k, v] of Object.entries(settings)) args.push('-c', `${k}=${v}`);
    const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env }, detached: options.ownSession === true });
    child = proc;
    live.add(proc);
    proc.once('exit', () => live.delete(proc));
    const startedAt = out.length;
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(new Error(`server did not become ready within ${options.startTimeoutMs ?? 30000} ms:\n${out.slice(startedAt)}`));
      }, options.startTimeoutMs ?? 30000);
      const check = () => {
        const m = READY.exec(out.slice(startedAt));
        if (m === null) return;
        port = Number(m[1]);
        clearTimeout(timer);
        proc.stdout!.off('data', check);
        proc.off('exit', onExit);
        resolve();
      };
      const onExit = (code: number | null, signal: string | null) => {
        clearTimeout(timer);
        reject(new Error(`server exited (${signal ?? code}) before it was ready:\n${out.slice(startedAt)}`));
      };
      proc.stdout!.on('data', check);
      proc.once('exit', onExit);
    });
  };

  const waitExit = (signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      const proc = child;
      if (proc === null || proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill(signal);
    });

  await launch();
  return {
    get port() {
      return port;
    },
    dataDir,
    get url() {
      return `postgresql://postgres@127.0.0.1:${port}/postgres`;
    },
    output: () => out,
    get pid() {
      return child?.pid;
    },
    stop: async () => {
      await waitExit('SIGTERM');
      if (ownDir && !finished) {
        finished = true;
        fs.rmSync(dataDir, { recursive: true, force: true });
        tempDirs.delete(dataDir);
      }
    },
    kill9: () => waitExit('SIGKILL'),
    restart: async () => {
      await waitExit('SIGTERM');
      await launch();
    },
  };
}

/** Whether psql is on the PATH. */
/**
 * The server a behaviour test checked against PostgreSQL runs on: a fresh Tessera, or, with
 * TESSERA_TEST_POSTGRES_PORT set, the PostgreSQL listening on that port (127.0.0.1, user postgres).
 */
export async function startServerOrPostgres(): Promise<TestServer> {
  const port = process.env.TESSERA_TEST_POSTGRES_PORT;
  if (port === undefined) return startTestServer();
  return { port: Number(port), stop: async () => undefined } as unknown as TestServer;
}

export function psqlAvailable(): boolean {
  try {
    execFileSync('psql', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** In a mocha before()/it(): skips the test (with a line saying why) when psql is not installed. */
export function skipWithoutPsql(ctx: Mocha.Context): void {
  if (psqlAvailable()) return;
  console.log('    (psql is not installed: skipping)');
  ctx.skip();
}

export interface PsqlResult {
  stdout: string;
  stderr: string;
  /** psql's exit status: 0 ok, 1 fatal psql error, 2 connection lost, 3 error with ON_ERROR_STOP. */
  code: number;
}

/**
 * Runs a psql script (fed on stdin) against 127.0.0.1:port as postgres, unaligned output (-A), not
 * stopping at errors (ON_ERROR_STOP=0; pass ['-v', 'ON_ERROR_STOP=1'] to stop). `args` are extra
 * psql options, after the defaults (so they win); `env` adds variables such as PGPASSWORD.
 */
export function runPsql(port: number, script: string, args: string[] = [], env: Record<string, string> = {}): Promise<PsqlResult> {
  return new Promise((resolve, reject) => {
    const p = spawn('psql', ['-X', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=0', '-A', ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, PGCONNECT_TIMEOUT: '10', ...env },
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', (err) => reject(new Error(`could not run psql (${err.message}); use psqlAvailable()/skipWithoutPsql() to skip`)));
    p.on('close', (code) => resolve({ stdout, stderr, code: code ?? -1 }));
    // psql may exit before reading all of a script (connection refused): that is its result, not ours.
    p.stdin.on('error', () => undefined);
    p.stdin.end(script);
  });
}

/**
 * Runs a psql script file with stdout and stderr joined into ONE pipe (`2>&1`), so errors and
 * results come in the order psql wrote them; two separate pipes could interleave differently
 * from run to run under load.
 */
export function runPsqlScript(port: number, scriptPath: string): Promise<string> {
  return new Promise((resolve) => {
    const args = ['-X', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=0', '-f', scriptPath];
    const p = spawn('sh', ['-c', 'exec psql "$@" 2>&1', 'sh', ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
    let text = '';
    p.stdout!.on('data', (d) => (text += d));
    p.on('close', () => resolve(text));
  });
}
