// Pinning through the executor: the chunks of the row group a running scan is reading stay in the
// pool while other reads push far more than the pool holds through it, under every policy; the
// pins go when the scan moves on, ends, or is abandoned (the statement's end closes it).
import { expect } from 'chai';
import { BufferPool, PolicyName, makePolicy } from '../../../src/buffer/buffer-pool';
import { openStorage, ROW_GROUP_ROWS, Storage, TableDef } from '../../../src/storage';
import { executePlanStream } from '../../../src/exec/execute';
import { PlanNode } from '../../../src/plan/plan';
import { Types } from '../../../src/types/data-type';
import { Int32Vector, Vector } from '../../../src/types/vector';
import { DEFAULT_FORMAT } from '../../../src/types/text-format';
import { ExecContext } from '../../../src/exec/context';

const GROUPS = 4;
/** Bytes of one decoded int4 chunk (no NULLs). */
const CHUNK = ROW_GROUP_ROWS * 4;

function poolKey(tableId: number, column: number, group: number): number {
  return (tableId * 4096 + column) * 65536 + group;
}

async function tableWithGroups(s: Storage, name: string): Promise<TableDef> {
  const t = s.begin();
  const def = t.createTable({ schema: 'public', name, columns: [{ name: 'a', type: Types.int4, notNull: false, defaultSql: null }], primaryKey: null, primaryKeyName: null });
  const n = GROUPS * ROW_GROUP_ROWS;
  const values = new Int32Array(n);
  // Pseudo-random values, so the chunks do not compress to nothing (decoded size is what counts).
  let x = 7;
  for (let i = 0; i < n; i++) values[i] = x = (x * 48271) % 2147483647;
  const v: Int32Vector = { kind: 'int32', type: Types.int4, length: n, nulls: null, values };
  t.append(def.id, [v]);
  await t.commit();
  return def;
}

function context(s: Storage): ExecContext {
  return {
    params: [],
    snapshot: (id) => s.snapshot(id),
    format: DEFAULT_FORMAT,
    statementStartMicros: 0,
    transactionStartMicros: 0,
    checkCancel: () => undefined,
  };
}

function scanOf(def: TableDef): PlanNode {
  return { kind: 'scan', tableId: def.id, tableName: def.name, columns: [0], withRowId: false, filter: null, output: [{ name: 'a', type: Types.int4 }] };
}

/** Reads every chunk of `def` outside any scan: 4 chunks through a pool of 2.5. */
function flood(s: Storage, def: TableDef): void {
  const snap = s.snapshot(def.id);
  for (let g = 0; g < snap.rowGroupCount; g++) snap.readColumn(g, 0);
}

describe('buffer pool pinning under a running scan', function () {
  this.timeout(30000);
  for (const policy of ['lirs', 'arc', 'lru'] as PolicyName[]) {
    it(`${policy}: keeps the scanned group resident while other reads flood the pool`, async () => {
      const pool = new BufferPool<Vector>(makePolicy(policy, Math.floor(CHUNK * 2.5)));
      const s = await openStorage({ dir: null, synchronousCommit: true, cache: pool });
      const t = await tableWithGroups(s, 't');
      const u = await tableWithGroups(s, 'u');
      const stream = executePlanStream(scanOf(t), context(s));
      let rows = stream.next().value!.length;
      const key0 = poolKey(t.id, 0, 0);
      expect(pool.pinCount(key0)).to.equal(1);
      const evictionsBefore = pool.evictions;
      flood(s, u);
      flood(s, u);
      expect(pool.evictions).to.be.greaterThan(evictionsBefore);
      expect(pool.has(key0), 'the running scan\'s chunk is resident').to.equal(true);
      // Reading on moves the pin to the next group.
      while (rows <= ROW_GROUP_ROWS) rows += stream.next().value!.length;
      expect(pool.pinCount(key0)).to.equal(0);
      expect(pool.pinCount(poolKey(t.id, 0, 1))).to.equal(1);
      flood(s, u);
      expect(pool.has(poolKey(t.id, 0, 1))).to.equal(true);
      for (let r = stream.next(); !r.done; r = stream.next()) rows += r.value.length;
      expect(rows).to.equal(GROUPS * ROW_GROUP_ROWS);
      expect(pool.stats().pinnedChunks).to.equal(0);
      await s.close();
    });
  }

  it('releases the pins of a scan abandoned midway (the statement ends)', async () => {
    const pool = new BufferPool<Vector>(makePolicy('lirs', CHUNK * 3));
    const s = await openStorage({ dir: null, synchronousCommit: true, cache: pool });
    const t = await tableWithGroups(s, 't');
    const stream = executePlanStream(scanOf(t), context(s));
    stream.next();
    expect(pool.stats().pinnedChunks).to.equal(1);
    stream.return(undefined);
    expect(pool.stats().pinnedChunks).to.equal(0);
    await s.close();
  });
});
