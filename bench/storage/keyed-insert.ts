// A bulk INSERT … SELECT into an empty table with a primary key, in process (embedded, in memory):
// what its unique-key work costs as the row count grows. Prints ms per run and µs per row for each
// size; a cost per row that rises with the size shows a superlinear step (the commit folding the
// new keys into the table's key index once piled them up, see KeyHashIndex.addAll).
//
//   node dist/bench/storage/keyed-insert.js [--rows 100000,400000] [--runs 3]
import { open } from '../../src/index';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const sizes = arg('rows', '100000,400000').split(',').map(Number);
  const runs = Number(arg('runs', '3'));
  const db = await open(':memory:');
  try {
    for (const n of sizes) {
      const times: number[] = [];
      for (let r = 0; r < runs; r++) {
        await db.query('drop table if exists keyed');
        await db.query('create table keyed (id int primary key, v int)');
        const t = performance.now();
        await db.query(`insert into keyed select g, g from generate_series(1, ${n}) g`);
        times.push(performance.now() - t);
      }
      const best = Math.min(...times);
      console.log(`${n} rows: best ${best.toFixed(0)} ms of [${times.map((x) => x.toFixed(0)).join(', ')}], ${((best * 1000) / n).toFixed(2)} µs per row`);
    }
  } finally {
    await db.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
