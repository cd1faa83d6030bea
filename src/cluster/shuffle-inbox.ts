// An owner's side of a shuffled join's row exchange (exec/parallel/shuffle-types.ts): every
// participant's Bloom filter of its build keys, and the rows every participant sends for the
// partition this node owns, kept per job until both sides are complete —
// each sender ends each side with the count of rows it sent, so the owner knows it has everything
// (a count that does not match what arrived means a message was lost: the job fails). Rows may
// arrive before this node has the job itself (another participant was faster), so an inbox opens
// on the first message of its job; one the job never claims is dropped after ORPHAN_MS, and rows
// of a job already over (aborted, or finished) are ignored.
import * as v8 from 'v8';
import { Batch } from '../types/vector';
import { BloomState } from '../exec/hash/bloom-filter';
import { MessageType } from './message-types';
import type { RequestHandlers } from './replication';

export type ShuffleMessage =
  | { id: string; n: number; side: 0 | 1; from: number; batches: Batch[] }
  /** End of one sender's rows of one side: how many it sent. */
  | { id: string; n: number; side: 0 | 1; from: number; end: number }
  /** A sender's Bloom filter of its build keys (every participant sends one to every participant). */
  | { id: string; n: number; from: number; bloom: BloomState };

/** Per node since it started: what its shuffles moved (tests, benches). */
export interface ShuffleNodeStats {
  /** Jobs this node took part in (as coordinator or participant). */
  jobs: number;
  /** Rows sent to other nodes, and rows this node kept (their partition was its own). */
  rowsSent: number;
  rowsKept: number;
  /** Row messages sent to other nodes, and their payload bytes. */
  messages: number;
  bytes: number;
  /** Jobs given up here (abort received, a wait timed out, a copy behind). */
  failed: number;
  /** Chunks this node keeps only as markers, fetched from the leader for its parts (cache fusion). */
  fetched: number;
  /** Parts refused because a table was at another generation in this copy than in the coordinator's snapshot (a follower coordinating). */
  otherGeneration: number;
  /** As coordinator, summed over every participant of its finished jobs: rows and bytes sent between nodes. */
  movedRows: number;
  movedBytes: number;
}

/** A job dropped unclaimed after this long (its coordinator gave up before reaching this node). */
const ORPHAN_MS = 60_000;

class Inbox {
  readonly rows: [Batch[], Batch[]] = [[], []];
  private readonly received: [Float64Array, Float64Array];
  private readonly expected: [Float64Array, Float64Array];
  private failure: Error | null = null;
  private wake: () => void = () => undefined;
  readonly opened = Date.now();
  claimed = false;

  constructor(readonly n: number) {
    this.received = [new Float64Array(n), new Float64Array(n)];
    this.expected = [new Float64Array(n).fill(-1), new Float64Array(n).fill(-1)];
    this.bloomOf = new Array<BloomState | null>(n).fill(null);
  }

  /** Each participant's build-key filter, once it arrived. */
  private readonly bloomOf: (BloomState | null)[];

  add(m: ShuffleMessage): void {
    if (m.from < 0 || m.from >= this.n) throw new Error(`shuffle ${m.id}: no participant ${m.from}`);
    if ('bloom' in m) this.bloomOf[m.from] = m.bloom;
    else if ('end' in m) this.expected[m.side][m.from] = m.end;
    else {
      for (const b of m.batches) {
        this.rows[m.side].push(b);
        this.received[m.side][m.from] += b.length;
      }
    }
    this.wake();
  }

  fail(err: Error): void {
    this.failure ??= err;
    this.wake();
  }

  private complete(): boolean {
    for (let s = 0; s < 2; s++)
      for (let p = 0; p < this.n; p++) {
        const want = this.expected[s][p];
        if (want < 0 || this.received[s][p] < want) return false;
        if (this.received[s][p] > want) throw new Error(`shuffle: participant ${p} sent more rows than it counted`);
      }
    return true;
  }

  private bloomsIn(): boolean {
    return this.bloomOf.every((b) => b !== null);
  }

  /** Resolves once every participant's rows of both sides are in; rejects on failure or after timeoutMs. */
  wait(timeoutMs: number): Promise<void> {
    return this.until(() => this.complete(), timeoutMs);
  }

  /** Resolves with every participant's filter once all are in (as wait). */
  async blooms(timeoutMs: number): Promise<BloomState[]> {
    await this.until(() => this.bloomsIn(), timeoutMs);
    return this.bloomOf as BloomState[];
  }

  private async until(done: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.failure !== null) throw this.failure;
      if (done()) return;
      const left = deadline - Date.now();
      if (left <= 0) throw Object.assign(new Error('shuffle: timed out waiting for rows'), { retryable: true });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}

/** One node's inboxes, by job id. */
export class ShuffleInboxes {
  private readonly open = new Map<string, Inbox>();
  /** Jobs over on this node, with when: their late rows are dropped. */
  private readonly over = new Map<string, number>();
  readonly stats: ShuffleNodeStats = { jobs: 0, rowsSent: 0, rowsKept: 0, messages: 0, bytes: 0, failed: 0, fetched: 0, otherGeneration: 0, movedRows: 0, movedBytes: 0 };

  /** The inbox of a job this node runs now (opened by early rows, or here). */
  claim(id: string, n: number): Inbox {
    this.sweep();
    const box = this.inbox(id, n);
    if (box === null) throw new Error(`shuffle ${id} is already over on this node`);
    box.claimed = true;
    this.stats.jobs++;
    return box;
  }

  /** The job is over here: its inbox is dropped, later rows for it ignored. */
  close(id: string, err?: Error): void {
    const box = this.open.get(id);
    if (err !== undefined) box?.fail(err);
    this.open.delete(id);
    this.over.set(id, Date.now());
  }

  receive(m: ShuffleMessage): void {
    this.inbox(m.id, m.n)?.add(m);
  }

  private inbox(id: string, n: number): Inbox | null {
    if (this.over.has(id)) return null;
    let box = this.open.get(id);
    if (box === undefined) this.open.set(id, (box = new Inbox(n)));
    return box;
  }

  private sweep(): void {
    const old = Date.now() - ORPHAN_MS;
    for (const [id, box] of this.open) if (!box.claimed && box.opened < old) this.close(id);
    for (const [id, at] of this.over) if (at < old) this.over.delete(id);
  }
}

const byNode = new WeakMap<RequestHandlers, ShuffleInboxes>();

/**
 * The inboxes of the node whose interconnect is `handlers` (one per node: its coordinator and its
 * participant role share them), registering the row and abort messages on first use.
 */
export function shuffleInboxes(handlers: RequestHandlers): ShuffleInboxes {
  let inboxes = byNode.get(handlers);
  if (inboxes !== undefined) return inboxes;
  const made = new ShuffleInboxes();
  byNode.set(handlers, made);
  handlers.handle(MessageType.shuffleRows, (_from, payload) => {
    made.receive(v8.deserialize(payload) as ShuffleMessage);
    return new Uint8Array(0);
  });
  handlers.handle(MessageType.shuffleAbort, (_from, payload) => {
    made.close(payload.toString('utf8'), new Error('shuffle aborted by its coordinator'));
    return new Uint8Array(0);
  });
  return made;
}
