// One participant's part of a shuffled join (exec/parallel/shuffle-types.ts), the same on the
// coordinator and on the other nodes: run both sides over its morsels, send each partition's rows
// to its owner (itself included, through the same path) followed by end-of-stream counts, wait
// until its own partition is complete, then run the partial plan over it as its owner. The build
// side goes first, with a Bloom filter of its keys to every participant: probe rows whose key is
// in no participant's filter cannot join and are not sent.
import * as v8 from 'v8';
import { BloomState } from '../exec/hash/bloom-filter';
import { sliceBatch } from '../exec/vector-util';
import { ShuffleJob } from '../exec/parallel/shuffle-types';
import { compactStrings } from '../exec/parallel/shuffle-partition';
import { Batch } from '../types/vector';
import { MessageType } from './message-types';
import type { RequestTransport } from './replication';
import { ShuffleInboxes, ShuffleMessage } from './shuffle-inbox';

/** Rows per message, about: a few hundred KiB for TPC-H's narrow shipped columns. */
const MESSAGE_ROWS = 16384;

/** How a participant reads: each returns null when its copy of the store lacks something (the coordinator runs the job then). */
export interface ShuffleWork {
  build(): Promise<{ parts: Batch[][]; bloom: BloomState } | null>;
  probe(blooms: BloomState[]): Promise<Batch[][] | null>;
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

/**
 * Runs participant `me`'s part of `job`: its build rows go out with its Bloom filter of their keys;
 * once every participant's filter is in, its probe rows that may match go out; then, as owner, its
 * partition. Throws on any failure (the job's inbox is closed either way).
 */
export async function takePart(job: ShuffleJob, me: number, transport: RequestTransport, inboxes: ShuffleInboxes, work: ShuffleWork, timeoutMs: number): Promise<PartResult> {
  const inbox = inboxes.claim(job.id, job.nodes.length);
  const behind = (): ShuffleBehindError => new ShuffleBehindError(`node ${job.nodes[me]}'s copy of the store lacks rows of shuffle ${job.id}`);
  const sender = new Sender(job, me, transport, inboxes, timeoutMs);
  try {
    const build = await work.build();
    if (build === null) throw behind();
    const buildSent = Promise.all(job.nodes.map(async (_, q) => {
      await sender.send(q, { id: job.id, n: job.nodes.length, from: me, bloom: build.bloom });
      await sender.side(q, 1, build.parts[q]);
    }));
    // A failed send fails the job here at once (the waits below would otherwise last until the timeout).
    buildSent.catch((err: unknown) => inboxes.close(job.id, err instanceof Error ? err : new Error(String(err))));
    const probe = await work.probe(await inbox.blooms(timeoutMs));
    if (probe === null) throw behind();
    await Promise.all([buildSent, ...job.nodes.map((_, q) => sender.side(q, 0, probe[q]))]);
    await inbox.wait(timeoutMs);
    const out = await work.owner(inbox.rows[0], inbox.rows[1]);
    if (out === null) throw behind();
    return { batches: out, sentRows: sender.rows, sentBytes: sender.bytes };
  } catch (err) {
    inboxes.stats.failed++;
    throw err;
  } finally {
    inboxes.close(job.id);
  }
}

/** One participant's messages of a job, counted (rows and bytes to other nodes). */
class Sender {
  rows = 0;
  bytes = 0;

  constructor(
    private readonly job: ShuffleJob,
    private readonly me: number,
    private readonly transport: RequestTransport,
    private readonly inboxes: ShuffleInboxes,
    private readonly timeoutMs: number,
  ) {}

  async send(q: number, m: ShuffleMessage): Promise<void> {
    const payload = v8.serialize(m);
    if (q !== this.me) {
      this.inboxes.stats.messages++;
      this.inboxes.stats.bytes += payload.length;
      this.bytes += payload.length;
    }
    await this.transport.request(this.job.nodes[q], MessageType.shuffleRows, payload, this.timeoutMs);
  }

  /** Partition q's rows of one side, in messages, then their count. */
  async side(q: number, side: 0 | 1, batches: Batch[]): Promise<void> {
    const { id } = this.job;
    const n = this.job.nodes.length;
    let rows = 0;
    let pending: Batch[] = [];
    let pendingRows = 0;
    for (const b of batches) {
      // A large batch (one per side and destination) is cut into messages of about MESSAGE_ROWS.
      for (let at = 0; at < b.length; at += MESSAGE_ROWS) {
        const part = compactStrings(at === 0 && b.length <= MESSAGE_ROWS ? b : sliceBatch(b, at, Math.min(b.length, at + MESSAGE_ROWS)));
        pending.push(part);
        pendingRows += part.length;
        if (pendingRows >= MESSAGE_ROWS) {
          await this.send(q, { id, n, side, from: this.me, batches: pending });
          rows += pendingRows;
          pending = [];
          pendingRows = 0;
        }
      }
    }
    if (pendingRows > 0) await this.send(q, { id, n, side, from: this.me, batches: pending });
    rows += pendingRows;
    const stats = this.inboxes.stats;
    if (q === this.me) stats.rowsKept += rows;
    else {
      stats.rowsSent += rows;
      this.rows += rows;
    }
    await this.send(q, { id, n, side, from: this.me, end: rows });
  }
}
