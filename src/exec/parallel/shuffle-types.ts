// A hash-shuffled join of a parallel fragment across cluster nodes (shuffle-plan.ts finds it,
// shuffle-exec.ts runs each participant's parts, the cluster layer moves the rows). Participant q
// (nodes[q]; nodes[0] is the coordinator) owns partition q of the join key's hash space: every
// participant runs both sides of the join over its own morsels and sends each row to the owner of
// its key's partition (probe rows only when one of the participants' Bloom filters of build keys
// may hold their key); each owner joins what it received and runs the fragment's partial plan
// above the join up to the partial aggregate, which returns to the coordinator as for any fragment.
import { Batch } from '../../types/vector';
import { TableSnapshot } from '../../storage/api';
import { PathStep } from './fragment';
import { FragmentBase } from './messages';
import { RemoteTable } from './remote-types';

/** What every participant gets (the coordinator's own part included). */
export interface ShuffleJob extends FragmentBase {
  /** Unique per run: the owners' inboxes are keyed by it. */
  id: string;
  /** From `plan` (the partial aggregate) to the shuffled hash join. */
  join: PathStep[];
  /** From the join's build (right) input to the scan its rows are split over. */
  buildPath: PathStep[];
  /** Node ids of the participants; index = partition owned. */
  nodes: number[];
  /** Every table some part reads, as of the coordinator's snapshot (remote nodes read their own copy). */
  tables: RemoteTable[];
  /** Per participant: morsels of the probe side's driving scan and of the build side's scan, (group, start, end) triples. */
  probeMorsels: Int32Array[];
  buildMorsels: Int32Array[];
  /** Output columns of each side that the plan above reads: only these travel. */
  probeColumns: number[];
  buildColumns: number[];
  /** The coordinator's store position: a remote copy must have reached it. */
  position: number;
  /** Set from RemoteFragmentProvider.checkGenerations (a follower coordinates): each part checks its tables' generations. */
  checkGenerations?: boolean;
}

export type ShuffleSide = 'probe' | 'build';

/**
 * The cluster layer's side (RemoteFragmentProvider.shuffle): runs the job on its participants,
 * the coordinator's own part reading `local` (the statement's snapshots), and resolves with every
 * owner's partial aggregate rows, or null when any participant failed or was suspected (the
 * coordinator then runs the fragment itself: a correct answer, never a partial one). `signal`:
 * the statement was cancelled — the job is given up on every node.
 */
export type ShuffleRunner = (job: ShuffleJob, local: Map<number, TableSnapshot>, signal?: AbortSignal) => Promise<Batch[] | null>;
