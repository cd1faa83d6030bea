// Logs every stretch over 200 ms in which a thread's event loop did not turn, to stderr:
//   NODE_OPTIONS="-r $PWD/dist/bench/cluster/stall-log.js" npm run cluster -- --nodes 3
// Preloaded, it runs in every thread of every node process (worker threads inherit -r), and says
// which thread stalled: 0 is the main thread, where a stall also holds back every session of the
// node. It found the 6 s ANALYZE after a TPC-H load that made a leader lose its etcd lease
// (cluster/lease-renewer.ts).
import { performance } from 'perf_hooks';
import { threadId } from 'worker_threads';

const TICK_MS = 50;
const REPORT_MS = 200;
let last = performance.now();
const timer = setInterval(() => {
  const now = performance.now();
  const stalled = now - last - TICK_MS;
  if (stalled > REPORT_MS) process.stderr.write(`[stall pid ${process.pid} thread ${threadId}] ${stalled.toFixed(0)} ms, ended ${new Date().toISOString()}\n`);
  last = now;
}, TICK_MS);
timer.unref();
