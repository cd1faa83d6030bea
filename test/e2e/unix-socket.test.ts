// Unix-domain sockets: the server listens on <dir>/.s.PGSQL.<port> for each directory of
// unix_socket_directories (psql -h <dir> connects), keeps a .lock file beside each socket, removes
// both at shutdown, takes over files left by a killed server, and refuses a socket a live process holds.
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Client } from 'pg';
import { TestServer, freePort, psqlAvailable, runPsql, startTestServer } from '../helpers/test-server';

describe('Unix-domain sockets (unix_socket_directories)', function () {
  let dirA: string;
  let dirB: string;
  let server: TestServer | undefined;
  before(() => {
    dirA = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-sock-a-'));
    dirB = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-sock-b-'));
  });
  after(async () => {
    await server?.stop();
    fs.rmSync(dirA, { recursive: true, force: true });
    fs.rmSync(dirB, { recursive: true, force: true });
  });

  it('listens in every directory, with a lock file naming the process and port', async () => {
    server = await startTestServer({ settings: { unix_socket_directories: `${dirA}, ${dirB}` } });
    for (const dir of [dirA, dirB]) {
      const sock = path.join(dir, `.s.PGSQL.${server.port}`);
      expect(fs.statSync(sock).isSocket(), sock).to.equal(true);
      const lock = fs.readFileSync(sock + '.lock', 'utf8').split('\n');
      expect(Number(lock[0])).to.be.greaterThan(0);
      expect(lock[3]).to.equal(String(server.port));
    }
    expect(server.output()).to.include(path.join(dirA, `.s.PGSQL.${server.port}`));
  });

  it('serves psql -h <dir> and the pg driver over the socket', async function () {
    const client = new Client({ host: dirB, port: server!.port, user: 'postgres', database: 'postgres' });
    await client.connect();
    try {
      expect((await client.query('select 40 + 2 as x')).rows).to.deep.equal([{ x: 42 }]);
    } finally {
      await client.end();
    }
    if (!psqlAvailable()) {
      console.log('    (psql is not installed: skipping the psql part)');
      return;
    }
    const r = await runPsql(server!.port, 'select 1 + 1 as two;\n\\echo :HOST', ['-h', dirA, '-t']);
    expect(r.stderr).to.equal('');
    expect(r.stdout.split('\n').filter((l) => l !== '')).to.deep.equal(['2', dirA]);
  });

  it('takes over the socket and lock a killed server left behind, and removes both at shutdown', async () => {
    const sock = path.join(dirA, `.s.PGSQL.${server!.port}`);
    await server!.kill9();
    expect(fs.existsSync(sock)).to.equal(true);
    expect(fs.existsSync(sock + '.lock')).to.equal(true);
    await server!.restart();
    const r = await new Client({ host: dirA, port: server!.port, user: 'postgres' });
    await r.connect();
    await r.end();
    await server!.stop();
    server = undefined;
    for (const dir of [dirA, dirB]) expect(fs.readdirSync(dir), dir).to.deep.equal([]);
  });

  it('refuses to start when a live process holds the socket lock', async () => {
    const port = await freePort();
    // This test process is alive and is not the server: its pid in the lock means "in use".
    fs.writeFileSync(path.join(dirA, `.s.PGSQL.${port}.lock`), `${process.pid}\n/elsewhere\n0\n${port}\n${dirA}\n`);
    let message = '';
    try {
      server = await startTestServer({ settings: { unix_socket_directories: dirA, port: String(port) }, startTimeoutMs: 15000 });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).to.match(/another server \(PID \d+\) might be using socket/);
    expect(fs.readFileSync(path.join(dirA, `.s.PGSQL.${port}.lock`), 'utf8')).to.match(new RegExp(`^${process.pid}\n`));
  });

  it('listens on no socket when unix_socket_directories is empty', async () => {
    const s = await startTestServer({ settings: { unix_socket_directories: '' } });
    try {
      expect(s.output()).not.to.include('.s.PGSQL');
    } finally {
      await s.stop();
    }
  });
});
