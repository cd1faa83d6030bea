// count(*) and count(x) → int8.
import { Types } from '../../types/data-type';
import { Float64Vector, Vector } from '../../types/vector';
import { Accumulator, growF64, liveRows } from './accumulator';

export class CountAccumulator implements Accumulator {
  private counts = new Float64Array(16);
  constructor(private readonly star: boolean) {}
  resize(groupCount: number): void {
    this.counts = growF64(this.counts, groupCount);
  }
  update(groups: Int32Array, args: readonly Vector[], n: number, mask: Uint8Array | null): void {
    const live = liveRows(this.star ? null : args[0], n, mask);
    const counts = this.counts;
    if (live === null) for (let i = 0; i < n; i++) counts[groups[i]]++;
    else for (let i = 0; i < n; i++) counts[groups[i]] += live[i];
  }
  finish(groupCount: number): Vector {
    const v: Float64Vector = { kind: 'int64', type: Types.int8, length: groupCount, nulls: null, values: this.counts.slice(0, groupCount) };
    return v;
  }
}
