// npm run bench:ml -- [--sf 0.1] [--dir :memory:] [--variants 15] [--heldout 200] [--runs 3] [--seed 1]
// The learned optimizer against the classic estimator, in-process (embedded Tessera; --dir: a data
// directory loaded once and reused, the model in it reset at the start):
// 1. loads TPC-H; 2. trains: runs randomized variants of the 22 templates with ml_optimizer = shadow
// (every executed scan and join becomes a sample; training runs in the worker thread);
// 3. with learning off, the 22 queries (spec parameters) and held-out join queries (random join
// graphs and predicates, held-out.ts) run; every subplan the join planner built whose true rows
// were counted (learn-from-execution.ts: ran to its end, not pruned by a runtime filter from a join
// above) gives the classic estimate, the learned one and the true rows → q-error median, p95, max.
// Parallel query is off while samples are taken and measured (parallel fragments are not counted);
// 4. end to end: the 22 queries planned with ml_optimizer = off and = on (best of N runs each) and
// the queries whose plan (join order) changed. Writes bench/results/ml-qerror.{md,json}.
import * as fs from 'fs';
import { execSync } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import { EmbeddedDatabase } from '../../src/embedded/embedded-database';
import { Rng } from '../../src/ml/rng';
import { qError } from '../../src/ml/learned-optimizer';
import { baselineRows, partOffsets } from '../../src/ml/featurize';
import { subplanKind } from '../../src/ml/training';
import { openTpch, statements } from './tpch-db';
import { machineDescription } from '../tpch/report';
import { queryNames, querySql } from '../tpch/run-queries';
import { Params, tpchVariant } from './tpch-variants';
import { heldOutQuery } from './heldout';

const repoRoot = path.resolve(__dirname, '../../..');

interface Options {
  sf: string;
  dir: string;
  variants: number;
  heldout: number;
  runs: number;
  seed: number;
}

interface Subplan {
  classic: number;
  learned: number;
  actual: number;
  /** No correction applied: a part outside the trained ranges, or the correction's scale for its kind is 0 (the learned rows are the baseline). */
  abstained: boolean;
  /** An aggregation's groups (GROUP BY over a featurized subplan). */
  group?: boolean;
  baseline?: number;
  relations?: number;
  zeroHits?: number;
  fewHits?: number;
  extraEdges?: number;
  manyToMany?: number;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { sf: '0.1', dir: ':memory:', variants: 15, heldout: 200, runs: 3, seed: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[++i];
    if (a === '--sf') o.sf = String(Number(v));
    else if (a === '--dir') o.dir = v;
    else if (a === '--variants') o.variants = Number(v);
    else if (a === '--heldout') o.heldout = Number(v);
    else if (a === '--runs') o.runs = Number(v);
    else if (a === '--seed') o.seed = Number(v);
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

const log = (line: string) => process.stderr.write(line + '\n');

const isQuery = (s: string) => /^(select|with)\b/i.test(s);

/** Every join-planned subplan of the query with its classic, learned (classic when the model abstains) and true rows. */
async function subplans(db: EmbeddedDatabase, sql: string): Promise<Subplan[]> {
  const out: Subplan[] = [];
  const ml = db.database.ml!;
  ml.observer = (samples) => {
    for (const x of samples) {
      const learned = ml.predict(x.features, x.classicRows);
      const parts = partOffsets(x.features);
      const rel = parts.filter((p) => x.features[p] === 1);
      const edges = parts.filter((p) => x.features[p + 1] === 1);
      const sum = (ps: number[], k: number) => ps.reduce((t, p) => t + x.features[p + k], 0);
      out.push({ classic: x.classicRows, learned: learned ?? x.classicRows, actual: x.trueRows, abstained: !ml.corrects(x.features), group: subplanKind(x.features, parts) === 'group', baseline: baselineRows(x.features, x.classicRows), relations: rel.length, zeroHits: sum(rel, 6), fewHits: sum(rel, 7), extraEdges: sum(edges, 6), manyToMany: 0 });
    }
  };
  try {
    for (const s of statements(sql)) await db.exec(s);
  } finally {
    ml.observer = null;
  }
  return out;
}

async function plansText(db: EmbeddedDatabase, sql: string): Promise<string> {
  const out: string[] = [];
  for (const s of statements(sql)) {
    if (!isQuery(s)) {
      await db.exec(s);
      continue;
    }
    const r = await db.query(`explain (costs off) ${s}`);
    out.push(...(r.rows as Record<string, string>[]).map((x) => x['QUERY PLAN']));
  }
  return out.join('\n');
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1) + 0.5))];
}

interface Quantiles {
  median: number;
  p95: number;
  max: number;
  /** Mean of ln q-error (the geometric mean's log). */
  meanLog?: number;
}

interface Summary {
  subplans: number;
  classic: Quantiles;
  learned: Quantiles;
  baseline?: Quantiles;
  abstained: number;
}

function quantiles(q: number[]): Quantiles {
  const v = q.slice().sort((a, b) => a - b);
  return { median: quantile(v, 0.5), p95: quantile(v, 0.95), max: v.length === 0 ? NaN : v[v.length - 1], meanLog: v.length === 0 ? NaN : v.reduce((t, x) => t + Math.log(x), 0) / v.length };
}

function summarize(xs: Subplan[]): Summary {
  return {
    subplans: xs.length,
    classic: quantiles(xs.map((x) => qError(x.classic, x.actual))),
    learned: quantiles(xs.map((x) => qError(x.learned, x.actual))),
    baseline: quantiles(xs.map((x) => qError(x.baseline ?? x.classic, x.actual))),
    abstained: xs.filter((x) => x.abstained).length,
  };
}

/**
 * The 22 queries planned classic (ml_optimizer = off) and learned (= on), best of o.runs each, and
 * which join orders changed: when first planned, and after the plan-time guard has timed both orders.
 */
async function endToEnd(db: EmbeddedDatabase, o: Options) {
  // With the default parallel query.
  await db.exec('reset max_parallel_workers');
  const modes = ['off', 'on'] as const;
  const best: Record<string, Record<string, number>> = { off: {}, on: {} };
  const plans: Record<string, Record<string, string>> = { off: {}, on: {} };
  for (const mode of modes) {
    await db.exec(`set ml_optimizer = ${mode}`);
    for (const q of queryNames()) plans[mode][q] = await plansText(db, querySql(q));
  }
  // Each query runs under both modes back to back (order alternating per run), so a burst of
  // load from other jobs hits both about equally.
  for (let r = 0; r < o.runs; r++) {
    for (const q of queryNames()) {
      for (const mode of r % 2 === 0 ? modes : [...modes].reverse()) {
        await db.exec(`set ml_optimizer = ${mode}`);
        const t0 = performance.now();
        await db.exec(querySql(q));
        const ms = performance.now() - t0;
        best[mode][q] = Math.min(best[mode][q] ?? Infinity, ms);
      }
    }
  }
  const changed = queryNames().filter((q) => plans.off[q] !== plans.on[q]);
  // The queries whose plan changed, timed again with more runs (the others differ only by noise).
  const focus: { query: string; offMs: number; onMs: number; runs: number }[] = [];
  for (const q of changed) {
    const t: Record<string, number> = { off: Infinity, on: Infinity };
    for (let r = 0; r < 4 * o.runs; r++) {
      for (const mode of r % 2 === 0 ? modes : [...modes].reverse()) {
        await db.exec(`set ml_optimizer = ${mode}`);
        const t0 = performance.now();
        await db.exec(querySql(q));
        t[mode] = Math.min(t[mode], performance.now() - t0);
      }
    }
    focus.push({ query: q, offMs: t.off, onMs: t.on, runs: 4 * o.runs });
  }
  await db.exec('set ml_optimizer = on');
  const after: Record<string, string> = {};
  for (const q of queryNames()) after[q] = await plansText(db, querySql(q));
  const changedAfterFeedback = queryNames().filter((q) => plans.off[q] !== after[q]);
  await db.exec('set ml_optimizer = shadow');
  const total = (m: string) => queryNames().reduce((sum, q) => sum + best[m][q], 0);
  return {
    endToEnd: { totalOffMs: total('off'), totalOnMs: total('on'), perQuery: queryNames().map((q) => ({ query: q, offMs: best.off[q], onMs: best.on[q], planChanged: changed.includes(q) })), changedRetimed: focus },
    changed,
    changedAfterFeedback,
  };
}

async function main(): Promise<void> {
  if (process.argv[2] === '--report-only') {
    // Rewrites the markdown from the JSON of the last run (after a change to the report's wording).
    const sf = process.argv[3] ?? '0.1';
    const base = resultBase(sf);
    const r = JSON.parse(fs.readFileSync(`${base}.json`, 'utf8'));
    for (let i = 4; i + 1 < process.argv.length; i += 2) r[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
    attachHeldOutDetail(r, sf);
    fs.writeFileSync(`${base}.md`, report(r));
    return;
  }
  const e2eOnly = process.argv.includes('--e2e-only');
  // --reuse-model: measure with the model a previous run trained and left in --dir (no retraining).
  const reuseModel = process.argv.includes('--reuse-model');
  const o = parseArgs(process.argv.slice(2).filter((a) => a !== '--e2e-only' && a !== '--reuse-model'));
  if (e2eOnly) {
    // The end-to-end part again with the model trained by the last full run (kept in --dir).
    const db = await openTpch(o.sf, o.dir, { buffer_pool_size: '4GB', ml_optimizer: 'shadow', ml_learn: 'off' }, log);
    try {
      const r = JSON.parse(fs.readFileSync(`${resultBase(o.sf)}.json`, 'utf8'));
      const e2e = await endToEnd(db, o);
      Object.assign(r, e2e, { e2eRerun: { runs: o.runs, load: os.loadavg().map((x) => x.toFixed(1)).join(', '), model: db.database.ml!.status() } });
      r.options.runs = o.runs;
      writeResults(r, o.sf);
    } finally {
      await db.close();
    }
    return;
  }
  const loadBefore = os.loadavg().map((x) => x.toFixed(1)).join(', ');
  const db = await openTpch(o.sf, o.dir, { buffer_pool_size: '4GB', ml_optimizer: 'shadow' }, log);
  try {
    const ml = db.database.ml!;
    if (!reuseModel) await ml.reset();
    await db.exec('set max_parallel_workers = 0');

    // Training on randomized template variants.
    const params = new Params(new Rng(o.seed));
    const trainStart = performance.now();
    let trainQueries = 0;
    const failures: string[] = [];
    for (let v = 0; v < (reuseModel ? 0 : o.variants); v++) {
      for (const q of queryNames()) {
        const sql = tpchVariant(q, params);
        try {
          await db.exec(sql);
          trainQueries++;
        } catch (err) {
          failures.push(`${q}: ${(err as Error).message.split('\n')[0]}`);
          try {
            await db.exec('drop view if exists revenue0');
          } catch {
            /* ignore */
          }
        }
      }
      log(`  training variants round ${v + 1}/${o.variants}: ${JSON.stringify(db.database.ml.status())}`);
    }
    if (!reuseModel) for (let i = 0; i < 3; i++) await ml.train();
    const trainSeconds = reuseModel ? NaN : (performance.now() - trainStart) / 1000;
    if (reuseModel) trainQueries = NaN;
    const status = ml.status();
    log(`trained: ${JSON.stringify(status)}`);
    await db.exec('set ml_learn = off');

    // q-error on the 22 queries and on the held-out set.
    const tpch: Subplan[] = [];
    for (const q of queryNames()) tpch.push(...(await subplans(db, querySql(q))));
    const held = new Params(new Rng(o.seed + 1000));
    const heldOut: Subplan[] = [];
    const tpchSummary = summarize(tpch.filter((x) => !x.group));
    const tpchGroups = summarize(tpch.filter((x) => x.group));
    log(`TPC-H 22: ${JSON.stringify(tpchSummary)}`);
    for (let i = 0; i < o.heldout; i++) {
      heldOut.push(...(await subplans(db, heldOutQuery(held))));
      if (i % 20 === 19) log(`  held-out ${i + 1}/${o.heldout}`);
    }
    const heldSummary = summarize(heldOut);
    log(`held-out: ${JSON.stringify(heldSummary)}`);

    const e2e = await endToEnd(db, o);

    // Online learning: the model keeps learning from queries it runs. Run other held-out queries
    // (a disjoint draw from the same generator) with learning on, then measure the held-out set again.
    await db.exec('set ml_optimizer = shadow');
    await db.exec('set max_parallel_workers = 0');
    await db.exec('set ml_learn = on');
    const online = new Params(new Rng(o.seed + 2000));
    for (let i = 0; i < o.heldout; i++) await db.exec(heldOutQuery(online));
    if (o.heldout > 0) for (let i = 0; i < 3; i++) await ml.train();
    await db.exec('set ml_learn = off');
    const statusOnline = ml.status();
    log(`after online learning: ${JSON.stringify(statusOnline)}`);
    const held2 = new Params(new Rng(o.seed + 1000));
    const heldOutOnline: Subplan[] = [];
    for (let i = 0; i < o.heldout; i++) heldOutOnline.push(...(await subplans(db, heldOutQuery(held2))));
    const onlineSummary = summarize(heldOutOnline);
    log(`held-out after online learning: ${JSON.stringify(onlineSummary)}`);
    fs.writeFileSync(path.join(repoRoot, `bench/results/ml-heldout-subplans-sf${o.sf}.json`), JSON.stringify({ heldOut, heldOutOnline }) + '\n');
    const load = os.loadavg().map((x) => x.toFixed(1)).join(', ');
    const commit = execSync('git rev-parse --short HEAD', { cwd: repoRoot }).toString().trim();
    const result: any = { commit, load, loadBefore, reuseModel, options: o, machine: machineDescription(), trainQueries, trainSeconds, failures, model: status, tpch: tpchSummary, tpchGroups, heldOut: heldSummary, modelOnline: statusOnline, heldOutOnline: onlineSummary, ...e2e };
    writeResults(result, o.sf);
  } finally {
    await db.close();
  }
}

/** Writes a run's JSON and its markdown report (with the held-out detail) under bench/results. */
function writeResults(r: any, sf: string): void {
  fs.mkdirSync(path.join(repoRoot, 'bench/results'), { recursive: true });
  fs.writeFileSync(`${resultBase(sf)}.json`, JSON.stringify(r, null, 2) + '\n');
  attachHeldOutDetail(r, sf);
  fs.writeFileSync(`${resultBase(sf)}.md`, report(r));
  log(report(r));
}

/** Reads the per-subplan held-out file: the classic errors' causes and the baseline-only q-error. */
function attachHeldOutDetail(r: any, sf: string): void {
  const file = path.join(repoRoot, `bench/results/ml-heldout-subplans-sf${sf}.json`);
  if (!fs.existsSync(file)) return;
  const held = JSON.parse(fs.readFileSync(file, 'utf8')).heldOut as Subplan[];
  r.heldOutSubplans = held;
  const b = held.map((x) => qError(x.baseline ?? x.classic, x.actual)).sort((x, y) => x - y);
  r.heldOutBaseline = { median: quantile(b, 0.5), p95: quantile(b, 0.95), max: b[b.length - 1] };
}

/** bench/results/ml-qerror (SF 0.1) or ml-qerror-sf<N>, without the extension. */
function resultBase(sf: string): string {
  return path.join(repoRoot, 'bench/results', sf === '0.1' ? 'ml-qerror' : `ml-qerror-sf${sf}`);
}

const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–');

/** The model's grouped cross-validation, as the report states it. */
function validation(m: any): string {
  if (m.scale === undefined || m.scale === null) return `(validation MSE of ln rows: learned ${f2(m.validationLearned)}, classic ${f2(m.validationClassic)}).`;
  return `Grouped cross-validation (samples grouped by subplan structure — tables and join edges, predicates aside — each quarter of the structures predicted by a model trained on the others): mean squared ln error learned ${f2(m.validationLearned)}, baseline ${f2(m.validationBaseline)}, classic ${f2(m.validationClassic)}; correction applied ×${m.scale.scan} to scans, ×${m.scale.join} to joins, ×${m.scale.group} to aggregations' groups, below ${m.scale.threshold ?? 0} (ln) dropped.`;
}

/** Why the classic estimate is far off (q-error ≥ 10) on held-out subplans, by cause. */
function classicCauses(subplans: Subplan[]): { total: number; empty: number; cycle: number; predicate: number; other: number } {
  const out = { total: 0, empty: 0, cycle: 0, predicate: 0, other: 0 };
  for (const x of subplans) {
    if (qError(x.classic, x.actual) < 10) continue;
    out.total++;
    const sampleMoved = x.baseline !== undefined && qError(x.baseline, x.classic) >= 3;
    if (x.actual === 0) out.empty++;
    else if ((x.extraEdges ?? 0) > 0) out.cycle++;
    else if (sampleMoved) out.predicate++;
    else out.other++;
  }
  return out;
}

function report(r: any): string {
  const line = (name: string, n: number, q: Quantiles, extra = '') => `| ${name} | ${n} | ${f2(q.median)} | ${f2(q.p95)} | ${f2(q.max)} | ${q.meanLog === undefined ? '–' : q.meanLog.toFixed(3)} | ${extra} |`;
  const row = (name: string, s: Summary) => [
    line(`${name} classic`, s.subplans, s.classic),
    ...(s.baseline === undefined ? [] : [line(`${name} baseline (samples, no MLP)`, s.subplans, s.baseline)]),
    line(`${name} learned`, s.subplans, s.learned, String(s.abstained ?? '–')),
  ];
  const sf = r.options.sf;
  const dir = r.options.dir ?? ':memory:';
  const causes = r.heldOutSubplans === undefined ? null : classicCauses(r.heldOutSubplans);
  const base = r.heldOutBaseline as { median: number; p95: number; max: number } | undefined;
  const held = r.options.heldout > 0;
  const lines = [
    `# Learned optimizer: q-error and end-to-end (TPC-H SF ${sf})`,
    '',
    ...(r.reuseModel ? [`Training command (stopped after training, during its held-out phase): \`npm run bench:ml -- --sf ${sf}${dir === ':memory:' ? '' : ` --dir ${dir}`} --variants ${r.options.variants} --heldout 200 --runs 3 --seed ${r.options.seed}\``] : []),
    `Command: \`npm run build && npm run bench:ml -- --sf ${sf}${dir === ':memory:' ? '' : ` --dir ${dir}`} --variants ${r.options.variants} --heldout ${r.options.heldout} --runs ${r.options.runs} --seed ${r.options.seed}${r.reuseModel ? ' --reuse-model' : ''}\`${r.commit ? ` (commit ${r.commit})` : ''}`,
    `Machine: ${r.machine}; load average ${r.loadBefore === undefined ? '' : `${r.loadBefore} at the start, `}${r.load ?? 'not recorded'}${r.loadBefore === undefined ? '' : ' at the end'} (shared with other jobs: timings are noisy; best of ${r.options.runs} runs per query and mode, the two modes back to back per query).`,
    '',
    (r.reuseModel
      ? `Training: the model a previous run of this command without --reuse-model trained in --dir on ${r.options.variants * 22} randomized variants of the 22 templates (bench/ml/tpch-variants.ts, seed ${r.options.seed}; that run was stopped during its held-out phase, which at this scale outlasted the time available on the shared machine); model version`
      : `Training: ${r.trainQueries} randomized variants of the 22 templates (bench/ml/tpch-variants.ts: other substitution parameters, seed ${r.options.seed}) in ${r.trainSeconds.toFixed(0)} s; model version`) +
      ` ${r.model.version}, ${r.model.samples} samples, trusted: ${r.model.trusted}. ${validation(r.model)}` +
      (r.failures.length > 0 ? ` Failed variants: ${r.failures.length} (${r.failures.slice(0, 3).join('; ')}).` : ''),
    '',
    held ? `Held-out set: ${r.options.heldout} queries from bench/ml/heldout.ts with seed ${r.options.seed + 1000} (training uses seed ${r.options.seed}; the generator is not shaped by the model): a random connected subgraph of 2–6 tables of the TPC-H key graph (closing every cycle the chosen tables form, e.g. lineitem–part–partsupp–supplier), each table with 0–2 predicates drawn from a pool the templates do not use together (ranges on sizes, prices, balances, quantities and dates; equalities and IN on flags, names and priorities; LIKE on names, types, containers and comments; l_receiptdate > l_commitdate), as select count(*).` : 'Held-out set: not measured at this scale (see bench/results/ml-qerror.md, SF 0.1).',
    '',
    'Subplans measured: every scan (with its pushed-down predicates) and join the join planner built, and every aggregation over one (its groups), whose count is its true rows: it ran once to its end, and no runtime filter from a join above pruned rows below it (a probe-side scan cut by a Bloom filter counts fewer rows than it has; a probe side never read counts none). The same subplans are the training samples. q-error = max(est/true, true/est), both at least 1; "mean ln q" is the mean of ln q-error. "no correction": subplans the MLP did not correct (a part outside the trained ranges, or its kind\'s correction scale is 0), whose learned estimate is the baseline.',
    '',
    '| set | subplans | median | p95 | max | mean ln q | no correction |',
    '|---|---|---|---|---|---|---|',
    ...row('TPC-H 22', r.tpch),
    ...(r.tpchGroups !== undefined && r.tpchGroups.subplans > 0 ? row('TPC-H 22 group-by', r.tpchGroups) : []),
    ...(held ? row('held-out', r.heldOut) : []),
    '',
    held ? `Targets on the held-out set: learned median ≤ 1.5 (${f2(r.heldOut.learned.median)}: ${r.heldOut.learned.median <= 1.5 ? 'met' : 'NOT met'}); learned p95 ≤ half of classic's (${f2(r.heldOut.learned.p95)} vs ${f2(r.heldOut.classic.p95 / 2)}: ${r.heldOut.learned.p95 <= r.heldOut.classic.p95 / 2 ? 'met' : 'NOT met'}).` : '',
    '',
    'The learned estimate is a baseline — the classic estimate with each relation\'s selectivity measured on a 4096-row sample of its table in place of the classic one (exact when the sample holds the whole table); for an aggregation, the classic groups capped by its input\'s baseline rows — times the MLP\'s correction, the sum of its outputs over the subplan\'s parts (one per relation, one per join edge, one per group-by; src/ml/featurize.ts), scaled per kind of subplan by what grouped cross-validation found to carry over (src/ml/training.ts). "baseline" is that estimate without the MLP (an ablation, not used by the planner). The classic estimator treats a join on several columns that cover a table\'s unique key as one key join, also when the columns meet around a cycle (src/planner/equivalence-classes.ts).',
    '',
    ...(causes === null || !held
      ? []
      : [
          `Where the classic estimator's large errors come from (held-out subplans with classic q-error ≥ 10: ${causes.total} of ${r.heldOut.subplans}): ${causes.empty} have no rows at all (contradictory or anti-correlated predicates: n_name = 'IRAN' and n_name in ('RUSSIA', …), r_name = 'AFRICA' and r_name <> 'AFRICA', o_orderstatus = 'P' with late order dates; the classic model multiplies independent selectivities and never reaches 0); ${causes.cycle} are other joins whose edges form a cycle; ${causes.predicate} are scans or joins whose predicates the statistics misjudge and a table sample does not (LIKE '%word%', column-to-column comparisons, correlated columns); ${causes.other} other (join fan-out with filtered keys). Group-by is not among them: these are count(*) queries.`,
          '',
        ]),
    ...(!held
      ? []
      : [
        `## Online: after also learning from ${r.options.heldout} other held-out-style queries`,
    '',
    `The model learns from every query it runs. A disjoint draw of ${r.options.heldout} queries from the held-out generator (seed ${r.options.seed + 2000}) was run with learning on; then the same held-out set as above was measured again. Model version ${r.modelOnline.version}, ${r.modelOnline.samples} samples, trusted: ${r.modelOnline.trusted}. ${validation(r.modelOnline)}`,
    '',
    '| set | subplans | median | p95 | max | mean ln q | no correction |',
    '|---|---|---|---|---|---|---|',
    ...row('held-out (online)', r.heldOutOnline),
    '',
        ]),
    `## End to end: the 22 queries planned classic (ml_optimizer = off) vs learned (= on)`,
    '',
    `Raw total (each mode's best of ${r.options.runs} per query, summed): classic ${r.endToEnd.totalOffMs.toFixed(0)} ms, learned ${r.endToEnd.totalOnMs.toFixed(0)} ms (${r.endToEnd.totalOnMs <= r.endToEnd.totalOffMs ? 'not slower' : 'slower'}; ${22 - (r.changedAfterFeedback ?? r.changed).length} of 22 queries ran the same plan in both modes, so at this load most of the difference is noise). Join orders changed when first planned: ${r.changed.length} (${r.changed.join(', ') || 'none'})` +
      (r.changedAfterFeedback === undefined ? '.' : `; after the plan-time guard had timed both orders: ${r.changedAfterFeedback.length} (${r.changedAfterFeedback.join(', ') || 'none'}).`),
    '',
    'The learned order is considered only when, by the learned rows and the calibrated hash-join constants, it is at least 20% cheaper than the classic order; then the measured times decide (src/ml/learned-optimizer.ts useLearnedOrder): the two orders alternate until each has run 3 times (the statement\'s time), and from then on the learned one runs only if its median time is at least 5% lower. So a learned plan that is slower runs 3 times per join problem and then gives way to the classic one. The per-query times below are best of N under ml_optimizer = on, exploration runs included.' +
      (r.e2eRerun === undefined ? '' : ` This section was re-run with \`--e2e-only --runs ${r.e2eRerun.runs}\` on the model as the run above left it in --dir (version ${r.e2eRerun.model.version}, ${r.e2eRerun.model.samples} samples${r.options.heldout > 0 && r.modelOnline !== undefined && r.e2eRerun.model.version === r.modelOnline.version ? ': after the online learning below' : ''}; load average ${r.e2eRerun.load}).`),
    '',
    ...(() => {
      // Queries that ran the same plan in both modes differ only by noise: count them once, at the
      // best time either mode saw; changed queries at their re-timed best per mode.
      const retimed = new Map<string, any>(r.endToEnd.changedRetimed.map((f: any) => [f.query, f]));
      let off = 0;
      let on = 0;
      for (const q of r.endToEnd.perQuery) {
        const f = retimed.get(q.query);
        if (f !== undefined) {
          off += f.offMs;
          on += f.onMs;
        } else {
          off += Math.min(q.offMs, q.onMs);
          on += Math.min(q.offMs, q.onMs);
        }
      }
      return [`Total with each unchanged query counted once (the best time of either mode: the same plan) and each changed one at its re-timed best: classic ${off.toFixed(0)} ms, learned ${on.toFixed(0)} ms (${on <= off ? 'not slower' : 'SLOWER'}).`, ''];
    })(),
    `Queries whose plan changed, timed again (best of ${4 * r.options.runs} runs per mode, back to back): ` +
      (r.endToEnd.changedRetimed.map((f: any) => `${f.query} classic ${f.offMs.toFixed(1)} ms, learned ${f.onMs.toFixed(1)} ms`).join('; ') || 'none') +
      '. The other queries run the same plan in both modes: their differences below are noise from the shared machine.',
    '',
    '| query | classic ms | learned ms | plan changed |',
    '|---|---|---|---|',
    ...r.endToEnd.perQuery.map((q: any) => `| ${q.query} | ${q.offMs.toFixed(1)} | ${q.onMs.toFixed(1)} | ${q.planChanged ? 'yes' : ''} |`),
    '',
  ];
  return lines.join('\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
