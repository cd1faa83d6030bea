// npm run bench:ml:calibrate -- [--sf 0.1] [--runs 3] [--write]
// Measures this engine's operator speeds: runs the 22 TPC-H queries with per-node statistics and
// fits each operator's own time (its time minus its inputs') by least squares (µs, clamped ≥ 0):
// - inner hash join ≈ build·buildRows + probe·probeRows + output·outputRows;
// - full table scan ≈ value·rowsRead·columnsRead + filter·rowsRead (when it filters) + output·rowsOut;
// - hash aggregation ≈ row·inputRows + call·inputRows·aggregateCalls + group·groups;
// - sort (whole input) ≈ row·n·log2 n.
// --write stores the constants in src/ml/cost-model.ts.
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

/** One operator run: its cost terms (the fit's x) and its own time in µs. */
interface Obs {
  x: number[];
  micros: number;
}

type Operator = 'join' | 'scan' | 'aggregate' | 'sort';

function ownMicros(node: PlanNode, stats: Map<PlanNode, NodeStats>, inputs: PlanNode[]): number | null {
  const s = stats.get(node);
  if (s === undefined || s.loops !== 1) return null;
  let own = s.elapsedMs;
  for (const i of inputs) {
    const si = stats.get(i);
    if (si === undefined) return null;
    own -= si.elapsedMs;
  }
  return own > 0 ? own * 1000 : null;
}

function collect(node: PlanNode, stats: Map<PlanNode, NodeStats>, tableRows: (id: number) => number, out: Record<Operator, Obs[]>): void {
  const rec = node as unknown as Record<string, unknown>;
  for (const k of ['input', 'left', 'right']) if (rec[k] !== undefined && rec[k] !== null) collect(rec[k] as PlanNode, stats, tableRows, out);
  const s = stats.get(node);
  if (s === undefined) return;
  if (node.kind === 'hashjoin' && node.joinType === 'inner' && node.buildLeft !== true) {
    const own = ownMicros(node, stats, [node.left, node.right]);
    if (own !== null) out.join.push({ x: [stats.get(node.right)!.rows, stats.get(node.left)!.rows, s.rows], micros: own });
  } else if (node.kind === 'scan' && node.index === undefined && s.prunedBy === undefined) {
    const own = ownMicros(node, stats, []);
    const read = tableRows(node.tableId);
    if (own !== null) out.scan.push({ x: [read * node.columns.length, node.filter === null ? 0 : read, s.rows], micros: own });
  } else if (node.kind === 'aggregate') {
    const own = ownMicros(node, stats, [node.input]);
    const n = stats.get(node.input)?.rows ?? 0;
    if (own !== null) out.aggregate.push({ x: [n, n * node.aggregates.length, node.groupBy.length === 0 ? 0 : s.rows], micros: own });
  } else if (node.kind === 'sort' && node.limit === null) {
    const own = ownMicros(node, stats, [node.input]);
    const n = stats.get(node.input)?.rows ?? 0;
    if (own !== null) out.sort.push({ x: [n * Math.log2(Math.max(2, n))], micros: own });
  }
}

/** Least squares for k coefficients (normal equations, Gaussian elimination); negatives clamped to 0. */
function fit(obs: Obs[], k: number): number[] {
  const a = Array.from({ length: k }, () => new Array<number>(k + 1).fill(0));
  for (const o of obs) {
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) a[i][j] += o.x[i] * o.x[j];
      a[i][k] += o.x[i] * o.micros;
    }
  }
  for (let i = 0; i < k; i++) {
    let p = i;
    for (let r = i + 1; r < k; r++) if (Math.abs(a[r][i]) > Math.abs(a[p][i])) p = r;
    [a[i], a[p]] = [a[p], a[i]];
    for (let r = 0; r < k; r++) {
      if (r === i || a[i][i] === 0) continue;
      const f = a[r][i] / a[i][i];
      for (let j = i; j <= k; j++) a[r][j] -= f * a[i][j];
    }
  }
  return a.map((row, i) => Math.max(0, row[i] === 0 ? 0 : row[k] / row[i]));
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
    const obs: Record<Operator, Obs[]> = { join: [], scan: [], aggregate: [], sort: [] };
    const ctx = session.execContext([]);
    const tableRows = (id: number) => ctx.snapshot(id).liveRowCount;
    for (let run = 0; run < o.runs; run++) {
      for (const q of queryNames()) {
        for (const parsed of parseSql(querySql(q))) {
          const bound = bindStatement(parsed, session.bindContext([]));
          if (bound.kind !== 'query') {
            await db.exec(parsed.text);
            continue;
          }
          const { stats } = executePlanWithStats(bound.plan, session.execContext([]));
          if (run > 0) collect(bound.plan, stats, tableRows, obs);
        }
      }
    }
    await session.close();
    const round = (x: number) => Number(x.toPrecision(3));
    const [build, probe, output] = fit(obs.join, 3).map(round);
    const [value, filter, scanOutput] = fit(obs.scan, 3).map(round);
    const [aggRow, aggCall, aggGroup] = fit(obs.aggregate, 3).map(round);
    const [sortRow] = fit(obs.sort, 1).map(round);
    const joins = { build, probe, output };
    const operators = { scanValue: value, scanFilterRow: filter, scanOutputRow: scanOutput, aggregateRow: aggRow, aggregateCall: aggCall, aggregateGroup: aggGroup, sortRowLog: sortRow };
    console.log(`${obs.join.length} hash joins; µs per row: ${JSON.stringify(joins)}`);
    console.log(`${obs.scan.length} scans, ${obs.aggregate.length} aggregations, ${obs.sort.length} sorts; µs: ${JSON.stringify(operators)}`);
    if (o.write) {
      const file = path.join(repoRoot, 'src/ml/cost-model.ts');
      const text = fs
        .readFileSync(file, 'utf8')
        .replace(/export const CALIBRATED_JOIN_COSTS: JoinCostConstants = \{[^}]*\};/, `export const CALIBRATED_JOIN_COSTS: JoinCostConstants = ${JSON.stringify(joins).replace(/"/g, '').replace(/,/g, ', ').replace(/:/g, ': ').replace('{', '{ ').replace(/}$/, ' }')};`)
        .replace(/export const CALIBRATED_OPERATOR_COSTS: OperatorCostConstants = \{[^}]*\};/, `export const CALIBRATED_OPERATOR_COSTS: OperatorCostConstants = ${JSON.stringify(operators).replace(/"/g, '').replace(/,/g, ', ').replace(/:/g, ': ').replace('{', '{ ').replace(/}$/, ' }')};`);
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
