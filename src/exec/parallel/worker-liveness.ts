// Whether a parallel worker thread still runs, answered synchronously.
//
// A worker that dies (process.exit, an uncaught exception, running out of heap) is reported by the
// Worker's 'exit' and 'error' events, but those reach the main thread only through its event loop,
// and the parallel filtered scan and the partitioned join build wait for their workers
// synchronously (Atomics.wait): a worker that died mid-task would leave them waiting for ever. So
// the waits also ask here, once per wait slice:
// - the worker raises a shared flag from its own process 'exit' handler (process.exit and uncaught
//   exceptions run it);
// - a worker stopped without running any JavaScript (the heap limit, terminate()) is seen through
//   the loop-idle-time query that Worker.performance.eventLoopUtilization() makes of the worker's
//   native handle: it answers -1 once the thread has stopped. That query is reached directly
//   because the public method answers zeros until the main thread's event loop has seen the worker
//   come online, which a fresh worker leased by a synchronous wait never has. Should a Node version
//   lack it, only this second signal is lost (the 'exit' event still fails an asynchronous fragment).
import { Worker } from 'node:worker_threads';

/** Slots of the Int32Array a worker shares with the pool. */
export const LIVENESS_STARTED = 0;
export const LIVENESS_EXITED = 1;
export const LIVENESS_SLOTS = 2;

/** Called by the worker when its script starts: marks it started, and raises the exit flag when it exits. */
export function watchOwnExit(state: Int32Array): void {
  Atomics.store(state, LIVENESS_STARTED, 1);
  process.on('exit', () => Atomics.store(state, LIVENESS_EXITED, 1));
}

type NativeHandle = { loopIdleTime?: () => number };

function nativeHandle(w: Worker): NativeHandle | null {
  const key = Object.getOwnPropertySymbols(w).find((s) => s.description === 'kHandle');
  const h = key === undefined ? null : ((w as unknown as Record<symbol, unknown>)[key] as NativeHandle | null);
  return h !== null && typeof h === 'object' && typeof h.loopIdleTime === 'function' ? h : null;
}

/** True once the worker thread has stopped (see above); false while it runs or has not started yet. */
export function workerStopped(w: Worker, state: Int32Array): boolean {
  if (Atomics.load(state, LIVENESS_EXITED) !== 0) return true;
  // Before the script started the native handle answers -1 too (no environment yet).
  if (Atomics.load(state, LIVENESS_STARTED) === 0) return false;
  const h = nativeHandle(w);
  try {
    return h !== null && h.loopIdleTime!() === -1;
  } catch {
    // The handle is gone: the main thread already processed the exit.
    return true;
  }
}
