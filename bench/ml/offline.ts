// node dist/bench/ml/offline.js FILE [--online]
// Trains the learned optimizer's model offline on a dump of bench/ml/dump-samples.ts (its training
// samples) and reports the q-error on the dump's held-out subplans: classic, baseline (sample
// selectivities, no MLP) and learned (what LearnedOptimizer.predict answers).
import * as fs from 'fs';
import { FEATURE_COUNT } from '../../src/ml/featurize';
import { LearnedOptimizer, qError } from '../../src/ml/learned-optimizer';
import { baselineRows } from '../../src/ml/featurize';
import { AuxStore } from '../../src/storage/api';

interface Dumped {
  group: string;
  classic: number;
  actual: number;
  features: number[];
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1) + 0.5))];
}

function summary(xs: number[]): string {
  const s = xs.slice().sort((a, b) => a - b);
  return `median ${quantile(s, 0.5).toFixed(2)} p95 ${quantile(s, 0.95).toFixed(2)} max ${s[s.length - 1].toFixed(0)} mean-log ${(s.reduce((t, x) => t + Math.log(x), 0) / s.length).toFixed(3)}`;
}

async function main(): Promise<void> {
  const file = process.argv[2];
  const d = JSON.parse(fs.readFileSync(file, 'utf8')) as { train: Dumped[]; heldOut: Dumped[]; online?: Dumped[] };
  // --online: also train on the dump's online set (a disjoint draw of held-out-style queries).
  if (process.argv.includes('--online')) d.train = [...d.train, ...(d.online ?? [])];
  const memory = new Map<string, Buffer>();
  const store: AuxStore = { get: (k) => memory.get(k), write: async (entries) => { for (const [k, v] of entries) if (v === null) memory.delete(k); else memory.set(k, v); } } as AuxStore;
  const ml = LearnedOptimizer.open(store, { useWorker: false });
  const vec = (x: Dumped) => { const f = Float64Array.from(x.features); if (f.length !== FEATURE_COUNT) throw new Error('feature count changed: dump again'); return f; };
  ml.learn(d.train.map((x) => ({ features: vec(x), classicRows: x.classic, trueRows: x.actual })));
  for (let i = 0; i < 3; i++) await ml.train();
  console.log(JSON.stringify(ml.status()));
  for (const [name, set] of [['train', d.train], ['held-out', d.heldOut]] as const) {
    const c: number[] = [];
    const b: number[] = [];
    const l: number[] = [];
    let abstained = 0;
    for (const x of set) {
      const f = vec(x);
      const p = ml.predict(f, x.classic);
      if (!ml.corrects(f)) abstained++;
      c.push(qError(x.classic, x.actual));
      b.push(qError(baselineRows(f, x.classic), x.actual));
      l.push(qError(p ?? x.classic, x.actual));
    }
    console.log(`${name} (${set.length}, no correction applied ${abstained})\n  classic  ${summary(c)}\n  baseline ${summary(b)}\n  learned  ${summary(l)}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
