// The standby's view of a follower's copy never reads a chunk's empty marker as data, even one it
// was not told of (a trim's write that readers see before the replica's listener hears of it).
import { expect } from 'chai';
import { StandbyKv } from '../../../src/cluster/standby-kv';
import { MemoryKv } from '../../../src/storage/kv-store';
import { loadChunkHasher } from '../../../src/storage/chunk-marker';
import { SqlError } from '../../../src/types/sql-error';

describe('cluster standby store: markers', () => {
  it('a chunk whose value became a marker without a trimmed() call fails retryably (40001), not as a corrupt chunk', async () => {
    const base = new MemoryKv();
    await base.write([['c/16384/0/0', Buffer.from([1, 2, 3, 4])], ['x/empty', Buffer.alloc(0)]]);
    const fetches: string[][] = [];
    const kv = new StandbyKv(base, [], 1, async (keys) => {
      fetches.push(keys);
      return { entries: keys.map((k) => [k, Buffer.from([9, 9])] as [string, Buffer]), seq: 1 };
    });
    expect([...kv.get('c/16384/0/0')!]).to.deep.equal([1, 2, 3, 4]);
    // The trim's write lands; the listener has not run yet.
    await base.write([['c/16384/0/0', Buffer.alloc(0)]]);
    let err: unknown = null;
    try {
      kv.get('c/16384/0/0');
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(SqlError);
    expect((err as SqlError).code).to.equal('40001');
    // Known as a marker from then on: the next statement's prefetch brings its bytes in.
    await kv.prefetch(['c/16384/0/0']);
    expect(fetches).to.deep.equal([['c/16384/0/0']]);
    expect([...kv.get('c/16384/0/0')!]).to.deep.equal([9, 9]);
    // Empty values of other keys are values, not markers.
    expect(kv.get('x/empty')!.length).to.equal(0);
  });

  it('keeps the bytes of chunks it is told are being trimmed while statements run (they prepared their reads before)', async () => {
    const base = new MemoryKv();
    await base.write([['c/16384/1/0', Buffer.from([5, 6, 7])]]);
    let fetches = 0;
    const kv = new StandbyKv(base, [], 3, async (keys) => {
      fetches++;
      return { entries: keys.map((k) => [k, Buffer.from([0])] as [string, Buffer]), seq: 3 };
    });
    kv.trimmed(['c/16384/1/0'], true);
    await base.write([['c/16384/1/0', Buffer.alloc(0)]]);
    expect([...kv.get('c/16384/1/0')!]).to.deep.equal([5, 6, 7]);
    expect(fetches).to.equal(0);
    // A later replicated write of the key drops them: the engine reads the new value.
    await base.write([['c/16384/1/0', Buffer.from([8])]]);
    kv.applied(4, [['c/16384/1/0', Buffer.from([8])]]);
    expect([...kv.get('c/16384/1/0')!]).to.deep.equal([8]);
  });

  it('keeps trimmed chunks only up to its cache size, and does not read the others', async () => {
    const base = new MemoryKv();
    const keys = [0, 1, 2, 3].map((g) => `c/16384/0/${g}`);
    await base.write(keys.map((k, g) => [k, Buffer.alloc(4, g + 1)] as [string, Buffer]));
    const read: string[] = [];
    const counting = Object.assign(Object.create(base) as MemoryKv, {
      get: (k: string) => {
        read.push(k);
        return base.get(k);
      },
    });
    const kv = new StandbyKv(counting, [], 3, async () => ({ entries: [], seq: 3 }), { cacheBytes: 8 });
    kv.trimmed(keys, true);
    await base.write(keys.map((k) => [k, Buffer.alloc(0)] as [string, Buffer]));
    // The last two fit the cache; the first two were not read at all.
    expect(read).to.deep.equal([keys[3], keys[2]]);
    expect([...kv.get(keys[3])!]).to.deep.equal([4, 4, 4, 4]);
    expect([...kv.get(keys[2])!]).to.deep.equal([3, 3, 3, 3]);
    expect(() => kv.get(keys[0])).to.throw(SqlError);
    // With no statement running nothing is read: the next statement's prefetch brings them in.
    read.length = 0;
    kv.trimmed(keys, false);
    expect(read).to.deep.equal([]);
  });

  it('a statement needing more chunks than the cache holds gets them all; the next statement\'s prefetch brings the cache back to its size', async () => {
    const base = new MemoryKv();
    const keys = [0, 1, 2, 3, 4, 5].map((g) => `c/16384/0/${g}`);
    await base.write(keys.map((k) => [k, Buffer.alloc(0)] as [string, Buffer]));
    const kv = new StandbyKv(base, keys, 3, async (asked) => ({ entries: asked.map((k) => [k, Buffer.alloc(4, Number(k.slice(-1)) + 1)] as [string, Buffer]), seq: 3 }), { cacheBytes: 8 });
    // 24 bytes for an 8-byte cache: every chunk stays readable for the statement that fetched them
    // (evicting its first ones would fail it, and its retries, with 40001).
    await kv.prefetch(keys);
    // A trim while the statement runs keeps its bytes too, and evicts nothing of the statement's.
    await base.write([['c/16384/1/0', Buffer.from([7, 7])]]);
    kv.trimmed(['c/16384/1/0'], true);
    for (const [g, k] of keys.entries()) expect([...kv.get(k)!], k).to.deep.equal([g + 1, g + 1, g + 1, g + 1]);
    // The next statement reads two of them: the cache is cut to its size first (least recently used out).
    await kv.prefetch([keys[4], keys[5]]);
    expect([...kv.get(keys[5])!]).to.deep.equal([6, 6, 6, 6]);
    expect(() => kv.get(keys[0])).to.throw(SqlError);
  });

  it('refuses a prefetch over its limit before fetching anything, weighing chunks by the lengths their markers name', async () => {
    const hasher = await loadChunkHasher();
    const base = new MemoryKv();
    // Two markers naming chunks of 100 and 60 bytes, one of an older store (its hash only, no length), one held chunk.
    const old = hasher.marker(Buffer.alloc(500, 3)).subarray(0, 9);
    await base.write([['c/16384/0/0', hasher.marker(Buffer.alloc(100, 1))], ['c/16384/0/1', hasher.marker(Buffer.alloc(60, 2))], ['c/16384/0/2', old], ['c/16384/0/3', Buffer.alloc(40, 4)]]);
    const keys = ['c/16384/0/0', 'c/16384/0/1', 'c/16384/0/2', 'c/16384/0/3'];
    const fetches: string[][] = [];
    const kv = new StandbyKv(base, keys.slice(0, 3), 1, async (asked) => {
      fetches.push(asked);
      return { entries: asked.map((k) => [k, Buffer.alloc(Number(k.slice(-1)) === 0 ? 100 : 60)] as [string, Buffer]), seq: 1 };
    });
    let err: unknown = null;
    await kv.prefetch(keys, 159).catch((e) => (err = e));
    expect((err as SqlError).code).to.equal('53T01');
    expect((err as SqlError).message).to.match(/would fetch 160 bytes .* more than standby_fetch_limit \(159 bytes\)/);
    expect(fetches).to.deep.equal([]);
    expect(kv.stats.refused).to.equal(1);
    // At the limit it fetches; the cached chunks then weigh nothing (only the unknown one is left to fetch).
    await kv.prefetch(['c/16384/0/0', 'c/16384/0/1'], 160);
    expect(fetches).to.deep.equal([['c/16384/0/0', 'c/16384/0/1']]);
    await kv.prefetch(keys, 0);
    expect(fetches).to.have.length(2);
    expect(fetches[1]).to.deep.equal(['c/16384/0/2']);
    expect(kv.stats.refused).to.equal(1);
  });

  it('asks the leader for chunks in requests bounded by the bytes their markers name, not only by count', async () => {
    const hasher = await loadChunkHasher();
    const base = new MemoryKv();
    // Ten markers of 3 MiB chunks (a TPC-H SF 10 text column's): 30 MiB, which one request would have carried.
    const chunk = 3 * 1024 * 1024;
    const keys = Array.from({ length: 10 }, (_, i) => `c/16384/${i}/8`);
    await base.write(keys.map((k) => [k, hasher.marker(Buffer.alloc(chunk, 1))] as [string, Buffer]));
    const fetches: string[][] = [];
    const kv = new StandbyKv(base, keys, 1, async (asked) => {
      fetches.push(asked);
      return { entries: asked.map((k) => [k, Buffer.alloc(chunk, 1)] as [string, Buffer]), seq: 1 };
    });
    await kv.prefetch(keys);
    expect(fetches.map((f) => f.length)).to.deep.equal([2, 2, 2, 2, 2]);
    expect(fetches.flat().sort()).to.deep.equal([...keys].sort());
    expect(kv.get('c/16384/9/8')!.length).to.equal(chunk);
  });
});
