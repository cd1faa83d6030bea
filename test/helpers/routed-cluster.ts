// For process tests of the statement router on a real cluster (test/cluster/statement-router-*.test.ts):
// a session that a follower routes. A session opened before the follower's standby is ready and in sync
// is relayed to the leader whole, so one is opened until SHOW cluster_node_id answers the follower.
import { Client } from 'pg';
import { connectTo, waitFor } from '../cluster/fault-helpers';
import { TestCluster } from './cluster';

/** A session on `follower` whose reads its standby answers; sessions tried on the way are closed. */
export async function routedSession(cluster: TestCluster, follower: number, timeoutMs = 60000): Promise<Client> {
  return waitFor(
    `a session routed by follower ${follower}`,
    async () => {
      const s = await connectTo(cluster, follower);
      let routed = false;
      try {
        routed = (await s.query('SHOW cluster_node_id')).rows[0].cluster_node_id === String(follower);
        return routed ? s : undefined;
      } finally {
        if (!routed) await s.end().catch(() => undefined);
      }
    },
    timeoutMs,
    200,
  );
}
