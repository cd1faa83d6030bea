// json/jsonb `->` and `->>`: per dictionary entry when the key is a constant (the usual shape),
// else row by row. And gen_random_uuid(): a fresh version-4 uuid per row.
import { randomUUID } from 'crypto';
import { DataType } from '../../types/data-type';
import { jsonArrayLength, jsonGet, jsonTypeof, jsonbContains, jsonbExists } from '../../types/json';
import { FunctionName } from '../../plan/expr';
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

/** The other json functions and jsonb operators: per dictionary entry when the rest is constant. */
export function jsonKernel(fn: FunctionName, args: CompiledExpr[], type: DataType): VectorFn {
  const jsonb = args[0].type.name === 'jsonb';
  let f: (doc: string, other: string) => boolean | number | string;
  switch (fn) {
    case 'json_typeof':
      f = (doc) => jsonTypeof(doc, jsonb);
      break;
    case 'json_array_length':
      f = (doc) => jsonArrayLength(doc, jsonb);
      break;
    case 'jsonb_exists':
      f = jsonbExists;
      break;
    default:
      f = jsonbContains;
  }
  if (args.length === 1 || args[1].isConst) {
    const other = args.length > 1 ? (args[1].value as string | null) : '';
    if (other === null) return (batch) => placeholder(type, batch.length);
    return mapDictKernel(args[0], type, (s) => f(s, other));
  }
  return rowKernel(args, type, ([a, b]) => f(a as string, b as string));
}
