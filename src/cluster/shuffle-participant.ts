// One participant's part of a shuffled join (exec/parallel/shuffle-types.ts), the same on the
// coordinator and on the other nodes: run both sides over its morsels, send each partition's rows
// to its owner (itself included, through the same path) followed by end-of-stream counts, wait
// until its own partition is complete, then run the partial plan over it as its owner.
import * as v8 from 'v8';
import { ShuffleJob, ShuffleParts } from '../exec/parallel/shuffle-types';
import { Batch } from '../types/vector';
import { MessageType } from './message-types';
import type { RequestTransport } from './replication';
import { ShuffleInboxes, ShuffleMessage } from './shuffle-inbox';

/** Rows per message, about: a few hundred KiB for TPC-H's narrow shipped columns. */
const MESSAGE_ROWS = 16384;

/** How a participant reads: each returns null when its copy of the store lacks something (the coordinator runs the job then). */
export interface ShuffleWork {
  sides(): Promise<ShuffleParts | null>;
  owner(probe: Batch[], build: Batch[]): Promise<Batch[] | null>;
}

/** Thrown when this node's copy could not serve its part (behind): the job fails, the coordinator runs it alone. */
export class ShuffleBehindError extends Error {}

/** A participant's answer: its partition's partial aggregate rows, and what it sent to other nodes. */
export interface PartResult {
  batches: Batch[];
  sentRows: number;
  sentBytes: number;
}

/** Runs participant `me`'s part of `job`. Throws on any failure (the job's inbox is closed either way). */
export async function takePart(job: ShuffleJob, me: number, transport: RequestTransport, inboxes: ShuffleInboxes, work: ShuffleWork, timeoutMs: number): Promise<PartResult> {
  const inbox = inboxes.claim(job.id, job.nodes.length);
  try {
    const parts = await work.sides();
    if (parts === null) throw new ShuffleBehindError(`node ${job.nodes[me]}'s copy of the store lacks rows of shuffle ${job.id}`);
    const sent = { rows: 0, bytes: 0 };
    await Promise.all(job.nodes.map((to, q) => sendPartition(job, me, q, parts, transport, inboxes, timeoutMs, sent)));
    await inbox.wait(timeoutMs);
    const out = await work.owner(inbox.rows[0], inbox.rows[1]);
    if (out === null) throw new ShuffleBehindError(`node ${job.nodes[me]}'s copy of the store lacks rows of shuffle ${job.id}`);
    return { batches: out, sentRows: sent.rows, sentBytes: sent.bytes };
  } catch (err) {
    inboxes.stats.failed++;
    throw err;
  } finally {
    inboxes.close(job.id);
  }
}

/** Partition q's rows of both sides, in messages, then each side's count. */
async function sendPartition(
  job: ShuffleJob,
  me: number,
  q: number,
  parts: ShuffleParts,
  transport: RequestTransport,
  inboxes: ShuffleInboxes,
  timeoutMs: number,
  sent: { rows: number; bytes: number },
): Promise<void> {
  const to = job.nodes[q];
  const stats = inboxes.stats;
  const send = async (m: ShuffleMessage): Promise<void> => {
    const payload = v8.serialize(m);
    if (q !== me) {
      stats.messages++;
      stats.bytes += payload.length;
      sent.bytes += payload.length;
    }
    await transport.request(to, MessageType.shuffleRows, payload, timeoutMs);
  };
  for (const side of [0, 1] as const) {
    const batches = side === 0 ? parts.probe[q] : parts.build[q];
    let rows = 0;
    let pending: Batch[] = [];
    let pendingRows = 0;
    for (const b of batches) {
      pending.push(b);
      pendingRows += b.length;
      if (pendingRows >= MESSAGE_ROWS) {
        await send({ id: job.id, n: job.nodes.length, side, from: me, batches: pending });
        rows += pendingRows;
        pending = [];
        pendingRows = 0;
      }
    }
    if (pendingRows > 0) await send({ id: job.id, n: job.nodes.length, side, from: me, batches: pending });
    rows += pendingRows;
    if (q === me) stats.rowsKept += rows;
    else {
      stats.rowsSent += rows;
      sent.rows += rows;
    }
    await send({ id: job.id, n: job.nodes.length, side, from: me, end: rows });
  }
}
