// array_agg(x): an array over the group's inputs in input order, NULLs kept as NULL elements. The
// result is the array's canonical text (types/array-text.ts); array_agg over arrays stacks them
// into one more dimension, as PostgreSQL's array_agg(anyarray). A result type that is not a real
// array (system-catalog values kept as text under an array OID) gets the elements' text output.
import { DataType } from '../../types/data-type';
import { Scalar, StringVector, Vector } from '../../types/vector';
import { getScalar, vectorFromScalars } from '../../types/vector-ops';
import { elementText, formatArray, vectorArray } from '../../types/array-text';
import { constructNested } from '../../types/array-ops';
import { DEFAULT_FORMAT, formatCell } from '../../types/text-format';
import { Accumulator } from './accumulator';

export class ArrayAggAccumulator implements Accumulator {
  private elements: ((string | null)[] | undefined)[] = [];
  constructor(private readonly type: DataType) {}
  resize(groupCount: number): void {
    while (this.elements.length < groupCount) this.elements.push(undefined);
  }
  update(groups: Int32Array, args: readonly Vector[], n: number, mask: Uint8Array | null): void {
    const v = args[0];
    const elem = this.type.elem;
    const stacking = v.type.name === 'array';
    if (stacking) this.stackingInput = true;
    for (let i = 0; i < n; i++) {
      if (mask !== null && mask[i] === 0) continue;
      const g = groups[i];
      let text: string | null;
      if (v.nulls !== null && v.nulls[i] === 1) text = null;
      else if (stacking) text = (v as StringVector).dict[(v as StringVector).codes[i]];
      else if (elem !== undefined) text = elementText(elem, getScalar(v, i));
      else text = formatCell(v, i, DEFAULT_FORMAT);
      (this.elements[g] ??= []).push(text);
    }
  }
  finish(groupCount: number): Vector {
    const out: Scalar[] = new Array(groupCount);
    const stacking = this.stackingInput;
    for (let g = 0; g < groupCount; g++) {
      const e = this.elements[g];
      out[g] = e === undefined ? null : stacking ? constructNested(e, 'cannot accumulate arrays of different dimensionality') : formatArray(vectorArray(e));
    }
    return vectorFromScalars(this.type, out);
  }
  /** Whether the inputs are arrays themselves (array_agg(anyarray)). */
  private stackingInput = false;
}
