// In-process stand-ins for cluster tests: a network of nodes whose requests run each other's handlers
// (one can be cut off), and a bounded wait for a condition.
import type { RequestHandlers, RequestTransport } from '../../src/cluster/replication';

type Handler = (from: number, payload: Buffer) => Uint8Array | Promise<Uint8Array>;

/** Nodes by id; a request runs the target's handler on a later turn, unless either end is cut off. */
export class FakeNet {
  readonly handlers = new Map<number, Map<number, Handler>>();
  readonly cut = new Set<number>();
  requests = 0;
  node(id: number): RequestHandlers & RequestTransport {
    const net = this;
    return {
      handle(type, handler) {
        let byType = net.handlers.get(id);
        if (byType === undefined) net.handlers.set(id, (byType = new Map()));
        byType.set(type, handler);
      },
      async request(to, type, payload) {
        net.requests++;
        await new Promise((r) => setImmediate(r));
        if (net.cut.has(to) || net.cut.has(id)) throw Object.assign(new Error(`node ${to} unreachable`), { retryable: true });
        const h = net.handlers.get(to)?.get(type);
        if (h === undefined) throw new Error(`node ${to} has no handler for ${type}`);
        const out = await h(id, Buffer.from(payload));
        if (net.cut.has(to) || net.cut.has(id)) throw Object.assign(new Error(`node ${to} unreachable`), { retryable: true });
        return Buffer.from(out);
      },
    };
  }
}

/** Resolves once `cond()` holds; throws after `ms`. Polls every `pollMs`. */
export async function until(cond: () => boolean, ms = 3000, pollMs = 5): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
