// The etcd JSON-gateway client against a real etcd 3.4 on loopback.
import { expect } from 'chai';
import { EtcdClient, EtcdError, EtcdUnavailableError, WatchEvent } from '../../src/cluster/etcd-client';
import { freePort } from '../helpers/test-server';
import { startTestEtcd, TestEtcd, waitFor } from './etcd-helper';

describe('cluster: etcd client (JSON gateway)', function () {
  this.timeout(30_000);
  let etcd: TestEtcd;
  let client: EtcdClient;

  before(async () => {
    etcd = await startTestEtcd();
    client = new EtcdClient(etcd.endpoint);
  });
  after(async () => {
    client?.close();
    await etcd?.stop();
  });

  it('puts, gets, ranges a prefix and deletes', async () => {
    const rev = await client.put('/t/a/1', 'one');
    await client.put('/t/a/2', 'twö');
    await client.put('/t/b', 'other');
    const one = await client.get('/t/a/1');
    expect(one).to.include({ key: '/t/a/1', value: 'one', createRevision: rev, modRevision: rev, version: 1, lease: '0' });
    expect(await client.get('/t/missing')).to.equal(null);
    const r = await client.range('/t/a/');
    expect(r.kvs.map((kv) => [kv.key, kv.value])).to.deep.equal([['/t/a/1', 'one'], ['/t/a/2', 'twö']]);
    expect(r.revision).to.be.at.least(rev + 2);
    expect(await client.delete('/t/a/', true)).to.equal(2);
    expect((await client.range('/t/a/')).kvs).to.deep.equal([]);
    expect(await client.delete('/t/b')).to.equal(1);
  });

  it('txn: create-if-absent succeeds once; the failure branch reads the winner', async () => {
    const cmp = [{ key: '/t/lock', target: 'CREATE' as const, result: 'EQUAL' as const, value: 0 }];
    const first = await client.txn(cmp, [{ put: { key: '/t/lock', value: 'A' } }], [{ get: { key: '/t/lock' } }]);
    expect(first.succeeded).to.equal(true);
    expect(first.responses).to.deep.equal([{ kind: 'put' }]);
    const second = await client.txn(cmp, [{ put: { key: '/t/lock', value: 'B' } }], [{ get: { key: '/t/lock' } }]);
    expect(second.succeeded).to.equal(false);
    expect(second.responses[0].kind).to.equal('get');
    expect((second.responses[0] as any).kvs[0].value).to.equal('A');
    // Compare-and-swap on mod_revision: only the reader of the latest revision wins; absent keys compare as 0.
    const kv = (await client.get('/t/lock'))!;
    const stale = await client.txn([{ key: '/t/lock', target: 'MOD', result: 'EQUAL', value: kv.modRevision - 1 }], [{ delete: { key: '/t/lock' } }]);
    expect(stale.succeeded).to.equal(false);
    const fresh = await client.txn([{ key: '/t/lock', target: 'MOD', result: 'EQUAL', value: kv.modRevision }], [{ delete: { key: '/t/lock' } }]);
    expect(fresh.succeeded).to.equal(true);
    expect(fresh.responses).to.deep.equal([{ kind: 'delete', deleted: 1 }]);
    const absent = await client.txn([{ key: '/t/never', target: 'MOD', result: 'EQUAL', value: 0 }], []);
    expect(absent.succeeded).to.equal(true);
    const byValue = await client.txn([{ key: '/t/never', target: 'VALUE', result: 'EQUAL', value: 'x' }], []);
    expect(byValue.succeeded).to.equal(false);
  });

  it('leases: keys attached to a lease vanish on revoke; keep-alive reports 0 for a gone lease', async () => {
    const lease = await client.leaseGrant(5);
    expect(lease.ttl).to.equal(5);
    expect(lease.id).to.match(/^\d+$/);
    await client.put('/t/leased', 'x', lease.id);
    expect((await client.get('/t/leased'))!.lease).to.equal(lease.id);
    expect(await client.leaseKeepAlive(lease.id)).to.equal(5);
    await client.leaseRevoke(lease.id);
    expect(await client.get('/t/leased')).to.equal(null);
    expect(await client.leaseKeepAlive(lease.id)).to.equal(0);
    await client.leaseRevoke(lease.id); // already gone: not an error
  });

  it('leases expire by themselves after their TTL without keep-alives', async () => {
    const lease = await client.leaseGrant(1); // etcd raises it to its minimum (2 s)
    expect(lease.ttl).to.be.at.least(1);
    await client.put('/t/short', 'x', lease.id);
    const start = Date.now();
    for (;;) {
      if ((await client.get('/t/short')) === null) break;
      if (Date.now() - start > lease.ttl * 1000 + 3000) throw new Error('leased key outlived its TTL by 3 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(Date.now() - start).to.be.at.least(lease.ttl * 1000 - 600);
  });

  it('watch delivers puts and deletes in revision order from a start revision, and cancels', async () => {
    const base = await client.put('/w/before', '0');
    const seen: WatchEvent[] = [];
    const w = client.watch('/w/', base, { onEvents: (evs) => seen.push(...evs) });
    try {
      await client.put('/w/x', '1');
      await client.put('/other', 'not watched');
      await client.delete('/w/before');
      await waitFor(() => seen.length >= 3, 5000, () => `saw ${JSON.stringify(seen)}`);
      expect(seen.map((e) => [e.type, e.kv.key, e.kv.value])).to.deep.equal([
        ['PUT', '/w/before', '0'],
        ['PUT', '/w/x', '1'],
        ['DELETE', '/w/before', ''],
      ]);
      const revs = seen.map((e) => e.kv.modRevision);
      expect(revs).to.deep.equal([...revs].sort((a, b) => a - b));
    } finally {
      w.cancel();
    }
    const n = seen.length;
    await client.put('/w/after-cancel', '2');
    await new Promise((r) => setTimeout(r, 200));
    expect(seen.length).to.equal(n);
  });

  it('an unreachable etcd gives a retryable error naming the endpoint', async () => {
    const dead = new EtcdClient(`http://127.0.0.1:${await freePort()}`);
    try {
      const err = await dead.get('/x').then(() => null, (e) => e);
      expect(err).to.be.instanceOf(EtcdUnavailableError);
      expect(err.retryable).to.equal(true);
      expect(err.message).to.match(/unreachable \(connection refused\)/);
    } finally {
      dead.close();
    }
    const bad = await client.leaseKeepAlive('not-a-number').then(() => null, (e) => e);
    expect(bad).to.be.instanceOf(EtcdError);
    expect(bad.retryable).to.equal(false);
  });
});

describe('cluster: etcd client watch survives an etcd restart', function () {
  this.timeout(30_000);

  it('reconnects and resumes after the last delivered revision: no event lost or repeated', async () => {
    const etcd = await startTestEtcd();
    const client = new EtcdClient(etcd.endpoint, { watchRetryMs: 100 });
    const writer = new EtcdClient(etcd.endpoint);
    const seen: string[] = [];
    const errors: Error[] = [];
    const w = client.watch('/r/', 1, {
      onEvents: (evs) => seen.push(...evs.map((e) => e.kv.value)),
      onError: (err) => errors.push(err),
    });
    try {
      await writer.put('/r/k', 'a');
      await writer.put('/r/k', 'b');
      await waitFor(() => seen.length === 2, 5000, () => `saw ${seen}`);
      await etcd.restart(300);
      await writer.put('/r/k', 'c');
      await writer.put('/r/j', 'd');
      await waitFor(() => seen.length >= 4, 10_000, () => `saw ${seen}`);
      await new Promise((r) => setTimeout(r, 200));
      expect(seen).to.deep.equal(['a', 'b', 'c', 'd']);
      expect(errors.length).to.be.greaterThan(0);
      expect(errors[0]).to.be.instanceOf(EtcdError);
    } finally {
      w.cancel();
      client.close();
      writer.close();
      await etcd.stop();
    }
  });
});
