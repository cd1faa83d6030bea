// Starts the real server process (node dist/src/main.js) on a free port with a temporary data
// directory, for end-to-end tests; and runs psql against it.
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

const MAIN = path.resolve(__dirname, '../../src/main.js');

export interface TestServer {
  port: number;
  dataDir: string;
  /** Clean shutdown (SIGTERM) and removal of the data directory. */
  stop(): Promise<void>;
  /** SIGKILL, leaving the data directory for a restart. */
  kill9(): Promise<void>;
  /** Starts the server again on the same port and data directory. */
  restart(): Promise<void>;
  /** Everything the server printed. */
  output(): string;
}

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

export interface TestServerOptions {
  settings?: Record<string, string>;
  dataDir?: string;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const port = await freePort();
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-test-'));
  let child: ChildProcess | null = null;
  let out = '';
  const launch = async () => {
    const args = [MAIN, '--port', String(port), '--data', dataDir];
    for (const [k, v] of Object.entries(options.settings ?? {})) args.push('-c', `${k}=${v}`);
    child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const proc = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 30000);
      const onData = (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`server exited with ${code}:\n${out}`));
      });
    });
    proc.removeAllListeners('exit');
  };
  const waitExit = (signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      const proc = child;
      if (proc === null || proc.exitCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill(signal);
    });
  await launch();
  return {
    port,
    dataDir,
    output: () => out,
    stop: async () => {
      await waitExit('SIGTERM');
      if (options.dataDir === undefined) fs.rmSync(dataDir, { recursive: true, force: true });
    },
    kill9: () => waitExit('SIGKILL'),
    restart: launch,
  };
}

export function psqlAvailable(): boolean {
  try {
    execFileSync('psql', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface PsqlResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs a psql script (stdin) against the server; args are extra psql options. */
export function runPsql(port: number, script: string, args: string[] = []): Promise<PsqlResult> {
  return new Promise((resolve) => {
    const p = spawn('psql', ['-X', '-q', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, PGCONNECT_TIMEOUT: '10' },
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ stdout, stderr, code: code ?? -1 }));
    p.stdin.end(script);
  });
}
