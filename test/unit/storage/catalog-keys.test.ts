// The catalog as one key per object (storage/catalog-keys.ts): a commit writes the entries of what
// it changed only, a follower's refresh reads only the entries its batch wrote, and a store written
// with the old single 'catalog' key (a fixture made by the build before the change) still opens,
// reads and writes.
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Database } from '../../../src/engine/database';
import { LmdbKv, MemoryKv } from '../../../src/storage/kv-store';
import { readCatalog } from '../../../src/storage/committed-refresh';
import { embedded } from '../../helpers/standby-cluster';
import { HeldKv } from '../../helpers/held-kv';
import { until } from '../../helpers/cluster-fakes';

/** A memory store that records the keys of each write and the keys read. */
class RecordingKv extends MemoryKv {
  writes: string[][] = [];
  reads: string[] = [];
  override async write(entries: [string, Buffer | null][]): Promise<void> {
    this.writes.push(entries.map(([k]) => k));
    return super.write(entries);
  }
  override get(key: string): Buffer | undefined {
    this.reads.push(key);
    return super.get(key);
  }
  /** The keys of the writes since the last call. */
  take(): string[] {
    const keys = this.writes.flat();
    this.writes = [];
    return keys;
  }
}

/** The table id a key of the store names, or null for keys of no table ('catalog/oid', sequences, views). */
function tableOfKey(key: string): number | null {
  const parts = key.split('/');
  if (parts[0] === 'catalog') return parts[1] === 't' || parts[1] === 'r' ? Number(parts[2]) : null;
  return ['c', 'a', 'd', 'dd', 'st', 'ix'].includes(parts[0]) ? Number(parts[1]) : null;
}

async function openDb(kv: MemoryKv, hotStandby = false) {
  const database = await Database.open({ dir: ':memory:', kv, hotStandby });
  return { database, db: embedded(database) };
}

async function tableId(db: ReturnType<typeof embedded>, name: string): Promise<number> {
  return Number((await db.query(`SELECT '${name}'::regclass::oid::int AS id`)).rows[0].id);
}

describe('storage: the catalog as one key per object', function () {
  this.timeout(30000);

  it('a commit writes the catalog entries of the tables it changed only', async () => {
    const kv = new RecordingKv();
    const { db } = await openDb(kv);
    try {
      for (let i = 0; i < 20; i++) await db.exec(`CREATE TABLE t${i} (id int PRIMARY KEY, v text); INSERT INTO t${i} SELECT g, 'v' || g FROM generate_series(1, 10) g`);
      const t7 = await tableId(db, 't7');
      const t8 = await tableId(db, 't8');
      kv.take();
      await db.query("INSERT INTO t7 VALUES (100, 'new')");
      let keys = kv.take();
      expect(keys).to.not.include('catalog');
      expect(keys.filter((k) => k.startsWith('catalog'))).to.deep.equal([`catalog/r/${t7}`]);
      expect(keys.filter((k) => tableOfKey(k) !== null && tableOfKey(k) !== t7)).to.deep.equal([]);
      // Deleting rows changes no row count: no catalog entry at all.
      await db.query('DELETE FROM t7 WHERE id = 3');
      keys = kv.take();
      expect(keys.filter((k) => k.startsWith('catalog'))).to.deep.equal([]);
      expect(keys.filter((k) => tableOfKey(k) !== t7)).to.deep.equal([]);
      // One transaction over two tables: both, and only their row entries.
      await db.exec("BEGIN; INSERT INTO t7 VALUES (101, 'x'); UPDATE t8 SET v = 'y' WHERE id = 1; COMMIT");
      keys = kv.take();
      expect(keys.filter((k) => k.startsWith('catalog')).sort()).to.deep.equal([`catalog/r/${t7}`, `catalog/r/${t8}`]);
      // DDL: the table's definition; DROP deletes both of its entries.
      await db.query('ALTER TABLE t8 ADD COLUMN w int');
      keys = kv.take();
      expect(keys.filter((k) => k.startsWith('catalog/t/'))).to.deep.equal([`catalog/t/${t8}`]);
      expect(keys.filter((k) => tableOfKey(k) !== null && tableOfKey(k) !== t8)).to.deep.equal([]);
      await db.query('DROP TABLE t8');
      keys = kv.take();
      expect(keys.filter((k) => k.startsWith('catalog')).sort()).to.deep.equal([`catalog/r/${t8}`, `catalog/t/${t8}`]);
      expect(kv.keysWithPrefix(`catalog/t/${t8}`)).to.deep.equal([]);
      // Views and sequences have entries of their own, and new objects move the next OID.
      await db.query('CREATE VIEW v7 AS SELECT id FROM t7');
      keys = kv.take();
      const view = await tableId(db, 'v7');
      expect(keys.filter((k) => k.startsWith('catalog')).sort()).to.deep.equal(['catalog/oid', `catalog/v/${view}`]);
    } finally {
      await db.close();
    }
  });

  it('group commits queued behind a write in flight are written together with the entries of every table any of them changed', async () => {
    const kv = new HeldKv();
    // synchronous_commit off: a commit returns once decided, so each statement is its own batch queued behind the held write.
    const database = await Database.open({ dir: ':memory:', kv, settings: new Map([['synchronous_commit', 'off']]) });
    const db = embedded(database);
    try {
      for (let i = 0; i < 4; i++) await db.query(`CREATE TABLE t${i} (id int)`);
      await until(() => !(database.storage as unknown as { kv: { busy: boolean } }).kv.busy);
      const ids = await Promise.all([0, 1, 2, 3].map((i) => tableId(db, `t${i}`)));
      const writes = kv.writes.length;
      kv.hold();
      for (let i = 0; i < 4; i++) await db.query(`INSERT INTO t${i} VALUES (${i})`);
      kv.release();
      await until(() => !(database.storage as unknown as { kv: { busy: boolean } }).kv.busy);
      const catalogKeys = kv.writes.slice(writes).map((keys) => keys.filter((k) => k.startsWith('catalog')).sort());
      // The first commit's write, then one write for the three batches decided while it was held.
      expect(catalogKeys).to.deep.equal([[`catalog/r/${ids[0]}`], ids.slice(1).map((id) => `catalog/r/${id}`).sort()]);
      const stored = readCatalog(kv);
      expect(ids.map((id) => stored.tables.get(id)!.groups.map((g) => g.rowCount))).to.deep.equal([[1], [1], [1], [1]]);
    } finally {
      await db.close();
    }
  });

  it("a follower's refresh after a commit to one table of many reads that table's entries only", async () => {
    const kv = new RecordingKv();
    const leader = await openDb(kv);
    const copy = await openDb(kv, true);
    try {
      for (let i = 0; i < 30; i++) await leader.db.query(`CREATE TABLE t${i} (id int, v text)`);
      await leader.db.query("INSERT INTO t12 VALUES (1, 'a')");
      copy.database.storage.refreshCommitted!(kv.take());
      expect((await copy.db.query('SELECT count(*)::int AS n FROM t12')).rows).to.deep.equal([{ n: 1 }]);
      const t12 = await tableId(leader.db, 't12');
      const other = copy.database.storage.snapshot(await tableId(leader.db, 't3'));
      await leader.db.query("INSERT INTO t12 VALUES (2, 'b')");
      const keys = kv.take();
      kv.reads = [];
      copy.database.storage.refreshCommitted!(keys);
      expect(kv.reads.filter((k) => k.startsWith('catalog'))).to.deep.equal([`catalog/r/${t12}`]);
      expect((await copy.db.query('SELECT id, v FROM t12 ORDER BY id')).rows).to.deep.equal([
        { id: 1, v: 'a' },
        { id: 2, v: 'b' },
      ]);
      // A table the batch did not touch keeps its state.
      expect(copy.database.storage.snapshot(await tableId(leader.db, 't3')).def).to.equal(other.def);
      // DDL and DROP reach the follower through their entries.
      await leader.db.exec('ALTER TABLE t12 ADD COLUMN w int DEFAULT 5; DROP TABLE t3; CREATE SEQUENCE q START 7');
      copy.database.storage.refreshCommitted!(kv.take());
      expect((await copy.db.query('SELECT id, w FROM t12 ORDER BY id')).rows).to.deep.equal([
        { id: 1, w: 5 },
        { id: 2, w: 5 },
      ]);
      expect(copy.database.storage.catalog().findTable('public', 't3')).to.equal(undefined);
      expect(copy.database.storage.catalog().findSequence('public', 'q')?.start).to.equal('7');
    } finally {
      await copy.db.close();
      await leader.db.close();
    }
  });

  describe('a store written with the single catalog key (before per-object keys)', () => {
    const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../../test/fixtures/old-catalog-store.json'), 'utf8')) as Record<string, string>;
    const oldStore = async (): Promise<RecordingKv> => {
      const kv = new RecordingKv();
      await kv.write(Object.entries(fixture).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
      kv.take();
      return kv;
    };
    const expectOldContent = async (db: ReturnType<typeof embedded>) => {
      expect((await db.query('SELECT count(*)::int AS n, sum(price)::text AS s FROM items')).rows).to.deep.equal([{ n: 199, s: '30227.49' }]);
      expect((await db.query("SELECT id FROM items WHERE name = 'item 42'")).rows).to.deep.equal([{ id: 42 }]);
      expect((await db.query('SELECT id, what FROM events ORDER BY id')).rows).to.deep.equal([
        { id: 1, what: 'a' },
        { id: 2, what: 'b' },
        { id: 3, what: 'c' },
      ]);
      expect((await db.query('SELECT x FROM scratch')).rows).to.deep.equal([{ x: 3 }]);
      expect((await db.query('SELECT count(*)::int AS n FROM cheap')).rows).to.deep.equal([{ n: 6 }]);
    };

    it('opens from disk (split into per-object keys in one write), reads, writes and opens again', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-old-catalog-'));
      try {
        const lmdb = new LmdbKv(dir, true);
        await lmdb.write(Object.entries(fixture).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
        await lmdb.close();
        let db = embedded(await Database.open({ dir }));
        try {
          await expectOldContent(db);
          await db.exec("INSERT INTO events (what) VALUES ('d'); UPDATE items SET price = 1 WHERE id = 9; CREATE TABLE more (z int); INSERT INTO more VALUES (1)");
          expect((await db.query("SELECT id FROM events WHERE what = 'd'")).rows).to.deep.equal([{ id: 4 }]);
        } finally {
          await db.close();
        }
        const stored = new LmdbKv(dir, true);
        expect(stored.get('catalog')).to.equal(undefined);
        expect(stored.keysWithPrefix('catalog/t/')).to.have.length(4);
        expect(stored.keysWithPrefix('catalog/v/')).to.have.length(1);
        expect(stored.keysWithPrefix('catalog/s/')).to.have.length(1);
        await stored.close();
        db = embedded(await Database.open({ dir }));
        try {
          // Item 9's price was 13.50.
          expect((await db.query('SELECT count(*)::int AS n, sum(price)::text AS s FROM items')).rows).to.deep.equal([{ n: 199, s: '30214.99' }]);
          expect((await db.query('SELECT count(*)::int AS n FROM cheap')).rows).to.deep.equal([{ n: 7 }]);
          expect((await db.query('SELECT count(*)::int AS n FROM events')).rows).to.deep.equal([{ n: 4 }]);
          expect((await db.query('SELECT z FROM more')).rows).to.deep.equal([{ z: 1 }]);
          // OIDs go on from the old catalog's next OID: the new table's is past every old object's.
          expect(await tableId(db, 'more')).to.be.greaterThan(16394);
          await db.query("INSERT INTO events (what) VALUES ('e')");
          expect((await db.query("SELECT id FROM events WHERE what = 'e'")).rows).to.deep.equal([{ id: 5 }]);
        } finally {
          await db.close();
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it("a follower's copy reads it as it is, and follows its writer's split and later commits", async () => {
      const kv = await oldStore();
      const copy = await openDb(kv, true);
      try {
        await expectOldContent(copy.db);
        expect(kv.get('catalog')).to.not.equal(undefined);
        const leader = await openDb(kv);
        try {
          copy.database.storage.refreshCommitted!(kv.take());
          await expectOldContent(copy.db);
          await leader.db.query("INSERT INTO scratch VALUES (4)");
          copy.database.storage.refreshCommitted!(kv.take());
          expect((await copy.db.query('SELECT x FROM scratch ORDER BY x')).rows).to.deep.equal([{ x: 3 }, { x: 4 }]);
        } finally {
          await leader.db.close();
        }
      } finally {
        await copy.db.close();
      }
    });
  });
});
