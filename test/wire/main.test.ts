// The real server process (`npm start` = node dist/src/main.js) and the end-to-end helpers:
// one ready line, psql through runPsql, clean exit on SIGTERM/SIGINT, clear configuration errors.
import { expect } from 'chai';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Client } from 'pg';
import { TestServer, runPsql, skipWithoutPsql, startTestServer } from '../helpers/test-server';

const MAIN = path.resolve(__dirname, '../../src/main.js');

interface Started {
  /** Output so far (and once exited, all of it). */
  out: () => string;
  exit: Promise<number | null>;
  kill: (signal: NodeJS.Signals) => void;
}

/** Starts main.js; resolves when its output matches `until` (or it exits). */
function run(args: string[], until: RegExp): Promise<Started> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const exit = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
    const started: Started = { out: () => out, exit, kill: (signal) => p.kill(signal) };
    const onData = (d: Buffer) => {
      out += d.toString();
      if (until.test(out)) resolve(started);
    };
    p.stdout.on('data', onData);
    p.stderr.on('data', onData);
    void exit.then(() => resolve(started));
  });
}

describe('server process (main.ts) and test helpers', function () {
  this.timeout(60000);
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server?.stop());

  it('prints exactly one ready line naming address, port and data directory', () => {
    const lines = server.output().split('\n').filter((l) => l.includes('ready'));
    expect(lines).to.deep.equal([`tessera: ready to accept connections on 127.0.0.1:${server.port} (data ${server.dataDir})`]);
    expect(server.url).to.equal(`postgresql://postgres@127.0.0.1:${server.port}/postgres`);
  });

  it('serves psql through runPsql (unaligned output, going on after errors)', async function () {
    skipWithoutPsql(this);
    const r = await runPsql(server.port, 'select 1 as one;\nselect nosuchcolumn;\nselect 2 as two;\n');
    expect(r.code).to.equal(0);
    expect(r.stdout).to.equal('one\n1\n(1 row)\ntwo\n2\n(1 row)\n');
    expect(r.stderr).to.match(/ERROR: {2}column "nosuchcolumn" does not exist/);
    const stop = await runPsql(server.port, 'select nosuchcolumn;\nselect 2;\n', ['-v', 'ON_ERROR_STOP=1']);
    expect(stop.code).to.equal(3);
  });

  it('connects with the url', async () => {
    const c = new Client({ connectionString: server.url });
    await c.connect();
    expect((await c.query('select 1 as x')).rows).to.deep.equal([{ x: 1 }]);
    await c.end();
  });

  it('restarts on the same port and data directory', async () => {
    const port = server.port;
    const c = new Client({ connectionString: server.url });
    await c.connect();
    await c.query('create table kept (k int primary key)');
    await c.query('insert into kept values (1)');
    await c.end();
    await server.restart();
    expect(server.port).to.equal(port);
    const d = new Client({ connectionString: server.url });
    await d.connect();
    expect((await d.query('select k from kept')).rows).to.deep.equal([{ k: 1 }]);
    await d.end();
  });

  it('exits 0 on SIGTERM and SIGINT, ending connected clients with 57P01', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-main-'));
      try {
        const started = await run(['--port', '0', '--data', dir, '-c', 'auth_method=trust', '-c', 'unix_socket_directories='], /ready to accept connections on \S+:\d+/);
        const port = Number(/:(\d+) \(data/.exec(started.out())![1]);
        const c = new Client({ host: '127.0.0.1', port, user: 'postgres' });
        const ended = new Promise<any>((resolve) => c.on('error', resolve));
        await c.connect();
        started.kill(signal);
        expect((await ended).code, signal).to.equal('57P01');
        expect(await started.exit, started.out()).to.equal(0);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  it('refuses to start on a bad configuration, naming the file and line', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-main-'));
    try {
      const conf = path.join(dir, 'bad.conf');
      fs.writeFileSync(conf, 'port = 5432\nshared_buffers = 128MB\n');
      const r = await run(['--config', conf, '--data', path.join(dir, 'data')], /$^/);
      expect(await r.exit).to.equal(1);
      expect(r.out().trim()).to.equal(`tessera: unrecognized configuration parameter "shared_buffers" in file "${conf}" line 2`);
      const usage = await run(['--bogus'], /$^/);
      expect(await usage.exit).to.equal(1);
      expect(usage.out()).to.match(/unknown option "--bogus"/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
