// array_agg(x) → the array's text form, as PostgreSQL's array_out writes it: {a,b,NULL}, with an
// element double-quoted (and " and \ escaped) when it is empty, spells NULL, or holds a brace,
// comma, quote, backslash or white space. Arrays are kept as text in Tessera, so that text is the value.
import { DataType } from '../../types/data-type';
import { BoolVector, Scalar, StringVector, Vector } from '../../types/vector';
import { vectorFromScalars } from '../../types/vector-ops';
import { Accumulator } from './accumulator';

const NEEDS_QUOTES = /[{}",\\ \t\n\r\v\f]/;

export function arrayElementText(s: string): string {
  if (s === '' || s.toUpperCase() === 'NULL' || NEEDS_QUOTES.test(s)) return `"${s.replace(/(["\\])/g, '\\$1')}"`;
  return s;
}

export class ArrayAggAccumulator implements Accumulator {
  private elements: (string[] | undefined)[] = [];
  constructor(private readonly type: DataType) {}
  resize(groupCount: number): void {
    while (this.elements.length < groupCount) this.elements.push(undefined);
  }
  update(groups: Int32Array, args: readonly Vector[], n: number, mask: Uint8Array | null): void {
    const v = args[0];
    for (let i = 0; i < n; i++) {
      if (mask !== null && mask[i] === 0) continue;
      const g = groups[i];
      // Not strict: NULL inputs become NULL elements.
      let text: string;
      if (v.nulls !== null && v.nulls[i] === 1) text = 'NULL';
      else if (v.kind === 'bool') text = (v as BoolVector).values[i] === 1 ? 't' : 'f';
      else text = arrayElementText((v as StringVector).dict[(v as StringVector).codes[i]]);
      (this.elements[g] ??= []).push(text);
    }
  }
  finish(groupCount: number): Vector {
    const out: Scalar[] = new Array(groupCount);
    for (let g = 0; g < groupCount; g++) {
      const e = this.elements[g];
      out[g] = e === undefined ? null : `{${e.join(',')}}`;
    }
    return vectorFromScalars(this.type, out);
  }
}
