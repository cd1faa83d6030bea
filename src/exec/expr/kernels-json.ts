// json/jsonb `->` and `->>`: per dictionary entry when the key is a constant (the usual shape),
// else row by row. And gen_random_uuid(): a fresh version-4 uuid per row.
import { randomUUID } from 'crypto';
import { DataType } from '../../types/data-type';
import { jsonArrayLength, jsonGet, jsonTypeof, jsonbConcat, jsonbContains, jsonbDelete, jsonbExists } from '../../types/json';
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
  // The binder guarantees the second argument's type per function (text, or text|int4 for jsonb_delete).
  type Fn = (doc: string, other: string | number) => boolean | number | string;
  let f: Fn;
  switch (fn) {
    case 'json_typeof':
      f = (doc) => jsonTypeof(doc, jsonb);
      break;
    case 'json_array_length':
      f = (doc) => jsonArrayLength(doc, jsonb);
      break;
    case 'jsonb_exists':
      f = jsonbExists as Fn;
      break;
    case 'jsonb_concat':
      f = jsonbConcat as Fn;
      break;
    case 'jsonb_delete':
      f = jsonbDelete;
      break;
    default:
      f = jsonbContains as Fn;
  }
  if (args.length === 1 || args[1].isConst) {
    const other = args.length > 1 ? (args[1].value as string | number | null) : '';
    if (other === null) return (batch) => placeholder(type, batch.length);
    return mapDictKernel(args[0], type, (s) => f(s, other));
  }
  return rowKernel(args, type, ([a, b]) => f(a as string, b as string | number));
}
