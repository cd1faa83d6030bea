// A message larger than the interconnect's send-queue limit (a replicated batch of a big COPY: SF 1's
// lineitem is one ~150 MB batch, the default limit 64 MiB) must still be sent when little else is
// queued; before, every attempt was refused as "send queue full" and the commit waited forever.
// Answers are never refused for a full backlog: a burst of chunk fetches whose answers together pass
// the limit (TPC-H SF 10 through a follower) lost all but the first and waited out their timeouts.
import { expect } from 'chai';
import { Interconnect, InterconnectError } from '../../../src/cluster/interconnect';
import type { NodeInfo } from '../../../src/cluster/cluster-types';
import { freePort } from '../../helpers/test-server';

const ECHO = 1;
const BIG_ANSWER = 2;
const LIMIT = 1024 * 1024;

describe('cluster interconnect: messages larger than the send-queue limit', function () {
  this.timeout(20000);
  let ics: Interconnect[] = [];

  before(async () => {
    const infos: NodeInfo[] = [];
    for (let id = 1; id <= 2; id++) infos.push({ id, host: '127.0.0.1', interconnectPort: await freePort(), clientPort: 0 });
    ics = infos.map((self) => new Interconnect({ self, peers: infos, heartbeatIntervalMs: 20, acceptablePauseMs: 200, maxQueuedBytes: LIMIT }));
    for (const ic of ics) ic.handle(ECHO, (_from, p) => Buffer.from(String(p.length)));
    // An answer of 3/4 of the limit, filled with the request's first byte.
    for (const ic of ics) ic.handle(BIG_ANSWER, (_from, p) => Buffer.alloc((3 * LIMIT) / 4, p[0]));
    await Promise.all(ics.map((ic) => ic.listen()));
    await Promise.all(ics.map((ic) => ic.waitConnected()));
  });

  after(async () => {
    await Promise.all(ics.map((ic) => ic.close()));
  });

  it('sends one message of 3× the limit when the queue is empty', async () => {
    const answer = await ics[0].request(2, ECHO, Buffer.alloc(3 * LIMIT, 7));
    expect(answer.toString()).to.equal(String(3 * LIMIT));
  });

  it('still refuses messages that would push a full backlog past the limit', async () => {
    // Issued in one go, before the socket drains: the backlog grows past the limit.
    const sent: Promise<Buffer>[] = [];
    for (let i = 0; i < 8; i++) sent.push(ics[0].request(2, ECHO, Buffer.alloc(LIMIT / 2)));
    const results = await Promise.allSettled(sent);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason);
    expect(refused.length).to.be.greaterThan(0);
    expect(refused[0]).to.be.instanceOf(InterconnectError);
    expect((refused[0] as Error).message).to.match(/send queue to node 2 is full/);
  });

  it('sends every answer of a burst whose answers together pass the limit', async () => {
    // Requests issued in one go reach node 2 in one read, so their answers queue up together.
    const asked: Promise<Buffer>[] = [];
    for (let i = 0; i < 8; i++) asked.push(ics[0].request(2, BIG_ANSWER, Buffer.from([i]), 3000));
    const answers = await Promise.all(asked);
    answers.forEach((a, i) => {
      expect(a.length).to.equal((3 * LIMIT) / 4);
      expect(a[0]).to.equal(i);
      expect(a[a.length - 1]).to.equal(i);
    });
  });
});
