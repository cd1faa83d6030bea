// Connects an Interconnect's counters to tessera_interconnect_stats() of this node's database. The
// engine does not import the cluster: the database holds a provider function, set here.
import type { Database } from '../engine/database';
import type { InterconnectStatsRow } from '../sql/bind-interconnect-stats';
import type { Interconnect } from './interconnect';

/** Makes `db`'s tessera_interconnect_stats() report `ic`'s peers; returns a function that detaches it. */
export function provideInterconnectStats(db: Pick<Database, 'interconnectStats'>, ic: Interconnect): () => void {
  const provider = (): InterconnectStatsRow[] =>
    ic.stats().peers.map((p) => ({
      peer: p.peer!,
      messagesSent: p.messagesSent,
      messagesReceived: p.messagesReceived,
      batches: p.batches,
      avgBatch: p.avgBatch,
      bytesSent: p.bytesSent,
      bytesReceived: p.bytesReceived,
      p50Ms: p.p50Ms,
      p99Ms: p.p99Ms,
      suspected: p.suspected,
    }));
  db.interconnectStats = provider;
  return () => {
    if (db.interconnectStats === provider) db.interconnectStats = undefined;
  };
}
