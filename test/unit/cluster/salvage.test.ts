// A follower being sent a whole copy keeps the bytes of the chunks it holds (Replica.beginSnapshot), so a
// leader dying mid-copy does not leave their other holder with markers only. Those kept bytes may be of
// a history nobody else has, or older versions of chunks appended to since: they are served only to a
// node whose marker names their hash (chunk-transfer.ts), and a node stopped mid-copy comes back with
// nothing of them read or served as its data.
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fetchChunks, gatherElsewhere, serveChunks } from '../../../src/cluster/chunk-transfer';
import { COPYING_KEY, KvEntries, POSITION_KEY, decodePosition, encodeBatch, encodePosition } from '../../../src/cluster/kv-batch';
import { MessageType } from '../../../src/cluster/message-types';
import { Placement } from '../../../src/cluster/placement';
import { Replica } from '../../../src/cluster/replica';
import { ReplicatedKv, serveReplica } from '../../../src/cluster/replication';
import { ChunkHasher, isChunkMarker, loadChunkHasher, markerChunkLength, markerHash } from '../../../src/storage/chunk-marker';
import { KvStore, LmdbKv, MemoryKv } from '../../../src/storage/kv-store';
import { FakeNet, until } from '../../helpers/cluster-fakes';

function contents(kv: KvStore): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [k, v] of kv.entries()) out.set(k, Buffer.from(v));
  return out;
}

/** The first chunk key of table `table` whose holders, in order, satisfy `ok`. */
function keyWhere(placement: Placement, table: number, ok: (holders: number[]) => boolean): string {
  for (let g = 0; g < 10_000; g++) {
    const k = `c/${table}/0/${g}`;
    if (ok(placement.holders(k)!)) return k;
  }
  throw new Error('no such key');
}

/** `kv` with its reads or writes replaced (a slow or failing store). */
function over(kv: KvStore, changed: Partial<Pick<KvStore, 'get' | 'write'>>): KvStore {
  return {
    get: changed.get ?? ((k) => kv.get(k)),
    write: changed.write ?? ((e) => kv.write(e)),
    keysWithPrefix: (p) => kv.keysWithPrefix(p),
    entries: () => kv.entries(),
    close: () => kv.close(),
  };
}

/** A store at `seq` holding `entries`, with a Replica over it for node `self`. */
async function replicaWith(self: number, placement: Placement, seq: number, entries: KvEntries, kv: KvStore = new MemoryKv()): Promise<Replica> {
  await kv.write([...entries, [POSITION_KEY, encodePosition({ term: 1, seq })]]);
  return new Replica(kv, { self, placement });
}

describe('cluster: chunk bytes kept across a whole copy', () => {
  let hasher: ChunkHasher;
  before(async () => {
    hasher = await loadChunkHasher();
  });

  // Four nodes, three copies: a chunk node 2 does not hold has two holders besides the dead leader (1).
  const four = new Placement([1, 2, 3, 4], 3);
  /** Chunks node 2 keeps as markers whose holders (besides the dead leader 1) are 3 first, then 4. */
  const chunksFrom3Then4 = (table: number, n: number): string[] => {
    const out: string[] = [];
    for (let g = 0; out.length < n; g++) {
      const k = `c/${table}/0/${g}`;
      const live = four.holders(k)!.filter((h) => h !== 1);
      if (!live.includes(2) && live[0] === 3 && live[1] === 4) out.push(k);
    }
    return out;
  };

  it("refuses a copy-receiving holder's kept bytes of another version and takes the marker's bytes from the next holder", async () => {
    const net = new FakeNet();
    const [abandonedKey, appendedKey] = chunksFrom3Then4(50_000, 2);
    // The versions in the cluster's history (node 2 trimmed them to markers; node 4 holds them).
    const current = new Map([[abandonedKey, Buffer.alloc(120, 7)], [appendedKey, Buffer.concat([Buffer.alloc(80, 3), Buffer.alloc(40, 4)])]]);
    // Node 3 led once and wrote a version of one chunk nobody received, and fell behind on the other (an older, shorter version of the appended chunk).
    const r3 = await replicaWith(3, four, 9, [[abandonedKey, Buffer.alloc(120, 8)], [appendedKey, Buffer.alloc(80, 3)], ['st/50000/0', Buffer.from([1])]]);
    await r3.beginSnapshot();
    // Node 3 keeps its bytes of both (it holds them) while the copy is under way, and nothing else.
    expect(r3.salvagedKeys().sort()).to.deep.equal([abandonedKey, appendedKey].sort());
    expect([...contents(r3.kv).keys()].sort()).to.deep.equal([COPYING_KEY, abandonedKey, appendedKey].sort());
    serveChunks(net.node(3), () => r3.kv, () => r3.receivingCopy);
    const kv4 = new MemoryKv();
    await kv4.write([...current]);
    serveChunks(net.node(4), () => kv4);
    // Node 2 trims both through its replica: the markers name the hash of the history's bytes.
    const r2 = await replicaWith(2, four, 10, [...current]);
    await r2.trim(10);
    expect(r2.markerKeys().sort()).to.deep.equal([abandonedKey, appendedKey].sort());
    for (const k of current.keys()) expect(isChunkMarker(r2.kv.get(k)!)).to.equal(true);

    // Asked without a hash (a marker of an older store), node 3 answers nothing while its copy is under way; node 4 answers.
    expect((await fetchChunks(net.node(2), 3, [abandonedKey, appendedKey])).map(([, v]) => v)).to.deep.equal([null, null]);
    expect((await fetchChunks(net.node(2), 4, [abandonedKey]))[0][1]).to.deep.equal(current.get(abandonedKey));
    // Asked with the marker's hash, node 3 answers nothing either: its bytes are not those.
    const hashes = [abandonedKey, appendedKey].map((k) => hasher.hash(current.get(k)!));
    expect((await fetchChunks(net.node(2), 3, [abandonedKey, appendedKey], undefined, hashes)).map(([, v]) => v)).to.deep.equal([null, null]);

    // Node 1 (the leader) is dead; node 2 gathers from 3 first (the chunks' first live holder), which refuses, then from 4.
    const asked: number[] = [];
    const spying = { request: (to: number, type: number, payload: Uint8Array, timeoutMs?: number) => (asked.push(to), net.node(2).request(to, type, payload, timeoutMs)) };
    const gathered = await gatherElsewhere(r2.kv, four, r2.markerKeys(), spying, [3, 4]);
    expect(gathered.chunks).to.equal(2);
    expect(asked[0]).to.equal(3);
    expect(asked).to.include(4);
    for (const [k, v] of current) expect(r2.kv.get(k), k).to.deep.equal(v);
  });

  it('refuses to lead rather than take a holder\'s kept bytes of another version when no other holder has the right ones', async () => {
    const net = new FakeNet();
    const three = new Placement([1, 2, 3], 2);
    // A chunk held by the dead leader 1 and by node 3 only: node 2 keeps a marker.
    const key = keyWhere(three, 50_001, (h) => h.includes(1) && h.includes(3));
    const kept = Buffer.alloc(100, 5);
    const r3 = await replicaWith(3, three, 4, [[key, kept]]);
    await r3.beginSnapshot();
    serveChunks(net.node(3), () => r3.kv, () => r3.receivingCopy);
    // In node 2's history the chunk was appended to after node 3 fell behind.
    const r2 = await replicaWith(2, three, 6, [[key, Buffer.concat([kept, Buffer.alloc(30, 6)])]]);
    await r2.trim(6);
    const marker = r2.kv.get(key)!;
    expect(isChunkMarker(marker)).to.equal(true);
    const err = await gatherElsewhere(r2.kv, three, r2.markerKeys(), net.node(2), [3]).then(
      () => null,
      (e: Error) => e,
    );
    expect(err).to.be.instanceOf(Error);
    expect(String(err)).to.match(/no live holder of chunk .* has it in the version this node's marker names/);
    // Nothing was written: the marker is still there, and node 3 still keeps its bytes.
    expect(r2.kv.get(key)).to.deep.equal(marker);
    expect(r3.kv.get(key)).to.deep.equal(kept);
    // A marker of an older store (no hash) gets nothing from a holder being sent a copy either.
    await r2.kv.write([[key, Buffer.alloc(0)]]);
    const legacy = await gatherElsewhere(r2.kv, three, [key], net.node(2), [3]).then(
      () => null,
      (e: Error) => e,
    );
    expect(String(legacy)).to.match(/no live holder of chunk/);
    expect(r2.kv.get(key)!.length).to.equal(0);
    // A holder that answers whatever it has (one that ignores the hash asked for) is checked by the asker all the same.
    await r2.kv.write([[key, marker]]);
    net.handlers.get(3)!.set(MessageType.chunkFetch, () => encodeBatch(1, 4, [[key, kept]]));
    const unchecked = await gatherElsewhere(r2.kv, three, [key], net.node(2), [3]).then(
      () => null,
      (e: Error) => e,
    );
    expect(String(unchecked)).to.match(/in the version this node's marker names/);
    expect(r2.kv.get(key)).to.deep.equal(marker);
  });

  it('ends a copy with the leader\'s store exactly: kept bytes the copy lacks are gone', async () => {
    const net = new FakeNet();
    const three = new Placement([1, 2, 3], 2);
    const node = (id: number) => net.node(id);
    const held3 = (t: number) => keyWhere(three, t, (h) => h.includes(3));
    const leaderKv = new MemoryKv();
    const leader = new ReplicatedKv(leaderKv, node(1), { term: 2, minCopies: 1 });
    for (let g = 0; g < 20; g++) await leader.write([[`c/50002/0/${g}`, Buffer.alloc(64, g)], [`st/50002/${g}`, Buffer.from([g])]]);
    // Node 3 led in term 1 and wrote chunks and a batch nobody else has: its position diverges from the leader's.
    const store3 = new MemoryKv();
    const abandoned = held3(50_003);
    await store3.write([[abandoned, Buffer.alloc(90, 1)], ['c/50002/0/0', Buffer.alloc(10, 9)], [POSITION_KEY, encodePosition({ term: 1, seq: 25 })]]);
    let r3 = new Replica(store3, { self: 3, placement: three });
    serveReplica(node(3), () => r3, () => 1);
    serveChunks(node(3), () => store3, () => r3.receivingCopy);
    leader.setFollowers([3]);
    await until(() => leader.followerStates().every((f) => f.inSync));
    expect(leader.stats.snapshots).to.equal(1);
    expect(r3.receivingCopy).to.equal(false);
    expect(r3.salvagedKeys()).to.deep.equal([]);
    const want = contents(leaderKv);
    const got = contents(store3);
    expect([...got.keys()].sort()).to.deep.equal([...want.keys()].sort());
    for (const [k, v] of want) expect(got.get(k), k).to.deep.equal(v);
    expect(decodePosition(got.get(POSITION_KEY)).seq).to.equal(20);
    // A later start finds a consistent copy.
    r3 = new Replica(store3, { self: 3, placement: three });
    expect(r3.receivingCopy).to.equal(false);
    expect(r3.position().seq).to.equal(20);
  });

  it('a node stopped mid-copy comes back with nothing it kept served unchecked or read as data, whether it then gets a copy or every batch', async () => {
    const three = new Placement([1, 2, 3], 2);
    const heldBy3 = keyWhere(three, 50_004, (h) => h.includes(3));
    const heldBy3Too = keyWhere(three, 50_005, (h) => h.includes(3));
    const notHeld = keyWhere(three, 50_006, (h) => !h.includes(3));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-salvage-'));
    let lmdb: LmdbKv | null = new LmdbKv(dir, false);
    try {
      for (const path of ['copy', 'batches'] as const) {
        await lmdb.write([...contents(lmdb).keys()].map((k): [string, null] => [k, null]));
        // Node 3 at seq 30: two chunks it holds, a marker of one it does not, metadata.
        const r = await replicaWith(3, three, 30, [[heldBy3, Buffer.alloc(70, 1)], [heldBy3Too, Buffer.alloc(70, 2)], [notHeld, hasher.marker(Buffer.alloc(70, 3))], ['st/50004/0', Buffer.from([4])]], lmdb);
        await r.beginSnapshot();
        // The copy's first piece rewrote one of the held chunks; then the process is killed.
        await r.snapshotChunk([['cat/1', Buffer.from('catalog')], [heldBy3, Buffer.alloc(75, 1)]]);
        await lmdb.close();
        lmdb = new LmdbKv(dir, false);
        const back = new Replica(lmdb, { self: 3, placement: three });
        // No position, no copy: not a state to read (no standby opens, it is not caught up) nor one with markers to gather.
        expect(back.receivingCopy, path).to.equal(true);
        expect(back.caughtUp()).to.equal(false);
        expect(back.position()).to.deep.equal({ term: 0, seq: 0 });
        expect(back.markerKeys()).to.deep.equal([]);
        expect(back.untrimmed()).to.equal(0);
        // What it kept is answered only to an asker naming the bytes' hash.
        const net = new FakeNet();
        const store = lmdb;
        serveChunks(net.node(3), () => store, () => back.receivingCopy);
        expect((await fetchChunks(net.node(2), 3, [heldBy3, heldBy3Too]))[1][1]).to.equal(null);
        expect((await fetchChunks(net.node(2), 3, [heldBy3Too], undefined, [hasher.hash(Buffer.alloc(70, 9))]))[0][1]).to.equal(null);
        expect((await fetchChunks(net.node(2), 3, [heldBy3Too], undefined, [hasher.hash(Buffer.alloc(70, 2))]))[0][1]).to.deep.equal(Buffer.alloc(70, 2));

        const expected = new Map<string, Buffer>();
        if (path === 'copy') {
          // The new leader sends a copy: its end leaves exactly the copy.
          await back.beginSnapshot();
          expect(back.salvagedKeys().sort()).to.deep.equal([heldBy3, heldBy3Too].sort());
          const copy: KvEntries = [['cat/2', Buffer.from('catalog 2')], [heldBy3, Buffer.alloc(80, 1)], ['st/50004/0', Buffer.from([5])]];
          await back.snapshotChunk(copy);
          await back.endSnapshot({ term: 3, seq: 40 });
          for (const [k, v] of copy) expected.set(k, v!);
          expected.set(POSITION_KEY, encodePosition({ term: 3, seq: 40 }));
        } else {
          // The new leader resends every batch from the first: they land on an empty store.
          const batch: KvEntries = [['cat/3', Buffer.from('catalog 3')], ['st/50004/0', Buffer.from([6])]];
          const at = await back.append(encodeBatch(3, 1, batch));
          expect(at).to.deep.equal({ term: 3, seq: 1 });
          for (const [k, v] of batch) expected.set(k, v!);
          expected.set(POSITION_KEY, encodePosition({ term: 3, seq: 1 }));
        }
        expect(back.receivingCopy, path).to.equal(false);
        const left = contents(lmdb);
        expect([...left.keys()].sort(), path).to.deep.equal([...expected.keys()].sort());
        for (const [k, v] of expected) expect(left.get(k), `${path}: ${k}`).to.deep.equal(v);
        // And a start after that finds a consistent store.
        await lmdb.close();
        lmdb = new LmdbKv(dir, false);
        expect(new Replica(lmdb, { self: 3, placement: three }).receivingCopy, path).to.equal(false);
      }
    } finally {
      await lmdb?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a copy begun while a piece of an earlier one (its sender gone) is still being written starts after it: nothing of the earlier copy is left', async () => {
    const three = new Placement([1, 2, 3], 2);
    const kv = new MemoryKv();
    let hold: Promise<void> | null = null;
    const slow = over(kv, {
      async write(entries) {
        if (hold !== null && entries.some(([k]) => k === 'cat/old')) await hold;
        await kv.write(entries);
      },
    });
    const r = await replicaWith(3, three, 5, [['cat/0', Buffer.from('x')]], slow);
    await r.beginSnapshot();
    let release!: () => void;
    hold = new Promise<void>((resolve) => (release = resolve));
    const oldPiece = r.snapshotChunk([['cat/old', Buffer.from('from the leader that died')]]);
    // The new leader's copy begins while that piece is still being written.
    const begun = r.beginSnapshot();
    await new Promise((resolve) => setTimeout(resolve, 20));
    release();
    await oldPiece;
    await begun;
    await r.snapshotChunk([['cat/new', Buffer.from('from the new leader')]]);
    await r.endSnapshot({ term: 4, seq: 9 });
    expect([...contents(kv).keys()].sort()).to.deep.equal(['cat/new', POSITION_KEY]);
  });

  it('a trim that cannot read its chunks (the store closed under a replica being replaced) drops nothing and ends nothing', async () => {
    const three = new Placement([1, 2, 3], 2);
    const key = keyWhere(three, 50_008, (h) => !h.includes(2));
    const kv = new MemoryKv();
    let broken = false;
    const store = over(kv, {
      get: (k) => {
        if (broken && k === key) throw new Error('the store is closed');
        return kv.get(k);
      },
    });
    const r = await replicaWith(2, three, 1, [[key, Buffer.alloc(50, 1)]], store);
    broken = true;
    await r.trim(1);
    expect(r.untrimmed()).to.equal(1);
    expect(kv.get(key)!.length).to.equal(50);
    // Batches still apply, and a later trim drops the bytes.
    expect(await r.append(encodeBatch(1, 2, [['st/1/0', Buffer.from([1])]]))).to.deep.equal({ term: 1, seq: 2 });
    broken = false;
    await r.trim(2);
    expect(isChunkMarker(kv.get(key)!)).to.equal(true);
  });

  it('trims in parts between replicated batches, every marker naming its bytes', async () => {
    const three = new Placement([1, 2, 3], 2);
    const keys: string[] = [];
    for (let g = 0; keys.length < 3; g++) if (!three.holds(2, `c/50007/0/${g}`)) keys.push(`c/50007/0/${g}`);
    // Three chunks of 40 MiB: two trim writes (64 MiB of chunks per write).
    const bytes = keys.map((_, i) => Buffer.alloc(40 * 1024 * 1024, i + 1));
    const kv = new MemoryKv();
    let writes = 0;
    const counting = over(kv, { write: (e) => (writes++, kv.write(e)) });
    const r = await replicaWith(2, three, 1, keys.map((k, i): [string, Buffer] => [k, bytes[i]]), counting);
    writes = 0;
    await r.trim(1);
    expect(writes).to.equal(2);
    expect(r.untrimmed()).to.equal(0);
    keys.forEach((k, i) => {
      const m = kv.get(k)!;
      expect(isChunkMarker(m)).to.equal(true);
      expect(markerHash(m)).to.equal(hasher.hash(bytes[i]));
      expect(markerChunkLength(m)).to.equal(bytes[i].length);
    });
  });
});
