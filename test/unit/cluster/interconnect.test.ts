// The interconnect between three nodes in one process, on free loopback ports: requests and answers,
// one-way messages in order per destination, coalescing (fewer socket writes than messages under a
// burst; one write per message with batching off), handler errors reaching the requester, timeouts and
// link loss as retryable errors, reconnection, suspicion of a closed peer and trust once it is back.
import { expect } from 'chai';
import { Interconnect, InterconnectError, InterconnectOptions, RemoteError } from '../../../src/cluster/interconnect';
import type { NodeInfo } from '../../../src/cluster/cluster-types';
import { freePort } from '../../helpers/test-server';
import * as net from 'net';
import { FrameKind, encodeFrame } from '../../../src/cluster/frame';
import { PROTOCOL_VERSION, helloFrame } from '../../../src/cluster/peer-link';

const ECHO = 1;
const SLOW = 2;
const FAIL = 3;
const NEVER = 4;
const NOTE = 10;

async function nodes(n: number): Promise<NodeInfo[]> {
  const out: NodeInfo[] = [];
  for (let id = 1; id <= n; id++) out.push({ id, host: '127.0.0.1', interconnectPort: await freePort(), clientPort: 0 });
  return out;
}

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const start = performance.now();
  while (!cond()) {
    if (performance.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return performance.now() - start;
}

describe('cluster interconnect', function () {
  this.timeout(20000);
  let infos: NodeInfo[];
  let ics: Interconnect[] = [];
  const notes: { at: number; from: number; seq: number }[] = [];

  function make(info: NodeInfo, extra: Partial<InterconnectOptions> = {}): Interconnect {
    const ic = new Interconnect({ self: info, peers: infos, heartbeatIntervalMs: 20, acceptablePauseMs: 200, reconnectMinMs: 20, reconnectMaxMs: 100, ...extra });
    ic.handle(ECHO, (_from, p) => p);
    ic.handle(SLOW, async (from, p) => {
      await new Promise((r) => setTimeout(r, 5));
      return Buffer.concat([Buffer.from(`from ${from}:`), p]);
    });
    ic.handle(FAIL, () => {
      throw Object.assign(new Error('disk on fire'), { code: '58030' });
    });
    ic.handle(NEVER, () => new Promise<Uint8Array>(() => undefined));
    ic.on(NOTE, (from, p) => notes.push({ at: info.id, from, seq: p.readUInt32LE(0) }));
    return ic;
  }

  before(async () => {
    infos = await nodes(3);
    ics = infos.map((i) => make(i));
    await Promise.all(ics.map((ic) => ic.listen()));
    await Promise.all(ics.map((ic) => ic.waitConnected()));
  });

  after(async () => {
    await Promise.all(ics.map((ic) => ic.close()));
  });

  it('answers requests in both directions of every pair, and a request to itself', async () => {
    for (const a of ics)
      for (const b of infos) {
        const answer = await a.request(b.id, SLOW, Buffer.from('x'));
        expect(answer.toString()).to.equal(`from ${a.self.id}:x`);
      }
  });

  it('carries a handler error to the requester with its message and code', async () => {
    const err = await ics[0].request(2, FAIL, Buffer.alloc(0)).then(
      () => null,
      (e) => e,
    );
    expect(err).to.be.instanceOf(RemoteError);
    expect(err.message).to.equal('disk on fire');
    expect(err.code).to.equal('58030');
    expect(err.peer).to.equal(2);
    const none = await ics[0].request(3, 999, Buffer.alloc(0)).catch((e) => e);
    expect(none.message).to.equal('node 3 has no handler for request type 999');
  });

  it('delivers one-way messages in order per destination', async () => {
    notes.length = 0;
    const n = 2000;
    for (let seq = 0; seq < n; seq++) {
      const p = Buffer.allocUnsafe(4);
      p.writeUInt32LE(seq, 0);
      ics[0].send(2, NOTE, p);
      ics[0].send(3, NOTE, p);
      ics[2].send(2, NOTE, p);
    }
    await until(() => notes.length === 3 * n, 5000, 'all notes');
    for (const [at, from] of [
      [2, 1],
      [3, 1],
      [2, 3],
    ]) {
      const seqs = notes.filter((x) => x.at === at && x.from === from).map((x) => x.seq);
      expect(seqs.length).to.equal(n);
      expect(seqs.every((s, i) => s === i), `order ${from}→${at}`).to.equal(true);
    }
  });

  it('coalesces a burst into far fewer socket writes than messages, at most maxBatch per write', async () => {
    const before = ics[0].stats().peers.find((p) => p.peer === 2)!;
    const burst = [];
    for (let i = 0; i < 1000; i++) burst.push(ics[0].request(2, ECHO, Buffer.alloc(64, i)));
    const answers = await Promise.all(burst);
    expect(answers.every((a, i) => a.length === 64 && a[0] === (i & 255))).to.equal(true);
    const after = ics[0].stats().peers.find((p) => p.peer === 2)!;
    const messages = after.messagesSent - before.messagesSent;
    const batches = after.batches - before.batches;
    expect(messages).to.equal(1000);
    expect(batches).to.be.at.least(10).and.at.most(12); // 1000 queued at once: flushed every 100
    // The answers came back coalesced as well.
    const p2 = ics[1].stats().peers.find((p) => p.peer === 1)!;
    expect(p2.avgBatch).to.be.greaterThan(5);
    expect(after.p50Ms).to.be.a('number');
    expect(after.p99Ms!).to.be.at.least(after.p50Ms!);
    expect(ics[0].stats().total.messagesSent).to.be.at.least(messages);
  });

  it('writes every message at once with batching off', async () => {
    const ports = await nodes(2);
    const a = new Interconnect({ self: ports[0], peers: ports, batching: false });
    const b = new Interconnect({ self: ports[1], peers: ports, batching: false });
    b.handle(ECHO, (_f, p) => p);
    try {
      await Promise.all([a.listen(), b.listen()]);
      await a.waitConnected();
      await b.waitConnected();
      const before = a.stats().peers[0];
      await Promise.all(Array.from({ length: 200 }, () => a.request(2, ECHO, Buffer.alloc(64))));
      const after = a.stats().peers[0];
      expect(after.messagesSent - before.messagesSent).to.equal(200);
      expect(after.batches - before.batches).to.equal(200);
      expect(b.stats().peers[0].avgBatch).to.equal(1);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('holds messages for the batching window while heartbeats go out at once', async () => {
    const ports = await nodes(2);
    const opts = { peers: ports, batchWindowMs: 600, maxBatch: 1000, heartbeatIntervalMs: 20, acceptablePauseMs: 100 };
    const a = new Interconnect({ self: ports[0], ...opts });
    const b = new Interconnect({ self: ports[1], ...opts });
    const got: number[] = [];
    b.on(NOTE, () => got.push(performance.now()));
    try {
      await Promise.all([a.listen(), b.listen()]);
      await a.waitConnected();
      await b.waitConnected();
      const sentAt = performance.now();
      a.send(2, NOTE, Buffer.alloc(4));
      const beatsBefore = b.stats().peers[0].heartbeatsReceived;
      await new Promise((r) => setTimeout(r, 300));
      // Half the window gone: the message waits, the heartbeats did not.
      expect(got).to.deep.equal([]);
      expect(b.stats().peers[0].heartbeatsReceived - beatsBefore).to.be.at.least(5);
      expect(b.suspected()).to.deep.equal([]);
      await until(() => got.length === 1, 3000, 'the batched message');
      expect(got[0] - sentAt).to.be.at.least(590);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('fails a request past its timeout with a retryable error', async () => {
    const start = performance.now();
    const err = await ics[1].request(3, NEVER, Buffer.alloc(0), 150).catch((e) => e);
    const ms = performance.now() - start;
    expect(err).to.be.instanceOf(InterconnectError);
    expect(err.retryable).to.equal(true);
    expect(err.message).to.match(/request of type 4 to node 3 timed out after 150 ms/);
    expect(ms).to.be.within(140, 1000);
  });

  it('fails requests in flight with a retryable error when the link drops, then reconnects', async () => {
    const connectsBefore = ics[0].stats().peers.find((p) => p.peer === 3)!.connects;
    const inFlight = ics[0].request(3, NEVER, Buffer.alloc(0), 10000);
    await new Promise((r) => setTimeout(r, 20));
    ics[2].disconnect(1); // the acceptor side cuts it: the dialer sees the loss and redials
    const err = await inFlight.catch((e) => e);
    expect(err).to.be.instanceOf(InterconnectError);
    expect(err.retryable).to.equal(true);
    expect(err.message).to.match(/link to node 3 lost/);
    await until(() => ics[0].stats().peers.find((p) => p.peer === 3)!.connects > connectsBefore && ics[0].isConnected(3) && ics[2].isConnected(1), 3000, 'reconnect');
    expect((await ics[0].request(3, ECHO, Buffer.from('again'))).toString()).to.equal('again');
  });

  it('closes connections that do not start with a valid hello, and keeps serving', async () => {
    const closedAfter = (bytes: Buffer) =>
      new Promise<boolean>((resolve) => {
        const s = net.connect({ host: '127.0.0.1', port: infos[2].interconnectPort }, () => s.write(bytes));
        s.on('error', () => undefined);
        s.on('close', () => resolve(true));
        setTimeout(() => {
          s.destroy();
          resolve(false);
        }, 2000);
      });
    const huge = Buffer.alloc(11);
    huge.writeUInt32LE(0xffffffff, 0);
    expect(await closedAfter(huge)).to.equal(true); // length past the bound
    expect(await closedAfter(encodeFrame(FrameKind.message, 1, 0, Buffer.alloc(3)))).to.equal(true); // not a hello
    expect(await closedAfter(helloFrame(99))).to.equal(true); // not a member
    expect(await closedAfter(helloFrame(3))).to.equal(true); // node 3 itself: only lower ids dial node 3
    expect((await ics[0].request(3, ECHO, Buffer.from('still'))).toString()).to.equal('still');
    expect((await ics[1].request(3, ECHO, Buffer.from('here'))).toString()).to.equal('here');
  });

  it('does not link nodes of different protocol versions, and both say why', async () => {
    const pair = await nodes(2);
    const logs: string[][] = [[], []];
    const older = new Interconnect({ self: pair[0], peers: pair, heartbeatIntervalMs: 20, reconnectMinMs: 20, reconnectMaxMs: 50, protocolVersion: PROTOCOL_VERSION - 1, log: (l) => logs[0].push(l) });
    const newer = new Interconnect({ self: pair[1], peers: pair, heartbeatIntervalMs: 20, reconnectMinMs: 20, reconnectMaxMs: 50, log: (l) => logs[1].push(l) });
    try {
      await Promise.all([older.listen(), newer.listen()]);
      await until(() => logs[0].length > 0 && logs[1].length > 0, 5000, 'both nodes to report the other version');
      // Retries (the dialer reconnects) are not reported again.
      await new Promise((r) => setTimeout(r, 200));
      expect(older.isConnected(2) && newer.isConnected(1)).to.equal(false);
      expect(logs[0]).to.deep.equal([`interconnect: node 2 speaks interconnect protocol ${PROTOCOL_VERSION}, this node ${PROTOCOL_VERSION - 1}: not linked (every node of a cluster must run the same version of Tessera)`]);
      expect(logs[1]).to.deep.equal([`interconnect: node 1 speaks interconnect protocol ${PROTOCOL_VERSION - 1}, this node ${PROTOCOL_VERSION}: not linked (every node of a cluster must run the same version of Tessera)`]);
      let refused: unknown = null;
      await older.request(2, ECHO, Buffer.from('x'), 200).catch((err) => (refused = err));
      expect(refused).to.be.instanceOf(InterconnectError);
    } finally {
      await older.close();
      await newer.close();
    }
  });

  it('does not blame the peers for a stall of its own event loop', async () => {
    const events: string[] = [];
    ics[0].onSuspicion((peer, s) => events.push(`${peer}:${s}`));
    await new Promise((r) => setTimeout(r, 50));
    const until = performance.now() + 600; // all three nodes live in this process: all stall
    while (performance.now() < until) {
      // busy: no timers, no socket reads
    }
    await new Promise((r) => setTimeout(r, 150));
    expect(events).to.deep.equal([]);
    expect(ics[0].suspected()).to.deep.equal([]);
  });

  it('suspects a peer that stops heartbeating and trusts it again once it is back', async () => {
    const events: string[] = [];
    ics[0].onSuspicion((peer, s) => events.push(`${peer}:${s ? 'suspected' : 'trusted'}`));
    expect(ics[0].suspected()).to.deep.equal([]);
    await ics[2].close();
    const ms = await until(() => ics[0].suspected().includes(3) && ics[1].suspected().includes(3), 3000, 'suspicion of node 3');
    expect(ms).to.be.below(2000);
    expect(events).to.include('3:suspected');
    expect(ics[0].stats().peers.find((p) => p.peer === 3)!.suspected).to.equal(true);
    expect(ics[0].suspected()).to.deep.equal([3]);
    // Node 3 comes back on the same port (a restart): links re-form, heartbeats resume, trust returns.
    ics[2] = make(infos[2]);
    await ics[2].listen();
    await ics[2].waitConnected();
    await until(() => ics[0].suspected().length === 0 && ics[1].suspected().length === 0, 3000, 'trust of node 3');
    expect(events).to.include('3:trusted');
    // The outage is not a sample of node 3's rhythm: its history restarted with the new connection.
    // (Kept, it would hold every heartbeat ever received from node 3 plus the bootstrap's samples.)
    const received = ics[0].stats().peers.find((p) => p.peer === 3)!.heartbeatsReceived;
    expect(ics[0].heartbeatHistory(3)!.samples).to.be.below(received - 5);
    expect((await ics[2].request(1, ECHO, Buffer.from('back'))).toString()).to.equal('back');
  });

  it('closes links to peers removed from the membership and fails their requests', async () => {
    const pending = ics[0].request(2, NEVER, Buffer.alloc(0), 10000);
    ics[0].setPeers(infos.filter((i) => i.id !== 2));
    const err = await pending.catch((e) => e);
    expect(err).to.be.instanceOf(InterconnectError);
    expect(err.message).to.match(/node 2 left the cluster/);
    expect(ics[0].peerIds()).to.deep.equal([3]);
    const unknown = await ics[0].request(2, ECHO, Buffer.alloc(0)).catch((e) => e);
    expect(unknown.message).to.equal('node 2 is not a member of the cluster');
    ics[0].setPeers(infos);
    await ics[0].waitConnected();
    expect((await ics[0].request(2, ECHO, Buffer.from('hi'))).toString()).to.equal('hi');
  });
});
