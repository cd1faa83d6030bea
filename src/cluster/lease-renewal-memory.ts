// The memory the main thread and the lease-renewal worker share (lease-renewer.ts): one Float64 per
// slot, each written by one side only (an aligned 8-byte store, read whole by the other).
export const SLOT_MAIN_TICK = 0; // main: monotonicMs() at its event loop's latest turn
export const SLOT_ALLOWANCE = 1; // main: how long its loop may be busy while the lease is still renewed
export const SLOT_SUSPENDED = 2; // main: 1 while a test simulates SIGSTOP (no keep-alives at all)
/** Lease slots (worker: the send time of the latest keep-alive etcd answered for that lease), a ring. */
export const FIRST_LEASE_SLOT = 3;
export const LEASE_SLOTS = 256;
export const SHARED_SLOTS = FIRST_LEASE_SLOT + LEASE_SLOTS;

/** Main → worker. */
export type RenewerCommand =
  | { kind: 'start'; lease: string; slot: number; renewedAt: number; ttlMs: number; marginMs: number }
  | { kind: 'stop' };

/** Worker → main: etcd says the lease is gone, a keep-alive came back too late to count, or one failed. */
export type RenewerEvent = { kind: 'gone'; lease: string } | { kind: 'late'; lease: string } | { kind: 'error'; lease: string; message: string };
