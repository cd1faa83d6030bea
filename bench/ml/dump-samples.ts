// node dist/bench/ml/dump-samples.js [--sf 0.1] [--dir DIR] [--variants 15] [--heldout 200] [--seed 1] --out FILE
// Dumps the learned optimizer's training samples (randomized TPC-H template variants) and the
// held-out subplans (bench/ml/heldout.ts) with their features, classic and true rows, so training
// choices can be compared offline (bench/ml/offline.ts) without running the queries again.
import * as fs from 'fs';
import { Rng } from '../../src/ml/rng';
import { Sample } from '../../src/ml/learned-optimizer';
import { Params, tpchVariant } from './tpch-variants';
import { heldOutQuery } from './heldout';
import { openTpch } from './tpch-db';
import { queryNames } from '../tpch/run-queries';

interface Dumped {
  group: string;
  classic: number;
  actual: number;
  features: number[];
}

async function main(): Promise<void> {
  const o: Record<string, string> = { sf: '0.1', dir: ':memory:', variants: '15', heldout: '200', seed: '1', out: '/tmp/ml-dump.json' };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) o[argv[i].replace(/^--/, '')] = argv[i + 1];
  const db = await openTpch(o.sf, o.dir, { buffer_pool_size: '4GB', ml_optimizer: 'shadow', ml_learn: 'off' }, (l) => process.stderr.write(l + '\n'));
  try {
    await db.exec('set max_parallel_workers = 0');
    let group = '';
    const seen: Dumped[] = [];
    db.database.ml!.observer = (samples: Sample[]) => seen.push(...samples.map((x) => ({ group, classic: x.classicRows, actual: x.trueRows, features: Array.from(x.features) })));
    const params = new Params(new Rng(Number(o.seed)));
    for (let v = 0; v < Number(o.variants); v++)
      for (const q of queryNames()) {
        group = q;
        try {
          for (const s of tpchVariant(q, params).split(';').map((x) => x.trim()).filter((x) => x.length > 0)) await db.exec(s);
        } catch {
          await db.exec('drop view if exists revenue0').catch(() => undefined);
        }
      }
    const train = seen.splice(0);
    const held = new Params(new Rng(Number(o.seed) + 1000));
    for (let i = 0; i < Number(o.heldout); i++) {
      group = `h${i}`;
      await db.exec(heldOutQuery(held));
    }
    const heldOut = seen.splice(0);
    // A disjoint draw of held-out-style queries: what the model would learn from online.
    const online = new Params(new Rng(Number(o.seed) + 2000));
    for (let i = 0; i < Number(o.heldout); i++) {
      group = `o${i}`;
      await db.exec(heldOutQuery(online));
    }
    fs.writeFileSync(o.out, JSON.stringify({ train, heldOut, online: seen }));
    process.stderr.write(`train ${train.length}, held-out ${heldOut.length}, online ${seen.length} → ${o.out}\n`);
  } finally {
    await db.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
