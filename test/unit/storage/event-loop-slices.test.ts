// ADD PRIMARY KEY, ADD UNIQUE, CREATE UNIQUE INDEX and ANALYZE on a table of many row groups let the
// event loop turn while they read every group (the server is one event loop: a synchronous stretch of
// seconds stops every other session and a cluster leader's lease renewal). A 1 ms ticker runs
// alongside each statement: its longest gap must be a fraction of the statement, not all of it.
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { open } from '../../../src/index';
import { EmbeddedDatabase } from '../../../src/embedded/embedded-database';
import { ROW_GROUP_ROWS } from '../../../src/storage/api';
import { sliceStats } from '../../../src/storage/event-loop-slices';

const GROUPS = 16;

/** The statement's time, the longest stretch the 1 ms ticker could not run, and the turns the work gave. */
async function gaps(db: EmbeddedDatabase, sql: string): Promise<{ ms: number; maxGap: number; turns: number }> {
  let last = performance.now();
  let maxGap = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }, 1);
  const turns = sliceStats.turns;
  const start = (last = performance.now());
  try {
    await db.exec(sql);
  } finally {
    clearInterval(ticker);
  }
  const end = performance.now();
  return { ms: end - start, maxGap: Math.max(maxGap, end - last), turns: sliceStats.turns - turns };
}

describe('long storage work lets the event loop turn', function () {
  this.timeout(120000);
  let dir: string;
  let db: EmbeddedDatabase;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-slices-'));
    db = await open(dir);
    await db.exec('create table t (a int, b int, c text, d float8)');
    await db.exec(`insert into t select g, g % 1000, 'c' || (g % 5000), g * 0.25 from generate_series(1, ${GROUPS * ROW_GROUP_ROWS}) g`);
    // A row deleted in every group: ANALYZE recollects them all (exact statistics would be kept).
    await db.exec(`delete from t where a % ${ROW_GROUP_ROWS} = 7`);
  });
  after(async () => {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const [what, sql] of [
    ['ADD PRIMARY KEY', 'alter table t add primary key (a)'],
    ['ADD UNIQUE', 'alter table t add constraint t_ab unique (a, b)'],
    ['CREATE UNIQUE INDEX', 'create unique index t_ad on t (a, d)'],
    ['ANALYZE', 'analyze t'],
  ]) {
    it(what, async () => {
      const r = await gaps(db, sql);
      // Without slices the key index build or the recollection was one stretch: the longest gap was
      // nearly the whole statement (e.g. 190 of 200 ms).
      expect(r.turns, `${r.ms.toFixed(0)} ms`).to.be.at.least(2);
      expect(r.maxGap, `${r.ms.toFixed(0)} ms`).to.be.below(r.ms / 2);
    });
  }
});
