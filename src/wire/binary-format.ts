// Binary DataRow cells (the value layouts are in types/binary-value.ts).
import { Vector } from '../types/vector';
import { PG_EPOCH_DAYS, binaryValue } from '../types/binary-value';
import { getScalar } from '../types/vector-ops';
import { MessageWriter } from './message-writer';

export { binaryNotSupported, decodeBinaryParam, supportsBinary } from '../types/binary-value';

/** Writes one DataRow cell of a column whose type supportsBinary(): int32 length + bytes, or -1. */
export function writeBinaryCell(w: MessageWriter, v: Vector, row: number): void {
  if (v.nulls !== null && v.nulls[row] === 1) {
    w.int32(-1);
    return;
  }
  switch (v.kind) {
    case 'bool':
      w.int32(1).int8(v.values[row] === 1 ? 1 : 0);
      return;
    case 'int32':
      if (v.type.name === 'int2') w.int32(2).int16(v.values[row]);
      else if (v.type.name === 'date') w.int32(4).int32(v.values[row] - PG_EPOCH_DAYS);
      else w.int32(4).int32(v.values[row]);
      return;
    case 'string': {
      const s = v.dict[v.codes[row]];
      if (v.type.name === 'bytea' || v.type.name === 'uuid' || v.type.name === 'jsonb' || v.type.name === 'array') {
        const b = binaryValue(v.type, s);
        w.int32(b.length).bytes(b);
      } else w.cell(s);
      return;
    }
    default: {
      const b = binaryValue(v.type, getScalar(v, row));
      w.int32(b.length).bytes(b);
    }
  }
}

