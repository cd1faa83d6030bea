// The buffer pool seen from SQL: tessera_buffer_stats() (and the relation tessera_buffer_pool)
// reports the policy, budget and counters, and EXPLAIN ANALYZE shows each scan's chunk hits and
// reads as PostgreSQL's "Buffers: shared hit=… read=…". A table of 3 row groups (150000 rows).
import { expect } from 'chai';
import { Client } from 'pg';
import { TestServer, startTestServer } from '../helpers/test-server';

interface PoolRow {
  policy: string;
  capacity_bytes: string;
  resident_chunks: string;
  pinned_chunks: string;
  hits: string;
  misses: string;
  evictions: string;
}

async function withServer(settings: Record<string, string>, body: (c: Client) => Promise<void>): Promise<void> {
  const server: TestServer = await startTestServer({ settings });
  const client = new Client({ host: '127.0.0.1', port: server.port, user: 'postgres' });
  try {
    await client.connect();
    await client.query('create table t (a int, b int)');
    await client.query('insert into t select x, x % 7 from generate_series(1, 150000) x');
    await body(client);
  } finally {
    await client.end();
    await server.stop();
  }
}

async function pool(c: Client): Promise<PoolRow> {
  return (await c.query('select * from tessera_buffer_stats()')).rows[0];
}

async function buffersOfScan(c: Client, sql: string): Promise<string> {
  const lines: string[] = (await c.query(`explain analyze ${sql}`)).rows.map((r) => r['QUERY PLAN']);
  const scan = lines.findIndex((l) => l.includes('Seq Scan on t'));
  expect(scan).to.be.greaterThan(-1);
  return lines.slice(scan + 1).find((l) => l.trim().startsWith('Buffers:'))!.trim();
}

describe('buffer pool statistics', function () {
  this.timeout(60000);

  it('reports policy, budget and counters, and per-scan hits in EXPLAIN ANALYZE (pool holds the table)', async () => {
    await withServer({ buffer_replacement: 'arc', buffer_pool_size: '64MB' }, async (c) => {
      // The insert's commit put its last (partial) group's 2 columns into the pool; its 2 full
      // groups were spilled to LMDB before the commit (src/storage/spilled-groups.ts), not pooled.
      expect((await pool(c)).resident_chunks).to.equal('2');
      await c.query('select sum(a), sum(b) from t');
      const before = await pool(c);
      expect(before.policy).to.equal('arc');
      expect(before.capacity_bytes).to.equal(String(64 * 1024 * 1024));
      // Now all 3 groups x 2 columns are resident.
      expect(before.resident_chunks).to.equal('6');
      expect(before.pinned_chunks).to.equal('0');
      // The scan reads column a of 3 groups, all resident.
      expect(await buffersOfScan(c, 'select sum(a) from t')).to.equal('Buffers: shared hit=3');
      expect(await buffersOfScan(c, 'select sum(a), sum(b) from t')).to.equal('Buffers: shared hit=6');
      const after = await pool(c);
      expect(Number(after.hits) - Number(before.hits)).to.equal(9);
      expect(after.misses).to.equal(before.misses);
      expect(after.pinned_chunks).to.equal('0');
      const rel = (await c.query('select policy, hits from tessera_buffer_pool')).rows[0];
      expect(rel).to.deep.equal({ policy: 'arc', hits: after.hits });
      // EXPLAIN (ANALYZE, BUFFERS OFF) leaves the line out.
      const off: string[] = (await c.query('explain (analyze, buffers off) select sum(a) from t')).rows.map((r) => r['QUERY PLAN']);
      expect(off.some((l) => l.includes('Buffers:'))).to.equal(false);
    });
  });

  it('counts reads and evictions when the table is larger than the pool (LRU, 600 kB)', async () => {
    // Decoded int4 chunks are 256 kB (two full groups) and 74 kB (the last): the pool holds about two.
    await withServer({ buffer_replacement: 'lru', buffer_pool_size: '600kB' }, async (c) => {
      const before = await pool(c);
      expect(before.policy).to.equal('lru');
      expect(await buffersOfScan(c, 'select sum(a) from t')).to.equal('Buffers: shared read=3');
      const after = await pool(c);
      expect(Number(after.misses) - Number(before.misses)).to.equal(3);
      expect(Number(after.evictions)).to.be.greaterThan(Number(before.evictions));
      const { rows } = await c.query('select sum(a)::text as s from t');
      expect(rows[0].s).to.equal('11250075000');
    });
  });

  it('answers 42883 for arguments', async () => {
    await withServer({}, async (c) => {
      const err = await c.query('select * from tessera_buffer_stats(1)').catch((e) => e);
      expect(err.code).to.equal('42883');
    });
  });
});
