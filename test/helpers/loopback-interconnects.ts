// Interconnects of an in-process cluster on loopback (cluster parallel query and shuffle tests):
// nodes 1..n, every pair connected. All nodes share the test's event loop, so a long statement
// delays everyone's heartbeats: suspicion waits for a pause of seconds.
import { Interconnect } from '../../src/cluster/interconnect';
import type { NodeInfo } from '../../src/cluster/cluster-types';
import { freePort } from './test-server';

/** Listening and connected; the caller closes them. */
export async function loopbackInterconnects(n: number): Promise<Interconnect[]> {
  const infos: NodeInfo[] = [];
  for (let id = 1; id <= n; id++) infos.push({ id, host: '127.0.0.1', interconnectPort: await freePort(), clientPort: 0 });
  const ics = infos.map((self) => new Interconnect({ self, peers: infos, heartbeatIntervalMs: 50, acceptablePauseMs: 3000 }));
  await Promise.all(ics.map((ic) => ic.listen()));
  await Promise.all(ics.map((ic) => ic.waitConnected()));
  return ics;
}
