// Other cluster nodes taking part in one round of a parallel fragment (run-parallel.ts), beside the
// local workers. Everyone draws morsels from the round's one shared counter: a local worker one at a
// time (Atomics in the worker), a remote node a range of a few at a time, claimed here on the main
// thread when its previous range came back. So a node is asked for more work only once it finished
// what it had — pull-based: a fast node (or the local workers) takes more, a slow one less, which is
// the work stealing across nodes.
//
// Stragglers: every remote range is timed. One still running when the per-morsel time of its
// finished siblings (remote ranges and local workers) at mean + 2σ, times its morsels, has passed
// (and at least SPECULATE_FLOOR_MS) gets a speculative duplicate on a local worker; whichever
// finishes first is kept, the other discarded (both counted). A node whose request fails — an
// error answer, a lost link, a timeout, suspicion — or that is behind the statement's snapshot gets
// no more ranges in this round, and its unfinished range is run locally: a statement never fails
// because another node died.
import { Batch } from '../../types/vector';
import { RemoteFragmentProvider, RemoteFragmentRequest, RemoteParticipant } from './remote-types';

/** No duplicate before a range has run this long: short ranges' times are mostly noise. */
export const SPECULATE_FLOOR_MS = 50;
/** How often stragglers are looked for (and the wait loop wakes up). */
const TICK_MS = 5;

/** Per remote node, since the process started (tessera_fragment_stats()). */
export interface NodeFragmentStats {
  node: number;
  /** Requests (ranges of morsels) sent, and the morsels in them. */
  fragments: number;
  morsels: number;
  /** Requests that failed (error, lost link, timeout, suspicion), and those answered 'behind'. */
  failures: number;
  behind: number;
  /** Morsels of failed or behind requests run locally instead. */
  fallbackMorsels: number;
  /** Speculative local duplicates of this node's ranges; won: the local copy finished first; lost: the node's did. */
  duplicatesLaunched: number;
  duplicatesWon: number;
  duplicatesLost: number;
}

export const remoteFragmentStats = new Map<number, NodeFragmentStats>();

function statsOf(node: number): NodeFragmentStats {
  let s = remoteFragmentStats.get(node);
  if (s === undefined) {
    s = { node, fragments: 0, morsels: 0, failures: 0, behind: 0, fallbackMorsels: 0, duplicatesLaunched: 0, duplicatesWon: 0, duplicatesLost: 0 };
    remoteFragmentStats.set(node, s);
  }
  return s;
}

export interface RemoteRound {
  provider: RemoteFragmentProvider;
  participants: RemoteParticipant[];
  /** The round's morsel counter, shared with the local workers. */
  counter: Int32Array;
  /** The round's morsels, (group, start, end) triples, of the driving table's scan. */
  morsels: Int32Array;
  /** The driving table's chunk key per group (its first read column), for the placement hook; null: none. */
  drivingKeys: readonly string[] | null;
  /** Local workers: how many ranges may run locally at once (after the round's local tasks are done). */
  localSlots: number;
  request(morsels: Int32Array): RemoteFragmentRequest;
  /** Runs morsels on a free local worker. */
  runLocal(morsels: Int32Array): Promise<Batch[]>;
  /** The local workers' tasks of the round: resolves with their milliseconds per morsel. */
  localDone: Promise<number[]>;
  /** The statement was cancelled or a local worker failed: stop waiting (the caller raises the error). */
  stopped(): boolean;
}

interface Range {
  node: number;
  first: number;
  count: number;
  started: number;
  done: boolean;
  batches: Batch[];
  /** Queued or running on a local worker (a fallback or a duplicate). */
  local: boolean;
  duplicate: boolean;
}

/**
 * Morsels per remote request: a few per participant and round, so the pull balances, and at most
 * MAX_RANGE_MORSELS. A follower runs a range on its main thread, where its replication acks and
 * heartbeats wait meanwhile (commits wait for in-sync followers): a range stays about one row group.
 */
export const MAX_RANGE_MORSELS = 4;

export function rangeSize(total: number, participants: number): number {
  return Math.max(1, Math.min(MAX_RANGE_MORSELS, Math.floor(total / (4 * Math.max(1, participants)))));
}

function meanPlus2Sigma(samples: readonly number[]): number {
  let sum = 0;
  for (const x of samples) sum += x;
  const mean = sum / samples.length;
  let sq = 0;
  for (const x of samples) sq += (x - mean) * (x - mean);
  return mean + 2 * Math.sqrt(sq / samples.length);
}

/** Runs the remote side of a round until every morsel of it is done; the remote ranges' partial rows (the local workers' come with their replies). */
export async function runRemoteRanges(round: RemoteRound): Promise<Batch[]> {
  const { counter, morsels } = round;
  const total = morsels.length / 3;
  const k = rangeSize(total, round.participants.length + round.localSlots);
  const groupKeys = round.provider.holds === undefined ? null : round.drivingKeys;
  const ranges: Range[] = [];
  const localQueue: Range[] = [];
  /** Milliseconds per morsel of finished work (remote ranges, local tasks). */
  const samples: number[] = [];
  let wake: () => void = () => undefined;
  const poke = (): void => wake();
  let localReady = false;
  let localError: unknown = null;
  let runningLocal = 0;
  /** Local runs started (fallbacks and duplicates), awaited before the round ends: see the finally below. */
  const localRuns: Promise<unknown>[] = [];
  const slice = (r: Range): Int32Array => morsels.slice(r.first * 3, (r.first + r.count) * 3);
  const toLocal = (r: Range): void => {
    if (r.done || r.local) return;
    r.local = true;
    localQueue.push(r);
    poke();
  };

  const pull = async (p: RemoteParticipant): Promise<void> => {
    const st = statsOf(p.node);
    for (;;) {
      if (round.stopped()) return;
      const first = Atomics.add(counter, 0, k);
      if (first >= total) return;
      const r: Range = { node: p.node, first, count: Math.min(k, total - first), started: performance.now(), done: false, batches: [], local: false, duplicate: false };
      ranges.push(r);
      // Placement hook: a node offered a range it does not hold hands it to the local workers
      // (with placement, claims would first go to ranges of chunks the node holds).
      if (groupKeys !== null && !holdsAll(round, groupKeys, p.node, slice(r))) {
        toLocal(r);
        continue;
      }
      st.fragments++;
      st.morsels += r.count;
      let reply;
      try {
        reply = await p.run(round.request(slice(r)));
      } catch {
        st.failures++;
        if (!r.done && !r.local) st.fallbackMorsels += r.count;
        toLocal(r);
        return;
      }
      if (reply.kind === 'behind') {
        st.behind++;
        if (!r.done && !r.local) st.fallbackMorsels += r.count;
        toLocal(r);
        return;
      }
      samples.push((performance.now() - r.started) / r.count);
      if (!r.done) {
        r.done = true;
        r.batches = reply.batches;
        if (r.duplicate) st.duplicatesLost++;
      }
      poke();
    }
  };

  const tick = setInterval(() => {
    if (samples.length > 0) {
      const perMorsel = meanPlus2Sigma(samples);
      const now = performance.now();
      for (const r of ranges) {
        if (r.done || r.local || now - r.started <= Math.max(SPECULATE_FLOOR_MS, perMorsel * r.count)) continue;
        r.duplicate = true;
        statsOf(r.node).duplicatesLaunched++;
        toLocal(r);
      }
    }
    poke();
  }, TICK_MS);

  round.localDone.then(
    (perMorsel) => {
      samples.push(...perMorsel);
      localReady = true;
      poke();
    },
    (err) => {
      localError = err;
      poke();
    },
  );
  const pulls = round.participants.map((p) => pull(p));
  try {
    for (;;) {
      if (round.stopped()) return [];
      if (localError !== null) throw localError;
      if (localReady) {
        while (runningLocal < round.localSlots && localQueue.length > 0) {
          const r = localQueue.shift()!;
          if (r.done) continue;
          runningLocal++;
          const run = round.runLocal(slice(r));
          localRuns.push(run.catch(() => undefined));
          run.then(
            (batches) => {
              runningLocal--;
              if (!r.done) {
                r.done = true;
                r.batches = batches;
                if (r.duplicate) statsOf(r.node).duplicatesWon++;
              }
              poke();
            },
            (err) => {
              runningLocal--;
              localError ??= err;
              poke();
            },
          );
        }
        // The local workers stopped only once the counter ran out: every morsel is in a range or done locally.
        // A local duplicate still running (its range was answered by the node first) is waited for
        // too: its worker goes back to the pool when the round ends, and a worker takes one task at a
        // time (pool.ts) — its late reply would answer the next statement's task.
        if (ranges.every((r) => r.done) && Atomics.load(counter, 0) >= total && runningLocal === 0) break;
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    clearInterval(tick);
    wake = () => undefined;
    // Requests still out (stragglers beaten by their duplicate) are left to finish; their answers are dropped.
    void Promise.all(pulls);
    // A duplicate still running locally (its remote copy won) is waited for: the caller releases the
    // workers when the round ends, and a worker has one reply slot (pool.ts), so the next task given
    // to it would take this duplicate's reply (other partial rows) and lose its own: a wrong answer.
    // It runs at most a range of MAX_RANGE_MORSELS morsels, and stops early once the round is cancelled.
    await Promise.all(localRuns);
  }
  const out: Batch[] = [];
  for (const r of ranges) out.push(...r.batches);
  return out;
}

function holdsAll(round: RemoteRound, groupKeys: readonly string[], node: number, triples: Int32Array): boolean {
  for (let i = 0; i < triples.length; i += 3) if (!round.provider.holds!(node, groupKeys[triples[i]])) return false;
  return true;
}
