// tessera_interconnect_stats() through the wire protocol: no rows without a cluster; with the
// cluster layer's provider attached, one row per peer with the interconnect's counters; detaching
// empties it again; arguments are refused with 42883.
import { expect } from 'chai';
import { Client } from 'pg';
import { EmbeddedDatabase } from '../../../src/embedded/embedded-database';
import { Interconnect } from '../../../src/cluster/interconnect';
import { provideInterconnectStats } from '../../../src/cluster/interconnect-stats-view';
import type { NodeInfo } from '../../../src/cluster/cluster-types';
import { freePort } from '../../helpers/test-server';

describe('tessera_interconnect_stats()', function () {
  this.timeout(20000);
  let db: EmbeddedDatabase;
  let server: { port: number; close(): Promise<void> };
  let client: Client;
  let ics: Interconnect[] = [];

  before(async () => {
    db = await EmbeddedDatabase.open(':memory:');
    server = await db.listen(0);
    client = new Client({ host: '127.0.0.1', port: server.port, user: 'postgres', database: 'postgres' });
    await client.connect();
  });

  after(async () => {
    await client.end();
    await server.close();
    await Promise.all(ics.map((ic) => ic.close()));
    await db.close();
  });

  it('returns no rows on a node without a cluster', async () => {
    const r = await client.query('SELECT * FROM tessera_interconnect_stats()');
    expect(r.rows).to.deep.equal([]);
    expect(r.fields.map((f) => f.name)).to.deep.equal(['peer_id', 'messages_sent', 'messages_received', 'batches', 'avg_batch', 'bytes_sent', 'bytes_received', 'p50_ms', 'p99_ms', 'suspected']);
  });

  it('reports one row per peer of the attached interconnect', async () => {
    const infos: NodeInfo[] = [];
    for (let id = 1; id <= 3; id++) infos.push({ id, host: '127.0.0.1', interconnectPort: await freePort(), clientPort: 0 });
    ics = infos.map((self) => new Interconnect({ self, peers: infos }));
    for (const ic of ics) ic.handle(1, (_f, p) => p);
    await Promise.all(ics.map((ic) => ic.listen()));
    await Promise.all(ics.map((ic) => ic.waitConnected()));
    const detach = provideInterconnectStats(db.database, ics[0]);
    await Promise.all(Array.from({ length: 50 }, () => ics[0].request(2, 1, Buffer.alloc(100))));
    const r = await client.query('SELECT peer_id, messages_sent, messages_received, batches, avg_batch, bytes_sent >= 50 * 111 AS bytes_ok, p50_ms > 0 AS p50_ok, p99_ms >= p50_ms AS p99_ok, suspected FROM tessera_interconnect_stats() ORDER BY peer_id');
    expect(r.rows.length).to.equal(2);
    const [to2, to3] = r.rows;
    expect(to2.peer_id).to.equal(2);
    expect(Number(to2.messages_sent)).to.equal(50);
    expect(Number(to2.messages_received)).to.equal(50);
    expect(Number(to2.batches)).to.equal(1); // 50 requests queued at once: one write
    expect(to2.avg_batch).to.equal(50);
    expect([to2.bytes_ok, to2.p50_ok, to2.p99_ok, to2.suspected]).to.deep.equal([true, true, true, false]);
    expect(to3.peer_id).to.equal(3);
    expect(Number(to3.messages_sent)).to.equal(0);
    expect(to3.avg_batch).to.equal(null);
    detach();
    expect((await client.query('SELECT count(*)::int AS n FROM tessera_interconnect_stats()')).rows[0].n).to.equal(0);
  });

  it('refuses arguments with 42883', async () => {
    const err = await client.query('SELECT * FROM tessera_interconnect_stats(1)').catch((e) => e);
    expect(err.code).to.equal('42883');
    expect(err.message).to.equal('function tessera_interconnect_stats with 1 argument(s) does not exist');
  });
});
