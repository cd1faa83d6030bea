// A follower's standby engine made reachable for its statement router (cluster/statement-router.ts):
// a wire server over the standby's Database that listens nowhere and accepts only in-process
// connections. Authentication is trust because the leader has already authenticated the client
// whose startup packet the router forwards; a port would let any local process in without it.
import { Socket } from 'net';
import { LocalEngine } from './cluster/statement-router';
import { inProcessSocketPair } from './cluster/in-process-socket';
import { Database } from './engine/database';
import type { StandbyHandle } from './cluster/standby';
import { startServer } from './wire/server';

export interface LocalEngineServer {
  readonly engine: LocalEngine;
  /** Ends every session on it (the routers then send later units to the leader). */
  close(): Promise<void>;
}

export async function serveLocalEngine(database: Database, sync: Pick<StandbyHandle, 'inSync' | 'inSyncSoon'>, maxConnections: number): Promise<LocalEngineServer> {
  const wire = await startServer(database, { host: [], port: 0, authMethod: 'trust', users: new Map(), maxConnections });
  return {
    engine: {
      inSync: () => sync.inSync(),
      inSyncSoon: (maxMs) => sync.inSyncSoon(maxMs),
      connect: () => {
        const [ours, theirs] = inProcessSocketPair();
        wire.accept(theirs as unknown as Socket);
        return ours;
      },
    },
    close: () => wire.close(),
  };
}
