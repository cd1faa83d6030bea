// Shuffled joins over the interconnect (exec/parallel/shuffle-types.ts): a node's participant side
// (MessageType.shuffleRun: its part of a job, over its own copy of the store, read as fragments
// are — fused-read.ts) and the coordinator's runner, which sends the job to every participant, runs
// its own part over the statement's snapshots, and collects the owners' partial aggregates. On any
// participant's failure, a lost link, a timeout or suspicion the runner gives up at once (null:
// the coordinator runs the fragment itself) and tells the others to drop the job.
import * as v8 from 'v8';
import { remoteSnapshots } from '../exec/parallel/remote-exec';
import { runShuffleBuild, runShuffleOwner, runShuffleProbe } from '../exec/parallel/shuffle-exec';
import { compactStrings } from '../exec/parallel/shuffle-partition';
import { ShuffleJob, ShuffleRunner } from '../exec/parallel/shuffle-types';
import type { FragmentStore } from './fragment-service';
import { storeAt } from './fragment-service';
import { CopyReadOptions, FusedReader, generationMoved } from './fused-read';
import { MessageType } from './message-types';
import type { RequestHandlers, RequestTransport } from './replication';
import { ShuffleInboxes, shuffleInboxes } from './shuffle-inbox';
import { PartResult, takePart } from './shuffle-participant';

/** Bound on one job, every wait in it included (default; a stuck job is given up and run locally). */
const JOB_TIMEOUT_MS = 30_000;

export interface ShuffleServiceOptions extends CopyReadOptions {
  /** How long a job waits for this node's copy to reach the coordinator's position (default 2000 ms). */
  waitMs?: number;
  timeoutMs?: number;
  /** The node's reader of its copy (the fragment service's: one cache of decoded chunks for both). */
  reader: FusedReader;
  /** Test hook: runs before this node starts its part (a slow or failing node). */
  beforeRun?: (job: ShuffleJob) => Promise<void> | void;
}

/** Answers MessageType.shuffleRun from the store `current()` gives (null: this node holds no copy now, the job fails). */
export function serveShuffle(handlers: RequestHandlers & RequestTransport, current: () => FragmentStore | null, options: ShuffleServiceOptions): ShuffleInboxes {
  const inboxes = shuffleInboxes(handlers);
  const reader = options.reader;
  const timeoutMs = options.timeoutMs ?? JOB_TIMEOUT_MS;
  handlers.handle(MessageType.shuffleRun, async (from, payload) => {
    const { job, me } = v8.deserialize(payload) as { job: ShuffleJob; me: number };
    const giveUp = (err: Error): never => {
      inboxes.close(job.id);
      inboxes.stats.failed++;
      throw Object.assign(err, { retryable: true });
    };
    const store = await storeAt(current, job.position, options.waitMs ?? 2000).catch(giveUp);
    if (store.position().seq < job.position) giveUp(new Error(`this node's copy is behind position ${job.position}`));
    await options.beforeRun?.(job);
    const fetched = (n: number): void => void (inboxes.stats.fetched += n);
    // Chunks kept here as markers come from the leader. A follower coordinating (checkGenerations):
    // each part checks, as it starts reading, that the tables were not truncated or rewritten here
    // since its snapshot (fragment-service.ts), else the job is given up (null: 'behind').
    const holder = options.chunkHolder?.() ?? from;
    const check = job.checkGenerations === true;
    const reachMs = check ? (options.waitMs ?? 2000) : undefined;
    const moved = (): boolean => {
      if (!check || !generationMoved(job.tables, options)) return false;
      inboxes.stats.otherGeneration++;
      return true;
    };
    const part = <T>(work: (snapshots: ReturnType<typeof remoteSnapshots>) => T): Promise<T | null> =>
      reader.run(handlers, store, holder, (read) => (moved() ? null : work(remoteSnapshots(job.tables, read))), fetched, reachMs);
    const result = await takePart(
      job,
      me,
      handlers,
      inboxes,
      {
        build: () => part((snaps) => runShuffleBuild(job, me, snaps)),
        probe: (blooms) => part((snaps) => runShuffleProbe(job, me, snaps, blooms)),
        owner: (probe, build) => part((snaps) => runShuffleOwner(job, probe, build, snaps)),
      },
      timeoutMs,
    );
    return v8.serialize({ ...result, batches: result.batches.map(compactStrings) });
  });
  return inboxes;
}

export interface ShuffleRunnerOptions {
  timeoutMs?: number;
  /** Registers a listener of the failure detector (Interconnect.onSuspicion): a suspected participant fails its jobs at once. */
  onSuspicion?: (listener: (peer: number, suspected: boolean) => void) => void;
}

/** The coordinator's runner (RemoteFragmentProvider.shuffle) over `transport`; this node is participant 0 of every job. */
export function shuffleRunner(transport: RequestHandlers & RequestTransport, options: ShuffleRunnerOptions = {}): ShuffleRunner {
  const inboxes = shuffleInboxes(transport);
  const timeoutMs = options.timeoutMs ?? JOB_TIMEOUT_MS;
  /** Jobs running, with their participants and how to give them up. */
  const running = new Map<string, { nodes: number[]; abort: () => void }>();
  options.onSuspicion?.((peer, suspected) => {
    if (!suspected) return;
    for (const r of running.values()) if (r.nodes.includes(peer)) r.abort();
  });
  return async (job, local, signal) => {
    let abort: () => void = () => undefined;
    const aborted = new Promise<null>((resolve) => {
      abort = () => {
        if (!running.delete(job.id)) return;
        inboxes.close(job.id, new Error('shuffle given up: a participant failed, or the statement was cancelled'));
        for (const node of job.nodes.slice(1)) transport.request(node, MessageType.shuffleAbort, Buffer.from(job.id), timeoutMs).catch(() => undefined);
        resolve(null);
      };
    });
    running.set(job.id, { nodes: job.nodes, abort });
    signal?.addEventListener('abort', () => abort());
    const remote = job.nodes.slice(1).map((node, i) =>
      transport.request(node, MessageType.shuffleRun, v8.serialize({ job, me: i + 1 }), timeoutMs).then((answer) => v8.deserialize(answer) as PartResult),
    );
    const own = takePart(
      job,
      0,
      transport,
      inboxes,
      {
        build: async () => runShuffleBuild(job, 0, local),
        probe: async (blooms) => runShuffleProbe(job, 0, local, blooms),
        owner: async (probe, build) => runShuffleOwner(job, probe, build, local),
      },
      timeoutMs,
    );
    const parts = [own, ...remote];
    for (const p of parts) p.catch(() => abort());
    // Given up: the answer is null at once, whatever is still out (its rows are dropped where they arrive).
    const all = Promise.all(parts).then(
      (results) => {
        for (const r of results) {
          inboxes.stats.movedRows += r.sentRows;
          inboxes.stats.movedBytes += r.sentBytes;
        }
        return results.flatMap((r) => r.batches);
      },
      () => null,
    );
    const out = await Promise.race([all, aborted]);
    running.delete(job.id);
    return out;
  };
}
