// json/jsonb `->` and `->>`: per dictionary entry when the key is a constant (the usual shape),
// else row by row. And gen_random_uuid(): a fresh version-4 uuid per row.
import { randomUUID } from 'crypto';
import { DataType } from '../../types/data-type';
import { jsonGet } from '../../types/json';
import { CompiledExpr, VectorFn } from './compiled';
import { mapDictKernel, rowKernel } from './kernels-string';
import { placeholder } from '../vector-util';

export function jsonGetKernel(asText: boolean, args: CompiledExpr[], type: DataType): VectorFn {
  const [doc, key] = args;
  const jsonb = doc.type.name === 'jsonb';
  if (key.isConst) {
    const k = key.value as string | number | null;
    if (k === null) return (batch) => placeholder(type, batch.length);
    return mapDictKernel(doc, type, (s) => jsonGet(s, jsonb, k, asText));
  }
  return rowKernel(args, type, ([s, k]) => jsonGet(s as string, jsonb, k as string | number, asText));
}

export function randomUuidKernel(type: DataType): VectorFn {
  return (batch) => {
    const n = batch.length;
    const dict = new Array<string>(n);
    const codes = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      dict[i] = randomUUID();
      codes[i] = i;
    }
    return { kind: 'string', type, length: n, nulls: null, codes, dict };
  };
}
