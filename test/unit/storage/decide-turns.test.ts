// When the commit queue decides a batch (storage/table-store.ts, commit): two event-loop turns after
// the first commit was queued while a write is in flight (the batch gathers the commits other
// sessions queue meanwhile, and waits for the write anyway), but after one turn when the write
// pipeline is idle (a second turn would only delay the write: bench/results/commit-overlap.md).
import { expect } from 'chai';
import { openStorage, Storage, TableDef } from '../../../src/storage';
import { BufferPool, makePolicy } from '../../../src/buffer/buffer-pool';
import { Vector } from '../../../src/types/vector';
import { HeldKv } from '../../helpers/held-kv';
import { idValueColumns, idValueRows } from '../../helpers/storage-rows';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('commit queue decision turns', () => {
  let kv: HeldKv;
  let s: Storage;
  let def: TableDef;
  beforeEach(async () => {
    kv = new HeldKv();
    s = await openStorage({ dir: null, kv, synchronousCommit: true, cache: new BufferPool<Vector>(makePolicy('lirs', 1 << 24)) });
    const t = s.begin();
    def = t.createTable({ schema: 'public', name: 't', columns: idValueColumns, primaryKey: null, primaryKeyName: null } as unknown as Omit<TableDef, 'id'>);
    await t.commit();
  });
  afterEach(async () => {
    kv.release();
    await s.close();
  });

  /** Commits one appended row; returns how many event-loop turns passed before it was decided, and its promise. */
  async function turnsToDecide(id: number): Promise<{ turns: number; done: Promise<void> }> {
    const t = s.begin();
    t.append(def.id, idValueRows([id], () => id));
    let decided = false;
    const done = t.commit({ decided: () => (decided = true) });
    let turns = 0;
    while (!decided && turns < 10) {
      await tick();
      turns++;
    }
    return { turns, done };
  }

  it('decides a turn sooner when no write is in flight than while one is', async () => {
    // Deciding takes turns of its own (encoding a group): compare the two cases.
    const idle = await turnsToDecide(1);
    await idle.done;
    kv.hold();
    const first = await turnsToDecide(2); // the pipeline was idle; its write is now held
    expect(first.turns).to.equal(idle.turns);
    const second = await turnsToDecide(3); // queued while first's write is in flight
    expect(second.turns).to.equal(idle.turns + 1);
    kv.release();
    await Promise.all([first.done, second.done]);
    expect(kv.writes.length).to.be.greaterThan(0);
  });
});
