// An open database: storage, the write lock, and the sessions connected to it. Both the wire
// server and the embedded API open one of these.
import { Storage } from '../storage/api';
import { openStorage } from '../storage';
import { BufferPool, PolicyName, makePolicy } from '../buffer/buffer-pool';
import { SharedChunkCache } from '../buffer/shared-chunk-cache';
import { Vector } from '../types/vector';
import { loadParser } from '../sql/parse';
import { DatabaseHandle, SessionOptions } from './session-api';
import { EngineDatabase, EngineSession } from './session';
import { WriteLock } from './write-lock';
import { ActiveReaders } from './active-readers';
import { lockDataDirectory } from './data-dir-lock';

export interface DatabaseOptions {
  /** Data directory, or null / ':memory:' for a database with no files. */
  dir: string | null;
  /** Settings from the conf file and -c options (raw text values). */
  settings?: Map<string, string>;
}

/** '256MB', '1GB', '8kB', '1048576' → bytes. */
export function parseBytes(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb)?\s*$/i.exec(text);
  if (m === null) throw new Error(`invalid memory size "${text}"`);
  const unit: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4 };
  return Math.round(Number(m[1]) * unit[(m[2] ?? 'b').toLowerCase()]);
}

function isOn(text: string | undefined, fallback: boolean): boolean {
  if (text === undefined) return fallback;
  return ['on', 'true', 'yes', '1'].includes(text.trim().toLowerCase());
}

export class Database implements DatabaseHandle, EngineDatabase {
  readonly writeLock = new WriteLock();
  readonly readers = new ActiveReaders();
  private readonly sessions = new Map<number, EngineSession>();
  private nextProcessId = 1000 + (process.pid % 1000) * 100;

  private constructor(
    readonly storage: Storage,
    readonly settings: Map<string, string>,
    private readonly releaseDirectory: () => void,
  ) {}

  static async open(options: DatabaseOptions): Promise<Database> {
    await loadParser();
    const settings = new Map<string, string>();
    for (const [k, v] of options.settings ?? []) settings.set(k.toLowerCase() === 'timezone' ? 'TimeZone' : k, v);
    const dir = options.dir === ':memory:' ? null : options.dir;
    const release = dir === null ? () => undefined : lockDataDirectory(dir);
    try {
      const policy = (settings.get('buffer_replacement') ?? 'lirs') as PolicyName;
      // Chunks in shared memory: parallel query workers read them without copies.
      const cache = new SharedChunkCache(new BufferPool<Vector>(makePolicy(policy, parseBytes(settings.get('buffer_pool_size') ?? '256MB'))));
      const storage = await openStorage({
        dir,
        cache,
        synchronousCommit: isOn(settings.get('synchronous_commit'), true),
      });
      return new Database(storage, settings, release);
    } catch (err) {
      release();
      throw err;
    }
  }

  createSession(options: SessionOptions): EngineSession {
    const pid = this.nextProcessId++;
    const session = new EngineSession(this, options, pid);
    this.sessions.set(pid, session);
    return session;
  }

  findSession(processId: number, secretKey: number): EngineSession | undefined {
    const s = this.sessions.get(processId);
    return s !== undefined && s.secretKey === secretKey ? s : undefined;
  }

  unregister(session: EngineSession): void {
    this.sessions.delete(session.processId);
  }

  async close(): Promise<void> {
    for (const s of [...this.sessions.values()]) await s.close();
    await this.storage.close();
    this.releaseDirectory();
  }
}
