// A follower ends the sessions it relays to a node that is no longer the leader (RelayedSession.abandon(),
// called by cluster-serve.ts when another leader is elected): a paused or cut-off old leader never
// closes them itself. The client gets FATAL 57P01 and the connection closes; the upstream is dropped.
import { expect } from 'chai';
import { AddressInfo, Server, Socket, connect, createServer } from 'net';
import { serialize } from 'pg-protocol';
import { RelayedSession, proxyClient } from '../../../src/cluster/client-proxy';

const startupPacket = serialize.startup({ user: 'postgres', database: 'postgres' });

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

describe('cluster client proxy: abandoning a relay to a node that is no longer the leader', function () {
  this.timeout(10000);
  const servers: Server[] = [];
  after(() => {
    for (const s of servers) s.close();
  });

  it('sends the client FATAL 57P01 and closes both sides, though the old leader never answered', async () => {
    // The "paused leader": takes the connection and the startup packet, never answers.
    let startupBytes = 0;
    const upstreamClosed = new Promise<void>((resolve) => {
      const silent = createServer((s: Socket) => {
        s.on('error', () => undefined);
        s.on('data', (d: Buffer) => (startupBytes += d.length));
        s.on('close', () => resolve());
      });
      servers.push(silent);
    });
    const upPort = await listen(servers[0]);
    let relay: RelayedSession | null = null;
    const proxy = createServer((socket) => (relay = proxyClient(socket, () => ({ host: '127.0.0.1', port: upPort }))));
    servers.push(proxy);
    const proxyPort = await listen(proxy);
    const client = connect({ host: '127.0.0.1', port: proxyPort });
    let received = Buffer.alloc(0);
    client.on('data', (d: Buffer) => (received = Buffer.concat([received, d])));
    const clientClosed = new Promise<void>((resolve) => client.on('close', () => resolve()));
    client.write(startupPacket);
    const deadline = Date.now() + 5000;
    while (startupBytes < startupPacket.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect((relay as RelayedSession | null)?.target()).to.deep.equal({ host: '127.0.0.1', port: upPort });
    relay!.abandon();
    await clientClosed;
    await upstreamClosed;
    expect(String.fromCharCode(received[0])).to.equal('E');
    const text = received.toString('utf8');
    expect(text).to.contain('C57P01');
    expect(text).to.contain('reconnect and retry');
  });
});
