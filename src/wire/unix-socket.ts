// Unix-domain socket listeners, as PostgreSQL's: `<dir>/.s.PGSQL.<port>` for each directory of
// unix_socket_directories, guarded by a `.s.PGSQL.<port>.lock` file holding our pid. A socket and
// lock left behind by a dead process are removed; a live owner is an error ("another server might
// be running"). Both files are removed again at shutdown.
import * as fs from 'fs';
import * as path from 'path';
import { Server, Socket, createServer } from 'net';

export interface UnixListener {
  readonly path: string;
  close(): Promise<void>;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock file beside the socket path (removing a stale socket), or throws. */
function takeLock(socketPath: string, port: number, dataDirectory: string): string {
  const lockPath = socketPath + '.lock';
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      // PostgreSQL's socket lock lines: pid, data directory, start time, port, socket directory.
      const content = `${process.pid}\n${dataDirectory}\n${Math.floor(Date.now() / 1000)}\n${port}\n${path.dirname(socketPath)}\n`;
      fs.writeFileSync(lockPath, content, { flag: 'wx', mode: 0o600 });
      fs.rmSync(socketPath, { force: true });
      return lockPath;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(fs.readFileSync(lockPath, 'utf8').split('\n')[0]);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid))
        throw new Error(`lock file "${lockPath}" already exists: another server (PID ${pid}) might be using socket "${socketPath}"`);
      fs.rmSync(lockPath, { force: true });
    }
  }
  throw new Error(`could not create lock file "${lockPath}"`);
}

/** Listens on `<dir>/.s.PGSQL.<port>`, handing each connection to `accept`. */
export async function listenUnix(dir: string, port: number, dataDirectory: string, accept: (socket: Socket) => void): Promise<UnixListener> {
  const socketPath = path.join(dir, `.s.PGSQL.${port}`);
  const lockPath = takeLock(socketPath, port, dataDirectory);
  const server: Server = createServer(accept);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => {
        server.off('error', reject);
        server.on('error', (err) => console.error('tessera: unix socket listener error', err));
        resolve();
      });
    });
    // Any local user may connect, as PostgreSQL's default unix_socket_permissions 0777.
    fs.chmodSync(socketPath, 0o777);
  } catch (err) {
    fs.rmSync(lockPath, { force: true });
    throw new Error(`could not listen on Unix socket "${socketPath}": ${(err as Error).message}`);
  }
  return {
    path: socketPath,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      fs.rmSync(socketPath, { force: true });
      fs.rmSync(lockPath, { force: true });
    },
  };
}
