// One opener per data directory (as postmaster.pid does for PostgreSQL): a second server or
// embedded open of the same directory gets a clear error instead of two processes caching
// diverging catalogs over one LMDB file. A lock left by a killed process is taken over.
import * as fs from 'fs';
import * as path from 'path';

const PID_FILE = 'tessera.pid';
const openHere = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed process can linger as a zombie until reaped: it holds nothing.
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** Takes the directory's lock (creating the directory); returns the release function. */
export function lockDataDirectory(dir: string): () => void {
  fs.mkdirSync(dir, { recursive: true });
  const real = fs.realpathSync(dir);
  if (openHere.has(real)) throw new Error(`data directory "${dir}" is already open in this process`);
  const pidFile = path.join(real, PID_FILE);
  if (fs.existsSync(pidFile)) {
    const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid))
      throw new Error(`data directory "${dir}" is in use by process ${pid} (remove ${pidFile} only if that process is not Tessera)`);
  }
  fs.writeFileSync(pidFile, `${process.pid}\n`);
  openHere.add(real);
  return () => {
    openHere.delete(real);
    try {
      if (Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]) === process.pid) fs.unlinkSync(pidFile);
    } catch {
      // already gone
    }
  };
}
