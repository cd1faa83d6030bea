// Renews a node's etcd lease from a worker thread.
//
// A node's main thread runs everything else too: a commit of a 60 M-row COPY, ANALYZE, the serial
// parts of a big query can keep its event loop busy for seconds. When the keep-alives came from
// that loop, a leader busy for longer than etcd_lease_ttl lost its lease and stepped down, failing
// the very work that kept it busy (TPC-H SF 1 through a cluster: ANALYZE after the load kept the
// loop busy 6 s; every later statement then failed over). The worker keeps renewing while the
// main thread's loop has turned within its allowance: for a leader `leader_stall_limit` (a busy
// leader is not a dead one), for a follower barely more than the keep-alive interval, since a
// leader's commits wait for every in-sync follower and a stalled follower must drop out as before.
// A paused process (SIGSTOP) stops the worker too, so pauses are fenced as before.
//
// The main thread still decides: membership.ts reads the send time of the latest keep-alive etcd
// answered from the shared memory and keeps its own deadline, fence timer and epoch checks.
import * as path from 'path';
import { Worker } from 'worker_threads';
import { FIRST_LEASE_SLOT, LEASE_SLOTS, RenewerCommand, RenewerEvent, SHARED_SLOTS, SLOT_ALLOWANCE, SLOT_MAIN_TICK, SLOT_SUSPENDED } from './lease-renewal-memory';
import { monotonicMs } from './monotonic-clock';

export interface LeaseRenewerOptions {
  endpoint: string;
  intervalMs: number;
  requestTimeoutMs: number;
}

/** How often the main thread marks its loop as turning. */
const TICK_MS = 100;

export class LeaseRenewer {
  private readonly slots = new Float64Array(new SharedArrayBuffer(SHARED_SLOTS * 8));
  private readonly worker: Worker;
  private readonly ticker: NodeJS.Timeout;
  private slot = -1;
  private grantedAt = 0;
  private lease = '';
  /** False once the thread died or was closed: make a new renewer. */
  alive = true;
  /** A follower's: a missed keep-alive or two, as when the main thread sent them. */
  private readonly followerAllowanceMs: number;

  constructor(options: LeaseRenewerOptions, onEvent: (event: RenewerEvent) => void) {
    this.followerAllowanceMs = 2 * options.intervalMs + TICK_MS;
    this.slots[SLOT_MAIN_TICK] = monotonicMs();
    this.slots[SLOT_ALLOWANCE] = this.followerAllowanceMs;
    this.worker = new Worker(path.join(__dirname, 'lease-renewal-worker.js'), {
      workerData: { endpoint: options.endpoint, intervalMs: options.intervalMs, timeoutMs: options.requestTimeoutMs, shared: this.slots.buffer },
    });
    this.worker.on('message', onEvent);
    // A thread that died renews nothing: the lease lapses and the node is fenced; its next lease gets a new thread.
    this.worker.on('error', (err) => {
      this.alive = false;
      onEvent({ kind: 'error', lease: this.lease, message: `lease renewal thread failed: ${err.message}` });
    });
    this.worker.on('exit', () => (this.alive = false));
    // Neither keeps the process alive: the membership's own timers decide that.
    this.worker.unref();
    this.ticker = setInterval(() => {
      this.slots[SLOT_MAIN_TICK] = monotonicMs();
    }, TICK_MS);
    this.ticker.unref();
  }

  /** Renews `lease`, granted by a request sent at `grantedAt` (monotonicMs), from now on. */
  start(lease: string, grantedAt: number, ttlMs: number, marginMs: number): void {
    this.slot++;
    this.grantedAt = grantedAt;
    this.lease = lease;
    this.slots[SLOT_MAIN_TICK] = monotonicMs();
    this.send({ kind: 'start', lease, slot: this.slot, renewedAt: grantedAt, ttlMs, marginMs });
  }

  stop(): void {
    this.grantedAt = 0;
    this.lease = '';
    this.send({ kind: 'stop' });
  }

  /** The send time (monotonicMs) of the latest keep-alive etcd answered for the lease, or its grant's. */
  renewedAt(): number {
    return this.slot < 0 ? 0 : Math.max(this.grantedAt, this.slots[FIRST_LEASE_SLOT + (this.slot % LEASE_SLOTS)]);
  }

  /** While leading, the main thread's loop may be busy for `stallLimitMs` (when longer than a follower's allowance). */
  setLeading(leading: boolean, stallLimitMs: number): void {
    this.slots[SLOT_ALLOWANCE] = leading ? Math.max(stallLimitMs, this.followerAllowanceMs) : this.followerAllowanceMs;
  }

  /** Test hook (SIGSTOP): no keep-alives at all until resumed. */
  setSuspended(suspended: boolean): void {
    this.slots[SLOT_SUSPENDED] = suspended ? 1 : 0;
    if (!suspended) this.slots[SLOT_MAIN_TICK] = monotonicMs();
  }

  async close(): Promise<void> {
    clearInterval(this.ticker);
    await this.worker.terminate();
  }

  private send(cmd: RenewerCommand): void {
    this.worker.postMessage(cmd);
  }
}
