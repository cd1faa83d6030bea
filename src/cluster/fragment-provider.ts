// The coordinator's side of cluster parallel query: the nodes that take morsels of its parallel
// fragments (exec/parallel/remote-round.ts), set on the database as Database.remoteFragments — on
// the leader's engine (clusterFragmentProvider) and on each follower's standby engine
// (followerFragmentProvider). For the leader, a follower takes part while it is in sync with the
// replication log, connected and not suspected. A request fails at once when the failure detector
// starts suspecting its node (its morsels are then run on the coordinator), else after the timeout.
import * as v8 from 'v8';
import type { Database } from '../engine/database';
import { RemoteFragmentProvider, RemoteFragmentReply, RemoteParticipant } from '../exec/parallel/remote-types';
import { Interconnect, InterconnectError } from './interconnect';
import { MessageType } from './message-types';
import { ReplicatedKv, RequestHandlers, RequestTransport } from './replication';
import { shuffleRunner } from './shuffle-service';

export interface FragmentProviderOptions {
  /** Bound on one request (default 30 s: a straggler is duplicated long before). */
  timeoutMs?: number;
  /** Whether a node holds a chunk's bytes (placement.ts); absent: every node holds every chunk. */
  holds?: (node: number, key: string) => boolean;
}

/** What sending fragments takes of the interconnect: requests, and whether a node is reachable and trusted. */
export type FragmentLinks = RequestHandlers & RequestTransport & Pick<Interconnect, 'suspected' | 'isConnected' | 'onSuspicion'>;

export function clusterFragmentProvider(ic: Interconnect, kv: ReplicatedKv, options: FragmentProviderOptions = {}): RemoteFragmentProvider {
  const inSync = () => kv.followerStates().filter((f) => f.inSync && !f.recovering).map((f) => f.id);
  return providerOver(ic, ic.self.id, inSync, () => kv.position().seq, options, false);
}

export interface FollowerProviderOptions extends FragmentProviderOptions {
  /** This node's id (partition 0's owner in its shuffled joins). */
  self: number;
  /** The nodes to hand work to: the agreed members but this node and the leader, which stays free for the writes. */
  peers: () => number[];
  /** This copy's position: a participant's copy must have reached it. */
  position: () => number;
}

/**
 * A follower's: the fragments and shuffled joins of statements its standby engine runs go to the
 * other followers, each reading its own copy at or past this copy's position. The standby holds
 * nothing back on the leader while it waits, so the participants check that the tables it reads
 * were not truncated, rewritten or compacted since (checkGenerations).
 */
export function followerFragmentProvider(ic: FragmentLinks, options: FollowerProviderOptions): RemoteFragmentProvider {
  return providerOver(ic, options.self, options.peers, options.position, options, true);
}

/** The provider over `candidates()` that are connected and not suspected now. */
function providerOver(
  ic: FragmentLinks,
  self: number,
  candidates: () => number[],
  position: () => number,
  options: FragmentProviderOptions,
  checkGenerations: boolean,
): RemoteFragmentProvider {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const participant = participantsOver(ic, timeoutMs);
  return {
    participants: () => {
      const suspected = new Set(ic.suspected());
      return candidates()
        .filter((id) => ic.isConnected(id) && !suspected.has(id))
        .map(participant);
    },
    position,
    holds: options.holds,
    checkGenerations,
    shuffle: { self, run: shuffleRunner(ic, { timeoutMs, onSuspicion: (l) => ic.onSuspicion(l) }) },
  };
}

/** Runs fragment requests on other nodes; a request to a node fails at once when it becomes suspected. */
function participantsOver(ic: FragmentLinks, timeoutMs: number): (node: number) => RemoteParticipant {
  /** Requests in flight per node: rejected when the node becomes suspected. */
  const inFlight = new Map<number, Set<(err: Error) => void>>();
  ic.onSuspicion((peer, suspected) => {
    if (!suspected) return;
    for (const reject of inFlight.get(peer) ?? []) reject(new InterconnectError(`node ${peer} is suspected`, peer, true));
  });
  return (node) => ({
    node,
    run: (request) =>
      new Promise<RemoteFragmentReply>((resolve, reject) => {
        let set = inFlight.get(node);
        if (set === undefined) inFlight.set(node, (set = new Set()));
        const pending = set;
        const fail = (err: Error): void => {
          pending.delete(fail);
          reject(err);
        };
        pending.add(fail);
        ic.request(node, MessageType.fragmentRun, v8.serialize(request), timeoutMs).then(
          (answer) => {
            pending.delete(fail);
            resolve(v8.deserialize(answer) as RemoteFragmentReply);
          },
          (err: unknown) => fail(err instanceof Error ? err : new Error(String(err))),
        );
      }),
  });
}

/** Makes `db`'s parallel fragments use the followers of `kv`; returns a function that detaches it. */
export function provideRemoteFragments(db: Pick<Database, 'remoteFragments' | 'settings'>, ic: Interconnect, kv: ReplicatedKv, options?: FragmentProviderOptions): () => void {
  const provider = clusterFragmentProvider(ic, kv, options);
  db.remoteFragments = provider;
  // The planner's join distribution counts the nodes (planner/join-distribution.ts): sessions opened from now on see them.
  const before = db.settings.get('cluster_nodes');
  db.settings.set('cluster_nodes', String(ic.peerIds().length + 1));
  return () => {
    if (db.remoteFragments !== provider) return;
    db.remoteFragments = undefined;
    if (before === undefined) db.settings.delete('cluster_nodes');
    else db.settings.set('cluster_nodes', before);
  };
}
