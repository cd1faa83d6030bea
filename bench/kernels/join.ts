// Hash join: the KeyTable build (hashKeys + findOrInsert) and probe (hashKeys + find) kernels on
// their own, then whole inner joins through executePlan (scan ⋈ scan: build, probe, chain
// expansion and output gathering).
import { KeyColumn, hashKeys, hashString } from '../../src/exec/hash/key-hash';
import { KeyTable } from '../../src/exec/hash/key-table';
import { Expr } from '../../src/plan/expr';
import { PlanNode, joinOutput } from '../../src/plan/plan';
import { Types } from '../../src/types/data-type';
import { BenchCase, Scale, label, runPlan } from './case';
import { IntDistribution, int32Vector, intKeys, stringVector, strings, uniformInts } from './data';
import { contextOf, memTable, scanOf } from './mem-table';

const numKey = (values: Int32Array): KeyColumn[] => [{ kind: 'num', nulls: null, values }];

function build(keys: KeyColumn[], n: number): KeyTable {
  const h = new Int32Array(n);
  hashKeys(keys, n, h);
  const table = new KeyTable(['num'], n);
  table.findOrInsert(keys, h, n, new Int32Array(n), true);
  return table;
}

export function joinCases(scale: Scale): BenchCase[] {
  const out: BenchCase[] = [];
  const n = scale.small;
  const builds: [number, IntDistribution][] = [
    [n, 'dense'],
    [n, 'sparse'],
    [n, 'skewed'],
  ];
  for (const [rows, dist] of builds)
    out.push({
      kernel: 'keytable build',
      variant: `int4 ${dist} (${label(rows)})`,
      rows,
      prepare: () => {
        const keys = numKey(intKeys(rows, dist));
        return () => build(keys, rows).size;
      },
    });
  out.push({
    kernel: 'keytable probe',
    variant: `int4 dense, ${label(n)} into ${label(n)}, 50% hits`,
    rows: n,
    prepare: () => {
      const table = build(numKey(intKeys(n, 'dense')), n);
      const probe = numKey(uniformInts(n, 2 * n, 11));
      const h = new Int32Array(n);
      const ids = new Int32Array(n);
      return () => {
        hashKeys(probe, n, h);
        table.find(probe, h, n, ids, false);
        let hits = 0;
        for (let i = 0; i < n; i++) if (ids[i] >= 0) hits++;
        return hits;
      };
    },
  });
  out.push({
    kernel: 'keytable build',
    variant: `text c_name (${label(n)})`,
    rows: n,
    prepare: () => {
      const s = strings(n, 'name');
      const codes = new Int32Array(n);
      for (let i = 0; i < n; i++) codes[i] = i;
      const keys: KeyColumn[] = [{ kind: 'str', nulls: null, codes, dict: s, dictHash: new Int32Array(0) }];
      return () => {
        // dictHashes is cached per dictionary: hash the strings inside the timing as a scan's fresh chunk would.
        const h = new Int32Array(n);
        const dh = new Int32Array(n);
        for (let i = 0; i < n; i++) dh[i] = hashString(s[i]);
        (keys[0] as { dictHash: Int32Array }).dictHash = dh;
        hashKeys(keys, n, h);
        const table = new KeyTable(['str'], n);
        table.findOrInsert(keys, h, n, new Int32Array(n), true);
        return table.size;
      };
    },
  });

  // Whole joins: probe (left) ⋈ build (right) on c0, both sides carrying a payload column.
  const joins: { variant: string; probeRows: number; buildRows: number; probe: () => Int32Array; build: () => Int32Array }[] = [
    { variant: `int4 PK-FK, ${label(n)} probe, ${label(n / 10)} build`, probeRows: n, buildRows: n / 10, probe: () => uniformInts(n, n / 10, 21), build: () => intKeys(n / 10, 'dense') },
    { variant: `int4 1:1, ${label(n)} probe, ${label(n)} build`, probeRows: n, buildRows: n, probe: () => intKeys(n, 'dense', 5), build: () => intKeys(n, 'dense') },
    { variant: `int4 50% hits, ${label(n)} probe, ${label(n)} build`, probeRows: n, buildRows: n, probe: () => uniformInts(n, 2 * n, 22), build: () => intKeys(n, 'dense') },
  ];
  for (const j of joins)
    out.push({
      kernel: 'hash join',
      variant: j.variant,
      rows: j.probeRows + j.buildRows,
      prepare: () => {
        const left = memTable([int32Vector(j.probe()), int32Vector(uniformInts(j.probeRows, 1000, 3))]);
        const right = memTable([int32Vector(j.build()), int32Vector(uniformInts(j.buildRows, 1000, 4))]);
        const plan = innerJoin(scanOf(left), scanOf(right), [col(0)], [col(0)]);
        const ctx = contextOf([left, right]);
        return () => runPlan(plan, ctx);
      },
    });
  out.push({
    kernel: 'hash join',
    variant: `text c_name 1:1, ${label(n)} probe, ${label(n)} build`,
    rows: 2 * n,
    prepare: () => {
      const s = strings(n, 'name');
      const left = memTable([stringVector(s, intKeys(n, 'dense', 5))]);
      const right = memTable([stringVector(s, intKeys(n, 'dense', 6))]);
      const key: Expr = { kind: 'column', index: 0, type: Types.text };
      const plan = innerJoin(scanOf(left), scanOf(right), [key], [key]);
      const ctx = contextOf([left, right]);
      return () => runPlan(plan, ctx);
    },
  });
  return out;
}

const col = (index: number): Expr => ({ kind: 'column', index, type: Types.int4 });

function innerJoin(left: PlanNode, right: PlanNode, leftKeys: Expr[], rightKeys: Expr[]): PlanNode {
  return { kind: 'hashjoin', joinType: 'inner', left, right, leftKeys, rightKeys, residual: null, output: joinOutput('inner', left.output, right.output) };
}
