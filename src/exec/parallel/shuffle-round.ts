// The coordinator's half of a shuffled join (shuffle-types.ts): the job every participant gets —
// the tables as of the statement's snapshot, each side's morsels dealt to the participants that
// hold their chunks (locality, as remote-round.ts does for driving morsels), the columns that
// travel — handed to the cluster layer's runner, whose owners' partial aggregates come back.
import { AggregateNode, HashJoinNode, ScanNode } from '../../plan/plan';
import { TableSnapshot } from '../../storage/api';
import { Batch } from '../../types/vector';
import { ExecContext } from '../context';
import { neededColumns } from '../needed-columns';
import { ParallelFragment } from './fragment';
import { fragmentBase } from './fragment-context';
import { nodeAt } from './messages';
import { recheckTables, remoteTableOf } from './remote-request';
import { RemoteFragmentProvider, RemoteTable } from './remote-types';
import { columnsReadByTable, morselsOf } from './run-parallel';
import { materializeSubqueries } from './shuffle-subqueries';
import { ShuffleJob } from './shuffle-types';

/** Coordinator counters since the process started (tests, tessera diagnostics). */
export const shuffleStats = { runs: 0, fallbacks: 0 };

let nextJob = 0;

/**
 * Runs `fragment` (which has a shuffled join) over this node and the provider's participants: the
 * owners' partial aggregate rows, or null when it cannot (no participant, a chunk not in the
 * store) or a participant failed — the caller then runs the fragment here.
 */
export async function runShuffledFragment(fragment: ParallelFragment, ctx: ExecContext): Promise<Batch[] | null> {
  const provider = ctx.remoteFragments;
  const shuffled = fragment.shuffle;
  if (provider?.shuffle === undefined || shuffled == null) return null;
  const participants = provider.participants();
  if (participants.length === 0) return null;
  // Its subqueries run here once: every participant gets their rows (shuffle-subqueries.ts).
  const plan = materializeSubqueries(fragment.partial, ctx) as AggregateNode;
  const join = nodeAt(plan, shuffled.join) as HashJoinNode;
  const buildScan = nodeAt(join.right, shuffled.buildPath) as ScanNode;
  const need = neededColumns(plan);
  const local = new Map<number, TableSnapshot>();
  const tables: RemoteTable[] = [];
  for (const [id, columns] of columnsReadByTable(plan, need)) {
    const snap = ctx.snapshot(id);
    const t = remoteTableOf(snap, id, [...columns]);
    if (t === null) return null;
    local.set(id, snap);
    tables.push(t);
  }
  const nodes = [provider.shuffle.self, ...participants.map((p) => p.node)];
  const tableOf = (id: number): RemoteTable => tables.find((t) => t.tableId === id)!;
  const job: ShuffleJob = {
    ...fragmentBase({ partial: plan, path: fragment.path }, ctx),
    id: `${provider.shuffle.self}.${Date.now()}.${nextJob++}`,
    join: shuffled.join,
    buildPath: shuffled.buildPath,
    nodes,
    tables,
    probeMorsels: dealMorsels(tableOf(fragment.driving.tableId), nodes, provider),
    buildMorsels: dealMorsels(tableOf(buildScan.tableId), nodes, provider),
    probeColumns: shippedColumns(need.get(join.left)),
    buildColumns: shippedColumns(need.get(join.right)),
    position: provider.position(),
    checkGenerations: provider.checkGenerations,
  };
  shuffleStats.runs++;
  const stop = new AbortController();
  const out = await untilCancelled(provider.shuffle.run(job, local, stop.signal), ctx, stop);
  if (out === null) {
    shuffleStats.fallbacks++;
    return null;
  }
  // 40001 if a table was rewritten while the others read it.
  recheckTables(tables, ctx);
  return out;
}

/** How often a running shuffle checks for cancel / statement_timeout. */
const CANCEL_POLL_MS = 10;

/** `work`, unless the statement is cancelled or times out first: then its error at once, and `stop` gives the job up on every node. */
async function untilCancelled<T>(work: Promise<T>, ctx: ExecContext, stop: AbortController): Promise<T> {
  let poll: ReturnType<typeof setInterval> | undefined;
  const cancelled = new Promise<never>((_, reject) => {
    poll = setInterval(() => {
      try {
        ctx.checkCancel();
      } catch (err) {
        stop.abort();
        reject(err);
      }
    }, CANCEL_POLL_MS);
  });
  try {
    return await Promise.race([work, cancelled]);
  } finally {
    clearInterval(poll);
  }
}

function shippedColumns(need: boolean[] | undefined): number[] {
  const out: number[] = [];
  need?.forEach((x, i) => x && out.push(i));
  return out;
}

/**
 * The table's morsels per participant: each to the participant holding its chunks (placement;
 * the coordinator, a leader, holds every chunk) that has the fewest so far, so they balance.
 */
function dealMorsels(t: RemoteTable, nodes: number[], provider: RemoteFragmentProvider): Int32Array[] {
  const morsels = morselsOf(t.rowCounts);
  const out: number[][] = nodes.map(() => []);
  const keys = t.keys[0] ?? null;
  for (let m = 0; m < morsels.length; m += 3) {
    const g = morsels[m];
    let best = 0;
    for (let p = 1; p < nodes.length; p++) {
      if (out[p].length >= out[best].length) continue;
      if (keys !== null && provider.holds !== undefined && !provider.holds(nodes[p], keys[g])) continue;
      best = p;
    }
    out[best].push(g, morsels[m + 1], morsels[m + 2]);
  }
  return out.map((x) => Int32Array.from(x));
}
