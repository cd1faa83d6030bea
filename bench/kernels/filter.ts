// Filters through executePlan: scan → Filter with predicates the expression compiler fuses (int
// comparisons, AND) and ones it runs as per-vector kernels (text equality, LIKE), next to a bare
// scan for the baseline cost of producing the batches.
import { Expr, FunctionName } from '../../src/plan/expr';
import { PlanNode } from '../../src/plan/plan';
import { DataType, Types } from '../../src/types/data-type';
import { Vector } from '../../src/types/vector';
import { BenchCase, Scale, label, runPlan } from './case';
import { int32Vector, stringVector, strings, uniformInts } from './data';
import { contextOf, memTable, scanOf } from './mem-table';

const col = (index: number, type: DataType): Expr => ({ kind: 'column', index, type });
const lit = (value: number | string, type: DataType): Expr => ({ kind: 'const', value, type });
const call = (fn: FunctionName, ...args: Expr[]): Expr => ({ kind: 'call', fn, args, type: Types.bool });
const int = (v: number) => lit(v, Types.int4);

export function filterCases(scale: Scale): BenchCase[] {
  const out: BenchCase[] = [];
  for (const rows of [scale.small, scale.large]) {
    const ints = () => [int32Vector(uniformInts(rows, 1000, 41)), int32Vector(uniformInts(rows, 10, 42))];
    out.push({ kernel: 'scan', variant: `2 int4 columns, no filter (${label(rows)})`, rows, prepare: () => run(ints(), null) });
    out.push({ kernel: 'filter', variant: `int4 c0 < 500 (50%, ${label(rows)})`, rows, prepare: () => run(ints(), call('lt', col(0, Types.int4), int(500))) });
    out.push({
      kernel: 'filter',
      variant: `int4 c0 >= 100 AND c0 < 200 AND c1 <> 3 (9%, ${label(rows)})`,
      rows,
      prepare: () =>
        run(ints(), { kind: 'and', type: Types.bool, args: [call('ge', col(0, Types.int4), int(100)), call('lt', col(0, Types.int4), int(200)), call('ne', col(1, Types.int4), int(3))] }),
    });
  }
  const n = scale.small;
  const text = () => {
    const dict = strings(1000, 'comment');
    return [stringVector(dict, uniformInts(n, 1000, 43))];
  };
  const dict = strings(1000, 'comment');
  out.push({ kernel: 'filter', variant: 'text = const (1k-entry dicts, 0.1%)', rows: n, prepare: () => run(text(), call('eq', col(0, Types.text), lit(dict[7], Types.text))) });
  out.push({ kernel: 'filter', variant: "text LIKE '%special%' (1k-entry dicts)", rows: n, prepare: () => run(text(), call('like', col(0, Types.text), lit('%special%', Types.text))) });
  out.push({
    kernel: 'filter',
    variant: "text LIKE '%special%' (distinct strings)",
    rows: n,
    prepare: () => {
      const codes = new Int32Array(n);
      for (let i = 0; i < n; i++) codes[i] = i;
      return run([stringVector(strings(n, 'comment'), codes)], call('like', col(0, Types.text), lit('%special%', Types.text)));
    },
  });
  return out;
}

function run(columns: Vector[], predicate: Expr | null): () => number {
  const t = memTable(columns);
  const scan = scanOf(t);
  const plan: PlanNode = predicate === null ? scan : { kind: 'filter', input: scan, predicate, output: scan.output };
  const ctx = contextOf([t]);
  return () => runPlan(plan, ctx);
}
