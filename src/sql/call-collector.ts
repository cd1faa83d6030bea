// Aggregate and window calls of one query level, each distinct call once: a call becomes a column
// reference (base + its index) that the plan's aggregate or window node computes.
import { Expr } from '../plan/expr';
import { exprKey } from '../planner/expr-utils';
import { DataType } from '../types/data-type';

export class CallCollector<T extends { type: DataType }> {
  readonly calls: T[] = [];
  private readonly keys = new Map<string, number>();

  constructor(private readonly base: number) {}

  add(call: T): Expr {
    const key = exprKey(call);
    let idx = this.keys.get(key);
    if (idx === undefined) {
      idx = this.calls.length;
      this.calls.push(call);
      this.keys.set(key, idx);
    }
    return { kind: 'column', index: this.base + idx, type: call.type };
  }
}
