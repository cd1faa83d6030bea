// The worker thread that sends a node's etcd keep-alives (see lease-renewer.ts for why).
import { parentPort, workerData } from 'worker_threads';
import { EtcdClient } from './etcd-client';
import { FIRST_LEASE_SLOT, LEASE_SLOTS, RenewerCommand, RenewerEvent, SLOT_ALLOWANCE, SLOT_MAIN_TICK, SLOT_SUSPENDED } from './lease-renewal-memory';
import { monotonicMs } from './monotonic-clock';

const { endpoint, intervalMs, timeoutMs, shared } = workerData as { endpoint: string; intervalMs: number; timeoutMs: number; shared: SharedArrayBuffer };
const slots = new Float64Array(shared);
const client = new EtcdClient(endpoint, { timeoutMs });
let current: { lease: string; slot: number; renewedAt: number; ttlMs: number; marginMs: number } | null = null;
let inFlight = false;

function post(event: RenewerEvent): void {
  parentPort!.postMessage(event);
}

function tick(): void {
  const lease = current;
  if (lease === null || inFlight || slots[SLOT_SUSPENDED] === 1) return;
  const sentAt = monotonicMs();
  // A main thread busy for longer than it allows is left to lose its lease, as if it were dead.
  if (sentAt - slots[SLOT_MAIN_TICK] > slots[SLOT_ALLOWANCE]) return;
  inFlight = true;
  client
    .leaseKeepAlive(lease.lease)
    .then((ttl) => {
      if (current !== lease) return;
      if (ttl <= 0) {
        current = null;
        post({ kind: 'gone', lease: lease.lease });
        return;
      }
      // Only an answer received before the deadline extends it (membership.ts): once the deadline
      // passed, the main thread may have counted the lease lost and acted on it.
      if (monotonicMs() >= lease.renewedAt + lease.ttlMs - lease.marginMs) {
        current = null;
        post({ kind: 'late', lease: lease.lease });
        return;
      }
      lease.renewedAt = Math.max(lease.renewedAt, sentAt);
      slots[FIRST_LEASE_SLOT + (lease.slot % LEASE_SLOTS)] = lease.renewedAt;
    })
    .catch((err: Error) => {
      if (current === lease) post({ kind: 'error', lease: lease.lease, message: err.message });
    })
    .finally(() => {
      inFlight = false;
    });
}

parentPort!.on('message', (cmd: RenewerCommand) => {
  if (cmd.kind === 'start') {
    current = { lease: cmd.lease, slot: cmd.slot, renewedAt: cmd.renewedAt, ttlMs: cmd.ttlMs, marginMs: cmd.marginMs };
    tick();
  } else current = null;
});
setInterval(tick, intervalMs);
