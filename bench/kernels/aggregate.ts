// Hash aggregation through executePlan: scan → GROUP BY key with count(*) and sum(int4), over
// group counts from a handful to one per row, int and text keys, and a plain (ungrouped) sum.
import { AggregateCall, PlanNode } from '../../src/plan/plan';
import { DataType, Types } from '../../src/types/data-type';
import { Expr } from '../../src/plan/expr';
import { BenchCase, Scale, label, runPlan } from './case';
import { int32Vector, intKeys, stringVector, strings, uniformInts } from './data';
import { contextOf, memTable, scanOf } from './mem-table';
import { Vector } from '../../src/types/vector';

function aggregate(input: PlanNode, groupBy: Expr[], aggregates: AggregateCall[]): PlanNode {
  const output = [...groupBy.map((g) => g.type), ...aggregates.map((a) => a.type)].map((type, i) => ({ name: `a${i}`, type }));
  return { kind: 'aggregate', input, groupBy, aggregates, output };
}
const col = (index: number, type: DataType): Expr => ({ kind: 'column', index, type });
const countSum = (argCol: number): AggregateCall[] => [
  { fn: 'count_star', args: [], distinct: false, filter: null, type: Types.int8 },
  { fn: 'sum', args: [col(argCol, Types.int4)], distinct: false, filter: null, type: Types.int8 },
];

export function aggregateCases(scale: Scale): BenchCase[] {
  const out: BenchCase[] = [];
  const n = scale.small;
  const intGroups: { variant: string; rows: number; keys: () => Int32Array }[] = [
    { variant: '8 groups', rows: n, keys: () => uniformInts(n, 8, 31) },
    { variant: '1k groups', rows: n, keys: () => uniformInts(n, 1000, 32) },
    { variant: `skewed (${label(n / 10)} keys)`, rows: n, keys: () => intKeys(n, 'skewed') },
    { variant: 'sparse (~1 group/row)', rows: n, keys: () => intKeys(n, 'sparse') },
    { variant: `8 groups (${label(scale.large)})`, rows: scale.large, keys: () => uniformInts(scale.large, 8, 31) },
  ];
  for (const g of intGroups)
    out.push({
      kernel: 'hash aggregate',
      variant: `int4 key, count+sum, ${g.variant}`,
      rows: g.rows,
      prepare: () => run([int32Vector(g.keys()), int32Vector(uniformInts(g.rows, 1000, 33))], [col(0, Types.int4)], countSum(1)),
    });
  out.push({
    kernel: 'hash aggregate',
    variant: 'text key (1k comments), count+sum',
    rows: n,
    prepare: () => run([stringVector(strings(1000, 'comment'), uniformInts(n, 1000, 34)), int32Vector(uniformInts(n, 1000, 33))], [col(0, Types.text)], countSum(1)),
  });
  out.push({
    kernel: 'hash aggregate',
    variant: 'int4 x2 keys (100 x 100), count+sum',
    rows: n,
    prepare: () =>
      run([int32Vector(uniformInts(n, 100, 35)), int32Vector(uniformInts(n, 100, 36)), int32Vector(uniformInts(n, 1000, 33))], [col(0, Types.int4), col(1, Types.int4)], countSum(2)),
  });
  for (const rows of [n, scale.large])
    out.push({
      kernel: 'aggregate (no groups)',
      variant: `count+sum int4 (${label(rows)})`,
      rows,
      prepare: () => run([int32Vector(uniformInts(rows, 1000, 33))], [], countSum(0)),
    });
  return out;
}

function run(columns: Vector[], groupBy: Expr[], aggs: AggregateCall[]): () => number {
  const t = memTable(columns);
  const plan = aggregate(scanOf(t), groupBy, aggs);
  const ctx = contextOf([t]);
  return () => runPlan(plan, ctx);
}
