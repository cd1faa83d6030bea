// One benchmark case: a kernel family, a variant (data shape), the rows it processes, and a
// prepare step that builds its data (outside the timing) and returns the timed run.
import { executePlan } from '../../src/exec/execute';
import { ExecContext } from '../../src/exec/context';
import { PlanNode } from '../../src/plan/plan';

export interface BenchCase {
  kernel: string;
  variant: string;
  /** Input rows one run processes (the rate is rows / time). */
  rows: number;
  /** The timed run returns a number that depends on all its work (rows out, keys, a hash), so the JIT cannot drop it and a smoke test can check it. */
  prepare(): () => number;
}

/** Sizes for a run: `small` for every case (1M by default), `large` for the cheap ones (10M). */
export interface Scale {
  small: number;
  large: number;
  /** True for the smoke run (tiny data): cases may skip variants that only matter at size. */
  quick: boolean;
}

/** Runs a plan through the real executor; returns the result row count. */
export function runPlan(plan: PlanNode, ctx: ExecContext): number {
  let rows = 0;
  for (const b of executePlan(plan, ctx)) rows += b.length;
  return rows;
}

export function label(n: number): string {
  return n >= 1e6 && n % 1e6 === 0 ? `${n / 1e6}M` : n >= 1e3 && n % 1e3 === 0 ? `${n / 1e3}k` : String(n);
}
