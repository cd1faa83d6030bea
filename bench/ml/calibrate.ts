// npm run bench:ml:calibrate -- [--sf 0.1] [--runs 3] [--write]
// Measures this engine's hash join speed per build, probe and output row: runs the 22 TPC-H
// queries with per-node statistics, takes every inner hash join's own time (its time minus its
// inputs') and fits time ≈ build·buildRows + probe·probeRows + output·outputRows by least squares
// (µs per row, clamped at ≥ 0). --write stores the constants in src/ml/cost-model.ts.
import * as fs from 'fs';
import * as path from 'path';
import { open } from '../../src/index';
import { PlanNode } from '../../src/plan/plan';
import { parseSql } from '../../src/sql/parse';
import { bindStatement } from '../../src/sql/bind-statement';
import { executePlanWithStats, NodeStats } from '../../src/exec/execute';
import { TABLES, tableFile, tableStream } from '../tpch/data-source';
import { queryNames, querySql } from '../tpch/run-queries';

const repoRoot = path.resolve(__dirname, '../../..');

function args(): { sf: string; runs: number; write: boolean } {
  const a = process.argv.slice(2);
  const o = { sf: '0.1', runs: 3, write: false };
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '--sf') o.sf = String(Number(a[++i]));
    else if (a[i] === '--runs') o.runs = Number(a[++i]);
    else if (a[i] === '--write') o.write = true;
    else throw new Error(`unknown option ${a[i]}`);
  }
  return o;
}

interface Obs {
  build: number;
  probe: number;
  output: number;
  micros: number;
}

function collect(node: PlanNode, stats: Map<PlanNode, NodeStats>, out: Obs[]): void {
  const rec = node as unknown as Record<string, unknown>;
  for (const k of ['input', 'left', 'right']) if (rec[k] !== undefined && rec[k] !== null) collect(rec[k] as PlanNode, stats, out);
  if (node.kind !== 'hashjoin' || node.joinType !== 'inner' || node.buildLeft === true) return;
  const s = stats.get(node);
  const l = stats.get(node.left);
  const r = stats.get(node.right);
  if (s === undefined || l === undefined || r === undefined || s.loops !== 1) return;
  const own = s.elapsedMs - l.elapsedMs - r.elapsedMs;
  if (own > 0) out.push({ build: r.rows, probe: l.rows, output: s.rows, micros: own * 1000 });
}

/** Least squares for 3 coefficients (normal equations, Gaussian elimination); negatives clamped to 0. */
function fit(obs: Obs[]): [number, number, number] {
  const a = [
    [0, 0, 0, 0],
    [0, 0, 0, 0],
    [0, 0, 0, 0],
  ];
  for (const o of obs) {
    const x = [o.build, o.probe, o.output];
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) a[i][j] += x[i] * x[j];
      a[i][3] += x[i] * o.micros;
    }
  }
  for (let i = 0; i < 3; i++) {
    let p = i;
    for (let k = i + 1; k < 3; k++) if (Math.abs(a[k][i]) > Math.abs(a[p][i])) p = k;
    [a[i], a[p]] = [a[p], a[i]];
    for (let k = 0; k < 3; k++) {
      if (k === i || a[i][i] === 0) continue;
      const f = a[k][i] / a[i][i];
      for (let j = i; j < 4; j++) a[k][j] -= f * a[i][j];
    }
  }
  return [0, 1, 2].map((i) => Math.max(0, a[i][i] === 0 ? 0 : a[i][3] / a[i][i])) as [number, number, number];
}

async function main(): Promise<void> {
  const o = args();
  const db = await open(':memory:', { buffer_pool_size: '2GB' });
  try {
    await db.exec(fs.readFileSync(path.join(repoRoot, 'bench/tpch/schema.sql'), 'utf8'));
    for (const t of TABLES) await db.copyFrom(t, tableStream(tableFile(o.sf, t)!), { delimiter: '|' });
    for (const stmt of fs.readFileSync(path.join(repoRoot, 'bench/tpch/keys.sql'), 'utf8').split(';')) if (stmt.trim() !== '') await db.exec(stmt);
    await db.exec('analyze');
    const session = db.database.createSession({ user: 'postgres', database: 'postgres' });
    const obs: Obs[] = [];
    for (let run = 0; run < o.runs; run++) {
      for (const q of queryNames()) {
        for (const parsed of parseSql(querySql(q))) {
          const bound = bindStatement(parsed, session.bindContext([]));
          if (bound.kind !== 'query') {
            await db.exec(parsed.text);
            continue;
          }
          const { stats } = executePlanWithStats(bound.plan, session.execContext([]));
          if (run > 0) collect(bound.plan, stats, obs);
        }
      }
    }
    await session.close();
    const [build, probe, output] = fit(obs);
    const round = (x: number) => Number(x.toPrecision(3));
    const constants = { build: round(build), probe: round(probe), output: round(output) };
    console.log(`${obs.length} hash joins; µs per row: ${JSON.stringify(constants)}`);
    if (o.write) {
      const file = path.join(repoRoot, 'src/ml/cost-model.ts');
      const text = fs.readFileSync(file, 'utf8').replace(/export const CALIBRATED_JOIN_COSTS: JoinCostConstants = \{[^}]*\};/, `export const CALIBRATED_JOIN_COSTS: JoinCostConstants = { build: ${constants.build}, probe: ${constants.probe}, output: ${constants.output} };`);
      fs.writeFileSync(file, text);
      console.log(`wrote ${path.relative(repoRoot, file)}`);
    }
  } finally {
    await db.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
