// Sort through executePlan: scan → Sort on int4 keys in several orders (random, already sorted,
// many ties), on text, on two keys, and top-N (ORDER BY … LIMIT 100).
import { Expr } from '../../src/plan/expr';
import { PlanNode, SortKey } from '../../src/plan/plan';
import { DataType, Types } from '../../src/types/data-type';
import { Vector } from '../../src/types/vector';
import { BenchCase, Scale, runPlan } from './case';
import { int32Vector, intKeys, stringVector, strings, uniformInts } from './data';
import { contextOf, memTable, scanOf } from './mem-table';

const asc = (index: number, type: DataType): SortKey => ({ expr: { kind: 'column', index, type } as Expr, descending: false, nullsFirst: false });

export function sortCases(scale: Scale): BenchCase[] {
  const n = scale.small;
  const payload = () => int32Vector(uniformInts(n, 1000, 51));
  const out: BenchCase[] = [
    { kernel: 'sort', variant: 'int4 random (sparse)', rows: n, prepare: () => run([int32Vector(intKeys(n, 'sparse')), payload()], [asc(0, Types.int4)]) },
    { kernel: 'sort', variant: 'int4 already sorted', rows: n, prepare: () => run([int32Vector(intKeys(n, 'sorted')), payload()], [asc(0, Types.int4)]) },
    { kernel: 'sort', variant: 'int4 skewed (many ties)', rows: n, prepare: () => run([int32Vector(intKeys(n, 'skewed')), payload()], [asc(0, Types.int4)]) },
    { kernel: 'sort', variant: 'int4 x2 keys (100 values, then random)', rows: n, prepare: () => run([int32Vector(uniformInts(n, 100, 52)), int32Vector(intKeys(n, 'sparse'))], [asc(0, Types.int4), asc(1, Types.int4)]) },
    {
      kernel: 'sort',
      variant: 'text c_name shuffled',
      rows: n,
      prepare: () => run([stringVector(strings(n, 'name'), intKeys(n, 'dense')), payload()], [asc(0, Types.text)]),
    },
    { kernel: 'sort', variant: 'top-N 100, int4 random', rows: n, prepare: () => run([int32Vector(intKeys(n, 'sparse')), payload()], [asc(0, Types.int4)], 100) },
  ];
  return out;
}

function run(columns: Vector[], keys: SortKey[], limit: number | null = null): () => number {
  const t = memTable(columns);
  const scan = scanOf(t);
  const plan: PlanNode = { kind: 'sort', input: scan, keys, limit, output: scan.output };
  const ctx = contextOf([t]);
  return () => runPlan(plan, ctx);
}
