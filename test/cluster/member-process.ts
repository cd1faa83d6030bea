// A process that runs one Membership and reports on stdout, one JSON object per line, for the test
// that stops it with SIGSTOP: its views, fencing, and every 20 ms whether it would act as leader.
// Usage: node member-process.js <etcd endpoint> <cluster> <node id> <lease TTL s>
import { Membership } from '../../src/cluster/membership';

const [endpoint, cluster, idText, ttlText] = process.argv.slice(2);
const id = Number(idText);
const say = (o: object) => process.stdout.write(JSON.stringify({ t: Date.now(), ...o }) + '\n');
const m = new Membership({
  endpoint,
  cluster,
  self: { id, host: '127.0.0.1', interconnectPort: 7000 + id, clientPort: 6000 + id },
  leaseTtlSeconds: Number(ttlText),
  keepAliveIntervalMs: 300,
});
m.on('view', (view) => say({ event: 'view', view, canServeWrites: m.canServeWrites() }));
m.on('fenced', (reason) => say({ event: 'fenced', reason }));
setInterval(() => say({ event: 'tick', leader: m.isLeader(), canServeWrites: m.canServeWrites() }), 20);
m.join().then(
  (view) => say({ event: 'joined', view }),
  (err) => {
    say({ event: 'error', message: String(err) });
    process.exit(1);
  },
);
process.on('SIGTERM', () => void m.leave().finally(() => process.exit(0)));
