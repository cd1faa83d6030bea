// Casts. From a string type, each dictionary entry is converted once (a scan's dictionary is
// shared by its batches), with errors raised only for entries live rows use; text ↔ varchar
// without a length is a relabel. Everything else goes through types/cast castVector.
import { DataType } from '../../types/data-type';
import { Vector } from '../../types/vector';
import { castScalar, castVector } from '../../types/cast';
import { FormatSettings } from '../../types/text-format';
import { CompiledExpr, VectorFn } from './compiled';
import { mapDictKernel } from './kernels-string';

export function castKernel(arg: CompiledExpr, to: DataType, fs: FormatSettings, explicit: boolean): VectorFn {
  const from = arg.type;
  const f = arg.eval;
  if (from.storage === 'string') {
    const plain = (t: DataType) => (t.name === 'text' || t.name === 'varchar' || t.name === 'unknown') && t.typmod < 4;
    if (plain(from) && plain(to)) return (b) => ({ ...f(b), type: to }) as Vector;
    return mapDictKernel(arg, to, (s) => castScalar(s, from, to, fs, explicit));
  }
  return (b) => castVector(f(b), to, fs, explicit);
}
