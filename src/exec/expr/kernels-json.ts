// json/jsonb `->` and `->>`: per dictionary entry when the key is a constant (the usual shape),
// else row by row.
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
